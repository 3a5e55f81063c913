"""Use cases: issue a document, attach its record entry, serve it, sign it, bind the case file.

The number and the document row commit together, so the series stays gap-free (a failed
render or store rolls the number back). The PDF is put into S3 before the commit: a crash in
between leaves an object nobody points to, never a document without its PDF.
"""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import uuid_utils
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention

from enforcement.documents.v1 import documents_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.calendar_store import load_calendar, store_published
from services.chassis.db import Database, UnitOfWork, as_utc
from services.chassis.events import EventEnvelope, build_event, utcnow
from services.chassis.storage import ObjectStore
from services.chassis.workdays import CHINA_TZ, Calendar, china_date
from services.documents import db, render
from services.documents.casedata import case_data
from services.documents.config import Settings
from services.documents.domain import content as content_rules
from services.documents.domain.kinds import (
    SPECS,
    InvalidDocument,
    Kind,
    filing_rank,
    format_number,
    parse_kind,
)
from services.documents.domain.service import (
    RETENTION_LABELS,
    check_service,
    deadlines_from_service,
    retention,
)

log = logging.getLogger(__name__)
SERVICE = "documents"
TOPIC_ISSUED = "documents.document-issued.v1"
TOPIC_SERVED = "documents.document-served.v1"
TOPIC_ARCHIVED = "documents.case-file-archived.v1"
MAX_SIGNATURE_BYTES = 512 * 1024
SIGNER_ROLES = {"officer": "执法人员", "party": None, "witness": "见证人"}
# Stages at which the case file may be bound: the case is decided and done, or ended early.
BINDABLE = frozenset({"closing", "no_penalty", "withdrawn"})


class NotFound(LookupError):
    pass


class Mismatch(ValueError):
    """Stored bytes or a claimed hash do not match what the document row says."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _verify_url(base: str, document_id: str) -> str:
    return f"{base.rstrip('/')}/v/{document_id}"


# -- proto ------------------------------------------------------------------------------------


def document_to_pb(row: Any) -> documents_pb2.Document:
    msg = documents_pb2.Document(
        document_id=row.document_id,
        client_document_id=row.client_document_id,
        case_id=row.case_id,
        agency_id=row.agency_id,
        kind=row.kind,
        title=row.title,
        number=row.number,
        case_no=row.case_no,
        party_name=row.party_name,
        agency_name=row.content.get("agency", ""),
        sha256=row.sha256,
        size=row.size,
        object_key=row.object_key,
        issued_by=row.issued_by,
        entry_id=row.entry_id or "",
        version=row.version,
        earlier_sha256=[e["sha256"] for e in row.earlier_sha256],
    )
    msg.issued_at.FromDatetime(as_utc(row.issued_at))
    if row.service:
        s = row.service
        svc = documents_pb2.Service(
            method=s["method"],
            recipient=s["recipient"],
            recorded_by=s.get("recorded_by", ""),
            witnesses=s.get("witnesses", []),
            consent_ref=s.get("consent_ref", ""),
            address=s.get("address", ""),
        )
        svc.served_at.FromDatetime(datetime.fromisoformat(s["served_at"]).astimezone(UTC))
        msg.service.CopyFrom(svc)
    for d in row.deadlines:
        msg.deadlines.add(**{k: v for k, v in d.items() if k in DEADLINE_FIELDS})
    for s in row.signatures:
        sig = msg.signatures.add(
            signature_id=s["signature_id"],
            role=s["role"],
            signer_name=s["signer_name"],
            sha256=s.get("sha256", ""),
            object_key=s.get("object_key", ""),
            refused=s.get("refused", False),
            witness=s.get("witness", ""),
        )
        sig.signed_at.FromDatetime(datetime.fromisoformat(s["signed_at"]).astimezone(UTC))
    return msg


def case_file_to_pb(row: Any) -> documents_pb2.CaseFile:
    msg = documents_pb2.CaseFile(
        case_id=row.case_id,
        object_key=row.object_key,
        sha256=row.sha256,
        size=row.size,
        pages=row.pages,
        retention=row.retention,
        retain_until=row.retain_until.isoformat() if row.retain_until else "",
        object_locked=row.object_locked,
        entry_id=row.entry_id or "",
    )
    msg.assembled_at.FromDatetime(as_utc(row.assembled_at))
    return msg


def _event(topic: str, aggregate_id: str, payload) -> object:
    return build_event(topic=topic, aggregate_id=aggregate_id, payload=payload, producer=SERVICE)


# -- issuing ----------------------------------------------------------------------------------


def _served_document(conn, case_id: str, fields: dict) -> dict[str, Any]:
    row = db.get_document(conn, str(fields.get("served_document_id", "")))
    if row is None or row.case_id != case_id:
        raise InvalidDocument("served_document_id names no document of this case")
    if not row.service:
        raise InvalidDocument(f"the service of {row.number} has not been recorded")
    s = dict(row.service)
    s["served_at_cn"] = content_rules.cn_datetime(datetime.fromisoformat(s["served_at"]))
    return {"title": row.title, "number": row.number, "service": s}


def issue_document(
    database: Database,
    store: ObjectStore,
    settings: Settings,
    *,
    client_document_id: str,
    kind: str,
    timeline: records_pb2.GetTimelineResponse,
    fields: dict[str, Any],
    issued_by: str,
    agency_id: str,
    verify_base_url: str,
) -> tuple[Any, bool]:
    """Number, render and store one document of the case; a retry with the same client id
    returns the document made the first time."""
    if not client_document_id or len(client_document_id) > 100:
        raise InvalidDocument("client_document_id is required (at most 100 characters)")
    with database.read() as conn:
        seen = db.by_client_id(conn, client_document_id)
    if seen is not None:
        if seen.agency_id != agency_id:
            raise NotFound("document not found")
        return seen, False
    k = parse_kind(kind)
    if not timeline.case.case_id or timeline.case.agency_id != agency_id:
        raise NotFound("case not found")
    case = case_data(timeline)
    if case.stage == "archived":
        raise InvalidDocument("the case is archived: its record takes no more documents")
    now = utcnow()
    today = china_date(now)
    document_id = str(uuid_utils.uuid7())
    verify_url = _verify_url(verify_base_url, document_id)
    with database.unit_of_work() as uow:
        served = (
            _served_document(uow.conn, case.case_id, fields) if k is Kind.service_receipt else None
        )
        if k is Kind.penalty_decision:
            issued = [r for r in db.case_documents(uow.conn, case.case_id) if r.kind == k.value]
            if issued:  # one decision, one number: a signature makes a new version instead
                raise InvalidDocument(f"the decision document {issued[0].number} exists already")
            number = case.decision_no  # records numbered it at the decision, gap-free
        else:
            n = db.next_number(uow.conn, agency_id=agency_id, kind=k.value, year=today.year)
            number = format_number(settings.prefix(agency_id), k, today.year, n)
        try:
            content = content_rules.build(
                k,
                case,
                fields,
                number=number,
                agency_name=settings.agency_name(agency_id),
                today=today,
                served=served,
                payment=settings.payment_accounts.get(agency_id),
            ).as_dict()
        except (TypeError, AttributeError, KeyError) as exc:  # fields of the wrong shape
            raise InvalidDocument(
                f"{SPECS[k].title} needs: fields of the documented shape (docs/documents.md)"
            ) from exc
        pdf = render.render_document(content, verify_url)
        digest = sha256_hex(pdf)
        key = f"{case.case_id}/{document_id}/v1-{digest}.pdf"
        store.put_bytes(settings.pdf_bucket, key, pdf, content_type="application/pdf")
        try:
            uow.conn.execute(
                db.documents.insert().values(
                    document_id=document_id,
                    client_document_id=client_document_id,
                    case_id=case.case_id,
                    agency_id=agency_id,
                    kind=k.value,
                    title=SPECS[k].title,
                    number=number,
                    case_no=case.case_no,
                    party_name=case.party.get("name", ""),
                    content=content,
                    sha256=digest,
                    size=len(pdf),
                    object_key=key,
                    version=1,
                    earlier_sha256=[],
                    issued_by=issued_by,
                    issued_at=now,
                    entry_id=None,
                    service=None,
                    deadlines=[],
                    signatures=[],
                )
            )
        except sa.exc.IntegrityError:  # the same client id, issued concurrently: the first wins
            uow.conn.rollback()
            with database.read() as conn:
                return db.by_client_id(conn, client_document_id), False
        row = db.get_document(uow.conn, document_id)
        uow.add_event(
            _event(
                TOPIC_ISSUED,
                case.case_id,
                documents_pb2.DocumentIssued(document=document_to_pb(row)),
            )
        )
        uow.commit()
    return row, True


def attach_log_entry(database: Database, *, document_id: str, entry_id: str, sha256: str) -> Any:
    """Remember the record entry that carries the current version's hash."""
    with database.unit_of_work() as uow:
        row = db.get_document(uow.conn, document_id, lock=True)
        if row is None:
            raise NotFound("document not found")
        if sha256 != row.sha256:
            raise Mismatch("the entry carries another hash than the document's current PDF")
        uow.conn.execute(
            db.documents.update()
            .where(db.documents.c.document_id == document_id)
            .values(entry_id=entry_id)
        )
        uow.commit()
    with database.read() as conn:
        return db.get_document(conn, document_id)


def get_document(database: Database, document_id: str, agency_id: str = "") -> Any:
    with database.read() as conn:
        row = db.get_document(conn, document_id)
    if row is None or (agency_id and row.agency_id != agency_id):
        raise NotFound("document not found")
    return row


def read_pdf(store: ObjectStore, settings: Settings, row: Any) -> bytes:
    """The stored PDF, refused when its bytes no longer hash to the recorded SHA-256."""
    response = store.client.get_object(settings.pdf_bucket, row.object_key)
    try:
        data = response.read()
    finally:
        response.close()
        response.release_conn()
    if sha256_hex(data) != row.sha256:
        raise Mismatch(f"the stored PDF of {row.number} does not match its SHA-256")
    return data


def list_documents(database: Database, case_id: str, agency_id: str) -> tuple[list, Any]:
    with database.read() as conn:
        rows = [r for r in db.case_documents(conn, case_id) if r.agency_id == agency_id]
        case_file = db.get_case_file(conn, case_id)
    if case_file is not None and case_file.agency_id != agency_id:
        case_file = None
    return rows, case_file


# -- service (送达) and deadlines ---------------------------------------------------------------


def _count_deadlines(calendar: Calendar, kind: Kind, served_at: datetime) -> list[dict]:
    """The deadlines that run from service, each marked provisional when it was counted
    through a year whose official calendar has not been entered yet."""
    provisional: set[str] = set()

    def add(start: date, n: int) -> date:
        due = calendar.add_working_days(start, n)
        if due.provisional:
            provisional.add(due.date.isoformat())
        return due.date

    served_on = served_at.astimezone(CHINA_TZ).date()
    return [
        {
            "name": d.name,
            "label": d.label,
            "due_date": d.due_date.isoformat(),
            "basis": d.basis,
            "working_days": d.working_days,
            "provisional": d.working_days and d.due_date.isoformat() in provisional,
        }
        for d in deadlines_from_service(kind, served_on, add)
    ]


# A phone's clock may be a little off the server's: a service recorded on it right after the
# document was issued must not be refused for that.
CLOCK_SKEW = timedelta(minutes=5)
DEADLINE_FIELDS = ("name", "label", "due_date", "basis", "working_days", "provisional")


def record_service(
    database: Database, *, document_id: str, agency_id: str, service: dict[str, Any]
) -> Any:
    """送达: once per document. The deadlines that run from service start at its China date."""
    witnesses = [w for w in service.get("witnesses", []) if w.strip()]
    check_service(
        service.get("method", ""),
        service.get("recipient", ""),
        witnesses,
        service.get("consent_ref", ""),
    )
    served_at: datetime = service["served_at"]
    if served_at > utcnow() + CLOCK_SKEW:
        raise InvalidDocument("served_at is in the future")
    with database.unit_of_work() as uow:
        row = db.get_document(uow.conn, document_id, lock=True)
        if row is None or row.agency_id != agency_id:
            raise NotFound("document not found")
        kind = Kind(row.kind)
        if not SPECS[kind].served:
            raise InvalidDocument(f"{row.title} is kept in the case file, not served on the party")
        issued = as_utc(row.issued_at)
        if served_at < issued - CLOCK_SKEW:
            # A service dated before the document existed would start its deadlines early.
            raise InvalidDocument(
                f"served_at is before {row.number} was issued "
                f"({issued.astimezone(CHINA_TZ):%Y-%m-%d %H:%M})"
            )
        stored = {
            "method": service["method"],
            "served_at": served_at.astimezone(CHINA_TZ).isoformat(),
            "recipient": service["recipient"].strip(),
            "recorded_by": service.get("recorded_by", ""),
            "witnesses": witnesses,
            "consent_ref": service.get("consent_ref", ""),
            "address": service.get("address", ""),
        }
        if row.service:
            if row.service == stored:
                return row  # a retry of the same service
            raise InvalidDocument(f"the service of {row.number} was already recorded")
        calendar = load_calendar(uow.conn, db.calendar_years)
        deadlines = _count_deadlines(calendar, kind, served_at)
        uow.conn.execute(
            db.documents.update()
            .where(db.documents.c.document_id == document_id)
            .values(
                service=stored,
                deadlines=deadlines,
                deadlines_provisional=any(d["provisional"] for d in deadlines),
            )
        )
        row = db.get_document(uow.conn, document_id)
        uow.add_event(
            _event(
                TOPIC_SERVED,
                row.case_id,
                documents_pb2.DocumentServed(document=document_to_pb(row)),
            )
        )
        uow.commit()
    return row


# -- signatures -------------------------------------------------------------------------------


def _signature_line(role: str, kind: Kind, signers: list[str]) -> str:
    """The form's line a signer of `role` signs on (the first that fits)."""
    wanted = {
        "officer": ("执法人员", "承办人", "送达人", "询问人", "法制审核"),
        "party": ("被检查", "被复查", "被询问", "陈述申辩人", "收件人", "负责人"),
        "witness": ("见证人",),
    }[role]
    for line in signers:
        if line.startswith(wanted):
            return line
    raise InvalidDocument(f"the {SPECS[kind].title} has no line for a {role}'s signature")


def add_signature(
    database: Database,
    store: ObjectStore,
    settings: Settings,
    *,
    document_id: str,
    agency_id: str,
    role: str,
    signer_name: str,
    image_png: bytes,
    refused: bool,
    witness: str,
    client_signature_id: str,
    verify_base_url: str,
) -> tuple[Any, dict[str, Any]]:
    """A handwritten signature, kept as evidence by its SHA-256 and placed on the document,
    which is rendered again as a new version (the earlier hash stays genuine)."""
    if role not in SIGNER_ROLES:
        raise InvalidDocument(f"role must be one of: {', '.join(SIGNER_ROLES)}")
    if not signer_name.strip() or len(signer_name) > 100:
        raise InvalidDocument("signer_name is required (at most 100 characters)")
    if refused:
        if role != "party" or not witness.strip():
            raise InvalidDocument("a refusal to sign is the party's, with a witness named")
        image_png = b""
    elif not image_png.startswith(b"\x89PNG\r\n\x1a\n") or len(image_png) > MAX_SIGNATURE_BYTES:
        raise InvalidDocument("the signature is a PNG image of at most 512 KB")
    if not client_signature_id or len(client_signature_id) > 100:
        raise InvalidDocument("client_signature_id is required (at most 100 characters)")
    with database.unit_of_work() as uow:
        row = db.get_document(uow.conn, document_id, lock=True)
        if row is None or row.agency_id != agency_id:
            raise NotFound("document not found")
        for s in row.signatures:
            if s["signature_id"] == client_signature_id:
                return row, s
        kind = Kind(row.kind)
        line = _signature_line(role, kind, row.content["signers"])
        digest = sha256_hex(image_png) if image_png else ""
        sig_key = f"{row.case_id}/{document_id}/signatures/{digest}.png" if digest else ""
        if digest:
            store.put_bytes(settings.pdf_bucket, sig_key, image_png, content_type="image/png")
        signature = {
            "signature_id": client_signature_id,
            "role": role,
            "signer_name": signer_name.strip(),
            "sha256": digest,
            "object_key": sig_key,
            "refused": refused,
            "witness": witness.strip(),
            "line": line,
            "signed_at": utcnow().isoformat(),
        }
        signatures = [*row.signatures, signature]
        placed = []
        for s in signatures:
            png = b""
            if s["sha256"]:
                png = png_of(store, settings, s) if s is not signature else image_png
            placed.append({**s, "png": png})
        pdf = render.render_document(row.content, _verify_url(verify_base_url, document_id), placed)
        new_sha = sha256_hex(pdf)
        version = row.version + 1
        key = f"{row.case_id}/{document_id}/v{version}-{new_sha}.pdf"
        store.put_bytes(settings.pdf_bucket, key, pdf, content_type="application/pdf")
        earlier = [
            *row.earlier_sha256,
            {"sha256": row.sha256, "entry_id": row.entry_id, "version": row.version},
        ]
        uow.conn.execute(
            db.documents.update()
            .where(db.documents.c.document_id == document_id)
            .values(
                signatures=signatures,
                sha256=new_sha,
                size=len(pdf),
                object_key=key,
                version=version,
                earlier_sha256=earlier,
                entry_id=None,
            )
        )
        row = db.get_document(uow.conn, document_id)
        uow.commit()
    return row, signature


def png_of(store: ObjectStore, settings: Settings, signature: dict[str, Any]) -> bytes:
    response = store.client.get_object(settings.pdf_bucket, signature["object_key"])
    try:
        data = response.read()
    finally:
        response.close()
        response.release_conn()
    if sha256_hex(data) != signature["sha256"]:
        raise Mismatch("a stored signature image does not match its SHA-256")
    return data


# -- the case file (案卷) -----------------------------------------------------------------------


def _retain_until(start: date, years: int | None) -> date | None:
    if years is None:
        return None
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def assemble_case_file(
    database: Database,
    store: ObjectStore,
    settings: Settings,
    *,
    case_id: str,
    timeline: records_pb2.GetTimelineResponse,
    assembled_by: str,
    agency_id: str,
) -> tuple[Any, bool]:
    """Bind every issued document of the closed case, in filing order, with its cover, index
    and evidence list; archive it in S3 under its retention period (object lock if the
    server has it)."""
    if timeline.case.case_id != case_id or timeline.case.agency_id != agency_id:
        raise NotFound("case not found")
    with database.read() as conn:
        existing = db.get_case_file(conn, case_id)
        rows = db.case_documents(conn, case_id)
    if existing is not None:
        return existing, False
    case = case_data(timeline)
    if case.stage not in BINDABLE:
        raise InvalidDocument(
            f"the case file is bound at closing (or after no penalty / withdrawal); the case is "
            f"at {case.stage}"
        )
    if not rows:
        raise InvalidDocument("the case has no documents to bind")
    unlogged = [r.number for r in rows if not r.entry_id]
    if unlogged:
        raise InvalidDocument(f"documents not yet in the record: {', '.join(unlogged)}")
    rows.sort(key=lambda r: (filing_rank(r.kind), as_utc(r.issued_at)))
    docs = [
        (
            {
                "title": r.title,
                "number": r.number,
                "date": f"{as_utc(r.issued_at).astimezone(CHINA_TZ):%Y-%m-%d}",
                "sha256": r.sha256,
            },
            read_pdf(store, settings, r),
        )
        for r in rows
    ]
    major = case.review is not None and case.review.get("outcome") not in (None, "not-required")
    label, years = retention(decided=bool(case.decision_no), major=major)
    now = utcnow()
    today = china_date(now)
    front = {
        "agency": settings.agency_name(agency_id),
        "title": case.title,
        "case_no": case.case_no,
        "decision_no": case.decision_no,
        "party": case.party.get("name", ""),
        "officers": content_rules.officer_line(case),
        "opened": content_rules.cn_date(case.opened_at),
        "closed": content_rules.cn_date(today),
        "retention": RETENTION_LABELS[label],
        "evidence": case.evidence,
    }
    bound = render.bind_case_file(front, docs)
    digest = sha256_hex(bound.pdf)
    key = f"{agency_id}/{today.year}/{case_id}-{digest}.pdf"
    retain_until = _retain_until(today, years)
    locked = False
    if settings.object_lock:
        until = retain_until or _retain_until(today, 100)  # 永久: the longest a lock is asked for
        try:
            store.client.put_object(
                settings.archive_bucket,
                key,
                io.BytesIO(bound.pdf),
                len(bound.pdf),
                content_type="application/pdf",
                retention=Retention(
                    COMPLIANCE, datetime(until.year, until.month, until.day, tzinfo=UTC)
                ),
            )
            locked = True
        except S3Error as exc:
            log.warning("archive without object lock (%s): %s", exc.code, exc.message)
    if not locked:
        store.put_bytes(settings.archive_bucket, key, bound.pdf, content_type="application/pdf")
    with database.unit_of_work() as uow:
        uow.conn.execute(
            db.case_files.insert().values(
                case_id=case_id,
                agency_id=agency_id,
                object_key=key,
                sha256=digest,
                size=len(bound.pdf),
                pages=bound.pages,
                retention=label,
                retain_until=retain_until,
                object_locked=locked,
                assembled_by=assembled_by,
                assembled_at=now,
                entry_id=None,
            )
        )
        row = db.get_case_file(uow.conn, case_id)
        uow.add_event(
            _event(
                TOPIC_ARCHIVED,
                case_id,
                documents_pb2.CaseFileArchived(case_file=case_file_to_pb(row), agency_id=agency_id),
            )
        )
        uow.commit()
    return row, True


def attach_case_file_entry(database: Database, case_id: str, entry_id: str) -> None:
    with database.unit_of_work() as uow:
        uow.conn.execute(
            db.case_files.update()
            .where(db.case_files.c.case_id == case_id)
            .values(entry_id=entry_id)
        )
        uow.commit()


# -- consumers --------------------------------------------------------------------------------


def on_calendar_year(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """review.calendar-year-published.v1: keep the year, and recount the deadlines that were
    counted through a year without its official calendar. The earlier due date is kept."""
    year = store_published(uow.conn, db.calendar_years, envelope)
    if year is None:
        return
    calendar = load_calendar(uow.conn, db.calendar_years)
    rows = uow.conn.execute(
        sa.select(db.documents).where(db.documents.c.deadlines_provisional.is_(True))
    ).all()
    for row in rows:
        served_at = datetime.fromisoformat(row.service["served_at"])
        before = {d["name"]: d for d in row.deadlines}
        counted = _count_deadlines(calendar, Kind(row.kind), served_at)
        for d in counted:
            earlier = before.get(d["name"], {})
            if earlier.get("due_date", d["due_date"]) != d["due_date"]:
                d["recounted_from"] = earlier["due_date"]
            elif "recounted_from" in earlier:
                d["recounted_from"] = earlier["recounted_from"]
        uow.conn.execute(
            db.documents.update()
            .where(db.documents.c.document_id == row.document_id)
            .values(deadlines=counted, deadlines_provisional=any(d["provisional"] for d in counted))
        )
