"""Records use cases: take a command, apply the domain, commit with its events.

Every write appends one entry to the case's record in the same transaction as its effect and
its events, and queues the entry's leaf for the Merkle log; the sequencer (sequencer.py) gives
it its leaf index after the commit, and the write waits a bounded while for that before it
answers. Concurrent writers on PostgreSQL queue on the case's row only; SQLite writers are
serialised by BEGIN IMMEDIATE.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import sqlalchemy as sa
import uuid_utils

from enforcement.calendar.v1 import calendar_pb2
from enforcement.records.v1 import records_pb2
from enforcement.review.v1 import review_pb2
from services.chassis.db import Database, UnitOfWork, as_utc
from services.chassis.events import build_event, unpack, utcnow
from services.chassis.workdays import CHINA_TZ
from services.records import db
from services.records.domain import merkle
from services.records.domain.cases import Case, OpenCase, Stage, open_case
from services.records.domain.entries import (
    CLIENT_KINDS,
    Entry,
    EntryKind,
    EvidenceRef,
    InvalidEntry,
    RecordClosed,
    canonical_bytes,
    named_persons,
    seal,
    validate_payload,
)
from services.records.domain.lifecycle import (
    CaseFacts,
    check_revocation,
    check_transition,
)
from services.records.domain.lifecycle import next_stages as lifecycle_next_stages
from services.records.domain.meta import WriteMeta, client_facts, validate_meta
from services.records.domain.numbering import NumberKind, format_number
from services.records.domain.parties import PartyKind
from services.records.domain.penalties import (
    MissingForDisclosure,
    Proposal,
    check_can_propose,
    missing_for_disclosure,
    validate_proposal,
)
from services.records.domain.recording import STEP_ACTS
from services.records.messages import case_to_pb, proposal_to_pb, ts
from services.records.sequencer import log_sequencer

log_ = logging.getLogger(__name__)

SERVICE = "records"
TOPIC_CASE_OPENED = "records.case-opened.v1"
TOPIC_CASE_ADVANCED = "records.case-advanced.v1"
TOPIC_PENALTY_PROPOSED = "records.penalty-proposed.v1"
TOPIC_PENALTY_DECIDED = "records.penalty-decided.v1"
TOPIC_PENALTY_REVOKED = "records.penalty-revoked.v1"
TOPIC_HAZARD_FOUND = "records.hazard-found.v1"
TOPICS = {
    TOPIC_CASE_OPENED: 6,
    TOPIC_CASE_ADVANCED: 6,
    TOPIC_PENALTY_PROPOSED: 6,
    TOPIC_PENALTY_DECIDED: 6,
    TOPIC_PENALTY_REVOKED: 6,
    TOPIC_HAZARD_FOUND: 6,
}
REVIEW_ACTOR = "review-service"


class NotFound(LookupError):
    pass


class Conflict(ValueError):
    """A client-made id reused for a different write."""


class NotAllowed(PermissionError):
    pass


@dataclass(frozen=True)
class Numbering:
    """How an agency's document numbers begin (e.g. 新北应急), from settings."""

    prefixes: dict[str, str]

    def prefix(self, agency_id: str) -> str:
        return self.prefixes.get(agency_id, agency_id)


# -- opening a case --------------------------------------------------------------------------


def open_inspection_case(database: Database, cmd: OpenCase) -> tuple[Case, bool]:
    """Store a new case, its first record entry and `records.case-opened.v1` together.

    Idempotent on the phone's client_case_id: a retry returns the first case, created=False.
    """
    with database.read() as conn:
        existing = db.get_case_by_client_id(conn, cmd.client_case_id)
    if existing is not None:
        return existing, False
    case = open_case(cmd, case_id=str(uuid_utils.uuid7()), now=utcnow())
    location = (
        {
            "latitude": cmd.location.latitude,
            "longitude": cmd.location.longitude,
            "accuracy_m": cmd.location.accuracy_m,
        }
        if cmd.location is not None
        else None
    )
    meta = WriteMeta(
        client_entry_id=f"open:{cmd.client_case_id}"[:100],
        actor_id=cmd.opened_by,
        agency_id=cmd.agency_id,
        device_time=cmd.device_time,
        location=location,
        app_version=cmd.app_version,
        location_missing=cmd.location_missing,
    )
    try:
        with database.unit_of_work() as uow:
            if cmd.task_id:
                _take_task(uow.conn, cmd.task_id, case)
            opened = _store_opened(uow, case, meta, task_id=cmd.task_id)
            uow.commit()
    except sa.exc.IntegrityError:
        # A concurrent retry of the same phone request won the insert.
        with database.read() as conn:
            existing = db.get_case_by_client_id(conn, cmd.client_case_id)
        if existing is None:
            raise
        return existing, False
    placed(database, opened)  # its first entry has its place when the phone is answered
    return _reread(database, case.case_id), True


def _store_opened(
    uow: UnitOfWork, case: Case, meta: WriteMeta, *, task_id: str | None = None
) -> Entry:
    """Insert the case with its first entry and `records.case-opened.v1`."""
    db.insert_case(uow.conn, case)
    entry = _append(
        uow,
        case,
        kind=EntryKind.opened,
        meta=meta,
        payload={
            "title": case.title,
            "domain": case.domain.value,
            "town": case.town,
            "party": {"kind": case.party.kind.value, "name": case.party.name},
            "officers": [o.officer_id for o in case.officers],
            **({"task_id": task_id} if task_id else {}),
            **(
                {"source": {"topic": case.source_topic, "ref": case.source_ref}}
                if case.source_topic and not task_id
                else {}
            ),
        },
        now=case.opened_at,
    )
    uow.add_event(_event(TOPIC_CASE_OPENED, case, records_pb2.CaseOpened(case=case_to_pb(case))))
    return entry


def _take_task(conn: sa.Connection, task_id: str, case: Case) -> None:
    task = db.get_task(conn, task_id, for_update=True)
    if task is None or task.agency_id != case.agency_id:
        raise NotFound("inspection task not found")
    if task.status != "open":
        raise Conflict(f"the inspection task was already taken up by case {task.case_id}")
    db.update_task(conn, task_id, status="case-opened", case_id=case.case_id, updated_at=utcnow())
    case.source_topic, case.source_ref = task.source_topic, task.source_ref


@dataclass(frozen=True)
class EventCase:
    """A case that another service's event starts: the on-site act was already done by the
    officers the event names, so records opens, files and (with a proposal) proposes at once.
    """

    source_topic: str
    source_ref: str
    cmd: OpenCase
    reason: str  # why it was opened and filed, e.g. the confirmed violation
    facts: tuple[tuple[str, dict], ...] = ()  # (entry kind, payload), appended after filing
    proposal: Proposal | None = None


def event_client_case_id(source_topic: str, source_ref: str) -> str:
    """The case's client id, made from its source so that a redelivery finds the first one."""
    text = f"{source_topic}:{source_ref}"
    return text if len(text) <= 100 else "event:" + hashlib.sha256(text.encode()).hexdigest()


def open_case_from_event(uow: UnitOfWork, numbering: Numbering, draft: EventCase) -> Case | None:
    """Open and file a case in the consumer's transaction; None when its source has one.

    Everything is checked before anything is written (InvalidCase, InvalidParty,
    InvalidProposal, InvalidEntry), so a refused draft leaves the transaction clean.
    """
    if db.get_case_by_source(uow.conn, draft.source_topic, draft.source_ref) is not None:
        return None
    for kind, payload in draft.facts:
        if kind not in {k.value for k in CLIENT_KINDS}:
            raise InvalidEntry(f"a fact cannot be a {kind!r} entry")
        validate_payload(payload)
    if draft.proposal is not None:
        validate_proposal(draft.proposal)
    now = utcnow()
    case = open_case(draft.cmd, case_id=str(uuid_utils.uuid7()), now=now)
    case.source_topic, case.source_ref = draft.source_topic, draft.source_ref

    def meta(step: str) -> WriteMeta:
        return WriteMeta(
            client_entry_id=f"{case.case_id}:{step}",
            actor_id=draft.cmd.opened_by,
            agency_id=case.agency_id,
            device_time=draft.cmd.device_time,
        )

    _store_opened(uow, case, meta("open"))
    _move(uow, numbering, case, Stage.filing, draft.reason, meta("filing"), now)
    _move(uow, numbering, case, Stage.investigation, draft.reason, meta("investigation"), now)
    for i, (kind, payload) in enumerate(draft.facts):
        _append(uow, case, kind=kind, meta=meta(f"fact-{i}"), payload=payload, now=now)
    if draft.proposal is not None:
        _propose(uow, case, draft.proposal, meta("proposal"), now)
    return case


def list_tasks(
    database: Database, *, agency_id: str, town: str | None, status: str, page_size: int
) -> list:
    if status not in ("open", "case-opened"):
        raise ValueError("status must be open or case-opened")
    with database.read() as conn:
        return db.list_tasks(
            conn,
            agency_id=agency_id,
            town=town,
            status=status,
            limit=max(1, min(page_size or 100, 500)),
        )


def get_case(database: Database, case_id: str) -> Case | None:
    with database.read() as conn:
        return db.get_case(conn, case_id)


def encode_page_token(case: Case) -> str:
    raw = json.dumps([case.opened_at.isoformat(), case.case_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_page_token(token: str) -> tuple[datetime, str]:
    try:
        opened_at, case_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return datetime.fromisoformat(opened_at), str(case_id)
    except (ValueError, TypeError) as exc:
        raise ValueError("page_token is not valid") from exc


def list_cases(
    database: Database,
    *,
    agency_id: str,
    town: str | None,
    page_size: int,
    page_token: str | None,
    officer_id: str | None = None,
    stage: str | None = None,
) -> tuple[list[Case], str | None]:
    size = max(1, min(page_size or 50, 200))
    after = decode_page_token(page_token) if page_token else None
    if stage is not None:
        Stage(stage)  # ValueError names a bad stage
    with database.read() as conn:
        found = db.list_cases(
            conn,
            agency_id=agency_id,
            town=town,
            limit=size + 1,
            after=after,
            officer_id=officer_id,
            stage=stage,
        )
    page, more = found[:size], len(found) > size
    return page, encode_page_token(page[-1]) if more else None


# -- the append path shared by every write ---------------------------------------------------


def _event(topic: str, case: Case, payload) -> object:
    return build_event(topic=topic, aggregate_id=case.case_id, payload=payload, producer=SERVICE)


def _append(
    uow: UnitOfWork,
    case: Case,
    *,
    kind: str,
    meta: WriteMeta,
    payload: dict,
    now: datetime,
    evidence: tuple[EvidenceRef, ...] = (),
    corrects: str = "",
) -> Entry:
    """Append one entry to the case's chain and give its leaf a place in the Merkle log: on
    SQLite at once, elsewhere through the queue (the sequencer places it after the commit);
    update the case head."""
    conn = uow.conn
    entry = seal(
        Entry(
            entry_id=str(uuid_utils.uuid7()),
            case_id=case.case_id,
            seq=case.entry_count + 1,
            leaf_index=None,
            kind=str(kind),
            client_entry_id=meta.client_entry_id,
            actor_id=meta.actor_id,
            device_time=meta.device_time,
            server_time=now,
            location=meta.location,
            # the act's own content wins: a note may already carry the app's version
            payload={**client_facts(meta), **payload},
            evidence=evidence,
            corrects_entry_id=corrects,
            prev_hash=case.head_hash,
        )
    )
    leaf = merkle.leaf_hash(canonical_bytes(entry)).hex()
    if uow.database is not None and uow.database.engine.dialect.name == "sqlite":
        # One writer per file: the leaf takes its place inside the write itself.
        entry = replace(entry, leaf_index=db.next_leaf(conn, leaf))
        db.insert_entry(conn, entry, leaf)
    else:
        db.insert_entry(conn, entry, leaf)
        db.queue_leaf(conn, entry.entry_id, leaf, now)
        if uow.database is not None:
            uow.after_commit(log_sequencer(uow.database).appended)
    db.update_case(
        conn,
        case.case_id,
        entry_count=entry.seq,
        head_hash=entry.entry_hash,
        updated_at=now,
    )
    case.entry_count, case.head_hash, case.updated_at = entry.seq, entry.entry_hash, now
    return entry


def placed(database: Database, entry: Entry) -> Entry:
    """The entry with its leaf index, waiting a bounded while for the sequencer; still
    queued (leaf_index None) if it has not placed it by then. The write is committed either
    way: a retry with the same client_entry_id answers this entry, placed or not."""
    if entry.leaf_index is not None:
        return entry
    index = log_sequencer(database).wait([entry.entry_id]).get(entry.entry_id)
    if index is None:
        log_.warning("entry %s answered while still queued for the log", entry.entry_id)
        return entry
    return replace(entry, leaf_index=index)


def append_system_entry(
    uow: UnitOfWork, case: Case, *, kind: str, client_entry_id: str, actor_id: str, payload: dict
) -> Entry | None:
    """An entry another service's event writes (in the consumer's transaction); once only."""
    if db.get_entry_by_client_id(uow.conn, client_entry_id) is not None:
        return None
    validate_payload(payload)
    meta = WriteMeta(client_entry_id=client_entry_id, actor_id=actor_id, agency_id=case.agency_id)
    return _append(uow, case, kind=kind, meta=meta, payload=payload, now=utcnow())


def _reread(database: Database, case_id: str) -> Case:
    with database.read() as conn:
        case = db.get_case(conn, case_id)
    assert case is not None
    return case


def _replayed(database: Database, meta: WriteMeta, case_id: str) -> Entry | None:
    with database.read() as conn:
        entry = db.get_entry_by_client_id(conn, meta.client_entry_id)
    if entry is None:
        return None
    if entry.case_id != case_id or entry.actor_id != meta.actor_id:
        raise Conflict("client_entry_id was already used for another write; make a new one")
    return entry


def _check_access(case: Case | None, meta: WriteMeta, *, system: bool = False) -> Case:
    # Another agency's case is reported as missing, so ids reveal nothing.
    if case is None or case.agency_id != meta.agency_id:
        raise NotFound("case not found")
    if not system and meta.actor_id not in case.officer_ids:
        raise NotAllowed("only the case's own officers may write to its record")
    return case


Effect = Callable[[UnitOfWork, Case, datetime], Entry]


def _write(
    database: Database, case_id: str, meta: WriteMeta, effect: Effect
) -> tuple[Case, Entry, bool]:
    """Run one write idempotently: a replayed client_entry_id returns the original entry."""
    now = utcnow()
    validate_meta(meta, now=now)
    # Access first: a replayed id must not tell another agency that the entry exists.
    with database.read() as conn:
        _check_access(db.get_case(conn, case_id), meta)
    prior = _replayed(database, meta, case_id)
    if prior is not None:
        return _reread(database, case_id), placed(database, prior), False
    try:
        with database.unit_of_work() as uow:
            case = _check_access(db.lock_case(uow.conn, case_id), meta)
            entry = effect(uow, case, now)
            uow.commit()
    except sa.exc.IntegrityError:
        prior = _replayed(database, meta, case_id)
        if prior is None:
            raise
        return _reread(database, case_id), placed(database, prior), False
    return _reread(database, case_id), placed(database, entry), True


def _facts(conn: sa.Connection, case: Case) -> CaseFacts:
    return CaseFacts(
        stage=case.stage,
        has_proposal=case.proposal_id is not None,
        review_status=case.review_status,
        decided=case.decision_no is not None,
    )


def next_stages(database: Database, *, case_id: str, agency_id: str) -> tuple[Case, list]:
    """The stages a case of `agency_id` may move to next, each with what it still needs."""
    with database.read() as conn:
        case = db.get_case(conn, case_id)
        if case is None or case.agency_id != agency_id:
            raise NotFound(f"case {case_id} not found")
        return case, lifecycle_next_stages(_facts(conn, case))


def _year(now: datetime) -> int:
    # Document numbers follow the calendar year in China's time zone.
    return now.astimezone(CHINA_TZ).year


# -- stage transitions -----------------------------------------------------------------------


def transition_case(
    database: Database,
    numbering: Numbering,
    *,
    case_id: str,
    to_stage: str,
    reason: str,
    meta: WriteMeta,
) -> tuple[Case, Entry, bool]:
    try:
        to = Stage(to_stage)
    except ValueError as exc:
        raise InvalidEntry(
            f"unknown stage {to_stage!r}; one of: {', '.join(s.value for s in Stage)}"
        ) from exc
    if len(reason) > 2000:
        raise InvalidEntry("reason is longer than 2000 characters")

    def effect(uow: UnitOfWork, case: Case, now: datetime) -> Entry:
        return _move(uow, numbering, case, to, reason, meta, now)

    return _write(database, case_id, meta, effect)


def _move(
    uow: UnitOfWork,
    numbering: Numbering,
    case: Case,
    to: Stage,
    reason: str,
    meta: WriteMeta,
    now: datetime,
) -> Entry:
    """One stage move of a locked case: its entry, a filing number, `case-advanced`."""
    check_transition(_facts(uow.conn, case), to)
    payload: dict = {"from": case.stage.value, "to": to.value, "reason": reason}
    values: dict = {"stage": to.value}
    if to is Stage.filing and case.case_no is None:
        n = db.next_number(
            uow.conn, agency_id=case.agency_id, kind=NumberKind.filing.name, year=_year(now)
        )
        values["case_no"] = payload["case_no"] = format_number(
            numbering.prefix(case.agency_id), NumberKind.filing, _year(now), n
        )
    entry = _append(uow, case, kind=EntryKind.transition, meta=meta, payload=payload, now=now)
    db.update_case(uow.conn, case.case_id, **values)
    from_stage = case.stage
    case.stage = to
    case.case_no = values.get("case_no", case.case_no)
    uow.add_event(
        _event(
            TOPIC_CASE_ADVANCED,
            case,
            records_pb2.CaseAdvanced(
                case=case_to_pb(case), from_stage=from_stage.value, to_stage=to.value
            ),
        )
    )
    return entry


# -- free entries: notes, steps, documents, statements, corrections ---------------------------


def append_entry(
    database: Database,
    *,
    case_id: str,
    kind: str,
    payload: dict,
    corrects_entry_id: str,
    meta: WriteMeta,
) -> tuple[Entry, bool]:
    if kind not in {k.value for k in CLIENT_KINDS}:
        allowed = ", ".join(sorted(k.value for k in CLIENT_KINDS))
        raise InvalidEntry(f"kind {kind!r} cannot be appended directly; one of: {allowed}")
    validate_payload(payload)
    if kind == EntryKind.correction and not corrects_entry_id:
        raise InvalidEntry("a correction names the entry it corrects (corrects_entry_id)")
    if kind != EntryKind.correction and corrects_entry_id:
        raise InvalidEntry("only a correction may name an entry it corrects")
    if kind == EntryKind.step:
        act = payload.get("act")
        if act not in STEP_ACTS:
            raise InvalidEntry(f"a step names its act, one of: {', '.join(sorted(STEP_ACTS))}")
    hazard = _hazard_of(kind, payload)

    def effect(uow: UnitOfWork, case: Case, now: datetime) -> Entry:
        if corrects_entry_id:
            target = db.get_entry(uow.conn, corrects_entry_id)
            if target is None or target.case_id != case.case_id:
                raise InvalidEntry("corrects_entry_id is not an entry of this case")
        if case.stage is Stage.archived:
            raise RecordClosed("the case is archived; its record is closed")
        entry = _append(
            uow,
            case,
            kind=kind,
            meta=meta,
            payload=payload,
            now=now,
            corrects=corrects_entry_id,
        )
        if hazard is not None:
            uow.add_event(_event(TOPIC_HAZARD_FOUND, case, _hazard_found(case, entry, hazard)))
        return entry

    _, entry, created = _write(database, case_id, meta, effect)
    return entry, created


def _hazard_of(kind: str, payload: dict) -> dict | None:
    """A note, step or document whose payload holds a "hazard" object is a hazard finding
    (隐患), which the hazards service registers; it names at least the kind and the place."""
    hazard = payload.get("hazard")
    if hazard is None or kind == EntryKind.correction:
        return None
    if not isinstance(hazard, dict) or not all(
        isinstance(hazard.get(k), str) and hazard[k].strip() for k in ("kind", "location")
    ):
        raise InvalidEntry('a hazard finding names its "kind" and "location" as text')
    criteria = hazard.get("criteria", [])
    if not isinstance(criteria, list) or not all(isinstance(c, str) for c in criteria):
        raise InvalidEntry('a hazard finding\'s "criteria" is a list of criterion ids')
    return hazard


def _hazard_found(case: Case, entry: Entry, hazard: dict) -> records_pb2.HazardFound:
    return records_pb2.HazardFound(
        case=case_to_pb(case),
        entry_id=entry.entry_id,
        kind=hazard["kind"][:100],
        location=hazard["location"][:300],
        description=str(hazard.get("description", ""))[:2000],
        sector=str(hazard.get("sector", ""))[:32],
        criteria=[c[:40] for c in hazard.get("criteria", [])][:20],
    )


def timeline(database: Database, case_id: str, agency_id: str) -> tuple[Case, list[Entry]]:
    with database.read() as conn:
        case = db.get_case(conn, case_id)
        if case is None or case.agency_id != agency_id:
            raise NotFound("case not found")
        return case, db.case_entries(conn, case_id)


# -- penalty proposal, decision, revocation ---------------------------------------------------


def propose_penalty(
    database: Database, *, case_id: str, proposal: Proposal, meta: WriteMeta
) -> tuple[Case, records_pb2.PenaltyProposal, bool]:
    validate_proposal(proposal)

    def effect(uow: UnitOfWork, case: Case, now: datetime) -> Entry:
        return _propose(uow, case, proposal, meta, now)

    case, entry, created = _write(database, case_id, meta, effect)
    return case, _proposal_pb(database, entry.payload["proposal_id"]), created


def _propose(
    uow: UnitOfWork, case: Case, proposal: Proposal, meta: WriteMeta, now: datetime
) -> Entry:
    """File a proposal on a locked case: its entry, the move to review, `penalty-proposed`."""
    check_can_propose(case.stage, case.review_status)
    proposal_id = str(uuid_utils.uuid7())
    round_ = db.proposal_rounds(uow.conn, case.case_id) + 1
    body = _proposal_body(proposal)
    db.insert_proposal(
        uow.conn,
        proposal_id=proposal_id,
        case_id=case.case_id,
        round=round_,
        body=body,
        review_status="pending",
        proposed_by=meta.actor_id,
        proposed_at=now,
    )
    entry = _append(
        uow,
        case,
        kind=EntryKind.proposal,
        meta=meta,
        payload={"proposal_id": proposal_id, "round": round_, **body},
        now=now,
    )
    from_stage = case.stage
    db.update_case(
        uow.conn,
        case.case_id,
        stage=Stage.review.value,
        proposal_id=proposal_id,
        review_status="pending",
    )
    case.stage, case.proposal_id, case.review_status = Stage.review, proposal_id, "pending"
    pb = proposal_to_pb(proposal_id, round_, body, meta.actor_id, now)
    uow.add_event(
        _event(
            TOPIC_PENALTY_PROPOSED,
            case,
            records_pb2.PenaltyProposed(case=case_to_pb(case), proposal=pb),
        )
    )
    if from_stage is not Stage.review:
        uow.add_event(
            _event(
                TOPIC_CASE_ADVANCED,
                case,
                records_pb2.CaseAdvanced(
                    case=case_to_pb(case),
                    from_stage=from_stage.value,
                    to_stage=Stage.review.value,
                ),
            )
        )
    return entry


def _proposal_body(p: Proposal) -> dict:
    return {
        "kinds": list(p.kinds),
        "fine_yuan": p.fine_yuan,
        "confiscation_yuan": p.confiscation_yuan,
        "legal_basis": list(p.legal_basis),
        "facts": p.facts,
        "discretion": {
            "benchmark_id": p.benchmark_id,
            "violation_type": p.violation_type,
            "circumstance": p.circumstance,
            "departs": p.departs,
            "departure_reason": p.departure_reason,
        },
        "mitigated": p.mitigated,
        "hearing_requested": p.hearing_requested,
        "public_interest": p.public_interest,
        "complex_case": p.complex_case,
        "secret_related": p.secret_related,
    }


def _proposal_pb(database: Database, proposal_id: str) -> records_pb2.PenaltyProposal:
    with database.read() as conn:
        row = db.get_proposal(conn, proposal_id)
    return proposal_to_pb(
        row.proposal_id, row.round, row.body, row.proposed_by, as_utc(row.proposed_at)
    )


def decide_penalty(
    database: Database,
    numbering: Numbering,
    *,
    case_id: str,
    decision_text: str,
    meta: WriteMeta,
    legal_representative: str = "",
    violation_type: str = "",
) -> tuple[Case, Entry, bool]:
    """处罚决定: refused until the legal review cleared the current proposal, and until the
    decision holds every field its public record (双公示) needs."""
    if not decision_text.strip() or len(decision_text) > 20000:
        raise InvalidEntry("decision_text is required (at most 20,000 characters)")
    if len(legal_representative) > 100 or len(violation_type) > 100:
        raise InvalidEntry("legal_representative and violation_type: at most 100 characters")

    def effect(uow: UnitOfWork, case: Case, now: datetime) -> Entry:
        check_transition(_facts(uow.conn, case), Stage.decision, by_command=True)
        proposal = db.get_proposal(uow.conn, case.proposal_id)
        discretion = dict(proposal.body.get("discretion", {}))
        organization = case.party.kind is PartyKind.organization
        representative = case.party.legal_representative or (
            legal_representative.strip() if organization else ""
        )
        violation = discretion.get("violation_type", "") or violation_type.strip()
        missing = missing_for_disclosure(
            organization=organization,
            credit_code=case.party.credit_code,
            legal_representative=representative,
            violation_type=violation,
            secret_related=bool(proposal.body.get("secret_related", False)),
        )
        if missing:
            raise MissingForDisclosure(missing)
        completed = {}  # what the decision adds to the case and the proposal
        decided_body = {**proposal.body, "discretion": {**discretion, "violation_type": violation}}
        if representative != case.party.legal_representative:
            completed["legal_representative"] = representative
        if violation != discretion.get("violation_type", ""):
            completed["violation_type"] = violation
        year = _year(now)
        n = db.next_number(
            uow.conn, agency_id=case.agency_id, kind=NumberKind.decision.name, year=year
        )
        decision_no = format_number(numbering.prefix(case.agency_id), NumberKind.decision, year, n)
        entry = _append(
            uow,
            case,
            kind=EntryKind.decision,
            meta=meta,
            payload={
                "decision_no": decision_no,
                "proposal_id": case.proposal_id,
                "decision_text": decision_text,
                "from": case.stage.value,
                "to": Stage.decision.value,
                **({"completed": completed} if completed else {}),
            },
            now=now,
        )
        db.update_case(uow.conn, case.case_id, stage=Stage.decision.value, decision_no=decision_no)
        case.stage, case.decision_no = Stage.decision, decision_no
        decided_case = case_to_pb(case)
        decided_case.party.legal_representative = representative
        uow.add_event(
            _event(
                TOPIC_PENALTY_DECIDED,
                case,
                records_pb2.PenaltyDecided(
                    case=decided_case,
                    proposal=proposal_to_pb(
                        proposal.proposal_id,
                        proposal.round,
                        decided_body,
                        proposal.proposed_by,
                        as_utc(proposal.proposed_at),
                    ),
                    decision_no=decision_no,
                    decided_at=_ts(now),
                    decision_text=decision_text,
                    decided_by=meta.actor_id,
                    named_persons=_named_persons(uow.conn, case.case_id),
                ),
            )
        )
        return entry

    return _write(database, case_id, meta, effect)


REVOCATION_BASES = frozenset({"reconsideration", "litigation", "self-correction"})


def revoke_penalty(
    database: Database, *, case_id: str, reason: str, basis: str, meta: WriteMeta
) -> tuple[Case, Entry, bool]:
    """撤销: after reconsideration (复议), litigation (诉讼) or the agency's own correction."""
    if basis not in REVOCATION_BASES:
        raise InvalidEntry(f"basis must be one of: {', '.join(sorted(REVOCATION_BASES))}")
    if not reason.strip() or len(reason) > 2000:
        raise InvalidEntry("reason is required (at most 2000 characters)")

    def effect(uow: UnitOfWork, case: Case, now: datetime) -> Entry:
        check_revocation(_facts(uow.conn, case))
        entry = _append(
            uow,
            case,
            kind=EntryKind.revocation,
            meta=meta,
            payload={
                "decision_no": case.decision_no,
                "reason": reason,
                "basis": basis,
                "from": case.stage.value,
                "to": Stage.withdrawn.value,
            },
            now=now,
        )
        db.update_case(uow.conn, case.case_id, stage=Stage.withdrawn.value)
        case.stage = Stage.withdrawn
        uow.add_event(
            _event(
                TOPIC_PENALTY_REVOKED,
                case,
                records_pb2.PenaltyRevoked(
                    case=case_to_pb(case),
                    decision_no=case.decision_no or "",
                    reason=reason,
                    basis=basis,
                    revoked_at=_ts(now),
                    named_persons=_named_persons(uow.conn, case.case_id),
                ),
            )
        )
        return entry

    return _write(database, case_id, meta, effect)


def _ts(value: datetime):
    return ts(value)


def _named_persons(conn: sa.Connection, case_id: str) -> list[str]:
    """The people the case's record names, for disclosure's redaction."""
    return named_persons([e.payload for e in db.case_entries(conn, case_id)])


# -- legal review outcomes (review.completed.v1) ----------------------------------------------

REVIEW_OUTCOMES = frozenset({"approved", "returned", "rejected", "not-required"})


def record_review_outcome(uow: UnitOfWork, envelope) -> None:
    """Store the review's outcome on its proposal and in the case's record."""
    event = unpack(envelope, review_pb2.ReviewCompleted)
    if event.outcome not in REVIEW_OUTCOMES:
        raise ValueError(f"unknown review outcome {event.outcome!r}")
    proposal = db.get_proposal(uow.conn, event.proposal_id)
    if proposal is None or proposal.case_id != event.case_id:
        log_.warning("review of unknown proposal %s ignored", event.proposal_id)
        return
    case = db.lock_case(uow.conn, event.case_id)
    assert case is not None
    review = {
        "review_id": event.review_id,
        "outcome": event.outcome,
        "reasons": list(event.reasons),
        "reviewer_id": event.reviewer_id,
        "opinion": event.opinion,
    }
    if event.HasField("meeting"):  # decided by the agency's collective meeting (集体讨论)
        m = event.meeting
        review["meeting"] = {
            "reason": m.reason,
            "held_on": m.held_on,
            "participants": list(m.participants),
            "minutes": m.minutes,
        }
    db.set_review(uow.conn, proposal.proposal_id, event.outcome, review)
    if case.proposal_id == proposal.proposal_id:
        db.update_case(uow.conn, case.case_id, review_status=event.outcome)
    completed = (
        event.completed_at.ToDatetime(tzinfo=UTC) if event.HasField("completed_at") else None
    )
    _append(
        uow,
        case,
        kind=EntryKind.review_outcome,
        meta=WriteMeta(
            client_entry_id=f"review:{event.review_id or envelope.event_id}"[:100],
            actor_id=event.reviewer_id or REVIEW_ACTOR,
            agency_id=case.agency_id,
            device_time=completed,
        ),
        payload={
            "proposal_id": proposal.proposal_id,
            **review,
            **(
                {"document": "重大行政执法决定法制审核意见书"}
                if event.outcome != "not-required"
                else {}
            ),
        },
        now=utcnow(),
    )


DEADLINE_TOPICS = (
    "review.deadline-recomputed.v1",
    "disclosure.deadline-recomputed.v1",
    "overload.deadline-recomputed.v1",
)
DEADLINE_NAMES = {
    "legal-review": "法制审核期限",
    "disclosure": "行政处罚决定公示期限",
    "art44-report": "超限运输违法行为抄告期限 (62号令第四十四条)",
}


def record_deadline_recomputed(uow: UnitOfWork, envelope) -> None:
    """A deadline of the case recounted when a year of the official calendar was entered:
    written into the case's record as a new entry; earlier entries stay as they were."""
    event = unpack(envelope, calendar_pb2.DeadlineRecomputed)
    case = db.lock_case(uow.conn, event.case_id)
    if case is None:
        log_.warning("recomputed deadline of unknown case %s ignored", event.case_id)
        return
    _append(
        uow,
        case,
        kind=EntryKind.deadline_recomputed,
        meta=WriteMeta(
            client_entry_id=(
                f"deadline:{event.ref_id}:{event.calendar_year}v{event.calendar_version}"
            )[:100],
            actor_id=envelope.producer or "calendar",
            agency_id=case.agency_id,
            device_time=None,
        ),
        payload={
            "deadline": event.deadline,
            "name": DEADLINE_NAMES.get(event.deadline, event.deadline),
            "ref_id": event.ref_id,
            "previous_due_date": event.previous_due_date,
            "previous_provisional": event.previous_provisional,
            "due_date": event.due_date,
            "provisional": event.provisional,
            "calendar_year": event.calendar_year,
            "calendar_version": event.calendar_version,
            "notice_no": event.notice_no,
        },
        now=utcnow(),
    )


# -- offline sync and timeliness --------------------------------------------------------------


def sync_changes(
    database: Database, *, officer_id: str, agency_id: str, cursor: int, limit: int
) -> tuple[list[Case], list[Entry], int, bool]:
    limit = max(1, min(limit or 200, 1000))
    with database.read() as conn:
        case_ids = db.case_ids_of_officer(conn, officer_id)
        found = db.entries_since(conn, case_ids, cursor, limit + 1)
        page, more = found[:limit], len(found) > limit
        cases = {}
        for entry in page:
            if entry.case_id not in cases:
                case = db.get_case(conn, entry.case_id)
                if case is not None and case.agency_id == agency_id:
                    cases[entry.case_id] = case
    page = [e for e in page if e.case_id in cases]
    next_cursor = found[:limit][-1].leaf_index + 1 if found else cursor
    return list(cases.values()), page, next_cursor, more


@dataclass(frozen=True)
class Timeliness:
    officer_id: str
    entries: int
    in_time: int
    p95_delay_s: float
    max_delay_s: float

    @property
    def ratio(self) -> float:
        return self.in_time / self.entries if self.entries else 1.0


def _timeliness(officer_id: str, delays: list[float], allowed_s: float) -> Timeliness:
    ordered = sorted(delays)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)] if ordered else 0.0
    return Timeliness(
        officer_id=officer_id,
        entries=len(ordered),
        in_time=sum(1 for d in ordered if d <= allowed_s),
        p95_delay_s=p95,
        max_delay_s=ordered[-1] if ordered else 0.0,
    )


def timeliness(
    database: Database,
    *,
    agency_id: str,
    since: datetime | None,
    allowed_s: float,
    town: str = "",
) -> tuple[list[Timeliness], Timeliness]:
    """及时上网登记: how many of each officer's acts reached the server within `allowed_s`;
    with `town`, on that town's cases only (a town-bound supervisor's view)."""
    with database.read() as conn:
        rows = db.delays_by_actor(conn, db.agency_case_ids(agency_id, town), since)
    by_officer: dict[str, list[float]] = {}
    for actor, delay in rows:
        by_officer.setdefault(actor, []).append(delay)
    officers = [_timeliness(o, d, allowed_s) for o, d in sorted(by_officer.items())]
    return officers, _timeliness("", [d for _, d in rows], allowed_s)
