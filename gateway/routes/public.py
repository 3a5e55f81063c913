"""Public penalty disclosure (行政执法公示): no login, for citizens, journalists, agencies.

JSON search with cursor pagination, one record, an Atom feed, CSV/JSON export in the national
双公示 field order, and server-rendered Chinese pages readable on a phone. Every field comes
already redacted from the disclosure service.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Literal
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from enforcement.disclosure.v1 import disclosure_pb2
from enforcement.records.v1 import records_pb2
from gateway.deps import State, client_address, public_rate_limit, too_many
from gateway.fields import IsoDate
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, RATE_LIMITED_RESPONSES, ProblemError
from gateway.routes.records import TreeHead, tree_head_out
from services.chassis.jsonpb import decimal_number

router = APIRouter(
    tags=["public"],
    dependencies=[Depends(public_rate_limit)],
    responses=RATE_LIMITED_RESPONSES,
)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))

# The national 双公示 field order, with the Chinese column names of the export.
FIELDS = (
    ("party_name", "行政相对人名称"),
    ("party_category", "行政相对人类别"),
    ("credit_code", "统一社会信用代码"),
    ("legal_representative", "法定代表人"),
    ("decision_no", "行政处罚决定书文号"),
    ("violation_type", "违法行为类型"),
    ("facts", "违法事实"),
    ("legal_basis", "处罚依据"),
    ("penalty_category", "处罚类别"),
    ("penalty_content", "处罚内容"),
    ("fine_10k_yuan", "罚款金额(万元)"),
    ("confiscation_10k_yuan", "没收违法所得、没收非法财物的金额(万元)"),
    ("licence", "暂扣或吊销证照名称及编号"),
    ("decision_date", "处罚决定日期"),
    ("valid_until", "处罚有效期"),
    ("publication_end", "公示截止期"),
    ("authority", "处罚机关"),
    ("authority_credit_code", "处罚机关统一社会信用代码"),
    ("data_source", "数据来源单位"),
    ("remarks", "备注"),
)
EXPORT_LIMIT = 5000

# A spreadsheet runs a cell that begins with one of these as a formula (OWASP "CSV
# Injection"): =HYPERLINK(...) in a party's name would reach every reader who opens the export.
# The full-width forms are included because some spreadsheet locales read them the same way.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def formula_safe(cell: object) -> str:
    """The cell as text a spreadsheet shows and never evaluates: a leading single quote
    before a formula character, as OWASP recommends; every other cell unchanged."""
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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
DOMAIN_LABELS = {
    "hazardous-chemicals": "危险化学品",
    "gas": "燃气",
    "road-transport": "道路运输",
    "construction": "建设施工",
    "fire": "消防",
    "mining": "非煤矿山",
    "industry-trade": "工贸",
    "special-equipment": "特种设备",
    "other": "其他",
}


class DisclosureOut(BaseModel):
    disclosure_id: str
    status: Literal["published", "withdrawn"] = Field(
        description="a withdrawn decision stays visible as a notice with its reason"
    )
    withdrawal_reason: str | None
    withdrawn_at: datetime | None
    published_at: datetime
    domain: str
    party_name: str
    party_category: str
    credit_code: str
    legal_representative: str
    decision_no: str
    violation_type: str
    facts: str
    legal_basis: str
    penalty_category: str
    penalty_content: str
    fine_10k_yuan: int | float = Field(description="罚款金额(万元), a number: 2.5 is 25,000 yuan")
    confiscation_10k_yuan: int | float = Field(description="没收违法所得、没收非法财物的金额(万元)")
    licence: str
    decision_date: date
    valid_until: str
    publication_end: date
    authority: str
    authority_credit_code: str
    data_source: str
    remarks: str


class DisclosurePage(BaseModel):
    disclosures: list[DisclosureOut]
    next_cursor: str | None


def _out(d: disclosure_pb2.Disclosure) -> DisclosureOut:
    values = {name: getattr(d, name) for name, _ in FIELDS}
    for amount in ("fine_10k_yuan", "confiscation_10k_yuan"):  # decimal text between services
        values[amount] = decimal_number(values[amount]) or 0
    return DisclosureOut(
        **values,
        disclosure_id=d.disclosure_id,
        status=d.status,
        withdrawal_reason=d.withdrawal_reason or None,
        withdrawn_at=d.withdrawn_at.ToDatetime(tzinfo=UTC) if d.HasField("withdrawn_at") else None,
        published_at=d.published_at.ToDatetime(tzinfo=UTC),
        domain=d.domain,
    )


class Filters(BaseModel):
    q: str | None = None
    credit_code: str | None = None
    decision_no: str | None = None
    domain: str | None = None
    date_from: date | None = None
    date_to: date | None = None


async def _search(state, f: Filters, page_size: int, cursor: str | None):
    request = disclosure_pb2.SearchDisclosuresRequest(
        query=f.q or "",
        credit_code=f.credit_code or "",
        decision_no=f.decision_no or "",
        domain=f.domain or "",
        date_from=f.date_from.isoformat() if f.date_from else "",
        date_to=f.date_to.isoformat() if f.date_to else "",
        page_size=page_size,
        cursor=cursor or "",
    )
    return await call_service("disclosure", state.clients.disclosure.SearchDisclosures, request)


Q = Annotated[str | None, Query(max_length=100, description="part of the party's name")]
CreditCode = Annotated[str | None, Query(max_length=18, description="统一社会信用代码")]
DecisionNo = Annotated[str | None, Query(max_length=80, description="行政处罚决定书文号")]
DateFrom = Annotated[IsoDate | None, Query(description="decision date from (YYYY-MM-DD)")]
DateTo = Annotated[IsoDate | None, Query(description="decision date to (YYYY-MM-DD)")]


@router.get(
    "/v1/public/disclosures",
    operation_id="searchDisclosures",
    response_model=DisclosurePage,
    responses=PROBLEM_RESPONSES,
    summary="Search published penalty decisions (no login)",
)
async def search_disclosures(
    state: State,
    q: Q = None,
    credit_code: CreditCode = None,
    decision_no: DecisionNo = None,
    domain: DomainName | None = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> DisclosurePage:
    """The public disclosure (行政执法公示) of penalty decisions, newest first, without login:
    by part of the party's name, credit code, decision number, domain or decision date. A
    person's name shows as surname and asterisks; no ID numbers, phones or addresses.
    Withdrawn decisions stay as notices."""
    f = Filters(
        q=q,
        credit_code=credit_code,
        decision_no=decision_no,
        domain=domain,
        date_from=date_from,
        date_to=date_to,
    )
    reply = await _search(state, f, page_size, cursor)
    return DisclosurePage(
        disclosures=[_out(d) for d in reply.disclosures], next_cursor=reply.next_cursor or None
    )


async def _one(state, disclosure_id: str) -> disclosure_pb2.Disclosure:
    reply = await call_service(
        "disclosure",
        state.clients.disclosure.GetDisclosure,
        disclosure_pb2.GetDisclosureRequest(disclosure_id=disclosure_id),
    )
    return reply.disclosure


DisclosureId = Annotated[str, PathParam(max_length=64)]


@router.get(
    "/v1/public/disclosures/{disclosure_id}",
    operation_id="getDisclosure",
    response_model=DisclosureOut,
    responses=PROBLEM_RESPONSES,
    summary="One published penalty decision (no login)",
)
async def get_disclosure(disclosure_id: DisclosureId, state: State) -> DisclosureOut:
    """One public record in the national 双公示 fields. Amounts are numbers in 10,000 yuan
    (万元)."""
    return _out(await _one(state, disclosure_id))


async def _all(state, f: Filters) -> list[disclosure_pb2.Disclosure]:
    rows: list[disclosure_pb2.Disclosure] = []
    cursor = None
    while len(rows) < EXPORT_LIMIT:
        reply = await _search(state, f, 100, cursor)
        rows.extend(reply.disclosures)
        cursor = reply.next_cursor
        if not cursor:
            break
    return rows[:EXPORT_LIMIT]


def export_rate_limit(request: Request, state: State) -> None:
    """An export reads up to 5,000 records: `GATEWAY_EXPORTS_PER_10_MIN` per client address
    (on top of the public routes' own per-address limit), then 429."""
    if state.exports is None:
        return
    wait = state.exports.take(client_address(request))  # checked and counted at once
    if wait:
        raise too_many(wait, "too many exports from your address")


@router.get(
    "/v1/public/disclosures-export",
    operation_id="exportDisclosures",
    responses={
        200: {"content": {"text/csv": {}, "application/json": {}}},
        **PROBLEM_RESPONSES,
    },
    summary="Export in the 双公示 field order, as CSV (UTF-8 with BOM) or JSON",
    dependencies=[Depends(export_rate_limit)],
)
async def export_disclosures(
    state: State,
    format: Literal["csv", "json"] = "csv",
    q: Q = None,
    credit_code: CreditCode = None,
    decision_no: DecisionNo = None,
    domain: DomainName | None = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Response:
    """The public records in the national 双公示 field order with their Chinese headers, as CSV
    (UTF-8 with a BOM, opens in Excel) or JSON, for the credit platform's import."""
    f = Filters(
        q=q,
        credit_code=credit_code,
        decision_no=decision_no,
        domain=domain,
        date_from=date_from,
        date_to=date_to,
    )
    rows = await _all(state, f)
    if format == "json":
        body = [
            {label: getattr(d, name) for name, label in FIELDS}
            | {"状态": "已撤销" if d.status == "withdrawn" else "公示中"}
            for d in rows
        ]
        return Response(
            json.dumps(body, ensure_ascii=False, indent=1),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="disclosures.json"'},
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _, label in FIELDS] + ["状态"])
    for d in rows:
        writer.writerow(
            [formula_safe(getattr(d, name)) for name, _ in FIELDS]
            + ["已撤销" if d.status == "withdrawn" else "公示中"]
        )
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM so spreadsheet programs read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="disclosures.csv"'},
    )


@router.get(
    "/v1/public/disclosures.atom",
    operation_id="disclosureFeed",
    responses={200: {"content": {"application/atom+xml": {}}}, **PROBLEM_RESPONSES},
    summary="Atom feed of the newest 50 decisions and withdrawals",
)
async def disclosure_feed(request: Request, state: State) -> Response:
    """An Atom feed of the newest 50 public decisions and withdrawals, for feed readers and
    other portals."""
    reply = await _search(state, Filters(), 50, None)
    base = state.settings.public_base()  # never the Host header: a reader chose that
    updated = max(
        (d.published_at.ToDatetime(tzinfo=UTC) for d in reply.disclosures),
        default=datetime(2026, 1, 1, tzinfo=UTC),
    )
    items = []
    for d in reply.disclosures:
        when = (d.withdrawn_at if d.HasField("withdrawn_at") else d.published_at).ToDatetime(
            tzinfo=UTC
        )
        title = f"{'【已撤销】' if d.status == 'withdrawn' else ''}{d.decision_no} {d.party_name}"
        summary = f"{d.penalty_category}：{d.penalty_content}"
        if d.status == "withdrawn":
            summary = f"撤销原因：{d.withdrawal_reason}。{summary}"
        items.append(
            "<entry>"
            f"<id>urn:uuid:{escape(d.disclosure_id)}</id>"
            f"<title>{escape(title)}</title>"
            f'<link href="{escape(base)}/public/disclosures/{escape(d.disclosure_id)}"/>'
            f"<updated>{when.isoformat()}</updated>"
            f"<summary>{escape(summary)}</summary>"
            "</entry>"
        )
    feed = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">'
        "<title>行政处罚决定公示</title>"
        f"<id>{escape(base)}/v1/public/disclosures.atom</id>"
        f'<link rel="self" href="{escape(base)}/v1/public/disclosures.atom"/>'
        f"<updated>{updated.isoformat()}</updated>" + "".join(items) + "</feed>"
    )
    return Response(feed, media_type="application/atom+xml; charset=utf-8")


# -- pages ---------------------------------------------------------------------------------


@router.get("/public", include_in_schema=False, response_class=HTMLResponse)
async def search_page(
    request: Request,
    state: State,
    q: Q = None,
    credit_code: CreditCode = None,
    domain: Annotated[str | None, Query(max_length=40)] = None,
    date_from: Annotated[str | None, Query(max_length=10)] = None,
    date_to: Annotated[str | None, Query(max_length=10)] = None,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    # Each filter stands on its own: a date that does not parse is left out and said so on
    # the page (its text stays in the form to correct), never taking the others with it.
    errors = []
    dates: dict[str, date | None] = {}
    for name, text, label in (
        ("date_from", date_from, "决定日期起"),
        ("date_to", date_to, "决定日期止"),
    ):
        try:
            dates[name] = date.fromisoformat(text) if text else None
        except ValueError:
            dates[name] = None
            errors.append(f"{label}“{text}”无法识别，未作为条件")
    if domain and domain not in DOMAIN_LABELS:
        errors.append(f"领域“{domain}”无法识别，未作为条件")
    f = Filters(
        q=q or None,
        credit_code=credit_code or None,
        domain=domain if domain in DOMAIN_LABELS else None,
        **dates,
    )
    error = None
    if errors:
        error = "；".join(errors) + "。日期格式应为 年-月-日，例如 2026-11-28"
    reply = await _search(state, f, 20, cursor)
    params = {k: v for k, v in (("q", q), ("credit_code", credit_code), ("domain", domain),
              ("date_from", date_from), ("date_to", date_to)) if v}  # fmt: skip
    return templates.TemplateResponse(
        request,
        "public/search.html",
        {
            "rows": [_out(d) for d in reply.disclosures],
            "next_cursor": reply.next_cursor,
            "params": params,
            "domains": DOMAIN_LABELS,
            "error": error,
        },
    )


@router.get(
    "/public/disclosures/{disclosure_id}", include_in_schema=False, response_class=HTMLResponse
)
async def detail_page(request: Request, disclosure_id: DisclosureId, state: State) -> HTMLResponse:
    try:
        d = _out(await _one(state, disclosure_id))
    except ProblemError as problem:
        if problem.status != 404:
            raise
        return templates.TemplateResponse(request, "public/missing.html", {}, status_code=404)
    return templates.TemplateResponse(
        request,
        "public/detail.html",
        {"d": d, "fields": FIELDS, "domains": DOMAIN_LABELS},
    )


@router.get(
    "/v1/public/log/tree-head",
    operation_id="getPublicTreeHead",
    response_model=TreeHead,
    responses=PROBLEM_RESPONSES,
    summary="The enforcement record log's current signed tree head, for anyone to keep",
)
async def public_tree_head(state: State) -> TreeHead:
    """No entry is revealed, only how many there are and their Merkle root, signed. Kept by
    others (auditors, the press, another agency), old heads let the verifier's `--witness`
    prove the stored record was not rewritten after they were published."""
    reply = await call_service(
        "records", state.clients.records.GetTreeHead, records_pb2.GetTreeHeadRequest()
    )
    return tree_head_out(reply.tree_head)
