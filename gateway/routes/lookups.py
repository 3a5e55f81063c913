"""Lookups the officer app and the desk console fill their forms from.

Each answers what the caller may see and nothing more: officers of the caller's own agency,
the benchmarks in force, the next stages of a case the caller may read, and a download link
for one of that case's evidence files.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from enforcement.disclosure.v1 import disclosure_pb2
from enforcement.records.v1 import records_pb2
from enforcement.review.v1 import review_pb2
from gateway import db as gwdb
from gateway.deps import State, require_roles
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, ProblemError
from gateway.routes.cases import (
    CaseId,
    CaseOut,
    CaseReader,
    DomainName,
    case_out,
    check_visible,
    supervised_town,
)
from gateway.security.principals import Principal, Role

router = APIRouter(tags=["lookups"])

Staff = Annotated[
    Principal,
    Depends(require_roles(Role.officer, Role.legal_reviewer, Role.supervisor, Role.admin)),
]
Sha256 = Annotated[
    str, PathParam(pattern=r"^[0-9a-fA-F]{64}$", description="hex SHA-256 of the file")
]


# -- officers ---------------------------------------------------------------------------------


class OfficerChoice(BaseModel):
    officer_id: str = Field(description="send it in `co_officer_ids`", examples=["u-officer2"])
    name: str = Field(examples=["李四"])
    town: str | None = Field(description="the officer's town/street; null: the whole agency")
    certificate_no: str = Field(description="执法证号")


class OfficerList(BaseModel):
    officers: list[OfficerChoice]


def _certified_officers(state, principal: Principal, town: str | None, q: str | None):
    with state.db.read() as conn:
        users = gwdb.list_users(conn, principal.agency_id)
    needle = (q or "").strip().lower()
    found = []
    for user in users:
        if not user.active or Role.officer.value not in user.roles or not user.certificate_no:
            continue
        if town is not None and user.town != town:
            continue
        if needle and needle not in user.display_name.lower() and needle not in user.username:
            continue
        found.append(
            OfficerChoice(
                officer_id=user.user_id,
                name=user.display_name,
                town=user.town,
                certificate_no=user.certificate_no,
            )
        )
    found.sort(key=lambda o: (o.town != principal.town, o.name))
    return found


@router.get(
    "/v1/officers",
    operation_id="listOfficers",
    response_model=OfficerList,
    responses=PROBLEM_RESPONSES,
    summary="Certified officers of your agency, to pick a co-officer by name",
)
async def list_officers(
    principal: Staff,
    state: State,
    town: Annotated[
        str | None, Query(max_length=64, description="only this town/street", examples=["薛家镇"])
    ] = None,
    q: Annotated[
        str | None,
        Query(max_length=50, description="part of the name or username", examples=["李"]),
    ] = None,
) -> OfficerList:
    """Active officers of the caller's agency who hold an enforcement certificate (执法证),
    the ones `co_officer_ids` accepts when a case is opened or a truck is confirmed on site.
    Officers of the caller's own town come first. A supervisor bound to a town sees that
    town's officers only."""
    supervised = supervised_town(principal)
    if supervised is not None and town not in (None, supervised):
        raise ProblemError(
            status=403,
            type="forbidden",
            title="Outside your jurisdiction",
            detail=f"you supervise {supervised} only",
        )
    officers = await asyncio.to_thread(_certified_officers, state, principal, supervised or town, q)
    return OfficerList(officers=officers)


# -- discretion benchmarks --------------------------------------------------------------------


class BandOut(BaseModel):
    circumstance: str = Field(description="minor (轻微), ordinary (一般), serious (严重)")
    low_yuan: int
    high_yuan: int


class BenchmarkOut(BaseModel):
    benchmark_id: str = Field(
        description="send it as `discretion.benchmark_id`", examples=["aq-99-safety-equipment"]
    )
    version: int
    violation_type: str = Field(
        description="违法行为类型: send it as `discretion.violation_type`",
        examples=["safety-equipment-missing"],
    )
    title: str
    legal_basis: str = Field(description="法律依据")
    legal_min_yuan: int
    legal_max_yuan: int
    bands: list[BandOut]
    domains: list[str] = Field(description="the case domains it applies to")


class BenchmarkList(BaseModel):
    benchmarks: list[BenchmarkOut]


@router.get(
    "/v1/benchmarks",
    operation_id="listBenchmarks",
    response_model=BenchmarkList,
    responses=PROBLEM_RESPONSES,
    summary="Discretion benchmarks (裁量基准) in force, to fill `discretion` of a proposal",
)
async def list_benchmarks(
    principal: Staff,
    state: State,
    domain: Annotated[
        DomainName | None, Query(description="only those for cases of this domain")
    ] = None,
) -> BenchmarkList:
    """The newest version of each discretion benchmark: its violation type, legal basis, the
    legal range and the band per circumstance. A penalty proposal names one in
    `discretion.benchmark_id` (and `violation_type`); an amount outside its band needs a
    written reason and makes the decision major."""
    reply = await call_service(
        "review",
        state.clients.review.ListBenchmarks,
        review_pb2.ListBenchmarksRequest(domain=domain or ""),
    )
    return BenchmarkList(
        benchmarks=[
            BenchmarkOut(
                benchmark_id=b.benchmark_id,
                version=b.version,
                violation_type=b.violation_type,
                title=b.title,
                legal_basis=b.legal_basis,
                legal_min_yuan=b.legal_min_yuan,
                legal_max_yuan=b.legal_max_yuan,
                bands=[
                    BandOut(circumstance=x.circumstance, low_yuan=x.low_yuan, high_yuan=x.high_yuan)
                    for x in b.bands
                ],
                domains=list(b.domains),
            )
            for b in reply.benchmarks
        ]
    )


# -- a case's next stages ---------------------------------------------------------------------


class NextStageOut(BaseModel):
    stage: str = Field(examples=["notice"])
    ready: bool = Field(description="the move would be accepted now")
    call: str = Field(
        description="the call that makes the move", examples=["POST /v1/cases/{id}/transitions"]
    )
    needs: list[str] = Field(description="what is still missing; empty when ready")


class NextStages(BaseModel):
    case: CaseOut
    next_stages: list[NextStageOut]


async def next_stages_of(state, principal: Principal, case_id: str) -> NextStages:
    reply = await call_service(
        "records",
        state.clients.records.GetNextStages,
        records_pb2.GetNextStagesRequest(case_id=case_id, agency_id=principal.agency_id),
    )
    check_visible(principal, reply.case)
    return NextStages(
        case=case_out(reply.case),
        next_stages=[
            NextStageOut(
                stage=s.stage,
                ready=s.ready,
                call=s.via.replace("{id}", case_id),
                needs=list(s.needs),
            )
            for s in reply.stages
        ],
    )


@router.get(
    "/v1/cases/{case_id}/next-stages",
    operation_id="getNextStages",
    response_model=NextStages,
    responses=PROBLEM_RESPONSES,
    summary="The stages a case may move to next, with what each still needs",
)
async def get_next_stages(case_id: CaseId, principal: CaseReader, state: State) -> NextStages:
    """Every stage the case may move to from where it is, with the call that makes the move
    and, when it would be refused now, why (e.g. the decision waits for `notice`, the notice
    for the legal review). The same rules the moves themselves apply, asked in advance, so
    the app shows only the buttons that work."""
    return await next_stages_of(state, principal, case_id)


class LifecycleStageOut(BaseModel):
    stage: str = Field(examples=["filing"])
    next: list[str] = Field(description="the stages the lifecycle allows from this one")
    via: str = Field(
        description="the call that reaches this stage", examples=["POST /v1/cases/{id}/transitions"]
    )


class Lifecycle(BaseModel):
    stages: list[LifecycleStageOut]


@router.get(
    "/v1/lifecycle",
    operation_id="getLifecycle",
    response_model=Lifecycle,
    responses=PROBLEM_RESPONSES,
    summary="The case lifecycle: which stage may follow which, for offering moves offline",
)
async def get_lifecycle(principal: Staff, state: State) -> Lifecycle:
    """The records service's state machine as a table: every stage, the stages allowed from
    it and the call that reaches it (a proposal reaches `review`, the decision route
    `decision`). A phone keeps it to offer stage moves while offline; whether a move's
    conditions hold (e.g. the decision after the legal review) is decided when it arrives,
    and `GET /v1/cases/{id}/next-stages` says so in advance when online."""
    reply = await call_service(
        "records", state.clients.records.GetLifecycle, records_pb2.GetLifecycleRequest()
    )
    return Lifecycle(
        stages=[
            LifecycleStageOut(stage=s.stage, next=list(s.next), via=s.via) for s in reply.stages
        ]
    )


# -- evidence downloads -----------------------------------------------------------------------


class EvidenceDownload(BaseModel):
    sha256: str
    filename: str = Field(description="as the phone named it (may be empty)")
    media_type: str
    size: int
    url: str = Field(description="presigned GET; the answer says Content-Disposition: attachment")
    expires_at: datetime


@router.get(
    "/v1/cases/{case_id}/evidence/{sha256}/download",
    operation_id="downloadEvidence",
    response_model=EvidenceDownload,
    responses=PROBLEM_RESPONSES,
    summary="A download link for one evidence file of a case",
)
async def download_evidence(
    case_id: CaseId, sha256: Sha256, principal: CaseReader, state: State
) -> EvidenceDownload:
    """A presigned GET URL, valid for a few minutes, for an evidence file attached to the
    case's record (checked against its SHA-256 when it was attached). Fetch it without the
    access token; the file comes with `Content-Disposition: attachment` under its name."""
    case = await call_service(
        "records", state.clients.records.GetCase, records_pb2.GetCaseRequest(case_id=case_id)
    )
    check_visible(principal, case.case)
    reply = await call_service(
        "records",
        state.clients.records.GetEvidenceLinks,
        records_pb2.GetEvidenceLinksRequest(
            case_id=case_id, agency_id=principal.agency_id, sha256=sha256.lower(), attachment=True
        ),
    )
    link = reply.links[0]
    return EvidenceDownload(
        sha256=link.evidence.sha256,
        filename=link.evidence.filename,
        media_type=link.evidence.media_type,
        size=link.evidence.size,
        url=link.url,
        expires_at=link.expires_at.ToDatetime(tzinfo=UTC),
    )


# -- decisions held back from the public disclosure -------------------------------------------


class WithheldOut(BaseModel):
    case_id: str
    decision_no: str
    reason: str = Field(
        description="secret-related (涉密), a minor (未成年人), or `required fields missing: "
        "...` naming each field the public record (双公示) would have shown empty"
    )
    recorded_at: datetime


class WithheldList(BaseModel):
    withheld: list[WithheldOut]


AgencyStaff = Annotated[
    Principal, Depends(require_roles(Role.officer, Role.supervisor, Role.admin))
]


@router.get(
    "/v1/disclosures/withheld",
    operation_id="listWithheldDisclosures",
    response_model=WithheldList,
    responses=PROBLEM_RESPONSES,
    summary="Your agency's decisions not published, and why: the disclosure to-do list",
)
async def list_withheld(principal: AgencyStaff, state: State) -> WithheldList:
    """Decisions of the caller's agency that the public disclosure (行政执法公示) did not
    publish, newest first: never for a secret-related case or a minor, or held back because a
    required field of the national 双公示 record was missing (e.g. 处罚机关统一社会信用代码
    while DISCLOSURE_AUTHORITIES lacks it). Nothing required is ever published empty."""
    reply = await call_service(
        "disclosure",
        state.clients.disclosure.ListWithheld,
        disclosure_pb2.ListWithheldRequest(agency_id=principal.agency_id),
    )
    return WithheldList(
        withheld=[
            WithheldOut(
                case_id=w.case_id,
                decision_no=w.decision_no,
                reason=w.reason,
                recorded_at=w.recorded_at.ToDatetime(tzinfo=UTC),
            )
            for w in reply.withheld
        ]
    )
