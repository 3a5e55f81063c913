"""Review use cases: receive proposals, decide if they are major, assign, complete, sweep.

Every outcome leaves on `review.completed.v1` through the outbox in the same transaction as
the task's change, so records hears about each one exactly once in effect.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import uuid_utils

from enforcement.events.v1.envelope_pb2 import EventEnvelope
from enforcement.records.v1 import records_pb2
from enforcement.review.v1 import review_pb2
from services.chassis.calendar_store import load_calendar
from services.chassis.db import Database, UnitOfWork
from services.chassis.events import build_event, unpack, utcnow
from services.chassis.jsonpb import message_to_dict
from services.chassis.workdays import Calendar, Due, china_date
from services.review import db
from services.review.domain.benchmarks import Benchmark, benchmark_domains, place
from services.review.domain.major import MajorRules, ProposalFacts, major_reasons
from services.review.domain.tasks import (
    OPEN,
    CheckItem,
    InvalidReview,
    Meeting,
    NotAllowed,
    check_reviewer,
    choose_reviewer,
    validate_meeting,
    validate_outcome,
)

SERVICE = "review"
TOPIC_COMPLETED = "review.completed.v1"
TOPIC_OVERDUE = "review.overdue.v1"


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Policy:
    rules: MajorRules = field(default_factory=MajorRules)
    deadline_days: int = 7  # working days (local rule)
    extension_days: int = 3  # once, with a reason


def china_today(now: datetime | None = None) -> date:
    return china_date(now or utcnow())


def calendar_of(conn) -> Calendar:
    """The official calendar as this service stores it (entered years over the package)."""
    return load_calendar(conn, db.calendar_years)


def review_due(calendar: Calendar, policy: Policy, start: date, extended: bool) -> Due:
    """The review's deadline: 7 working days from the proposal, 3 more once extended (local
    rule); provisional when the count goes through a year without its notice."""
    due = calendar.add_working_days(start, policy.deadline_days)
    if not extended:
        return due
    more = calendar.add_working_days(due.date, policy.extension_days)
    return Due(more.date, due.provisional or more.provisional, (*due.years, *more.years))


def due_start(task) -> date:
    """The China day the task's working days count from (its proposal's day)."""
    if task.due_from is not None:
        return task.due_from
    proposed_at = (task.proposal or {}).get("proposed_at")
    if proposed_at:
        return china_date(datetime.fromisoformat(proposed_at.replace("Z", "+00:00")))
    return china_date(task.created_at)


def _party_keys(party: dict) -> list[str]:
    return [party.get("credit_code", ""), party.get("name", "")]


# -- events in ------------------------------------------------------------------------------


def record_case_opened(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """Remember a newly opened case and its officers (records.case-opened.v1)."""
    event = unpack(envelope, records_pb2.CaseOpened)
    case = event.case
    db.upsert_known_case(
        uow.conn,
        case_id=case.case_id,
        agency_id=case.agency_id,
        town=case.town,
        domain=case.domain,
        officer_ids=[o.officer_id for o in case.officers],
        opened_at=case.opened_at.ToDatetime(tzinfo=UTC),
        received_at=utcnow(),
    )


@dataclass(frozen=True)
class Assessment:
    """What the review makes of a proposal before anyone looks at it."""

    major: bool
    reasons: list[str]  # the major rules that fired; when not major, why not
    placement: dict
    due_date: date | None  # the review's deadline (7 working days); None when not major
    due_provisional: bool = False  # counted through a year whose calendar is not entered


def assess(conn, case, proposal, policy: Policy) -> Assessment:
    """Major or not (重大执法决定), why, where the amount sits, and the review's deadline."""
    placement = {"benchmark_id": "", "version": 0, "finding": "no-benchmark", "message": ""}
    departs = proposal.discretion.departs
    extra: list[str] = []
    if proposal.fine_yuan > 0:
        bench = db.benchmark(
            conn, proposal.discretion.benchmark_id, proposal.discretion.violation_type
        )
        if bench is None:
            placement["message"] = "no discretion benchmark for this violation type"
        else:
            p = place(proposal.fine_yuan, proposal.discretion.circumstance, bench)
            placement = {
                "benchmark_id": bench.benchmark_id,
                "version": bench.version,
                "finding": p.finding,
                "message": p.message,
            }
            departs = departs or p.departs
            if p.is_error:
                extra.append(f"the amount is outside the legal range: {p.message}")
    party_kind = "person" if case.party.kind == case.party.KIND_PERSON else "organization"
    facts = ProposalFacts(
        party_kind=party_kind,
        kinds=frozenset(proposal.kinds),
        fine_yuan=proposal.fine_yuan,
        confiscation_yuan=proposal.confiscation_yuan,
        mitigated=proposal.mitigated,
        departs_from_benchmark=departs,
        hearing_requested=proposal.hearing_requested,
        public_interest=proposal.public_interest,
        complex_case=proposal.complex_case,
    )
    reasons = major_reasons(facts, policy.rules) + extra
    if not reasons:
        why = ["none of the major-decision rules applies"]
        if placement["message"]:
            why.append(placement["message"])
        return Assessment(False, why, placement, None)
    proposed_at = (
        proposal.proposed_at.ToDatetime(tzinfo=UTC) if proposal.HasField("proposed_at") else None
    )
    due = review_due(calendar_of(conn), policy, china_today(proposed_at), extended=False)
    return Assessment(True, reasons, placement, due.date, due.provisional)


def assess_proposal(database: Database, case, proposal, policy: Policy) -> Assessment:
    with database.read() as conn:
        return assess(conn, case, proposal, policy)


def list_benchmarks(database: Database, domain: str) -> list[Benchmark]:
    """The newest version of every benchmark that applies to cases of `domain` (all: "")."""
    with database.read() as conn:
        found = db.newest_benchmarks(conn)
    return [b for b in found if not domain or domain in benchmark_domains(b)]


def receive_proposal(uow: UnitOfWork, envelope: EventEnvelope, policy: Policy) -> None:
    """records.penalty-proposed.v1 -> a review task, or an immediate 'not required'."""
    event = unpack(envelope, records_pb2.PenaltyProposed)
    case, proposal = event.case, event.proposal
    if db.get_task_by_proposal(uow.conn, proposal.proposal_id) is not None:
        return
    assessment = assess(uow.conn, case, proposal, policy)
    placement, reasons = assessment.placement, assessment.reasons
    party_kind = "person" if case.party.kind == case.party.KIND_PERSON else "organization"
    now = utcnow()
    party = {
        "kind": party_kind,
        "name": case.party.name,
        "credit_code": case.party.credit_code,
    }
    officer_ids = [o.officer_id for o in case.officers]
    values = dict(
        review_id=str(uuid_utils.uuid7()),
        case_id=case.case_id,
        proposal_id=proposal.proposal_id,
        round=proposal.round,
        agency_id=case.agency_id,
        town=case.town,
        case_title=case.title,
        party=party,
        officer_ids=officer_ids,
        proposal=message_to_dict(proposal, every_field=False),
        major=assessment.major,
        reasons=reasons,
        placement=placement,
        extended=False,
        overdue_notified=False,
        created_at=now,
    )
    if not assessment.major:
        db.insert_task(
            uow.conn,
            **{**values, "status": "not-required", "completed_at": now},
        )
        uow.add_event(
            _completed(
                values["review_id"],
                case.case_id,
                proposal.proposal_id,
                "not-required",
                reasons,
                "",
                "",
                now,
            )
        )
        return
    conflicted = db.conflicted_reviewers(uow.conn, _party_keys(party), case.agency_id)
    reviewer = choose_reviewer(db.reviewer_loads(uow.conn, case.agency_id), officer_ids, conflicted)
    proposed_at = (
        proposal.proposed_at.ToDatetime(tzinfo=UTC) if proposal.HasField("proposed_at") else None
    )
    start = china_today(proposed_at)
    due = review_due(calendar_of(uow.conn), policy, start, extended=False)
    db.insert_task(
        uow.conn,
        **values,
        status="assigned" if reviewer else "waiting",
        reviewer_id=reviewer,
        due_date=due.date,
        due_from=start,
        due_provisional=due.provisional,
    )


def meeting_pb(m: dict) -> review_pb2.CollectiveMeeting:
    """A task's stored 集体讨论 record as its message."""
    msg = review_pb2.CollectiveMeeting(
        reason=m.get("reason", ""), referred_by=m.get("referred_by", ""),
        held_on=m.get("held_on", ""), participants=m.get("participants", []),
        minutes=m.get("minutes", ""),
    )  # fmt: skip
    if m.get("referred_at"):
        msg.referred_at.FromDatetime(datetime.fromisoformat(m["referred_at"]))
    return msg


def _completed(
    review_id: str,
    case_id: str,
    proposal_id: str,
    outcome: str,
    reasons: list[str],
    reviewer_id: str,
    opinion: str,
    at: datetime,
    meeting: dict | None = None,
):
    msg = review_pb2.ReviewCompleted(
        review_id=review_id,
        case_id=case_id,
        proposal_id=proposal_id,
        outcome=outcome,
        reasons=reasons,
        reviewer_id=reviewer_id,
        opinion=opinion,
    )
    msg.completed_at.FromDatetime(at)
    if meeting:
        msg.meeting.CopyFrom(meeting_pb(meeting))
    return build_event(topic=TOPIC_COMPLETED, aggregate_id=case_id, payload=msg, producer=SERVICE)


# -- reviewers -------------------------------------------------------------------------------


def register_reviewer(database: Database, *, reviewer_id: str, agency_id: str, name: str) -> int:
    """Register (or refresh) a reviewer; waiting tasks of the agency are assigned now."""
    if not reviewer_id or not agency_id:
        raise InvalidReview("reviewer_id and agency_id are required")
    with database.read() as conn:  # the usual queue view: known, nothing waiting, no write
        known = db.one_reviewer(conn, reviewer_id)
        if (
            known is not None
            and (known.agency_id, known.name, known.active) == (agency_id, name[:100], True)
            and not db.waiting_unassigned(conn, agency_id)
        ):
            return 0
    with database.unit_of_work() as uow:
        db.upsert_reviewer(uow.conn, reviewer_id, agency_id, name[:100])
        chosen = _assign_waiting(uow.conn, agency_id)
        uow.commit()
    return sum(1 for who in chosen.values() if who == reviewer_id)


def _assign_waiting(conn, agency_id: str) -> dict[str, str]:
    """Assign the agency's waiting tasks to its active reviewers: {review_id: reviewer_id}."""
    chosen_for: dict[str, str] = {}
    for task in db.waiting_unassigned(conn, agency_id):
        conflicted = db.conflicted_reviewers(conn, _party_keys(task.party), agency_id)
        chosen = choose_reviewer(db.reviewer_loads(conn, agency_id), task.officer_ids, conflicted)
        if chosen is not None:
            db.update_task(conn, task.review_id, reviewer_id=chosen, status="assigned")
            chosen_for[task.review_id] = chosen
    return chosen_for


def deactivate_reviewer(database: Database, *, reviewer_id: str, agency_id: str) -> tuple[int, int]:
    """A reviewer who left or lost the role gets no new tasks, and their open tasks return to
    assignment (handed to another eligible reviewer now, else waiting for one):
    (returned, reassigned). Doing it again changes nothing."""
    if not reviewer_id or not agency_id:
        raise InvalidReview("reviewer_id and agency_id are required")
    with database.unit_of_work() as uow:
        if not db.deactivate_reviewer(uow.conn, reviewer_id, agency_id):
            return 0, 0  # never registered here: nothing of theirs to hand back
        returned = db.open_tasks_of_reviewer(uow.conn, reviewer_id, agency_id)
        for task in returned:
            db.update_task(uow.conn, task.review_id, reviewer_id=None, status="waiting")
        chosen = _assign_waiting(uow.conn, agency_id)
        uow.commit()
    return len(returned), sum(1 for t in returned if t.review_id in chosen)


def assign_task(
    database: Database,
    *,
    review_id: str,
    agency_id: str,
    town: str,
    reviewer_id: str,
    reviewer_name: str,
):
    """Hand an open task to a reviewer of the agency (by its admin or supervisor). The gateway
    has checked that `reviewer_id` is an active legal reviewer of `agency_id`; here the usual
    rules hold: not one of the case's officers, no recorded conflict with the party."""
    if not reviewer_id:
        raise InvalidReview("name the reviewer to assign")
    with database.unit_of_work() as uow:
        task = _own(db.get_task(uow.conn, review_id, for_update=True), agency_id)
        if town and task.town != town:
            raise NotFound("review task not found")
        if task.status not in OPEN:
            raise InvalidReview(f"the review is already {task.status}")
        conflicted = reviewer_id in db.conflicted_reviewers(
            uow.conn, _party_keys(task.party), agency_id
        )
        check_reviewer(reviewer_id, task.officer_ids, conflicted)
        db.upsert_reviewer(uow.conn, reviewer_id, agency_id, reviewer_name[:100] or reviewer_id)
        db.update_task(uow.conn, review_id, reviewer_id=reviewer_id, status="assigned")
        uow.commit()
    with database.read() as conn:
        return db.get_task(conn, review_id)


def record_conflict(
    database: Database, *, reviewer_id: str, agency_id: str, party_key: str, reason: str
) -> int:
    """Record a reviewer's conflict with a party (回避). Their open tasks of that party go to
    another eligible reviewer (or wait for one): returns how many were taken back."""
    if not party_key.strip() or not reason.strip():
        raise InvalidReview("a conflict names the party (credit code or name) and the reason")
    key = party_key.strip()[:200]
    with database.unit_of_work() as uow:
        known = db.one_reviewer(uow.conn, reviewer_id)
        if known is not None and known.agency_id != agency_id:
            raise NotFound("no such reviewer in the agency")  # another agency's reviewer
        db.add_conflict(
            uow.conn,
            reviewer_id=reviewer_id,
            party_key=key,
            agency_id=agency_id,
            reason=reason[:500],
        )
        taken_back = [
            t
            for t in db.open_tasks_of_reviewer(uow.conn, reviewer_id, agency_id)
            if key in _party_keys(t.party)
        ]
        for task in taken_back:
            db.update_task(uow.conn, task.review_id, reviewer_id=None, status="waiting")
        if taken_back:
            _assign_waiting(uow.conn, agency_id)
        uow.commit()
    return len(taken_back)


# -- working a task --------------------------------------------------------------------------


def _own(task, agency_id: str):
    if task is None or task.agency_id != agency_id:
        raise NotFound("review task not found")
    return task


def complete_review(
    database: Database,
    *,
    review_id: str,
    agency_id: str,
    reviewer_id: str,
    outcome: str,
    checklist: list[CheckItem],
    opinion: str,
    meeting: Meeting | None = None,
) -> tuple[object, bool]:
    """Decide a review; one referred to a collective meeting (集体讨论) is decided with the
    meeting's record, which joins the task."""
    validate_outcome(outcome, checklist, opinion)
    with database.unit_of_work() as uow:
        task = _own(db.get_task(uow.conn, review_id, for_update=True), agency_id)
        if task.status not in OPEN:
            if task.status == outcome and task.reviewer_id == reviewer_id:
                return task, False  # a retried submission
            raise InvalidReview(f"the review is already {task.status}")
        if task.reviewer_id and task.reviewer_id != reviewer_id:
            raise NotAllowed("the task is assigned to another reviewer")
        conflicted = reviewer_id in db.conflicted_reviewers(
            uow.conn, _party_keys(task.party), agency_id
        )
        check_reviewer(reviewer_id, task.officer_ids, conflicted)
        validate_meeting(bool(task.meeting), meeting, china_date().isoformat())
        now = utcnow()
        record = None
        if meeting is not None:
            record = {
                **task.meeting, "held_on": meeting.held_on,
                "participants": [n.strip() for n in meeting.participants if n.strip()],
                "minutes": meeting.minutes,
            }  # fmt: skip
            db.update_task(uow.conn, review_id, meeting=record)
        db.update_task(
            uow.conn,
            review_id,
            status=outcome,
            reviewer_id=reviewer_id,
            checklist=[
                {"item": i.item, "passed": i.passed, "comment": i.comment} for i in checklist
            ],
            opinion=opinion,
            completed_at=now,
        )
        failed = [f"{i.item}: {i.comment}" for i in checklist if not i.passed]
        uow.add_event(
            _completed(
                review_id,
                task.case_id,
                task.proposal_id,
                outcome,
                list(task.reasons) + failed,
                reviewer_id,
                opinion,
                now,
                record,
            )
        )
        uow.commit()
    with database.read() as conn:
        return db.get_task(conn, review_id), True


def extend_deadline(
    database: Database,
    policy: Policy,
    *,
    review_id: str,
    agency_id: str,
    reviewer_id: str,
    reason: str,
):
    if not reason.strip():
        raise InvalidReview("an extension needs a reason")
    with database.unit_of_work() as uow:
        task = _own(db.get_task(uow.conn, review_id, for_update=True), agency_id)
        if task.status not in OPEN:
            raise InvalidReview(f"the review is already {task.status}")
        if task.reviewer_id != reviewer_id:
            raise NotAllowed("only the assigned reviewer may extend the deadline")
        if task.extended:
            raise InvalidReview("the deadline was already extended once")
        start = due_start(task)
        due = review_due(calendar_of(uow.conn), policy, start, extended=True)
        db.update_task(
            uow.conn,
            review_id,
            extended=True,
            extension_reason=reason[:500],
            due_date=due.date,
            due_from=start,
            due_provisional=due.provisional,
        )
        uow.commit()
    with database.read() as conn:
        return db.get_task(conn, review_id)


def refer_to_meeting(
    database: Database, *, review_id: str, agency_id: str, reviewer_id: str, reason: str
):
    """The assigned reviewer refers a disputed review to a collective meeting (集体讨论); the
    review stays open, its deadline unchanged, until the meeting's outcome is recorded."""
    if not reason.strip() or len(reason) > 2000:
        raise InvalidReview("a referral to a collective meeting needs a reason")
    with database.unit_of_work() as uow:
        task = _own(db.get_task(uow.conn, review_id, for_update=True), agency_id)
        if task.status not in OPEN:
            raise InvalidReview(f"the review is already {task.status}")
        if task.reviewer_id != reviewer_id:
            raise NotAllowed("only the assigned reviewer may refer the review")
        if task.meeting:
            raise InvalidReview("the review was already referred to a collective meeting")
        db.update_task(
            uow.conn,
            review_id,
            meeting={
                "reason": reason.strip(), "referred_by": reviewer_id,
                "referred_at": utcnow().isoformat(),
            },
        )  # fmt: skip
        uow.commit()
    with database.read() as conn:
        return db.get_task(conn, review_id)


def get_task(database: Database, review_id: str, agency_id: str, reviewer_id: str = ""):
    """The task and its earlier rounds. A reviewer (`reviewer_id` given) who may not review it
    (an officer of the case, or conflicted with the party: 回避) may not read its file either."""
    with database.read() as conn:
        task = _own(db.get_task(conn, review_id), agency_id)
        if reviewer_id:
            conflicted = reviewer_id in db.conflicted_reviewers(
                conn, _party_keys(task.party), agency_id
            )
            check_reviewer(reviewer_id, task.officer_ids, conflicted)
        previous = [t for t in db.tasks_of_case(conn, task.case_id) if t.round < task.round]
    return task, previous


def list_tasks(
    database: Database,
    *,
    agency_id: str,
    reviewer_id: str | None,
    open_only: bool,
    overdue_only: bool,
    limit: int,
    town: str = "",
) -> list:
    with database.read() as conn:
        return db.list_tasks(
            conn,
            agency_id=agency_id,
            town=town,
            reviewer_id=reviewer_id,
            open_only=open_only,
            due_before=china_today() if overdue_only else None,
            limit=max(1, min(limit or 100, 500)),
        )


def sweep_overdue(database: Database, _settings: object = None) -> int:
    """Raise review.overdue.v1 once for each open task past its deadline."""
    with database.unit_of_work() as uow:
        rows = db.overdue_unnotified(uow.conn, china_today())
        for task in rows:
            db.update_task(uow.conn, task.review_id, overdue_notified=True)
            uow.add_event(
                build_event(
                    topic=TOPIC_OVERDUE,
                    aggregate_id=task.case_id,
                    payload=review_pb2.ReviewOverdue(
                        review_id=task.review_id,
                        case_id=task.case_id,
                        agency_id=task.agency_id,
                        reviewer_id=task.reviewer_id or "",
                        due_date=task.due_date.isoformat(),
                    ),
                    producer=SERVICE,
                )
            )
        uow.commit()
    return len(rows)


@dataclass(frozen=True)
class Statistics:
    waiting: int
    overdue: int
    completed: int
    not_required: int
    approval_rate: float
    return_reasons: list[tuple[str, int]]
    returns_by_officer: list[tuple[str, int]]
    calendar_warning: str = ""  # from 1 October: next year's official calendar is missing


def statistics(database: Database, agency_id: str, town: str = "") -> Statistics:
    """The agency's queue, or one town's (a town-bound supervisor's view)."""
    today = china_today()
    with database.read() as conn:
        rows = db.all_tasks_of_agency(conn, agency_id, town)
        warning = calendar_of(conn).missing_year_warning(today) or ""
    open_rows = [r for r in rows if r.status in OPEN]
    decided = [r for r in rows if r.status in ("approved", "returned", "rejected")]
    sent_back = [r for r in decided if r.status != "approved"]
    reasons = Counter(i["item"] for r in sent_back for i in (r.checklist or []) if not i["passed"])
    officers = Counter(r.proposal.get("proposed_by", "") for r in sent_back)
    return Statistics(
        waiting=len(open_rows),
        overdue=sum(1 for r in open_rows if r.due_date and r.due_date < today),
        completed=len(decided),
        not_required=sum(1 for r in rows if r.status == "not-required"),
        approval_rate=(sum(r.status == "approved" for r in decided) / len(decided))
        if decided
        else 0.0,
        return_reasons=reasons.most_common(),
        returns_by_officer=officers.most_common(),
        calendar_warning=warning,
    )
