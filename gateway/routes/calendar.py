"""China's official calendar for working-day deadlines, kept by the review service.

An agency's admin enters next year's arrangement from the State Council's notice (holidays,
make-up working days, the notice's number); supervisors and admins read its state, with a
warning from 1 October while next year's notice is missing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from enforcement.calendar.v1 import calendar_pb2
from gateway.deps import State, require_roles
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES
from gateway.protobuf import message_dict
from gateway.security.principals import Principal, Role

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Supervisor = Annotated[Principal, Depends(require_roles(Role.supervisor, Role.admin))]


class YearIn(BaseModel):
    """One year's arrangement as the State Council's notice gives it."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2025, le=2100)
    notice_no: str = Field(
        min_length=1, max_length=100, description="文号, e.g. 国办发明电〔2026〕N号"
    )
    holidays: list[date] = Field(
        min_length=13, max_length=60, description="every day off, weekend days inside a period too"
    )
    makeup_days: list[date] = Field(
        default_factory=list, max_length=20, description="weekend days worked instead (调休上班)"
    )
    note: str = Field(default="", max_length=500, description="why: required for a correction")


@router.post(
    "/years",
    operation_id="enterCalendarYear",
    status_code=201,
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Enter (or correct, as a new version) a year from the State Council's notice",
)
async def enter_year(body: YearIn, principal: Admin, state: State) -> dict:
    reply = await call_service(
        "review",
        state.clients.calendar.PublishYear,
        calendar_pb2.PublishYearRequest(
            year=body.year,
            notice_no=body.notice_no,
            holidays=[d.isoformat() for d in body.holidays],
            makeup_days=[d.isoformat() for d in body.makeup_days],
            entered_by=principal.user_id,
            agency_id=principal.agency_id,
            note=body.note,
        ),
    )
    return message_dict(reply)


@router.get(
    "",
    operation_id="getCalendar",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="The calendar's state: each year's source and versions, and the missing-year warning",
)
async def get_calendar(
    principal: Supervisor,
    state: State,
    year: Annotated[int, Query(ge=2004, le=2100)] | None = None,
) -> dict:
    reply = await call_service(
        "review",
        state.clients.calendar.GetCalendar,
        calendar_pb2.GetCalendarRequest(year=year or 0),
    )
    return message_dict(reply)
