"""What each document says, built from the case's data and the officer's fields.

The output is one shape for every kind: heading rows (label, value), sections of paragraphs,
and the signature lines the form carries. The template only lays it out, so every fact of a
document is decided here, after the national forms (安全生产执法文书式样).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.documents.domain.kinds import SPECS, InvalidDocument, Kind, check_fields
from services.documents.domain.service import METHOD_LABELS

PENALTY_LABELS = {
    "warning": "警告",
    "fine": "罚款",
    "confiscation": "没收违法所得、非法财物",
    "suspension": "责令停产停业",
    "closure": "关闭",
    "practice-restriction": "限制从业",
    "qualification-lowering": "降低资质等级",
    "licence-revocation": "吊销许可证件",
}
OUTCOME_LABELS = {
    "approved": "同意",
    "returned": "建议修改",
    "rejected": "不同意",
    "not-required": "无需法制审核",
}


@dataclass
class CaseData:
    """The case as the documents need it, read from records' timeline."""

    case_id: str
    agency_id: str
    case_no: str
    decision_no: str
    title: str
    town: str
    party: dict[str, str]
    officers: list[dict[str, str]]
    opened_at: datetime
    stage: str
    proposal: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None
    decided_at: datetime | None = None
    review: dict[str, Any] | None = None
    reviewed_at: datetime | None = None
    statements: list[dict[str, Any]] = field(default_factory=list)
    hearing_requests: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Content:
    title: str
    number: str
    rows: list[tuple[str, str]]
    sections: list[tuple[str, list[str]]]
    signers: list[str]  # the signature lines: 执法人员, 被检查单位负责人, ...
    date_line: str  # the document's date, in Chinese
    agency: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "number": self.number,
            "rows": [list(r) for r in self.rows],
            "sections": [[h, list(p)] for h, p in self.sections],
            "signers": list(self.signers),
            "date_line": self.date_line,
            "agency": self.agency,
        }


def cn_date(d: date | datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def cn_datetime(d: datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日{d.hour}时{d.minute:02d}分"


def yuan(n: int) -> str:
    return f"{n:,}元"


def party_rows(case: CaseData) -> list[tuple[str, str]]:
    p = case.party
    rows = [("当事人", p.get("name", ""))]
    if p.get("kind") == "organization":
        rows.append(("统一社会信用代码", p.get("credit_code", "")))
        rows.append(("法定代表人（负责人）", p.get("legal_representative", "")))
    else:
        rows.append(("身份证件号码", p.get("id_number", "")))
    if p.get("address"):
        rows.append(("地址", p["address"]))
    return rows


def officer_line(case: CaseData) -> str:
    """执法人员 with their certificate numbers (执法证号), as every form names them."""
    return "、".join(f"{o['name']}（执法证号：{o['certificate_no']}）" for o in case.officers)


def _basis(items: list[str] | str) -> str:
    if isinstance(items, str):
        return items
    return "、".join(items)


def penalty_text(proposal: dict[str, Any]) -> str:
    parts = []
    for k in proposal.get("kinds", []):
        label = PENALTY_LABELS.get(k, k)
        if k == "fine":
            label += f"人民币{yuan(int(proposal.get('fine_yuan', 0)))}"
        elif k == "confiscation" and proposal.get("confiscation_yuan"):
            label += f"人民币{yuan(int(proposal['confiscation_yuan']))}"
        parts.append(label)
    return "；".join(parts)


def _need_proposal(case: CaseData, kind: Kind) -> dict[str, Any]:
    if case.proposal is None:
        raise InvalidDocument(f"{SPECS[kind].title} needs a penalty proposal in the case")
    return case.proposal


def build(
    kind: Kind,
    case: CaseData,
    fields: dict[str, Any],
    *,
    number: str,
    agency_name: str,
    today: date,
    served: dict[str, Any] | None = None,
    payment: dict[str, str] | None = None,
) -> Content:
    """The content of one document of `kind` for `case`; InvalidDocument when the case or the
    fields do not support it (e.g. a decision document before the decision)."""
    check_fields(kind, fields)
    spec = SPECS[kind]
    rows: list[tuple[str, str]] = []
    sections: list[tuple[str, list[str]]] = []
    signers = ["执法人员（签名）"]
    officers = officer_line(case)
    if kind is Kind.inspection_record:
        at = fields.get("inspected_at") or cn_datetime(case.opened_at)
        rows = [*party_rows(case), ("检查场所", fields["place"]), ("检查时间", at)]
        rows += [("执法人员", officers), ("现场负责人", fields.get("site_person", ""))]
        findings = fields["findings"]
        findings = findings if isinstance(findings, list) else [findings]
        sections = [
            (
                "检查情况",
                [
                    f"我们是{agency_name}执法人员，已出示执法证件，依法对你单位进行现场检查。",
                    *[f"{i}. {f}" for i, f in enumerate(findings, 1)],
                ],
            )
        ]
        signers += ["被检查单位现场负责人（签名）"]
    elif kind is Kind.rectification_order:
        problems = fields["problems"]
        problems = problems if isinstance(problems, list) else [problems]
        basis = fields.get("basis") or (case.proposal or {}).get("legal_basis", [])
        rows = [*party_rows(case), ("执法人员", officers)]
        sections = [
            (
                "",
                [
                    f"{case.party.get('name', '')}：",
                    "经查，你单位存在下列问题：",
                    *[f"{i}. {p}" for i, p in enumerate(problems, 1)],
                    f"依据{_basis(basis)}的规定，现责令你单位于{fields['rectify_by']}前整改完毕，"
                    "达到有关法律法规规章和标准规定的要求。整改期间，你单位应当采取措施，确保安全。"
                    if basis
                    else f"现责令你单位于{fields['rectify_by']}前整改完毕。",
                    "如果不服本指令，可以依法在六十日内向上一级应急管理部门或者本级人民政府申请"
                    "行政复议，或者在六个月内依法向人民法院提起行政诉讼，但本指令不停止执行。",
                ],
            )
        ]
        signers += ["被检查单位负责人（签收）"]
    elif kind is Kind.reinspection_opinion:
        rows = [*party_rows(case), ("执法人员", officers)]
        order = fields.get("order_no", "")
        sections = [
            (
                "复查意见",
                [
                    f"{case.party.get('name', '')}：",
                    f"本机关于{fields.get('reinspected_on', cn_date(today))}对你单位"
                    + (f"执行《责令限期整改指令书》（{order}）" if order else "整改")
                    + "的情况进行了复查，提出如下意见：",
                    str(fields["opinion"]),
                ],
            )
        ]
        signers += ["被复查单位负责人（签收）"]
    elif kind is Kind.interview_record:
        rows = [
            ("询问时间", fields.get("interviewed_at") or cn_datetime(case.opened_at)),
            ("询问地点", fields["place"]),
            ("被询问人", fields["interviewee"]),
            ("工作单位及职务", fields.get("interviewee_role", "")),
            ("询问人", officers),
            ("记录人", fields.get("recorder", case.officers[-1]["name"] if case.officers else "")),
        ]
        qa = []
        for item in fields["questions"]:
            qa += [f"问：{item.get('q', '')}", f"答：{item.get('a', '')}"]
        sections = [
            (
                "",
                [
                    f"我们是{agency_name}的执法人员{officers}，依法就{case.title}"
                    "进行调查，请你如实回答问题。你有陈述、申辩和申请回避的权利。",
                    *qa,
                ],
            )
        ]
        signers += ["被询问人（签名）", "记录人（签名）"]
    elif kind is Kind.penalty_notice:
        p = _need_proposal(case, kind)
        rows = [*party_rows(case), ("案件编号", case.case_no)]
        sections = [
            (
                "",
                [
                    f"{case.party.get('name', '')}：",
                    f"经查，{p.get('facts', '')}",
                    f"以上事实违反了有关规定，依据{_basis(p.get('legal_basis', []))}的规定，"
                    f"本机关拟对你（单位）作出如下行政处罚：{penalty_text(p)}。",
                    "根据《中华人民共和国行政处罚法》第四十四条、第四十五条的规定，你（单位）"
                    "有权进行陈述和申辩，可在收到本告知书之日起三个工作日内向本机关提出。",
                    "根据《中华人民共和国行政处罚法》第六十三条、第六十四条的规定，你（单位）"
                    "有权要求举行听证，可在收到本告知书之日起五个工作日内向本机关提出。",
                    "逾期未提出的，视为放弃上述权利。",
                ],
            )
        ]
        signers = ["承办人（签名）"]
    elif kind is Kind.hearing_notice:
        rows = [*party_rows(case), ("案件编号", case.case_no)]
        sections = [
            (
                "",
                [
                    f"{case.party.get('name', '')}：",
                    f"根据你（单位）的申请，本机关定于{fields['hearing_at']}在"
                    f"{fields['hearing_place']}对{case.title}一案举行听证会，"
                    "请准时出席。",
                    f"听证主持人：{fields['host']}。",
                    "你（单位）可以亲自参加听证，也可以委托一至二人代理；委托代理人参加的，"
                    "应当提交授权委托书。认为主持人与本案有直接利害关系的，有权申请回避。",
                    "无正当理由拒不出席听证或者未经许可中途退出听证的，视为放弃听证权利。",
                ],
            )
        ]
        signers = ["承办人（签名）"]
    elif kind is Kind.statement_record:
        said = fields.get("statement") or "；".join(
            str(s.get("text") or s.get("statement") or "") for s in case.statements
        )
        if not said:
            raise InvalidDocument("陈述申辩记录 needs the party's statement (statement)")
        rows = [
            *party_rows(case),
            ("陈述申辩人", fields.get("speaker", case.party.get("legal_representative", ""))),
            ("承办人", officers),
            ("地点", fields.get("place", "")),
        ]
        sections = [
            ("陈述申辩内容", [said]),
            ("复核意见", [fields.get("opinion", "待复核。")]),
        ]
        signers += ["陈述申辩人（签名）"]
    elif kind is Kind.penalty_decision:
        p = _need_proposal(case, kind)
        if not case.decision_no or case.decision is None:
            raise InvalidDocument("行政处罚决定书 is made after the decision (POST .../decision)")
        rows = [*party_rows(case), ("案件编号", case.case_no)]
        pay = payment or {}
        decision_text = (case.decision or {}).get("decision_text", "")
        sections = [
            (
                "",
                [
                    f"违法事实及证据：{p.get('facts', '')}"
                    + (f"以上事实有{len(case.evidence)}项证据为证。" if case.evidence else ""),
                    f"以上行为违反了有关规定，依据{_basis(p.get('legal_basis', []))}的规定，"
                    f"决定给予以下行政处罚：{penalty_text(p)}。",
                    *([decision_text] if decision_text else []),
                    "罚款自收到本决定书之日起十五日内缴至"
                    f"{pay.get('bank', '指定银行')}（账户：{pay.get('account', '见缴款通知')}）。"
                    "到期不缴纳罚款的，本机关可以每日按罚款数额的百分之三加处罚款。",
                    "如果不服本处罚决定，可以在收到本决定书之日起六十日内依法申请行政复议，"
                    "或者在六个月内依法向人民法院提起行政诉讼，但本决定不停止执行，"
                    "法律另有规定的除外。",
                ],
            )
        ]
        signers = []
    elif kind is Kind.no_penalty_decision:
        rows = [*party_rows(case), ("案件编号", case.case_no)]
        sections = [
            (
                "",
                [
                    f"{case.party.get('name', '')}：",
                    f"本机关对{case.title}一案进行了调查，{fields['reason']}",
                    f"依据{_basis(fields['basis'])}的规定，决定不予行政处罚。",
                    "如果不服本决定，可以在收到本决定书之日起六十日内依法申请行政复议，"
                    "或者在六个月内依法向人民法院提起行政诉讼。",
                ],
            )
        ]
        signers = []
    elif kind is Kind.service_receipt:
        if not served:
            raise InvalidDocument("文书送达回执 needs a document whose service was recorded")
        s = served["service"]
        rows = [
            ("送达文书名称及文号", f"{served['title']}（{served['number']}）"),
            ("受送达人", case.party.get("name", "")),
            ("送达地点", s.get("address") or fields.get("place", "")),
            ("送达方式", METHOD_LABELS.get(s["method"], s["method"])),
            ("送达时间", s["served_at_cn"]),
            ("收件人", s["recipient"]),
            ("送达人", officers),
        ]
        if s.get("witnesses"):
            rows.append(("见证人", "、".join(s["witnesses"])))
        if s.get("consent_ref"):
            rows.append(("电子送达确认书", s["consent_ref"]))
        sections = [("备注", [fields.get("remarks", "")])] if fields.get("remarks") else []
        signers = ["收件人（签名）", "送达人（签名）"]
        if s["method"] == "left-at-premises":
            signers.append("见证人（签名）")
    elif kind is Kind.closing_approval:
        p = case.proposal or {}
        rows = [
            ("案件名称", case.title),
            ("案件编号", case.case_no),
            *party_rows(case),
            ("处罚决定书文号", case.decision_no or "（不予处罚或撤销）"),
            ("处罚内容", penalty_text(p) if p and case.decision_no else "无"),
            ("执行情况", str(fields["execution"])),
            ("承办人", officers),
        ]
        sections = [
            ("承办人意见", [fields.get("handler_opinion", "处罚决定已执行完毕，建议结案。")]),
            ("审批意见", [fields.get("approver_opinion", "同意结案。")]),
        ]
        signers = ["承办人（签名）", "审批人（签名）"]
    elif kind is Kind.legal_review_opinion:
        if case.review is None:
            raise InvalidDocument("法制审核意见书 needs the legal review's outcome in the case")
        r = case.review
        p = case.proposal or {}
        reviewed = cn_date(case.reviewed_at) if case.reviewed_at else cn_date(today)
        rows = [
            ("案件名称", case.title),
            ("案件编号", case.case_no),
            *party_rows(case),
            ("承办人", officers),
            ("拟处罚意见", penalty_text(p)),
            ("法律依据", _basis(p.get("legal_basis", []))),
            ("审核结论", OUTCOME_LABELS.get(r.get("outcome", ""), r.get("outcome", ""))),
            ("审核日期", reviewed),
        ]
        reasons = [str(x) for x in r.get("reasons", [])]
        sections = [
            (
                "审核意见",
                [
                    r.get("opinion")
                    or "经审核，执法主体合法，事实清楚，证据确凿充分，程序合法，"
                    "适用依据正确，裁量适当。",
                    *reasons,
                ],
            )
        ]
        signers = [f"法制审核人员（签名）：{fields.get('reviewer_name', '')}"]
    else:  # pragma: no cover - every Kind is handled above
        raise InvalidDocument(f"no template for {kind}")
    # Every document names the officers with their certificates (执法证号).
    if not any(label in ("执法人员", "询问人", "承办人", "送达人") for label, _ in rows):
        rows.append(("执法人员", officers))
    return Content(
        title=spec.title,
        number=number,
        rows=rows,
        sections=sections,
        signers=signers,
        date_line=cn_date(today),
        agency=agency_name,
    )
