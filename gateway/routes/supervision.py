"""Supervisors' figures across services: the deadlines about to be missed (legal review,
disclosure, Art. 44 reports, inspection tasks) and the share of decisions disclosed within
the deadline. Each answer carries the list behind its counts, so a chart links to its list.

Jurisdiction: the caller's agency; a supervisor bound to a town sees that town's items only
(items that know no town are matched through their case's town).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from enforcement.calendar.v1 import calendar_pb2
from enforcement.disclosure.v1 import disclosure_pb2
from enforcement.overload.v1 import overload_pb2
from enforcement.records.v1 import records_pb2
from enforcement.review.v1 import review_pb2
from gateway.deps import State, require_roles
from gateway.fields import IsoDate
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, ProblemError
from gateway.routes.cases import supervised_town
from gateway.security.principals import Principal, Role
from services.chassis.workdays import Calendar, OfficialYear, china_date

router = APIRouter(tags=["supervision"])

Supervisor = Annotated[Principal, Depends(require_roles(Role.supervisor, Role.admin))]

DeadlineKind = Literal["review", "disclosure", "art44_report", "task"]
DeadlineState = Literal["overdue", "due_soon"]

# Inspection tasks carry no legal deadline; these are the platform's take-up targets (local).
TASK_WORKING_DAYS = {"urgent": 1, "normal": 3}
REPORT_ROLES = {
    "carrier": "承运人", "driver": "驾驶人", "loading-source": "货运源头",
    "supervision-notice": "监管通报",
}  # fmt: skip


class DeadlineItem(BaseModel):
    kind: DeadlineKind = Field(
        description="review (法制审核, 7 working days), disclosure (公示, 7 working days after "
        "the decision), art44_report (62号令 Art. 44 抄告), task (inspection task take-up)"
    )
    ref_id: str = Field(description="review_id, case_id, report_id or task_id")
    case_id: str | None
    title: str
    town: str | None
    due_date: date
    working_days_left: int = Field(description="negative: that many working days overdue")
    state: DeadlineState
    provisional: bool = Field(description="counted through a year without its official notice")


class DeadlineCount(BaseModel):
    kind: DeadlineKind
    overdue: int
    due_soon: int
    open: int = Field(description="open items of this kind, whatever their deadline")


class Deadlines(BaseModel):
    today: date
    within_working_days: int
    counts: list[DeadlineCount]
    items: list[DeadlineItem] = Field(description="overdue first, then by due date")
    unavailable: list[str] = Field(
        description="services that did not answer: their counts are missing, not zero"
    )


class PublicationOut(BaseModel):
    case_id: str
    decision_no: str
    party_name: str
    decision_date: date
    due_date: date
    published_at: datetime
    working_days_to_publish: int
    on_time: bool
    status: str
    provisional: bool


class MonthShare(BaseModel):
    month: str = Field(examples=["2026-11"])
    total: int
    on_time: int


class DisclosureTimeliness(BaseModel):
    deadline_working_days: int
    total: int
    on_time: int
    late: int
    share_on_time: float | None = Field(description="on_time / total; null with no decision")
    months: list[MonthShare]
    publications: list[PublicationOut] = Field(description="the list behind the figures")


async def _calendar(state) -> Calendar:
    """The official calendar as the review service keeps it (entered years, newest version)."""
    if state.clients.calendar is None:
        return Calendar()
    reply = await call_service(
        "review", state.clients.calendar.GetCalendar, calendar_pb2.GetCalendarRequest()
    )
    entered = [
        OfficialYear(
            year=v.year,
            holidays=frozenset(date.fromisoformat(d) for d in v.holidays),
            makeup_days=frozenset(date.fromisoformat(d) for d in v.makeup_days),
            notice_no=v.notice_no,
            version=v.version,
        )
        for y in reply.years
        for v in y.versions[:1]
    ]
    return Calendar(entered)


async def _town_cases(state, principal: Principal, town: str) -> set[str]:
    """The ids of the agency's cases in one town (for items that know only their case)."""
    ids: set[str] = set()
    token = ""
    for _ in range(50):  # 50 pages of 500: a town's cases, with room
        reply = await call_service(
            "records",
            state.clients.records.ListCases,
            records_pb2.ListCasesRequest(
                agency_id=principal.agency_id, town=town, page_size=500, page_token=token
            ),
        )
        ids.update(c.case_id for c in reply.cases)
        token = reply.next_page_token
        if not token:
            break
    return ids


def _left(calendar: Calendar, today: date, due: date) -> int:
    if due >= today:
        return calendar.working_days_between(today, due).days
    return -calendar.working_days_between(due, today).days


async def _quietly(name: str, unavailable: list[str], coro):
    """One service's part; a service that is down leaves its part out and says so."""
    try:
        return await coro
    except ProblemError as exc:
        if exc.status < 500:
            raise
        unavailable.append(name)
        return None


async def _ask(name: str, unavailable: list[str], stub, method: str, request):
    """`stub.method(request)` through `_quietly`; a service not configured counts as down."""
    if stub is None:
        unavailable.append(name)
        return None
    return await _quietly(name, unavailable, call_service(name, getattr(stub, method), request))


@router.get(
    "/v1/stats/deadlines",
    operation_id="getDeadlines",
    response_model=Deadlines,
    responses=PROBLEM_RESPONSES,
    summary="Deadlines about to be missed: review, disclosure, Art. 44 reports, tasks",
)
async def get_deadlines(
    principal: Supervisor,
    state: State,
    within: Annotated[
        int, Query(ge=0, le=10, description="due within this many working days counts as soon")
    ] = 2,
) -> Deadlines:
    """For supervisors: the open legal reviews (7 working days, +3 once extended), decisions
    disclosed after their 7 working days, Art. 44 reports to a vehicle's home authority (7
    working days after closing) and inspection tasks not yet taken up (urgent: 1 working day,
    others 3), each overdue or due within `within` working days, with counts per kind. A
    town-bound supervisor sees their town only."""
    town = supervised_town(principal)
    agency = principal.agency_id
    unavailable: list[str] = []
    clients = state.clients
    calendar, reviews, late, reports, tasks, town_cases = await asyncio.gather(
        _quietly("review", [], _calendar(state)),
        _ask("review", unavailable, clients.review, "ListTasks",
             review_pb2.ListTasksRequest(agency_id=agency, town=town or "", open_only=True)),
        _ask("disclosure", unavailable, clients.disclosure, "ListLate",
             disclosure_pb2.ListLateRequest(agency_id=agency)),
        _ask("overload", unavailable, clients.overload, "ListReports",
             overload_pb2.ListReportsRequest(agency_id=agency, open_only=True)),
        _ask("records", unavailable, clients.records, "ListTasks",
             records_pb2.ListTasksRequest(
                 agency_id=agency, town=town or "", status="open", page_size=1000)),
        _quietly("records", unavailable, _town_cases(state, principal, town))
        if town and clients.records is not None else asyncio.sleep(0, None),
    )  # fmt: skip
    calendar = calendar or Calendar()
    today = china_date()

    def in_town(case_id: str) -> bool:
        return town is None or (town_cases is not None and case_id in town_cases)

    items: list[DeadlineItem] = []
    opened: dict[str, int] = {"review": 0, "disclosure": 0, "art44_report": 0, "task": 0}

    def add(kind, ref_id, case_id, title, town_name, due: date, provisional: bool) -> None:
        opened[kind] += 1
        left = _left(calendar, today, due)
        if left > within:
            return
        items.append(
            DeadlineItem(
                kind=kind, ref_id=ref_id, case_id=case_id or None, title=title,
                town=town_name or None, due_date=due, working_days_left=left,
                state="overdue" if left < 0 else "due_soon", provisional=provisional,
            )
        )  # fmt: skip

    for t in reviews.tasks if reviews else []:
        if t.due_date:
            add("review", t.review_id, t.case_id, f"{t.case_title}（{t.party_name}）", t.town,
                date.fromisoformat(t.due_date), t.due_date_provisional)  # fmt: skip
    for d in late.late if late else []:
        # published after its deadline, or not at all: missed, and stays on the list 30 days
        if in_town(d.case_id) and (today - date.fromisoformat(d.due_date)).days <= 30:
            add("disclosure", d.case_id, d.case_id, f"决定书 {d.decision_no}", None,
                date.fromisoformat(d.due_date), d.due_date_provisional)  # fmt: skip
    for r in reports.reports if reports else []:
        if r.due_date and not r.sent_on and in_town(r.case_id):
            role = REPORT_ROLES.get(r.role, r.role)
            add("art44_report", r.report_id, r.case_id, f"{r.plate} 抄告（{role}）", None,
                date.fromisoformat(r.due_date), r.due_date_provisional)  # fmt: skip
    for t in tasks.tasks if tasks else []:
        created = t.created_at.ToDatetime(tzinfo=UTC)
        due = calendar.add_working_days(china_date(created), TASK_WORKING_DAYS[
            "urgent" if t.priority == "urgent" else "normal"])  # fmt: skip
        add("task", t.task_id, t.case_id, t.title, t.town, due.date, due.provisional)

    items.sort(key=lambda i: (i.state != "overdue", i.due_date, i.kind))
    counts = [
        DeadlineCount(
            kind=kind,
            overdue=sum(1 for i in items if i.kind == kind and i.state == "overdue"),
            due_soon=sum(1 for i in items if i.kind == kind and i.state == "due_soon"),
            open=opened[kind],
        )
        for kind in ("review", "disclosure", "art44_report", "task")
    ]
    return Deadlines(
        today=today, within_working_days=within, counts=counts, items=items,
        unavailable=sorted(set(unavailable)),
    )  # fmt: skip


@router.get(
    "/v1/stats/disclosure-timeliness",
    operation_id="getDisclosureTimeliness",
    response_model=DisclosureTimeliness,
    responses=PROBLEM_RESPONSES,
    summary="Share of penalty decisions disclosed within 7 working days, with the list",
)
async def get_disclosure_timeliness(
    principal: Supervisor,
    state: State,
    date_from: Annotated[IsoDate | None, Query(description="decision date from")] = None,
    date_to: Annotated[IsoDate | None, Query(description="decision date up to")] = None,
) -> DisclosureTimeliness:
    """行政执法公示: of the penalty decisions of a period (by decision date, default the last
    12 months), how many were published within the deadline (7 working days of the
    decision), per month, with each decision behind the figures. Decisions withheld from
    publication (secrets, minors) are not counted: see `GET /v1/disclosures/withheld`."""
    today = china_date()
    start = date_from or today.replace(year=today.year - 1)
    end = date_to or today
    if start > end:
        raise ProblemError(
            status=400, type="bad-request", title="Bad date range",
            detail="date_from is after date_to",
        )  # fmt: skip
    reply = await call_service(
        "disclosure",
        state.clients.disclosure.ListPublications,
        disclosure_pb2.ListPublicationsRequest(
            agency_id=principal.agency_id, date_from=start.isoformat(), date_to=end.isoformat()
        ),
    )
    rows = list(reply.publications)
    town = supervised_town(principal)
    if town is not None:
        cases = await _town_cases(state, principal, town)
        rows = [p for p in rows if p.case_id in cases]
    months: dict[str, list[int]] = {}
    for p in rows:
        month = months.setdefault(p.decision_date[:7], [0, 0])
        month[0] += 1
        month[1] += int(p.on_time)
    on_time = sum(1 for p in rows if p.on_time)
    return DisclosureTimeliness(
        deadline_working_days=reply.deadline_working_days,
        total=len(rows),
        on_time=on_time,
        late=len(rows) - on_time,
        share_on_time=round(on_time / len(rows), 4) if rows else None,
        months=[MonthShare(month=m, total=t, on_time=o) for m, (t, o) in sorted(months.items())],
        publications=[
            PublicationOut(
                case_id=p.case_id, decision_no=p.decision_no, party_name=p.party_name,
                decision_date=date.fromisoformat(p.decision_date),
                due_date=date.fromisoformat(p.due_date),
                published_at=p.published_at.ToDatetime(tzinfo=UTC),
                working_days_to_publish=p.working_days_to_publish, on_time=p.on_time,
                status=p.status, provisional=p.due_date_provisional,
            )
            for p in reversed(rows)
        ],
    )  # fmt: skip
