"""Legal review (法制审核) for legal reviewers and supervisors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from enforcement.records.v1 import records_pb2
from enforcement.review.v1 import review_pb2
from gateway import db as gwdb
from gateway.deps import State, require_roles
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, ProblemError
from gateway.protobuf import message_dict
from gateway.routes.cases import supervised_town
from gateway.security.principals import Principal, Role
from services.chassis.jsonpb import numbers_as_numbers

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])

Reviewer = Annotated[Principal, Depends(require_roles(Role.legal_reviewer))]
Supervisor = Annotated[Principal, Depends(require_roles(Role.supervisor, Role.admin))]
ReviewId = Annotated[str, PathParam(max_length=64)]

CheckItemKey = Literal[
    "subject",
    "powers",
    "facts",
    "evidence",
    "procedure",
    "legal-basis",
    "discretion",
    "documents",
    "criminal-referral",
]


class CheckItem(BaseModel):
    item: CheckItemKey
    passed: bool
    comment: str = Field(default="", max_length=2000)


class Placement(BaseModel):
    benchmark_id: str
    version: int
    finding: str
    message: str


class ReviewTask(BaseModel):
    review_id: str
    case_id: str
    proposal_id: str
    round: int
    agency_id: str
    town: str
    case_title: str
    party_name: str
    party_kind: str
    officer_ids: list[str]
    proposal: dict[str, Any]
    major: bool
    reasons: list[str]
    placement: Placement
    status: str
    reviewer_id: str | None
    checklist: list[CheckItem]
    opinion: str
    due_date: str | None
    extended: bool
    extension_reason: str
    overdue: bool
    due_date_provisional: bool = Field(
        description="counted through a year whose official calendar is not entered yet"
    )
    created_at: datetime
    completed_at: datetime | None
    meeting: dict[str, Any] | None = Field(
        default=None, description="集体讨论: the referral, then the meeting's record"
    )


class TaskList(BaseModel):
    tasks: list[ReviewTask]


class TimelineEntry(BaseModel):
    entry_id: str
    seq: int
    kind: str
    actor_id: str
    server_time: datetime
    payload: dict[str, Any]
    evidence: list[dict[str, Any]]


class EvidenceLink(BaseModel):
    entry_id: str
    sha256: str
    media_type: str
    size: int
    filename: str
    url: str = Field(description="presigned download, valid for a few minutes")


class PartyOut(BaseModel):
    kind: str = Field(description="organization or person")
    name: str
    credit_code: str = Field(description="统一社会信用代码 (organisations)")
    legal_representative: str = Field(description="法定代表人")
    address: str


class CaseOfficer(BaseModel):
    officer_id: str
    name: str
    certificate_no: str = Field(description="执法证号")


class TaskDetail(BaseModel):
    task: ReviewTask
    previous_rounds: list[ReviewTask]
    timeline: list[TimelineEntry]
    evidence: list[EvidenceLink]
    party: PartyOut | None = Field(
        default=None, description="the case's party (never a person's ID number)"
    )
    officers: list[CaseOfficer] = Field(
        default_factory=list, description="the case's officers with their certificates"
    )


class MeetingIn(BaseModel):
    held_on: date = Field(description="the meeting's date, not in the future")
    participants: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        min_length=3, max_length=30, description="the members present, by name (at least 3)"
    )
    minutes: str = Field(min_length=1, max_length=20000, description="会议纪要")


class OutcomeIn(BaseModel):
    outcome: Literal["approved", "returned", "rejected"]
    checklist: list[CheckItem] = Field(
        max_length=20, description="every item of the checklist (法制审核内容) exactly once"
    )
    opinion: str = Field(min_length=1, max_length=20000, description="审核意见")
    meeting: MeetingIn | None = Field(
        default=None,
        description="集体讨论: required, and only allowed, for a review referred to the meeting",
    )


class MeetingReferralIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="the dispute to settle")


def outcome_errors(body: OutcomeIn) -> list[dict[str, Any]]:
    """Everything wrong with an outcome at once (the review service checks the same), so the
    reviewer's form can mark every item after one answer."""
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(body.checklist):
        if item.item in seen:
            errors.append(
                {"loc": ("body", "checklist", i, "item"),
                 "msg": f"checklist item {item.item} is given twice"}
            )  # fmt: skip
        seen.add(item.item)
        if not item.passed and not item.comment.strip():
            errors.append(
                {"loc": ("body", "checklist", i, "comment"),
                 "msg": "a failed checklist item needs a comment"}
            )  # fmt: skip
    errors += [
        {"loc": ("body", "checklist"), "msg": f"missing checklist item {key}"}
        for key in get_args(CheckItemKey)
        if key not in seen
    ]
    failed = [i for i in body.checklist if not i.passed]
    if body.outcome == "approved" and failed:
        errors.append({"loc": ("body", "outcome"), "msg": "approved cannot have failed items"})
    if body.outcome != "approved" and not failed:
        errors.append(
            {"loc": ("body", "outcome"),
             "msg": f"{body.outcome} needs at least one failed checklist item saying why"}
        )  # fmt: skip
    return errors


class ExtensionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class ConflictIn(BaseModel):
    reviewer_id: str = Field(min_length=1, max_length=64)
    party_key: str = Field(min_length=1, max_length=200, description="credit code or name")
    reason: str = Field(min_length=1, max_length=500)


class AssignmentIn(BaseModel):
    reviewer_id: str = Field(min_length=1, max_length=64)


class Count(BaseModel):
    key: str
    count: int


class Statistics(BaseModel):
    waiting: int
    overdue: int
    completed: int
    not_required: int
    approval_rate: float
    return_reasons: list[Count]
    returns_by_officer: list[Count]
    calendar_warning: str | None = Field(
        description="from 1 October: next year's official calendar has not been entered"
    )


def task_out(t: review_pb2.ReviewTask) -> ReviewTask:
    return ReviewTask(
        review_id=t.review_id,
        case_id=t.case_id,
        proposal_id=t.proposal_id,
        round=t.round,
        agency_id=t.agency_id,
        town=t.town,
        case_title=t.case_title,
        party_name=t.party_name,
        party_kind=t.party_kind,
        officer_ids=list(t.officer_ids),
        proposal=numbers_as_numbers(
            json.loads(t.proposal_json or "{}"), records_pb2.PenaltyProposal.DESCRIPTOR
        ),
        major=t.major,
        reasons=list(t.reasons),
        placement=Placement(
            benchmark_id=t.placement.benchmark_id,
            version=t.placement.version,
            finding=t.placement.finding,
            message=t.placement.message,
        ),
        status=t.status,
        reviewer_id=t.reviewer_id or None,
        checklist=[CheckItem(item=i.item, passed=i.passed, comment=i.comment) for i in t.checklist],
        opinion=t.opinion,
        due_date=t.due_date or None,
        extended=t.extended,
        extension_reason=t.extension_reason,
        overdue=t.overdue,
        due_date_provisional=t.due_date_provisional,
        created_at=t.created_at.ToDatetime(tzinfo=UTC),
        completed_at=(
            t.completed_at.ToDatetime(tzinfo=UTC) if t.HasField("completed_at") else None
        ),
        meeting=message_dict(t.meeting) if t.HasField("meeting") else None,
    )


async def _review(call, request, service: str = "review"):
    return await call_service(service, call, request)


def agency_reviewer(state, principal: Principal, reviewer_id: str) -> gwdb.User:
    """The legal reviewer `reviewer_id` of the caller's agency, active; else 404 (an account of
    another agency is not revealed)."""
    with state.db.read() as conn:
        user = gwdb.get_user(conn, reviewer_id)
    if (
        user is None
        or user.agency_id != principal.agency_id
        or Role.legal_reviewer.value not in user.roles
        or not user.active
    ):
        raise ProblemError(
            status=404, type="not-found", title="No such reviewer",
            detail=f"{reviewer_id} is not an active legal reviewer of your agency",
        )  # fmt: skip
    return user


async def _register(state, principal: Principal) -> None:
    await _review(
        state.clients.review.RegisterReviewer,
        review_pb2.RegisterReviewerRequest(
            reviewer_id=principal.user_id,
            agency_id=principal.agency_id,
            name=principal.display_name,
        ),
    )


@router.get(
    "/mine",
    operation_id="listMyReviews",
    response_model=TaskList,
    responses=PROBLEM_RESPONSES,
    summary="My review queue (open tasks first by deadline)",
)
async def my_reviews(
    principal: Reviewer, state: State, open_only: Annotated[bool, Query()] = True
) -> TaskList:
    """The caller's legal review queue (法制审核), open tasks first by deadline, each with the
    proposal, the major-decision rules that apply and the benchmark placement. The caller is
    registered as a reviewer of the agency on the way."""
    await _register(state, principal)
    reply = await _review(
        state.clients.review.ListTasks,
        review_pb2.ListTasksRequest(
            agency_id=principal.agency_id, reviewer_id=principal.user_id, open_only=open_only
        ),
    )
    return TaskList(tasks=[task_out(t) for t in reply.tasks])


@router.get(
    "",
    operation_id="listReviews",
    response_model=TaskList,
    responses=PROBLEM_RESPONSES,
    summary="Every review task of the agency (supervisors), e.g. the overdue ones",
)
async def list_reviews(
    principal: Supervisor,
    state: State,
    open_only: Annotated[bool, Query()] = False,
    overdue: Annotated[bool, Query()] = False,
) -> TaskList:
    """Every review task of the agency for supervisors and admins; `overdue=true` lists those
    past their deadline."""
    reply = await _review(
        state.clients.review.ListTasks,
        review_pb2.ListTasksRequest(
            agency_id=principal.agency_id,
            town=supervised_town(principal) or "",  # a town-bound supervisor: that town only
            open_only=open_only,
            overdue_only=overdue,
        ),
    )
    return TaskList(tasks=[task_out(t) for t in reply.tasks])


@router.get(
    "/stats",
    operation_id="reviewStatistics",
    response_model=Statistics,
    responses=PROBLEM_RESPONSES,
    summary="Queue statistics: waiting, overdue, approval rate, return reasons",
)
async def review_statistics(principal: Supervisor, state: State) -> Statistics:
    """The review queue in figures: waiting, overdue, completed, not required, the approval
    rate, and the most frequent reasons for returning a proposal, overall and per officer."""
    s = await _review(
        state.clients.review.GetStatistics,
        review_pb2.GetStatisticsRequest(
            agency_id=principal.agency_id, town=supervised_town(principal) or ""
        ),
    )
    return Statistics(
        waiting=s.waiting,
        overdue=s.overdue,
        completed=s.completed,
        not_required=s.not_required,
        approval_rate=s.approval_rate,
        return_reasons=[Count(key=c.key, count=c.count) for c in s.return_reasons],
        returns_by_officer=[Count(key=c.key, count=c.count) for c in s.returns_by_officer],
        calendar_warning=s.calendar_warning or None,
    )


@router.post(
    "/conflicts",
    operation_id="recordConflict",
    status_code=204,
    responses=PROBLEM_RESPONSES,
    summary="Record a reviewer's conflict of interest with a party",
)
async def record_conflict(body: ConflictIn, principal: Supervisor, state: State) -> None:
    """Record that a reviewer has a conflict of interest (回避) with a party, by credit code or
    name: the reviewer is never assigned that party's cases."""
    agency_reviewer(state, principal, body.reviewer_id)  # only the caller's agency's reviewers
    await _review(
        state.clients.review.RecordConflict,
        review_pb2.RecordConflictRequest(
            reviewer_id=body.reviewer_id,
            agency_id=principal.agency_id,
            party_key=body.party_key,
            reason=body.reason,
        ),
    )


@router.get(
    "/{review_id}",
    operation_id="getReview",
    response_model=TaskDetail,
    responses=PROBLEM_RESPONSES,
    summary="A review task with its earlier rounds and the case's timeline",
)
async def get_review(review_id: ReviewId, principal: Reviewer, state: State) -> TaskDetail:
    """A review task with its earlier rounds, the case's whole record and a presigned download
    link for every evidence file, for the reviewer's desk."""
    reply = await _review(
        state.clients.review.GetTask,
        # A reviewer conflicted with the party (回避) or working the case may not read its file.
        review_pb2.GetTaskRequest(
            review_id=review_id, agency_id=principal.agency_id, reviewer_id=principal.user_id
        ),
    )
    case = {"case_id": reply.task.case_id, "agency_id": principal.agency_id}
    timeline = await _review(
        state.clients.records.GetTimeline, records_pb2.GetTimelineRequest(**case), "records"
    )
    links = await _review(
        state.clients.records.GetEvidenceLinks,
        records_pb2.GetEvidenceLinksRequest(**case),
        "records",
    )
    found = await _review(
        state.clients.records.GetCase,
        records_pb2.GetCaseRequest(case_id=reply.task.case_id),
        "records",
    )
    party, officers = None, []
    if found.case.agency_id == principal.agency_id:
        p = found.case.party
        party = PartyOut(
            kind="person" if p.kind == p.KIND_PERSON else "organization", name=p.name,
            credit_code=p.credit_code, legal_representative=p.legal_representative,
            address=p.address,
        )  # fmt: skip
        officers = [
            CaseOfficer(officer_id=o.officer_id, name=o.name, certificate_no=o.certificate_no)
            for o in found.case.officers
        ]
    return TaskDetail(
        party=party,
        officers=officers,
        task=task_out(reply.task),
        previous_rounds=[task_out(t) for t in reply.previous_rounds],
        timeline=[
            TimelineEntry(
                entry_id=e.entry_id,
                seq=e.seq,
                kind=e.kind,
                actor_id=e.actor_id,
                server_time=e.server_time.ToDatetime(tzinfo=UTC),
                payload=json.loads(e.payload_json or "{}"),
                evidence=[message_dict(x) for x in e.evidence],
            )
            for e in timeline.entries
        ],
        evidence=[
            EvidenceLink(
                entry_id=link.entry_id,
                sha256=link.evidence.sha256,
                media_type=link.evidence.media_type,
                size=link.evidence.size,
                filename=link.evidence.filename,
                url=link.url,
            )
            for link in links.links
        ],
    )


@router.post(
    "/{review_id}/outcome",
    operation_id="completeReview",
    response_model=ReviewTask,
    responses=PROBLEM_RESPONSES,
    summary="Fill the checklist and approve, return for correction, or reject",
)
async def complete_review(
    review_id: ReviewId, body: OutcomeIn, principal: Reviewer, state: State
) -> ReviewTask:
    """The reviewer's outcome: the checklist (主体, 职权, 事实, 证据, 程序, 法律依据, 裁量,
    文书, 移送) and an opinion (审核意见); approve, return for correction, or reject. Records
    hears it over Kafka within seconds."""
    errors = outcome_errors(body)
    if errors:
        raise RequestValidationError(errors)
    reply = await _review(
        state.clients.review.CompleteReview,
        review_pb2.CompleteReviewRequest(
            review_id=review_id,
            agency_id=principal.agency_id,
            reviewer_id=principal.user_id,
            outcome=body.outcome,
            checklist=[
                review_pb2.CheckItem(item=i.item, passed=i.passed, comment=i.comment)
                for i in body.checklist
            ],
            opinion=body.opinion,
            meeting=review_pb2.CollectiveMeeting(
                held_on=body.meeting.held_on.isoformat(),
                participants=body.meeting.participants,
                minutes=body.meeting.minutes,
            )
            if body.meeting
            else None,
        ),
    )
    return task_out(reply.task)


@router.post(
    "/{review_id}/meeting",
    operation_id="referReviewToMeeting",
    response_model=ReviewTask,
    responses=PROBLEM_RESPONSES,
    summary="Refer a disputed review to the collective meeting (集体讨论)",
)
async def refer_to_meeting(
    review_id: ReviewId, body: MeetingReferralIn, principal: Reviewer, state: State
) -> ReviewTask:
    """The assigned reviewer refers a disputed review to the agency's collective meeting
    (集体讨论), saying why; the review stays open with its deadline, and its outcome is then
    posted to `/outcome` with the meeting's date, members and minutes."""
    reply = await _review(
        state.clients.review.ReferToMeeting,
        review_pb2.ReferToMeetingRequest(
            review_id=review_id,
            agency_id=principal.agency_id,
            reviewer_id=principal.user_id,
            reason=body.reason,
        ),
    )
    return task_out(reply.task)


@router.post(
    "/{review_id}/extension",
    operation_id="extendReview",
    response_model=ReviewTask,
    responses=PROBLEM_RESPONSES,
    summary="Extend the deadline once by 3 working days, with a reason",
)
async def extend_review(
    review_id: ReviewId, body: ExtensionIn, principal: Reviewer, state: State
) -> ReviewTask:
    """Extend the review's deadline once by 3 working days, with a written reason."""
    reply = await _review(
        state.clients.review.ExtendDeadline,
        review_pb2.ExtendDeadlineRequest(
            review_id=review_id,
            agency_id=principal.agency_id,
            reviewer_id=principal.user_id,
            reason=body.reason,
        ),
    )
    return task_out(reply.task)


@router.post(
    "/{review_id}/assignment",
    operation_id="assignReview",
    response_model=ReviewTask,
    responses=PROBLEM_RESPONSES,
    summary="Hand an open review task to another legal reviewer of the agency (admins, "
    "supervisors)",
)
async def assign_review(
    review_id: ReviewId, body: AssignmentIn, principal: Supervisor, state: State
) -> ReviewTask:
    """An agency's admin or supervisor (a town-bound one, in their town) hands an open task to
    an active legal reviewer of the agency who is neither an officer of the case nor in
    conflict with the party (回避); a reviewer who left is handed off this way too."""
    reviewer = agency_reviewer(state, principal, body.reviewer_id)
    reply = await _review(
        state.clients.review.AssignTask,
        review_pb2.AssignTaskRequest(
            review_id=review_id,
            agency_id=principal.agency_id,
            town=supervised_town(principal) or "",
            reviewer_id=reviewer.user_id,
            reviewer_name=reviewer.display_name,
        ),
    )
    return task_out(reply.task)
