"""ReviewService over gRPC: proto <-> handlers, nothing more."""

from __future__ import annotations

import json

import grpc

from enforcement.calendar.v1 import calendar_pb2, calendar_pb2_grpc
from enforcement.review.v1 import review_pb2, review_pb2_grpc
from services.chassis.calendar_store import year_to_pb
from services.chassis.db import Database, as_utc
from services.chassis.grpc_server import blocking_caller
from services.review import calendar, handlers
from services.review.config import Settings
from services.review.domain.benchmarks import benchmark_domains
from services.review.domain.tasks import (
    CheckItem,
    InvalidOutcome,
    InvalidReview,
    Meeting,
    NotAllowed,
)

_CODES: list[tuple[type[Exception], grpc.StatusCode]] = [
    (handlers.NotFound, grpc.StatusCode.NOT_FOUND),
    (NotAllowed, grpc.StatusCode.PERMISSION_DENIED),
    (InvalidOutcome, grpc.StatusCode.INVALID_ARGUMENT),  # bad input: 422, not a state conflict
    (InvalidReview, grpc.StatusCode.FAILED_PRECONDITION),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
]


_call = blocking_caller(_CODES)


def task_to_pb(row) -> review_pb2.ReviewTask:
    today = handlers.china_today()
    msg = review_pb2.ReviewTask(
        review_id=row.review_id,
        case_id=row.case_id,
        proposal_id=row.proposal_id,
        round=row.round,
        agency_id=row.agency_id,
        town=row.town,
        case_title=row.case_title,
        party_name=row.party.get("name", ""),
        party_kind=row.party.get("kind", ""),
        officer_ids=row.officer_ids,
        proposal_json=_json(row.proposal),
        major=row.major,
        reasons=row.reasons,
        placement=review_pb2.Placement(**row.placement),
        status=row.status,
        reviewer_id=row.reviewer_id or "",
        checklist=[review_pb2.CheckItem(**i) for i in (row.checklist or [])],
        opinion=row.opinion or "",
        due_date=row.due_date.isoformat() if row.due_date else "",
        extended=row.extended,
        extension_reason=row.extension_reason or "",
        due_date_provisional=bool(row.due_date and row.due_provisional),
        overdue=bool(
            row.status in ("waiting", "assigned") and row.due_date and row.due_date < today
        ),
    )
    msg.created_at.FromDatetime(as_utc(row.created_at))
    if row.meeting:
        msg.meeting.CopyFrom(handlers.meeting_pb(row.meeting))
    if row.completed_at is not None:
        msg.completed_at.FromDatetime(as_utc(row.completed_at))
    return msg


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class ReviewServicer(review_pb2_grpc.ReviewServiceServicer):
    def __init__(self, database: Database, settings: Settings) -> None:
        self._db = database
        self._policy = policy_of(settings)

    async def RegisterReviewer(self, request, context):
        n = await _call(
            context,
            handlers.register_reviewer,
            self._db,
            reviewer_id=request.reviewer_id,
            agency_id=request.agency_id,
            name=request.name,
        )
        return review_pb2.RegisterReviewerResponse(assigned=n)

    async def RecordConflict(self, request, context):
        await _call(
            context,
            handlers.record_conflict,
            self._db,
            reviewer_id=request.reviewer_id,
            agency_id=request.agency_id,
            party_key=request.party_key,
            reason=request.reason,
        )
        return review_pb2.RecordConflictResponse()

    async def ListTasks(self, request, context):
        rows = await _call(
            context,
            handlers.list_tasks,
            self._db,
            agency_id=request.agency_id,
            reviewer_id=request.reviewer_id or None,
            open_only=request.open_only,
            overdue_only=request.overdue_only,
            limit=request.page_size,
            town=request.town,
        )
        return review_pb2.ListTasksResponse(tasks=[task_to_pb(r) for r in rows])

    async def GetTask(self, request, context):
        task, previous = await _call(
            context,
            handlers.get_task,
            self._db,
            request.review_id,
            request.agency_id,
            request.reviewer_id,
        )
        return review_pb2.GetTaskResponse(
            task=task_to_pb(task), previous_rounds=[task_to_pb(t) for t in previous]
        )

    async def CompleteReview(self, request, context):
        task, created = await _call(
            context,
            handlers.complete_review,
            self._db,
            review_id=request.review_id,
            agency_id=request.agency_id,
            reviewer_id=request.reviewer_id,
            outcome=request.outcome,
            checklist=[CheckItem(i.item, i.passed, i.comment) for i in request.checklist],
            opinion=request.opinion,
            meeting=Meeting(
                request.meeting.held_on,
                tuple(request.meeting.participants),
                request.meeting.minutes,
            )
            if request.HasField("meeting")
            else None,
        )
        return review_pb2.CompleteReviewResponse(task=task_to_pb(task), created=created)

    async def ReferToMeeting(self, request, context):
        task = await _call(
            context,
            handlers.refer_to_meeting,
            self._db,
            review_id=request.review_id,
            agency_id=request.agency_id,
            reviewer_id=request.reviewer_id,
            reason=request.reason,
        )
        return review_pb2.ReferToMeetingResponse(task=task_to_pb(task))

    async def ExtendDeadline(self, request, context):
        task = await _call(
            context,
            handlers.extend_deadline,
            self._db,
            self._policy,
            review_id=request.review_id,
            agency_id=request.agency_id,
            reviewer_id=request.reviewer_id,
            reason=request.reason,
        )
        return review_pb2.ExtendDeadlineResponse(task=task_to_pb(task))

    async def GetStatistics(self, request, context):
        s = await _call(context, handlers.statistics, self._db, request.agency_id, request.town)
        return review_pb2.GetStatisticsResponse(
            waiting=s.waiting,
            overdue=s.overdue,
            completed=s.completed,
            not_required=s.not_required,
            approval_rate=s.approval_rate,
            return_reasons=[review_pb2.Count(key=k, count=n) for k, n in s.return_reasons],
            returns_by_officer=[review_pb2.Count(key=k, count=n) for k, n in s.returns_by_officer],
            calendar_warning=s.calendar_warning,
        )

    async def ListBenchmarks(self, request, context):
        found = await _call(context, handlers.list_benchmarks, self._db, request.domain)
        return review_pb2.ListBenchmarksResponse(
            benchmarks=[
                review_pb2.Benchmark(
                    benchmark_id=b.benchmark_id,
                    version=b.version,
                    violation_type=b.violation_type,
                    title=b.title,
                    legal_basis=b.legal_basis,
                    legal_min_yuan=b.legal_min_yuan,
                    legal_max_yuan=b.legal_max_yuan,
                    bands=[
                        review_pb2.BenchmarkBand(
                            circumstance=band.circumstance,
                            low_yuan=band.low_yuan,
                            high_yuan=band.high_yuan,
                        )
                        for band in b.bands
                    ],
                    domains=benchmark_domains(b),
                )
                for b in found
            ]
        )

    async def AssessProposal(self, request, context):
        a = await _call(
            context,
            handlers.assess_proposal,
            self._db,
            request.case,
            request.proposal,
            self._policy,
        )
        return review_pb2.AssessProposalResponse(
            major=a.major,
            reasons=a.reasons,
            placement=review_pb2.Placement(**a.placement),
            due_date=a.due_date.isoformat() if a.due_date else "",
            due_date_provisional=a.due_provisional,
            deadline_working_days=self._policy.deadline_days if a.major else 0,
        )

    async def DeactivateReviewer(self, request, context):
        returned, reassigned = await _call(
            context,
            handlers.deactivate_reviewer,
            self._db,
            reviewer_id=request.reviewer_id,
            agency_id=request.agency_id,
        )
        return review_pb2.DeactivateReviewerResponse(returned=returned, reassigned=reassigned)

    async def AssignTask(self, request, context):
        task = await _call(
            context,
            handlers.assign_task,
            self._db,
            review_id=request.review_id,
            agency_id=request.agency_id,
            town=request.town,
            reviewer_id=request.reviewer_id,
            reviewer_name=request.reviewer_name,
        )
        return review_pb2.AssignTaskResponse(task=task_to_pb(task))


class CalendarServicer(calendar_pb2_grpc.CalendarServiceServicer):
    """The official calendar: entered years, versions, the missing-year warning."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self._db = database
        self._policy = policy_of(settings)

    async def PublishYear(self, request, context):
        year, recounted, _created = await _call(
            context,
            calendar.publish_year,
            self._db,
            self._policy,
            year=request.year,
            notice_no=request.notice_no,
            holidays=list(request.holidays),
            makeup_days=list(request.makeup_days),
            entered_by=request.entered_by,
            agency_id=request.agency_id,
            note=request.note,
        )
        return calendar_pb2.PublishYearResponse(year=year, recomputed=recounted)

    async def GetCalendar(self, request, context):
        today, warning, states = await _call(
            context, calendar.calendar_state, self._db, request.year
        )
        return calendar_pb2.GetCalendarResponse(
            today=today.isoformat(),
            warning=warning,
            years=[
                calendar_pb2.YearState(
                    year=s.year,
                    source=s.source.value,
                    provisional=s.source.value == "statutory",
                    versions=[year_to_pb(v) for v in s.versions],
                    statutory_holidays=[d.isoformat() for d in s.statutory],
                )
                for s in states
            ],
        )


def policy_of(settings: Settings) -> handlers.Policy:
    return handlers.Policy(
        rules=settings.rules(),
        deadline_days=settings.deadline_working_days,
        extension_days=settings.extension_working_days,
    )


def servicers(database: Database, settings: Settings) -> list:
    return [
        (review_pb2_grpc.add_ReviewServiceServicer_to_server, ReviewServicer(database, settings)),
        (
            calendar_pb2_grpc.add_CalendarServiceServicer_to_server,
            CalendarServicer(database, settings),
        ),
    ]
