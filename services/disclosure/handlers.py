"""Disclosure use cases: publish decided penalties, withdraw revoked ones, serve the public."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import uuid_utils

from enforcement.disclosure.v1 import disclosure_pb2
from enforcement.events.v1.envelope_pb2 import EventEnvelope
from enforcement.hazards.v1 import hazards_events_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.calendar_store import load_calendar
from services.chassis.db import Database, UnitOfWork
from services.chassis.events import build_event, unpack, utcnow
from services.chassis.workdays import china_date
from services.disclosure import db
from services.disclosure.domain.publication import (
    DEFAULT_PERIODS,
    Authority,
    Decided,
    JointRules,
    Period,
    add_months,
    hazard_candidate_reason,
    joint_punishment_reason,
    missing_fields,
    missing_reason,
    public_record,
    redactor,
    withheld_reason,
)
from services.disclosure.domain.redaction import Tagger

log = logging.getLogger(__name__)

SERVICE = "disclosure"
TOPIC_PUBLISHED = "disclosure.published.v1"
TOPIC_WITHHELD = "disclosure.withheld.v1"


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Policy:
    authorities: dict[str, Authority] = field(default_factory=dict)
    periods: dict[str, Period] = field(default_factory=lambda: dict(DEFAULT_PERIODS))
    joint: JointRules = field(default_factory=JointRules)
    deadline_days: int = 7  # working days from the decision to publication
    # The word segmenter redaction finds names with, loaded once at start-up; None: patterns.
    tagger: Tagger | None = field(default=None, compare=False)

    def authority(self, agency_id: str) -> Authority:
        return self.authorities.get(agency_id, Authority(agency_id, "", agency_id))


def china_day(moment: datetime) -> date:
    return china_date(moment)


def decided_from(event: records_pb2.PenaltyDecided) -> Decided:
    case, p = event.case, event.proposal
    decided_at = event.decided_at.ToDatetime(tzinfo=UTC)
    return _case_facts(
        case,
        event.named_persons,
        decision_no=event.decision_no,
        decision_date=china_day(decided_at),
        decision_text=event.decision_text,
        facts=p.facts,
        legal_basis=tuple(p.legal_basis),
        kinds=tuple(p.kinds),
        fine_yuan=p.fine_yuan,
        confiscation_yuan=p.confiscation_yuan,
        violation_type=p.discretion.violation_type,
        secret_related=p.secret_related,
    )


def _case_facts(case: records_pb2.Case, named_persons, **decision) -> Decided:
    """What the case tells about its party and the people its record names."""
    defaults = dict(
        decision_no="", decision_date=date(1970, 1, 1), decision_text="", facts="",
        legal_basis=(), kinds=(), fine_yuan=0, confiscation_yuan=0, violation_type="",
    )  # fmt: skip
    return Decided(
        case_id=case.case_id,
        agency_id=case.agency_id,
        domain=case.domain,
        party_kind="person" if case.party.kind == case.party.KIND_PERSON else "organization",
        party_name=case.party.name,
        credit_code=case.party.credit_code,
        id_number=case.party.id_number,
        legal_representative=case.party.legal_representative,
        party_address=case.party.address,
        other_people=tuple(named_persons),
        **{**defaults, **decision},
    )


def publish_decided(uow: UnitOfWork, envelope: EventEnvelope, policy: Policy) -> None:
    """records.penalty-decided.v1 -> a public record, or a recorded refusal to publish."""
    event = unpack(envelope, records_pb2.PenaltyDecided)
    d = decided_from(event)
    if db.disclosure_of_case(uow.conn, d.case_id) is not None:
        return
    now = utcnow()
    reason = withheld_reason(d)
    record = public_record(d, policy.authority(d.agency_id), policy.periods, policy.tagger)
    if reason is None:
        # Never an empty required field on the public record: hold it back and show the
        # agency what is missing (GET /v1/disclosures/withheld) instead.
        missing = missing_fields(record, d.party_kind)
        if missing:
            reason = missing_reason(missing)
            log.warning("decision %s not published: %s", d.decision_no, reason)
    if reason is not None:
        db.insert(
            uow.conn,
            db.withheld,
            case_id=d.case_id,
            agency_id=d.agency_id,
            decision_no=d.decision_no,
            reason=reason,
            recorded_at=now,
        )
        uow.add_event(
            build_event(
                topic=TOPIC_WITHHELD,
                aggregate_id=d.case_id,
                payload=disclosure_pb2.Withheld(
                    case_id=d.case_id, decision_no=d.decision_no, reason=reason
                ),
                producer=SERVICE,
            )
        )
        log.info("decision %s withheld from publication: %s", d.decision_no, reason)
        return
    disclosure_id = str(uuid_utils.uuid7())
    calendar = load_calendar(uow.conn, db.calendar_years)
    counted = calendar.working_days_between(d.decision_date, china_day(now))
    due = calendar.add_working_days(d.decision_date, policy.deadline_days)
    took = counted.days
    earlier = (
        db.decisions_since(
            uow.conn,
            d.credit_code,
            d.decision_date - timedelta(days=policy.joint.repeat_window_days),
        )
        if d.credit_code
        else 0
    )
    fields = asdict(record)
    db.insert(
        uow.conn,
        db.disclosures,
        disclosure_id=disclosure_id,
        case_id=d.case_id,
        agency_id=d.agency_id,
        domain=d.domain,
        decision_no=d.decision_no,
        decision_date=d.decision_date,
        party_name=record.party_name,
        credit_code=record.credit_code,
        fields=fields,
        status="published",
        decided_at=event.decided_at.ToDatetime(tzinfo=UTC),
        published_at=now,
        due_date=due.date,
        working_days_to_publish=took,
        due_provisional=due.provisional or counted.provisional,
        publication_end=date.fromisoformat(record.publication_end),
        min_end=date.fromisoformat(record.min_end),
    )
    uow.add_event(
        build_event(
            topic=TOPIC_PUBLISHED,
            aggregate_id=d.case_id,
            payload=disclosure_pb2.Published(
                disclosure_id=disclosure_id,
                case_id=d.case_id,
                decision_no=d.decision_no,
                working_days_to_publish=took,
            ),
            producer=SERVICE,
        )
    )
    listing = joint_punishment_reason(d, earlier, policy.joint)
    if listing is not None:
        db.insert(
            uow.conn,
            db.joint_list,
            listing_id=str(uuid_utils.uuid7()),
            credit_code=d.credit_code,
            party_name=d.party_name,
            reason=listing,
            decision_no=d.decision_no,
            listed_on=d.decision_date,
            listed_until=add_months(d.decision_date, policy.joint.period_months),
        )


def withdraw_revoked(
    uow: UnitOfWork, envelope: EventEnvelope, policy: Policy | None = None
) -> None:
    """records.penalty-revoked.v1 -> the record becomes a withdrawal notice with its reason.

    The reason is published, so it is redacted as the record was (a reconsideration's reason
    names the applicant, their ID number, phone and home)."""
    policy = policy or Policy()
    event = unpack(envelope, records_pb2.PenaltyRevoked)
    row = db.disclosure_of_case(uow.conn, event.case.case_id)
    if row is None:
        log.info("revoked decision %s was never published", event.decision_no)
        return
    if row.status == "withdrawn":
        return
    db.update_disclosure(
        uow.conn,
        row.disclosure_id,
        status="withdrawn",
        withdrawn_at=utcnow(),
        withdrawal_reason=redactor(_case_facts(event.case, event.named_persons), policy.tagger)(
            event.reason
        )[:2000],
    )
    uow.conn.execute(db.joint_list.delete().where(db.joint_list.c.decision_no == row.decision_no))


def expire(database: Database, _settings: object = None) -> int:
    """Records past their publication end leave the public list."""
    with database.unit_of_work() as uow:
        n = db.expire(uow.conn, china_day(utcnow()))
        uow.commit()
    return n


# -- the public side -------------------------------------------------------------------------


def encode_cursor(row) -> str:
    raw = json.dumps([row.decision_date.isoformat(), row.disclosure_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[date, str]:
    try:
        day, last = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return date.fromisoformat(day), str(last)
    except (ValueError, TypeError) as exc:
        raise ValueError("cursor is not valid") from exc


def _day(text: str, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{name} must be a date YYYY-MM-DD") from exc


def search(database: Database, req: disclosure_pb2.SearchDisclosuresRequest):
    size = max(1, min(req.page_size or 20, 100))
    with database.read() as conn:
        rows = db.search(
            conn,
            query=req.query.strip() or None,
            credit_code=req.credit_code.strip().upper() or None,
            decision_no=req.decision_no.strip() or None,
            domain=req.domain or None,
            date_from=_day(req.date_from, "date_from"),
            date_to=_day(req.date_to, "date_to"),
            statuses=db.VISIBLE,  # a withdrawal stays visible as a notice
            after=decode_cursor(req.cursor) if req.cursor else None,
            limit=size + 1,
        )
    page = rows[:size]
    return page, encode_cursor(page[-1]) if len(rows) > size else ""


def get(database: Database, disclosure_id: str):
    with database.read() as conn:
        row = db.get_disclosure(conn, disclosure_id)
    if row is None or row.status not in db.VISIBLE:
        raise NotFound("no such public record")
    return row


def credit_repair(
    database: Database, *, disclosure_id: str, credit_code: str, reason: str
) -> tuple[bool, str]:
    """信用修复: early removal once the minimum period has passed; every request is logged."""
    if not reason.strip():
        raise ValueError("give the reason and the rectification done")
    with database.unit_of_work() as uow:
        row = db.get_disclosure(uow.conn, disclosure_id)
        if row is None or not row.credit_code or row.credit_code != credit_code.strip().upper():
            raise NotFound("no public record of this enterprise with that id")
        today = china_day(utcnow())
        if row.status != "published":
            approved, decision = False, f"the record is {row.status}, not published"
        elif today < row.min_end:
            approved = False
            decision = f"the minimum publication period ends on {row.min_end.isoformat()}"
        else:
            approved, decision = True, f"removed on {today.isoformat()} after credit repair"
            db.update_disclosure(uow.conn, disclosure_id, status="removed")
        db.insert(
            uow.conn,
            db.credit_repairs,
            request_id=str(uuid_utils.uuid7()),
            disclosure_id=disclosure_id,
            credit_code=row.credit_code,
            reason=reason[:2000],
            approved=approved,
            decision=decision,
            requested_at=utcnow(),
        )
        uow.commit()
    return approved, decision


def joint_entries(database: Database, credit_code: str) -> list:
    with database.read() as conn:
        return db.listings(conn, credit_code.strip().upper(), china_day(utcnow()))


def late(database: Database, agency_id: str, deadline_days: int) -> list:
    with database.read() as conn:
        return db.late(conn, agency_id, deadline_days)


def publications(database: Database, agency_id: str, date_from: str, date_to: str) -> list:
    """The agency's published decisions of a period (by decision date), each with its
    deadline and the working days it took (行政执法公示: within 7 working days)."""
    if not agency_id:
        raise ValueError("agency_id is required")
    try:
        start = date.fromisoformat(date_from) if date_from else None
        end = date.fromisoformat(date_to) if date_to else None
    except ValueError as exc:
        raise ValueError("date_from and date_to are YYYY-MM-DD") from exc
    with database.read() as conn:
        return db.publications(conn, agency_id, start, end)


def withheld(database: Database, agency_id: str) -> list:
    """The agency's decisions that were not published, newest first, with the reason."""
    with database.read() as conn:
        return db.withheld_of(conn, agency_id)


def list_hazard_candidate(
    uow: UnitOfWork, envelope: EventEnvelope, policy: Policy | None = None
) -> None:
    """hazards.punishment-candidate.v1: the hazards service proposes, this service decides and
    keeps the reason. The listing's key is the hazard's number, so a redelivery lists once."""
    policy = policy or Policy()
    event = unpack(envelope, hazards_events_pb2.PunishmentCandidate)
    reason = hazard_candidate_reason(
        grade=event.grade,
        credit_code=event.credit_code,
        hazard_no=event.hazard_no,
        office=event.supervising_office,
        due=event.supervision_due,
        criteria=event.criteria,
    )
    key = f"隐患:{event.hazard_no}"[:80]
    if reason is None:
        log.info("hazard %s is no joint-punishment candidate", event.hazard_no)
        return
    if uow.conn.execute(
        sa.select(db.joint_list.c.listing_id).where(db.joint_list.c.decision_no == key)
    ).first():
        return
    today = china_day(utcnow())
    db.insert(
        uow.conn,
        db.joint_list,
        listing_id=str(uuid_utils.uuid7()),
        credit_code=event.credit_code,
        party_name=event.enterprise_name,
        reason=reason,
        decision_no=key,
        listed_on=today,
        listed_until=add_months(today, policy.joint.period_months),
    )
