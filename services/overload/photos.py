"""Photos of a weighing as evidence: presigned upload to `overload-evidence`, then a
SHA-256 check of the stored bytes before the photo counts.

As for case evidence (services/records/evidence.py, issue 13.3): the upload URL is bound to
the declared SHA-256, and on confirm the photo is copied inside the S3 server to a key under
`attached/` that no upload URL named, stored as an attachment of the declared media type."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import uuid_utils
from minio.error import S3Error

from services.chassis.db import Database
from services.chassis.events import utcnow
from services.chassis.storage import ObjectStore
from services.overload import db
from services.overload.domain.rules import InvalidWeighing

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
MEDIA = re.compile(r"^(image|video)/[a-z0-9.+-]{1,60}$")
MAX_BYTES = 200 * 1024 * 1024
URL_TTL = timedelta(minutes=15)
FINAL_PREFIX = "attached/"  # no upload URL ever names a key under it

log = logging.getLogger(__name__)


class NotFound(LookupError):
    pass


class PhotoMismatch(ValueError):
    pass


def request_slot(
    database: Database,
    presigner: ObjectStore,
    bucket: str,
    *,
    weighing_id: str,
    agency_id: str = "",
    station_id: str = "",
    device_agency_id: str = "",
    sha256: str,
    size: int,
    media_type: str,
) -> tuple[str, str]:
    sha256 = sha256.lower()
    if not SHA256_HEX.match(sha256):
        raise InvalidWeighing("sha256 must be 64 hex digits")
    if not 0 < size <= MAX_BYTES:
        raise InvalidWeighing(f"size must be between 1 byte and {MAX_BYTES} bytes")
    if not MEDIA.match(media_type):
        raise InvalidWeighing("media_type must be an image/ or video/ type")
    with database.read() as conn:
        weighing = db.get_weighing(conn, weighing_id)
    if weighing is None or not _may_touch(weighing, agency_id, station_id, device_agency_id):
        raise NotFound("weighing not found")
    photo_id = str(uuid_utils.uuid7())
    key = f"{weighing_id}/{photo_id}/{sha256}"
    with database.unit_of_work() as uow:
        db.insert(
            uow.conn,
            db.photos,
            photo_id=photo_id,
            weighing_id=weighing_id,
            agency_id=weighing.agency_id,
            sha256=sha256,
            size=size,
            media_type=media_type,
            object_key=key,
            status="pending",
            created_at=utcnow(),
        )
        uow.commit()
    return photo_id, presigner.presigned_put_url(bucket, key, URL_TTL, sha256_hex=sha256)


def _may_touch(weighing, agency_id: str, station_id: str, device_agency_id: str = "") -> bool:
    """Officers reach their agency's weighings; a station's camera only its own station's,
    and only with credentials of the agency the weighing belongs to."""
    if station_id:
        return (
            weighing.station_id == station_id
            and bool(device_agency_id)
            and weighing.agency_id == device_agency_id
        )
    return bool(agency_id) and weighing.agency_id == agency_id


def confirm(
    database: Database,
    store: ObjectStore,
    bucket: str,
    *,
    photo_id: str,
    agency_id: str = "",
    station_id: str = "",
    device_agency_id: str = "",
) -> tuple[str, str]:
    with database.read() as conn:
        photo = db.get_photo(conn, photo_id)
        weighing = db.get_weighing(conn, photo.weighing_id) if photo is not None else None
    if photo is None or weighing is None:
        raise NotFound("photo not found")
    if not _may_touch(weighing, agency_id, station_id, device_agency_id):
        raise NotFound("photo not found")
    if photo.status == "attached":
        return photo.status, photo.object_key
    sealed = FINAL_PREFIX + photo.object_key
    reason = _seal_and_verify(store, bucket, photo, sealed)
    if reason != "ok":
        if reason != "missing":
            store.delete(bucket, sealed)
        raise PhotoMismatch(
            "nothing was uploaded yet"
            if reason == "missing"
            else "the upload is not the declared file (SHA-256 or size differs); upload it again"
        )
    with database.unit_of_work() as uow:
        uow.conn.execute(
            db.photos.update()
            .where(db.photos.c.photo_id == photo_id)
            .values(status="attached", object_key=sealed)
        )
        uow.commit()
    try:  # the sealed copy is the photo; the upload URL now only reaches a dead key
        store.delete(bucket, photo.object_key)
    except Exception:
        log.warning("could not delete the upload of photo %s after sealing it", photo_id)
    return "attached", sealed


def _seal_and_verify(store: ObjectStore, bucket: str, photo, sealed: str) -> str:
    """Copy the upload to its final key; check it by the checksum the S3 server verified on
    the PUT, or else by reading the final copy. Returns ok, missing or mismatch."""
    info = store.stat(bucket, photo.object_key)
    if info is None:
        return "missing"
    if info.size != photo.size:
        return "mismatch"
    try:
        store.seal(bucket, photo.object_key, sealed, etag=info.etag, media_type=photo.media_type)
    except S3Error:  # replaced between the look and the copy
        return "missing"
    if info.sha256 is not None:
        return "ok" if info.sha256 == photo.sha256 else "mismatch"
    return "ok" if store.verify_sha256(bucket, sealed, photo.sha256, photo.size).ok else "mismatch"
