# ruff: noqa: E501  (the page and its script are kept inline, one line per rule)
"""Hazards (隐患挂号整改) for officers and supervisors, and public reports (举报) for anyone."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from enforcement.disclosure.v1 import disclosure_pb2
from enforcement.hazards.v1 import hazards_pb2
from gateway.deps import GatewayState, State, client_address, public_rate_limit, require_roles
from gateway.fields import IsoDate
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, RATE_LIMITED_RESPONSES
from gateway.protobuf import message_dict
from gateway.security.principals import Principal, Role
from gateway.webapps import app_csp

router = APIRouter(tags=["hazards"])
public_router = APIRouter(tags=["public"], dependencies=[Depends(public_rate_limit)])

Handler = Annotated[Principal, Depends(require_roles(Role.officer, Role.supervisor))]
Supervisor = Annotated[Principal, Depends(require_roles(Role.supervisor))]
Id = Annotated[str, PathParam(max_length=64)]
SECTORS = Literal[
    "hazardous-chemicals",
    "industry-trade",
    "fire",
    "road-transport",
    "construction",
    "town-gas",
    "special-equipment",
    "other",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Photo(Strict):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the photo")
    size: int = Field(gt=0, le=5 * 1024 * 1024, description="bytes; at most 5 MB")
    media_type: Literal["image/jpeg", "image/png", "image/webp", "image/heic"]


class GeoPoint(Strict):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(default=0, ge=0, le=100_000)


class HazardIn(Strict):
    client_id: str = Field(
        min_length=1, max_length=100, description="the phone's id: a retry registers once"
    )
    source: Literal["inspection", "patrol", "case-finding"] = "inspection"
    credit_code: str = Field(min_length=18, max_length=18, description="统一社会信用代码")
    enterprise_name: str = Field(min_length=1, max_length=200)
    sector: SECTORS
    town: str = Field(min_length=1, max_length=64)
    kind: str = Field(
        min_length=1,
        max_length=100,
        description="what kind of hazard; with enterprise and place it decides duplicates",
    )
    location: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=2000)
    department: str = Field(
        default="", max_length=100, description="监管责任: the supervising department"
    )
    criteria: list[str] = Field(
        default=[],
        max_length=20,
        description="ids of the sector checklist's major-hazard criteria that hold",
    )
    photos: list[Photo] = Field(default=[], max_length=4)
    case_id: str = Field(
        default="", max_length=64, description="the case whose finding this is (case-finding)"
    )
    gps: GeoPoint | None = Field(default=None, description="where the phone was, WGS 84")


class GradeIn(Strict):
    criteria: list[str] = Field(default=[], max_length=20)


class OrderIn(Strict):
    responsible_person: str = Field(min_length=1, max_length=100)
    measures: str = Field(min_length=1, max_length=2000)
    funds_yuan: int = Field(ge=0, le=10**10)
    deadline_working_days: int = Field(ge=1, le=120)
    contingency_plan: str = Field(min_length=1, max_length=2000)
    issued_on: IsoDate | None = Field(
        default=None, description="the paper order's date; default today"
    )


class SupervisionIn(Strict):
    office: str = Field(
        min_length=1, max_length=100, description="the supervising office (督办单位)"
    )
    plan: str = Field(
        min_length=1, max_length=2000, description="the rectification plan, published"
    )
    deadline_working_days: int = Field(ge=1, le=180)
    issued_on: IsoDate | None = None


class RectificationIn(Strict):
    summary: str = Field(min_length=1, max_length=2000)
    photos: list[Photo] = Field(min_length=1, max_length=4)


class ReinspectionIn(Strict):
    passed: bool
    opinion: str = Field(min_length=1, max_length=2000, description="复查意见: what was found")
    photos: list[Photo] = Field(default=[], max_length=4, description="photos of the 复查")


class RenewUploadsIn(Strict):
    photo_ids: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1, max_length=12)


class ReviewIn(Strict):
    approved: bool
    opinion: str = Field(min_length=1, max_length=2000)


class EscalationIn(Strict):
    step: Literal["warning", "summons", "notice", "case"]
    minutes: str = Field(
        default="", max_length=4000, description="约谈纪要, required for a summons"
    )
    deadline_working_days: int = Field(
        default=0, ge=0, le=30, description="a 督办 notice's deadline"
    )
    issued_on: IsoDate | None = None
    note: str = Field(default="", max_length=2000)


class VerifyIn(Strict):
    valid: bool
    opinion: str = Field(min_length=1, max_length=2000)
    matter: Literal["major-hazard", "illegal-operation", "concealed-accident"] = "major-hazard"
    hazard: HazardIn | None = Field(
        default=None, description="for a valid report: the hazard it becomes"
    )


class RewardIn(Strict):
    matter: Literal["major-hazard", "illegal-operation", "concealed-accident"] | None = None
    accident_grade: Literal["ordinary", "larger", "major", "especially-major"] | None = None
    concealed_deaths: int = Field(default=0, ge=0, le=1000)


class PaymentIn(Strict):
    paid_on: IsoDate | None = None
    voucher: str = Field(min_length=1, max_length=100, description="the payment voucher number")


class PublicReportIn(Strict):
    what: str = Field(min_length=5, max_length=2000, description="what is wrong")
    where: str = Field(min_length=2, max_length=300)
    town: str = Field(default="", max_length=64)
    enterprise_name: str = Field(default="", max_length=200)
    name: str = Field(
        default="", max_length=50, description="optional; seen only by the handling officers"
    )
    phone: str = Field(
        default="", max_length=20, description="optional; seen only by the handling officers"
    )
    photos: list[Photo] = Field(default=[], max_length=4)


class LinkReportIn(Strict):
    summary: str = Field(min_length=1, max_length=2000)
    photos: list[Photo] = Field(min_length=1, max_length=4)


def _actor(p: Principal) -> hazards_pb2.Actor:
    return hazards_pb2.Actor(
        agency_id=p.agency_id,
        user_id=p.user_id,
        town=p.town or "",
        roles=sorted(r.value for r in p.roles),
    )


async def _h(state: State, method: str, request) -> dict:
    reply = await call_service("hazards", getattr(state.clients.hazards, method), request)
    return json.loads(reply.json)


async def _cmd(
    state: State, method: str, p: Principal, id_: str = "", body: BaseModel | None = None
) -> dict:
    text = body.model_dump_json() if body is not None else ""
    return await _h(state, method, hazards_pb2.Command(actor=_actor(p), id=id_, body_json=text))


async def _query(state: State, method: str, p: Principal | None, **params) -> dict:
    clean = {k: str(v) for k, v in params.items() if v not in (None, "")}
    actor = _actor(p) if p is not None else hazards_pb2.Actor()
    return await _h(state, method, hazards_pb2.Query(actor=actor, params=clean))


R = {"response_model": dict, "responses": PROBLEM_RESPONSES}
PUBLIC_RESPONSES = {**PROBLEM_RESPONSES, **RATE_LIMITED_RESPONSES}


@router.get(
    "/v1/hazards/checklists",
    operation_id="listHazardChecklists",
    summary="The sectors' major-hazard checklists (重大事故隐患判定标准), versioned",
    **R,
)
async def checklists(p: Handler, state: State) -> dict:
    """Each sector's versioned checklist of major-hazard criteria with the standard it cites;
    a hazard is graded 重大 when one of its sector's criteria holds."""
    return await _query(state, "ListChecklists", p)


@router.post(
    "/v1/hazards",
    operation_id="registerHazard",
    status_code=201,
    summary="Register a hazard (挂号): numbered, graded, duplicates linked",
    **R,
)
async def register(body: HazardIn, p: Handler, state: State) -> dict:
    """Registers a hazard with a gap-free number per agency and year. A duplicate of an open
    hazard (same enterprise, place and kind) is linked to it instead (`linked: true`); a retry
    with the same client_id answers the same hazard. Photo slots come back with upload URLs."""
    return await _cmd(state, "RegisterHazard", p, body=body)


@router.get(
    "/v1/hazards",
    operation_id="listHazards",
    summary="Hazards of your jurisdiction, newest first, with filters",
    **R,
)
async def list_hazards(
    p: Handler,
    state: State,
    status: Annotated[str | None, Query(max_length=20)] = None,
    sector: Annotated[str | None, Query(max_length=32)] = None,
    town: Annotated[str | None, Query(max_length=64)] = None,
    grade: Annotated[Literal["general", "major"] | None, Query()] = None,
    credit_code: Annotated[str | None, Query(max_length=18)] = None,
) -> dict:
    """Hazards of the caller's agency (and town, for a town officer), filtered by status,
    sector, town, grade or enterprise code."""
    return await _query(
        state,
        "ListHazards",
        p,
        status=status,
        sector=sector,
        town=town,
        grade=grade,
        credit_code=credit_code,
    )


@router.get(
    "/v1/hazards/overdue",
    operation_id="listOverdueHazards",
    summary="Hazards past a rectification or 挂牌督办 deadline, with the step due",
    **R,
)
async def overdue(
    p: Handler, state: State, town: Annotated[str | None, Query(max_length=64)] = None
) -> dict:
    """Open hazards whose rectification deadline has passed, or major ones past their 挂牌督办
    deadline, each with the escalation step now due (警示, 约谈, 督办通知, 立案查处)."""
    return await _query(state, "Overdue", p, town=town)


@router.get(
    "/v1/hazards/ledger",
    operation_id="hazardLedger",
    summary="Hazard ledgers (台账) per enterprise, town or sector",
    **R,
)
async def ledger(
    p: Handler, state: State, by: Literal["enterprise", "town", "sector"] = "enterprise"
) -> dict:
    """The ledger (台账) of hazards grouped by enterprise, town or sector, with counts of
    open, closed, major and overdue hazards and each hazard's state."""
    return await _query(state, "Ledger", p, by=by)


@router.get(
    "/v1/hazards/stats",
    operation_id="hazardStats",
    summary="Rectification rate and average working days to close per town and sector",
    **R,
)
async def stats(p: Handler, state: State) -> dict:
    """Per town and per sector: hazards registered and closed, the rectification rate and the
    average working days from registration to closure, for the console's charts."""
    return await _query(state, "Stats", p)


@router.get(
    "/v1/hazards/{hazard_id}",
    operation_id="getHazard",
    summary="One hazard with its findings, timeline, photos and deadlines",
    **R,
)
async def get_hazard(hazard_id: Id, p: Handler, state: State) -> dict:
    """One hazard: grading and the criterion that made it major, the three responsibilities,
    the order's 五落实 and deadline, 挂牌督办, escalations, findings and its whole timeline."""
    return await _cmd(state, "GetHazard", p, hazard_id)


@router.post(
    "/v1/hazards/{hazard_id}/grading",
    operation_id="gradeHazard",
    summary="Grade 一般 or 重大 by the sector's checklist",
    **R,
)
async def grade(hazard_id: Id, body: GradeIn, p: Handler, state: State) -> dict:
    """Grades the hazard by the criteria of its sector's checklist that hold: none is 一般, any
    one is 重大, and the answer names the criterion and its standard."""
    return await _cmd(state, "GradeHazard", p, hazard_id, body)


@router.post(
    "/v1/hazards/{hazard_id}/order",
    operation_id="orderRectification",
    summary="Order rectification (责令限期整改) with the 五落实 and a deadline in working days",
    **R,
)
async def order(hazard_id: Id, body: OrderIn, p: Handler, state: State) -> dict:
    """The rectification order: responsible person, measures, funds, contingency plan and the
    deadline in working days of China's calendar from the day the order was issued."""
    return await _cmd(state, "IssueOrder", p, hazard_id, body)


@router.post(
    "/v1/hazards/{hazard_id}/supervision",
    operation_id="superviseHazard",
    summary="挂牌督办 of a major hazard: office, plan (published) and its own deadline",
    **R,
)
async def supervision(hazard_id: Id, body: SupervisionIn, p: Supervisor, state: State) -> dict:
    """Puts a major hazard under 挂牌督办 by a named office with its own deadline; the plan is
    published on the public summary. Past that deadline the enterprise becomes a
    joint-punishment candidate."""
    return await _cmd(state, "SuperviseHazard", p, hazard_id, body)


@router.post(
    "/v1/hazards/{hazard_id}/rectification",
    operation_id="reportRectification",
    summary="Report rectification with photos (from the officer app)",
    **R,
)
async def rectification(hazard_id: Id, body: RectificationIn, p: Handler, state: State) -> dict:
    """The enterprise's rectification report entered from the officer app, with upload slots
    for the photos after rectification; the hazard then waits for 复查."""
    return await _cmd(state, "ReportRectification", p, hazard_id, body)


@router.post(
    "/v1/hazards/{hazard_id}/reinspection",
    operation_id="reinspectHazard",
    summary="复查: passed closes a general hazard; a major one goes to review",
    **R,
)
async def reinspection(hazard_id: Id, body: ReinspectionIn, p: Handler, state: State) -> dict:
    """The officer's re-inspection (复查): passed closes a general hazard and sends a major one
    to the supervising office's review; failed sends it back to rectification. Photos of what
    was found come back with upload slots (`photo_uploads`)."""
    return await _cmd(state, "Reinspect", p, hazard_id, body)


@router.post(
    "/v1/hazards/{hazard_id}/photo-uploads",
    operation_id="renewHazardPhotoUploads",
    summary="Fresh upload URLs for photos already declared on a hazard",
    **R,
)
async def renew_uploads(hazard_id: Id, body: RenewUploadsIn, p: Handler, state: State) -> dict:
    """For a phone whose upload URLs expired or were lost before the photos went up: new
    presigned PUTs for the hazard's declared photos, still bound to their SHA-256."""
    return await _cmd(state, "RenewPhotoUploads", p, hazard_id, body)


@router.post(
    "/v1/hazards/{hazard_id}/supervision-review",
    operation_id="reviewSupervisedHazard",
    summary="The supervising office's review closes a major hazard (督办销号)",
    **R,
)
async def supervision_review(hazard_id: Id, body: ReviewIn, p: Supervisor, state: State) -> dict:
    """A major hazard is closed only after the supervising office reviews its re-inspected
    rectification; a refusal sends it back to rectification."""
    return await _cmd(state, "ReviewSupervision", p, hazard_id, body)


@router.post(
    "/v1/hazards/{hazard_id}/escalations",
    operation_id="escalateHazard",
    summary="Escalate a slipped deadline: 警示, 约谈 (minutes), 督办通知, 立案查处",
    **R,
)
async def escalate(hazard_id: Id, body: EscalationIn, p: Handler, state: State) -> dict:
    """The next step when a rectification deadline slipped, in order: warning, summons
    interview with minutes, 督办 notice with a deadline, then a records case (an inspection
    task in records, 安全生产法 Art. 102)."""
    return await _cmd(state, "Escalate", p, hazard_id, body)


@router.post(
    "/v1/hazards/{hazard_id}/rectification-link",
    operation_id="issueRectificationLink",
    status_code=201,
    summary="A one-time link for the enterprise to report its rectification",
    **R,
)
async def link(hazard_id: Id, p: Handler, state: State) -> dict:
    """Makes a one-time link (valid 30 days) to a simple page where the enterprise reports its
    rectification with photos without an account; only the token's hash is kept."""
    out = await _cmd(state, "IssueRectificationLink", p, hazard_id)
    out["url"] = f"{state.settings.public_base()}/rectify/{out['token']}"
    return out


@router.get(
    "/v1/hazard-reports",
    operation_id="listHazardReports",
    summary="Public reports (举报) of your agency, without the reporters",
    **R,
)
async def list_reports(
    p: Handler, state: State, status: Annotated[str | None, Query(max_length=16)] = None
) -> dict:
    """Public reports received by the agency, newest first; the reporter's identity is not in
    the list, only whether the report carries one."""
    return await _query(state, "ListReports", p, status=status)


@router.get(
    "/v1/hazard-reports/{report_id}",
    operation_id="getHazardReport",
    summary="One public report, with the reporter's identity for handlers",
    **R,
)
async def get_report(report_id: Id, p: Handler, state: State) -> dict:
    """One report for its handling officers, with the reporter's name and phone decrypted; the
    read is kept in the hazard's timeline. Never published or logged."""
    return await _cmd(state, "GetReport", p, report_id)


@router.post(
    "/v1/hazard-reports/{report_id}/verification",
    operation_id="verifyHazardReport",
    summary="Verify a public report: unfounded, or valid and registered as a hazard",
    **R,
)
async def verify(report_id: Id, body: VerifyIn, p: Handler, state: State) -> dict:
    """A valid report becomes a hazard (or is linked to the open one it reports); only the
    first valid report of a hazard may earn a reward."""
    return await _cmd(state, "VerifyReport", p, report_id, body)


@router.post(
    "/v1/hazard-reports/{report_id}/reward",
    operation_id="computeReportReward",
    summary="Compute the reward (安全生产领域举报奖励办法 2018) from the fine imposed",
    **R,
)
async def reward(report_id: Id, body: RewardIn, p: Handler, state: State) -> dict:
    """15 % of the fine the hazard's case actually imposed (3,000 to 300,000 yuan), or per
    concealed death for a concealed accident; the rule applied comes back with the amount."""
    return await _cmd(state, "ComputeReward", p, report_id, body)


@router.post(
    "/v1/hazard-reports/{report_id}/reward-payment",
    operation_id="payReportReward",
    summary="Record the reward's payment (date and voucher)",
    **R,
)
async def payment(report_id: Id, body: PaymentIn, p: Supervisor, state: State) -> dict:
    """Records that the computed reward was paid, with the date and voucher number; the
    reporter sees it by tracking code."""
    return await _cmd(state, "PayReward", p, report_id, body)


@router.get(
    "/v1/joint-punishment/{credit_code}",
    operation_id="checkJointPunishment",
    summary="Whether an enterprise is on the joint-punishment list, and why",
    **R,
)
async def joint(
    credit_code: Annotated[str, PathParam(min_length=18, max_length=18)], p: Handler, state: State
) -> dict:
    """The disclosure service's joint-punishment list (联合惩戒) entries of an enterprise, each
    with its reason, e.g. a major hazard unrectified past its 挂牌督办 deadline."""
    reply = await call_service(
        "disclosure",
        state.clients.disclosure.CheckJointPunishment,
        disclosure_pb2.CheckJointPunishmentRequest(credit_code=credit_code),
    )
    return message_dict(reply)


# -- public: no login -------------------------------------------------------------------------


def _key(state: GatewayState, text: str) -> str:
    """A keyed hash of an address or device id for the report limits: a plain SHA-256 of an
    IPv4 address is reversed by trying all 2^32 of them."""
    if not text:
        return ""
    secret = state.settings.jwt_secret.get_secret_value().encode()
    key = hashlib.sha256(b"hazard-report-limits:" + secret).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


@public_router.post(
    "/v1/public/hazard-reports",
    operation_id="submitHazardReport",
    status_code=201,
    summary="Report a safety problem (举报) without logging in; get a tracking code",
    response_model=dict,
    responses=PUBLIC_RESPONSES,
)
async def submit(body: PublicReportIn, request: Request, state: State) -> dict:
    """Anyone reports what and where, with up to 4 photos (5 MB each, uploaded to the returned
    URLs) and optionally a name and phone, which only the handling officers see. The answer
    holds the tracking code; reports are limited per address and device a day."""
    device = request.cookies.get("device_id") or request.headers.get("x-device-id", "")
    reply = await call_service(
        "hazards",
        state.clients.hazards.SubmitReport,
        hazards_pb2.PublicReport(
            body_json=body.model_dump_json(),
            address_key=_key(state, client_address(request)),
            device_key=_key(state, device[:100]),
        ),
    )
    return json.loads(reply.json)


@public_router.get(
    "/v1/public/hazard-reports/{code}",
    operation_id="hazardReportStatus",
    summary="A report's status by its tracking code",
    response_model=dict,
    responses=PUBLIC_RESPONSES,
)
async def status(code: Annotated[str, PathParam(max_length=20)], state: State) -> dict:
    """The status of a public report by its tracking code (received, verified, unfounded,
    closed) and whether a reward was granted and paid; nothing about the reporter."""
    return await _query(state, "ReportStatus", None, code=code)


@public_router.get(
    "/v1/public/hazards/major",
    operation_id="publicMajorHazards",
    summary="Major hazards under 挂牌督办, for citizens",
    response_model=dict,
    responses=PUBLIC_RESPONSES,
)
async def major(state: State, status: Literal["open", "all"] = "open") -> dict:
    """The citizen-facing summary of major hazards under 挂牌督办: enterprise, town, kind, the
    supervising office, the published plan and the deadline, and whether it is closed."""
    return await _query(state, "MajorSummary", None, status=status)


@public_router.get(
    "/v1/public/rectify/{token}",
    operation_id="getRectificationByLink",
    summary="The hazard behind a one-time rectification link",
    response_model=dict,
    responses=PUBLIC_RESPONSES,
)
async def by_link(token: Annotated[str, PathParam(max_length=64)], state: State) -> dict:
    """What the enterprise's one-time link shows: the hazard's number, kind, place, measures
    ordered and the deadline; 404 once used or expired."""
    reply = await call_service(
        "hazards", state.clients.hazards.GetByLink, hazards_pb2.LinkRequest(token=token)
    )
    return json.loads(reply.json)


@public_router.post(
    "/v1/public/rectify/{token}",
    operation_id="reportRectificationByLink",
    summary="The enterprise reports its rectification through the one-time link",
    response_model=dict,
    responses=PUBLIC_RESPONSES,
)
async def report_by_link(
    token: Annotated[str, PathParam(max_length=64)], body: LinkReportIn, state: State
) -> dict:
    """The enterprise's rectification report with photos through its one-time link; the link
    is spent, and the hazard waits for the officer's 复查."""
    reply = await call_service(
        "hazards",
        state.clients.hazards.ReportByLink,
        hazards_pb2.LinkRequest(token=token, body_json=body.model_dump_json()),
    )
    return json.loads(reply.json)


_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{title}</title>
<style>body{{font:16px/1.5 sans-serif;margin:0;padding:16px;max-width:640px}}
label{{display:block;margin:12px 0 4px}}input,textarea,button{{width:100%;box-sizing:border-box;
font:inherit;padding:8px}}button{{margin-top:16px;background:#1677ff;color:#fff;border:0;
border-radius:6px}}#out{{margin-top:16px;word-break:break-all}}</style></head><body>
<h1>{title}</h1>{body}<p id="out" role="status"></p><script src="/hazard-page.js"></script></body></html>"""

_REPORT_FORM = """<p>发现安全生产隐患或违法行为, 可在此举报 (无需登录), 也可拨打 12350。
姓名和电话可不填; 填写的仅供处理人员联系核实, 不公开。</p>
<form id="report"><label>问题描述<textarea name="what" required minlength="5" rows="4"></textarea></label>
<label>地点<input name="where" required></label><label>乡镇/街道<input name="town"></label>
<label>照片 (最多4张, 每张不超过5MB)<input type=file name="photos" accept="image/*" multiple></label>
<label>姓名 (可不填)<input name="name"></label><label>电话 (可不填)<input name="phone" inputmode="tel"></label>
<button type=submit>提交举报</button></form>
<form id="track"><label>查询码<input name="code"></label><button type=submit>查询进度</button></form>"""

_RECTIFY_FORM = """<div id="hazard"></div><form id="rectify"><label>整改情况<textarea name="summary" required rows="4"></textarea></label>
<label>整改后照片 (1-4张)<input type=file name="photos" accept="image/*" multiple required></label>
<button type=submit>提交整改报告</button></form>"""

_SCRIPT = """
async function sha(f){const b=await f.arrayBuffer();const h=await crypto.subtle.digest('SHA-256',b);
return [...new Uint8Array(h)].map(x=>x.toString(16).padStart(2,'0')).join('')}
async function photos(input){const out=[];for(const f of [...input.files].slice(0,4)){
out.push({file:f,sha256:await sha(f),size:f.size,media_type:f.type||'image/jpeg'})}return out}
async function upload(list,slots){for(let i=0;i<slots.length;i++){
await fetch(slots[i].put_url,{method:'PUT',body:list[i].file})}}
const out=document.getElementById('out');
async function send(url,body,list){const r=await fetch(url,{method:'POST',headers:{'content-type':'application/json'},
body:JSON.stringify({...body,photos:list.map(p=>({sha256:p.sha256,size:p.size,media_type:p.media_type}))})});
const j=await r.json();if(!r.ok){out.textContent=j.detail||j.title;return null}
await upload(list,j.photo_uploads||[]);return j}
const rep=document.getElementById('report');
if(rep){rep.onsubmit=async e=>{e.preventDefault();const f=new FormData(rep);const list=await photos(rep.photos);
const j=await send('/v1/public/hazard-reports',{what:f.get('what'),where:f.get('where'),town:f.get('town'),
name:f.get('name'),phone:f.get('phone')},list);if(j){out.textContent='已受理。查询码: '+j.tracking_code+' (请保存)';rep.reset()}}}
const tr=document.getElementById('track');
if(tr){tr.onsubmit=async e=>{e.preventDefault();const c=new FormData(tr).get('code');
const r=await fetch('/v1/public/hazard-reports/'+encodeURIComponent(c));const j=await r.json();
out.textContent=r.ok?j.status_text:(j.detail||j.title)}}
const rf=document.getElementById('rectify');
if(rf){const t=location.pathname.split('/').pop();fetch('/v1/public/rectify/'+t).then(r=>r.json()).then(j=>{
document.getElementById('hazard').textContent=j.hazard_no?(j.hazard_no+' '+j.enterprise_name+': '+j.kind+' ('+j.location+'), 整改期限 '+j.order_due):(j.detail||j.title)});
rf.onsubmit=async e=>{e.preventDefault();const list=await photos(rf.photos);
const j=await send('/v1/public/rectify/'+t,{summary:new FormData(rf).get('summary')},list);
if(j){out.textContent='整改报告已提交, 等待复查';rf.remove()}}}
"""


@public_router.get(
    "/report",
    operation_id="hazardReportPage",
    summary="The public report page (举报) in Chinese, for phones",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def report_page(state: State) -> HTMLResponse:
    return _page(state, "安全生产举报", _REPORT_FORM)


@public_router.get(
    "/rectify/{token}",
    operation_id="rectificationPage",
    summary="The enterprise's one-time rectification page",
    response_class=HTMLResponse,
    include_in_schema=False,
)
async def rectify_page(
    token: Annotated[str, PathParam(max_length=64)], state: State
) -> HTMLResponse:
    return _page(state, "隐患整改报告", _RECTIFY_FORM)


def _page(state: State, title: str, body: str) -> HTMLResponse:
    # The apps' policy: the page's own script only, and photos PUT to the object storage.
    csp = app_csp(state.settings.app_connect_src)
    return HTMLResponse(
        _PAGE.format(title=title, body=body),
        headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"},
    )


@public_router.get("/hazard-page.js", include_in_schema=False)
async def page_script() -> HTMLResponse:
    return HTMLResponse(_SCRIPT, media_type="text/javascript")
