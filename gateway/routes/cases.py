"""Cases for officers in the field (执法全过程记录)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

import grpc
from fastapi import APIRouter, Depends, Query, Response
from fastapi import Path as PathParam
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict, Field

from enforcement.common.v1 import common_pb2
from enforcement.records.v1 import records_pb2
from gateway.deps import Officer, State, require_roles
from gateway.fields import IsoDateTime
from gateway.grpc_errors import problem_from_rpc_error
from gateway.officers import certified_officers
from gateway.problems import PROBLEM_RESPONSES, ProblemError
from gateway.security.principals import Principal, Role

router = APIRouter(prefix="/v1/cases", tags=["cases"])

# Who may read cases: the agency's officers, its supervisors (a supervisor with a town sees
# that town's cases only) and its admins. Writes are for the case's own officers.
CaseReader = Annotated[Principal, Depends(require_roles(Role.officer, Role.supervisor, Role.admin))]
CaseId = Annotated[str, PathParam(max_length=64)]

StageName = Literal[
    "inspection",  # 启动, 检查
    "filing",  # 立案
    "investigation",  # 调查取证
    "review",  # 审查, 法制审核
    "notice",  # 告知, 陈述申辩, 听证
    "decision",  # 决定
    "service",  # 送达
    "execution",  # 执行
    "closing",  # 结案
    "archived",  # 归档
    "no_penalty",  # 不予处罚
    "withdrawn",  # 撤销
]

DomainName = Literal[
    "hazardous-chemicals",
    "gas",
    "road-transport",
    "construction",
    "fire",
    "mining",
    "industry-trade",
    "special-equipment",
    "other",
]


class PartyIn(BaseModel):
    kind: Literal["organization", "person"]
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(
        default="", max_length=18, description="统一社会信用代码; required for organizations"
    )
    id_number: str = Field(default="", max_length=18, description="persons: resident ID number")
    legal_representative: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=300)


class GeoPointIn(BaseModel):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(default=0, ge=0)


class ClientIn(BaseModel):
    # What the phone says of itself; the records service keeps it in the entry's payload.
    model_config = ConfigDict(extra="forbid")

    app_version: str = Field(default="", max_length=100)
    location_missing: str = Field(default="", max_length=100)


class OpenCaseIn(BaseModel):
    client_case_id: str = Field(
        min_length=8,
        max_length=100,
        description="made on the phone (e.g. a UUID); retries reuse it",
    )
    domain: DomainName
    title: str = Field(min_length=1, max_length=200)
    town: str | None = Field(
        default=None, max_length=64, description="town/street; defaults to the officer's"
    )
    party: PartyIn
    co_officer_ids: list[str] = Field(
        min_length=1,
        max_length=10,
        description="the other certified officers present (on-site acts need two or more)",
    )
    device_time: IsoDateTime | None = Field(default=None, description="the phone's clock")
    location: GeoPointIn | None = None
    client: ClientIn = Field(default_factory=ClientIn)
    task_id: str | None = Field(
        default=None, max_length=64, description="the inspection task (GET /v1/tasks) taken up"
    )


class OfficerOut(BaseModel):
    officer_id: str
    name: str
    certificate_no: str


class CaseOut(BaseModel):
    case_id: str
    client_case_id: str
    agency_id: str
    town: str
    domain: str
    title: str
    stage: str
    party: PartyIn
    officers: list[OfficerOut]
    opened_by: str
    opened_at: datetime
    device_time: datetime | None
    location: GeoPointIn | None
    version: int
    case_no: str | None = Field(description="filing number (立案号), once filed")
    decision_no: str | None = Field(description="decision number (决定书文号), once decided")
    review_status: str | None = Field(
        description="legal review of the current penalty proposal: pending, approved, ..."
    )
    entry_count: int = Field(description="entries in the case's record")
    head_hash: str = Field(description="hex SHA-256 of the record's last entry")
    updated_at: datetime | None
    source_topic: str = Field(
        default="", description="the event the case came from, e.g. a confirmed overload"
    )
    source_ref: str = Field(default="", description="what in that event: weighing id and role")


class CaseList(BaseModel):
    cases: list[CaseOut]
    next_page_token: str | None


_KIND_PB = {
    "organization": common_pb2.Party.KIND_ORGANIZATION,
    "person": common_pb2.Party.KIND_PERSON,
}
_KIND_NAME = {v: k for k, v in _KIND_PB.items()}


def _ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


def case_out(case: records_pb2.Case) -> CaseOut:
    return CaseOut(
        case_id=case.case_id,
        client_case_id=case.client_case_id,
        agency_id=case.agency_id,
        town=case.town,
        domain=case.domain,
        title=case.title,
        stage=case.stage,
        party=PartyIn(
            kind=_KIND_NAME[case.party.kind],
            name=case.party.name,
            credit_code=case.party.credit_code,
            id_number=case.party.id_number,
            legal_representative=case.party.legal_representative,
            address=case.party.address,
        ),
        officers=[
            OfficerOut(officer_id=o.officer_id, name=o.name, certificate_no=o.certificate_no)
            for o in case.officers
        ],
        opened_by=case.opened_by,
        opened_at=case.opened_at.ToDatetime(tzinfo=UTC),
        device_time=(
            case.device_time.ToDatetime(tzinfo=UTC) if case.HasField("device_time") else None
        ),
        location=(
            GeoPointIn(
                latitude=case.location.latitude,
                longitude=case.location.longitude,
                accuracy_m=case.location.accuracy_m,
            )
            if case.HasField("location")
            else None
        ),
        version=case.version,
        case_no=case.case_no or None,
        decision_no=case.decision_no or None,
        review_status=case.review_status or None,
        entry_count=case.entry_count,
        head_hash=case.head_hash,
        updated_at=case.updated_at.ToDatetime(tzinfo=UTC) if case.HasField("updated_at") else None,
        source_topic=case.source_topic,
        source_ref=case.source_ref,
    )


def supervised_town(principal: Principal) -> str | None:
    """The one town a supervisor is limited to; None for officers, admins, agency-wide roles."""
    if principal.has_role(Role.officer, Role.admin) or not principal.has_role(Role.supervisor):
        return None
    return principal.town or None


def check_visible(principal: Principal, case: records_pb2.Case) -> None:
    """404 for a case of another agency, or outside a town-bound supervisor's town."""
    town = supervised_town(principal)
    if case.agency_id != principal.agency_id or (town is not None and case.town != town):
        raise ProblemError(
            status=404, type="not-found", title="Not found", detail=f"case {case.case_id} not found"
        )


@router.post(
    "",
    operation_id="openCase",
    status_code=201,
    response_model=CaseOut,
    responses=PROBLEM_RESPONSES,
    summary="Open an inspection case (idempotent on client_case_id)",
)
async def open_case(
    body: OpenCaseIn, principal: Officer, state: State, response: Response
) -> CaseOut:
    """Open a case at stage `inspection` (启动, 检查) for the caller and the certified
    colleagues in `co_officer_ids` (on-site acts need two officers with 执法证; pick them
    from `GET /v1/officers`). The town defaults to the officer's own. Made offline, the phone
    sends it when online again: the same `client_case_id` answers 200 with the case made the
    first time."""
    officers = await asyncio.to_thread(certified_officers, state, principal, body.co_officer_ids)
    town = body.town or principal.town
    if not town:
        raise ProblemError(
            status=422,
            type="invalid-request",
            title="Town required",
            detail="give the town/street of the case",
        )
    request = records_pb2.OpenCaseRequest(
        client_case_id=body.client_case_id,
        agency_id=principal.agency_id,
        town=town,
        domain=body.domain,
        title=body.title,
        party=common_pb2.Party(
            kind=_KIND_PB[body.party.kind],
            name=body.party.name,
            credit_code=body.party.credit_code,
            id_number=body.party.id_number,
            legal_representative=body.party.legal_representative,
            address=body.party.address,
        ),
        officers=officers,
        opened_by=principal.user_id,
        task_id=body.task_id or "",
        **body.client.model_dump(),
    )
    if body.device_time is not None:
        request.device_time.CopyFrom(_ts(body.device_time))
    if body.location is not None:
        request.location.CopyFrom(common_pb2.GeoPoint(**body.location.model_dump()))
    try:
        reply = await state.clients.records.OpenCase(request)
    except grpc.aio.AioRpcError as exc:
        raise problem_from_rpc_error(exc, "records") from exc
    if reply.case.agency_id != principal.agency_id:
        # The client id was used by another agency: don't reveal its case.
        raise ProblemError(
            status=409,
            type="already-exists",
            title="client_case_id in use",
            detail="choose a new client_case_id",
        )
    if not reply.created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/cases/{reply.case.case_id}"
    return case_out(reply.case)


@router.get(
    "/{case_id}",
    operation_id="getCase",
    response_model=CaseOut,
    responses=PROBLEM_RESPONSES,
    summary="Read one case of your agency",
)
async def get_case(case_id: CaseId, principal: CaseReader, state: State) -> CaseOut:
    """One case with its stage, party, officers, numbers (立案号, 决定书文号) and the state of
    its legal review. Another agency's case, or one outside a town-bound supervisor's town,
    answers 404."""
    try:
        reply = await state.clients.records.GetCase(records_pb2.GetCaseRequest(case_id=case_id))
    except grpc.aio.AioRpcError as exc:
        raise problem_from_rpc_error(exc, "records") from exc
    check_visible(principal, reply.case)
    return case_out(reply.case)


@router.get(
    "",
    operation_id="listCases",
    response_model=CaseList,
    responses=PROBLEM_RESPONSES,
    summary="Cases of your agency, newest first",
)
async def list_cases(
    principal: CaseReader,
    state: State,
    town: Annotated[str | None, Query(max_length=64)] = None,
    stage: Annotated[StageName | None, Query(description="only cases at this stage")] = None,
    mine: Annotated[bool, Query(description="only cases you are an officer of")] = False,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    page_token: Annotated[str | None, Query(max_length=500)] = None,
) -> CaseList:
    """The agency's cases, newest first, 50 a page (`next_page_token` for the next). Officers
    see the agency's cases and filter with `mine=true`; a supervisor bound to a town sees
    that town's only."""
    supervised = supervised_town(principal)
    if supervised is not None and town not in (None, supervised):
        raise ProblemError(
            status=403,
            type="forbidden",
            title="Outside your jurisdiction",
            detail=f"you supervise the cases of {supervised} only",
        )
    try:
        reply = await state.clients.records.ListCases(
            records_pb2.ListCasesRequest(
                agency_id=principal.agency_id,
                town=supervised or town or "",
                page_size=page_size,
                page_token=page_token or "",
                officer_id=principal.user_id if mine else "",
                stage=stage or "",
            )
        )
    except grpc.aio.AioRpcError as exc:
        raise problem_from_rpc_error(exc, "records") from exc
    return CaseList(
        cases=[case_out(c) for c in reply.cases], next_page_token=reply.next_page_token or None
    )
