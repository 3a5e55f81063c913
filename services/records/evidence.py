"""Evidence uploads: a presigned slot, the phone's PUT, then a verified attachment.

Objects are keyed by case, slot and SHA-256, so a slot can only ever overwrite its own
object; the hash the phone declared is checked against the stored bytes before the evidence
joins the record, and a mismatch leaves the slot open for another try.

Attached evidence can never be replaced (issue 13.3). An upload URL stays valid for its
whole TTL, so on confirm the upload is copied inside the S3 server to a final key under
`attached/` that no upload URL ever named, and the record points there; the upload itself is
then deleted. The single-PUT URL also carries the declared SHA-256 (`x-amz-checksum-sha256`
in the signed query), so the S3 server refuses other bytes and keeps the checksum it
checked: confirming then reads no bytes back. Multipart uploads (SeaweedFS keeps no
checksum for them) and servers without the checksum are hashed from the final copy.
Downloads are attachments of the confirmed media type.

A user holds at most `max_pending_slots` open slots (pending, URLs not yet expired); pending
slots whose URLs expired more than `pending_retention` ago are swept: their uploads deleted,
the slot marked expired (asking again with the same client_slot_id opens it anew).
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import uuid_utils
from minio.error import S3Error

from services.chassis.db import Database, UnitOfWork
from services.chassis.events import utcnow
from services.chassis.storage import ObjectStore, Verification
from services.records import db
from services.records.domain.cases import Case, Stage
from services.records.domain.entries import (
    Entry,
    EntryKind,
    EvidenceRef,
    InvalidEntry,
    RecordClosed,
)
from services.records.domain.meta import WriteMeta
from services.records.handlers import Conflict, NotAllowed, NotFound, _append, _write

log = logging.getLogger(__name__)

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
MEDIA_TYPE = re.compile(r"^(image|video|audio)/[a-z0-9.+-]{1,60}$|^application/pdf$")
MIN_PART = 5 * 1024 * 1024  # S3: every part but the last is at least 5 MiB
MAX_PARTS = 10_000


class EvidenceMismatch(ValueError):
    """The stored object is not what the phone declared."""


@dataclass(frozen=True)
class UploadPolicy:
    bucket: str
    url_ttl: timedelta
    multipart_threshold: int
    part_size: int
    max_size: int
    max_pending_slots: int = 50  # per user, while their URLs are valid
    pending_retention: timedelta = timedelta(hours=24)  # after the URLs expired, then swept


class TooManySlots(Exception):
    """The user already holds `max_pending_slots` open upload slots."""


FINAL_PREFIX = "attached/"  # no upload URL ever names a key under it


def final_key(upload_key: str) -> str:
    return FINAL_PREFIX + upload_key


@dataclass(frozen=True)
class Slot:
    slot_id: str
    status: str
    object_key: str
    expires_at: datetime | None
    put_url: str = ""
    parts: tuple[tuple[int, str, int], ...] = ()  # (number, url, size)
    entry: Entry | None = None


def _validate(sha256: str, size: int, media_type: str, filename: str, policy: UploadPolicy) -> None:
    if not SHA256_HEX.match(sha256):
        raise InvalidEntry("sha256 must be 64 lowercase hex digits")
    if not 0 < size <= policy.max_size:
        raise InvalidEntry(f"size must be between 1 byte and {policy.max_size} bytes")
    if not MEDIA_TYPE.match(media_type):
        raise InvalidEntry(
            "media_type must be an image/, video/ or audio/ type, or application/pdf"
        )
    if len(filename) > 200:
        raise InvalidEntry("filename is longer than 200 characters")


def request_slot(
    database: Database,
    store: ObjectStore,
    presigner: ObjectStore,
    policy: UploadPolicy,
    *,
    case_id: str,
    client_slot_id: str,
    sha256: str,
    size: int,
    media_type: str,
    filename: str,
    actor_id: str,
    agency_id: str,
) -> Slot:
    """A slot with presigned URLs; asking again for the same client_slot_id renews them."""
    sha256 = sha256.lower()
    if not 8 <= len(client_slot_id) <= 100:
        raise InvalidEntry("client_slot_id is required (8 to 100 characters)")
    _validate(sha256, size, media_type, filename, policy)
    with database.read() as conn:
        case = db.get_case(conn, case_id)
        _own_case(case, actor_id, agency_id)
        row = db.get_slot_by_client_id(conn, client_slot_id)
    if row is not None:
        if row.case_id != case_id or row.sha256 != sha256 or row.size != size:
            raise_conflict()
        if row.status == "attached":
            with database.read() as conn:
                entry = db.get_entry(conn, row.entry_id)
            return Slot(row.slot_id, "attached", row.object_key, None, entry=entry)
        if row.status == "expired":  # swept: opened anew, and counted again
            _check_pending(database, policy, actor_id)
        with database.unit_of_work() as uow:
            db.update_slot(uow.conn, row.slot_id, status="pending", created_at=utcnow())
            uow.commit()
        return _presign(
            database,
            store,
            presigner,
            policy,
            row.slot_id,
            row.object_key,
            size,
            media_type,
            row.upload_id,
        )
    sweep_expired_slots(database, store, policy)
    _check_pending(database, policy, actor_id)
    slot_id = str(uuid_utils.uuid7())
    object_key = f"{case_id}/{slot_id}/{sha256}"
    try:
        with database.unit_of_work() as uow:
            db.insert_slot(
                uow.conn,
                slot_id=slot_id,
                case_id=case_id,
                client_slot_id=client_slot_id,
                sha256=sha256,
                size=size,
                media_type=media_type,
                filename=filename,
                object_key=object_key,
                status="pending",
                created_by=actor_id,
                created_at=utcnow(),
            )
            uow.commit()
    except sa.exc.IntegrityError:
        with database.read() as conn:
            if db.get_slot_by_client_id(conn, client_slot_id) is None:
                raise
        return request_slot(
            database,
            store,
            presigner,
            policy,
            case_id=case_id,
            client_slot_id=client_slot_id,
            sha256=sha256,
            size=size,
            media_type=media_type,
            filename=filename,
            actor_id=actor_id,
            agency_id=agency_id,
        )
    return _presign(database, store, presigner, policy, slot_id, object_key, size, media_type, None)


def _check_pending(database: Database, policy: UploadPolicy, actor_id: str) -> None:
    since = utcnow() - policy.url_ttl
    with database.read() as conn:
        held = db.count_pending_slots(conn, actor_id, since)
    if held >= policy.max_pending_slots:
        raise TooManySlots(
            f"you hold {held} open upload slots; confirm them or let them expire "
            f"({int(policy.url_ttl.total_seconds())} s after they were asked for)"
        )


def sweep_expired_slots(
    database: Database, store: ObjectStore, policy: UploadPolicy, limit: int = 100
) -> int:
    """Delete the uploads of pending slots whose URLs expired `pending_retention` ago and
    mark the slots expired (a few at a time, on the way of new requests). Returns how many."""
    before = utcnow() - policy.url_ttl - policy.pending_retention
    with database.read() as conn:
        rows = db.stale_pending_slots(conn, before, limit)
    for row in rows:
        try:
            if row.upload_id:
                store.abort_multipart(policy.bucket, row.object_key, row.upload_id)
        except Exception:  # already completed or aborted: nothing left to abort
            log.info("multipart upload of slot %s was not there to abort", row.slot_id)
        try:
            store.delete(policy.bucket, row.object_key)
        except Exception:  # the next sweep tries again: the slot stays pending until then
            log.warning("could not delete the upload of expired slot %s", row.slot_id)
            continue
        with database.unit_of_work() as uow:
            db.expire_slot(uow.conn, row.slot_id)
            uow.commit()
    return len(rows)


def raise_conflict() -> None:
    raise Conflict("client_slot_id was already used for another file; make a new one")


def _own_case(case: Case | None, actor_id: str, agency_id: str) -> Case:
    if case is None or case.agency_id != agency_id:
        raise NotFound("case not found")
    if actor_id not in case.officer_ids:
        raise NotAllowed("only the case's own officers may add evidence")
    if case.stage is Stage.archived:
        raise RecordClosed("the case is archived; its record is closed")
    return case


def _presign(
    database: Database,
    store: ObjectStore,
    presigner: ObjectStore,
    policy: UploadPolicy,
    slot_id: str,
    object_key: str,
    size: int,
    media_type: str,
    upload_id: str | None,
) -> Slot:
    expires_at = utcnow() + policy.url_ttl
    if size <= policy.multipart_threshold:
        # Bound to the declared SHA-256: the S3 server takes no other bytes through it.
        url = presigner.presigned_put_url(
            policy.bucket, object_key, policy.url_ttl, sha256_hex=object_key.rsplit("/", 1)[1]
        )
        return Slot(slot_id, "pending", object_key, expires_at, put_url=url)
    part_size = max(MIN_PART, policy.part_size, math.ceil(size / MAX_PARTS))
    if upload_id is None:
        upload_id = store.start_multipart(policy.bucket, object_key, media_type)
        with database.unit_of_work() as uow:
            db.update_slot(uow.conn, slot_id, upload_id=upload_id, part_size=part_size)
            uow.commit()
    count = math.ceil(size / part_size)
    parts = tuple(
        (
            n,
            presigner.presigned_part_url(policy.bucket, object_key, upload_id, n, policy.url_ttl),
            min(part_size, size - (n - 1) * part_size),
        )
        for n in range(1, count + 1)
    )
    return Slot(slot_id, "pending", object_key, expires_at, parts=parts)


def evidence_links(
    database: Database,
    presigner: ObjectStore,
    policy: UploadPolicy,
    *,
    case_id: str,
    agency_id: str,
    sha256: str = "",
    attachment: bool = False,
) -> list[tuple[Entry, EvidenceRef, str, datetime]]:
    """Presigned GET links for every verified evidence object of a case (or the one with
    `sha256`). Every link is an attachment of the confirmed type, under the file's name: a
    browser saves it, never renders it (`attachment` is kept for callers that ask)."""
    with database.read() as conn:
        case = db.get_case(conn, case_id)
        if case is None or case.agency_id != agency_id:
            raise NotFound("case not found")
        entries = db.case_entries(conn, case_id)
    expires = utcnow() + policy.url_ttl
    wanted = sha256.lower()
    found = (
        [(entry, ref) for entry in entries for ref in entry.evidence if ref.sha256 == wanted]
        if wanted
        else [(entry, ref) for entry in entries for ref in entry.evidence]
    )
    if wanted and not found:
        raise NotFound(f"no evidence {wanted} in case {case_id}")
    if wanted:
        found = found[:1]  # the same file attached twice is one download
    return [
        (
            entry,
            ref,
            # An attachment of the confirmed type: a browser saves it, never renders it.
            presigner.presigned_get_url(
                policy.bucket,
                ref.object_key,
                policy.url_ttl,
                media_type=ref.media_type,
                filename=download_name(ref),
            ),
            expires,
        )
        for entry, ref in found
    ]


def download_name(ref: EvidenceRef) -> str:
    """The file name a download is saved under: the phone's name, else the hash and type."""
    if ref.filename.strip():
        return ref.filename.strip()
    extension = ref.media_type.split("/")[-1].split("+")[0] or "bin"
    return f"{ref.sha256[:16]}.{extension}"


def confirm_upload(
    database: Database,
    store: ObjectStore,
    policy: UploadPolicy,
    *,
    slot_id: str,
    case_id: str,
    parts: list[tuple[int, str]],
    caption: str,
    relates_to_entry_id: str,
    meta: WriteMeta,
) -> tuple[Entry, bool]:
    """Check the stored bytes against the declared SHA-256, then attach them to the record."""
    if len(caption) > 500:
        raise InvalidEntry("caption is longer than 500 characters")
    with database.read() as conn:
        row = db.get_slot(conn, slot_id)
        if row is None or row.case_id != case_id:
            raise NotFound("evidence slot not found")
        _own_case(db.get_case(conn, case_id), meta.actor_id, meta.agency_id)
        if relates_to_entry_id:
            target = db.get_entry(conn, relates_to_entry_id)
            if target is None or target.case_id != case_id:
                raise InvalidEntry("relates_to_entry_id is not an entry of this case")
    if row.status == "attached":
        with database.read() as conn:
            entry = db.get_entry(conn, row.entry_id)
        assert entry is not None
        return entry, False
    if row.status == "expired":
        raise EvidenceMismatch("the slot expired; ask for it again and upload the file again")
    if row.upload_id:
        if not parts:
            raise InvalidEntry("a multipart upload is confirmed with each part's ETag")
        try:
            store.complete_multipart(policy.bucket, row.object_key, row.upload_id, parts)
        except Exception as exc:  # S3 names the bad part; the phone gets no storage details
            log.warning("joining the parts of slot %s failed: %s", slot_id, exc)
            try:
                store.abort_multipart(policy.bucket, row.object_key, row.upload_id)
            except Exception:  # already gone; the retry starts a new upload either way
                log.info("multipart upload of slot %s was not there to abort", slot_id)
            with database.unit_of_work() as uow:
                db.update_slot(
                    uow.conn, slot_id, problem="parts could not be joined", upload_id=None
                )
                uow.commit()
            raise EvidenceMismatch(
                "a part is missing or its ETag does not match; ask for the slot again and "
                "upload every part"
            ) from exc
    sealed = final_key(row.object_key)
    result = _seal_and_verify(store, policy, row, sealed)
    if not result.ok:
        problem = {
            "missing": "nothing was uploaded to the slot yet",
            "size-mismatch": f"the upload has {result.size} bytes, not the declared {row.size}",
            "hash-mismatch": "the upload's SHA-256 is not the declared one",
        }.get(result.reason, result.reason)
        with database.unit_of_work() as uow:
            # A multipart upload is spent once joined; a retry starts a new one.
            db.update_slot(uow.conn, slot_id, problem=problem, upload_id=None)
            uow.commit()
        if result.reason != "missing":
            store.delete(policy.bucket, row.object_key)
            store.delete(policy.bucket, sealed)
        raise EvidenceMismatch(f"{problem}; upload the file again to the same slot")
    ref = EvidenceRef(row.sha256, row.size, row.media_type, sealed, row.filename)
    evidence_meta = WriteMeta(
        client_entry_id=f"evidence:{slot_id}",
        actor_id=meta.actor_id,
        agency_id=meta.agency_id,
        device_time=meta.device_time,
        location=meta.location,
        app_version=meta.app_version,
        location_missing=meta.location_missing,
    )

    def effect(uow: UnitOfWork, case: Case, now: datetime) -> Entry:
        entry = _append(
            uow,
            case,
            kind=EntryKind.evidence,
            meta=evidence_meta,
            payload={
                "slot_id": slot_id,
                "caption": caption,
                "relates_to_entry_id": relates_to_entry_id,
            },
            now=now,
            evidence=(ref,),
        )
        db.update_slot(uow.conn, slot_id, status="attached", entry_id=entry.entry_id, problem=None)
        return entry

    _, entry, created = _write(database, case_id, evidence_meta, effect)
    try:  # the sealed copy is the evidence; the upload URL now only reaches a dead key
        store.delete(policy.bucket, row.object_key)
    except Exception:
        log.warning("could not delete the upload of slot %s after sealing it", slot_id)
    return entry, created


def _seal_and_verify(store: ObjectStore, policy: UploadPolicy, row, sealed: str) -> Verification:
    """Copy the upload to its final key and check that copy against the declared SHA-256:
    by the checksum the S3 server verified on the PUT when there is one (no bytes read),
    else by reading the final copy, which nothing handed out can write any more."""
    info = store.stat(policy.bucket, row.object_key)
    if info is None:
        return Verification(ok=False, actual_sha256=None, size=None, reason="missing")
    if info.size != row.size:
        return Verification(ok=False, actual_sha256=None, size=info.size, reason="size-mismatch")
    try:
        store.seal(
            policy.bucket, row.object_key, sealed,
            etag=info.etag, media_type=row.media_type, filename=row.filename,
        )  # fmt: skip
    except S3Error as exc:  # replaced between the look and the copy: look again next time
        log.warning("sealing the upload of slot %s failed: %s", row.slot_id, exc.code)
        return Verification(ok=False, actual_sha256=None, size=None, reason="missing")
    if info.sha256 is not None:
        ok = info.sha256 == row.sha256
        reason = "ok" if ok else "hash-mismatch"
        return Verification(ok=ok, actual_sha256=info.sha256, size=info.size, reason=reason)
    return store.verify_sha256(policy.bucket, sealed, row.sha256, row.size)
