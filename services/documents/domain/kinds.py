"""The kinds of enforcement document (执法文书), after 应急管理部's 安全生产执法文书式样.

Each kind has its title, the code in its number (文号, e.g. 新北应急责改〔2026〕3号), its place
in the case file (立卷顺序) and the fields an officer must give that the case data lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    inspection_record = "inspection-record"  # 现场检查记录
    rectification_order = "rectification-order"  # 责令限期整改指令书
    reinspection_opinion = "reinspection-opinion"  # 整改复查意见书
    interview_record = "interview-record"  # 询问笔录
    penalty_notice = "penalty-notice"  # 行政处罚告知书
    hearing_notice = "hearing-notice"  # 听证告知书
    statement_record = "statement-record"  # 陈述申辩记录
    penalty_decision = "penalty-decision"  # 行政处罚决定书
    no_penalty_decision = "no-penalty-decision"  # 不予行政处罚决定书
    service_receipt = "service-receipt"  # 文书送达回执
    closing_approval = "closing-approval"  # 结案审批表
    legal_review_opinion = "legal-review-opinion"  # 重大执法决定法制审核意见书


@dataclass(frozen=True)
class KindSpec:
    title: str
    code: str  # in the number: <prefix><code>〔<year>〕<n>号
    required: tuple[str, ...]  # fields the officer gives (fields_json)
    served: bool  # handed to the party, so it is served (送达) and may start deadlines


SPECS: dict[Kind, KindSpec] = {
    Kind.inspection_record: KindSpec("现场检查记录", "检记", ("place", "findings"), False),
    Kind.rectification_order: KindSpec(
        "责令限期整改指令书", "责改", ("problems", "rectify_by"), True
    ),
    Kind.reinspection_opinion: KindSpec("整改复查意见书", "复查", ("opinion",), True),
    Kind.interview_record: KindSpec("询问笔录", "询", ("interviewee", "place", "questions"), False),
    Kind.penalty_notice: KindSpec("行政处罚告知书", "罚告", (), True),
    Kind.hearing_notice: KindSpec(
        "听证告知书", "听告", ("hearing_at", "hearing_place", "host"), True
    ),
    Kind.statement_record: KindSpec("陈述申辩记录", "申辩", (), False),
    # The decision's number is the one records gave at the decision (行政处罚决定书文号).
    Kind.penalty_decision: KindSpec("行政处罚决定书", "罚", (), True),
    Kind.no_penalty_decision: KindSpec("不予行政处罚决定书", "不罚", ("reason", "basis"), True),
    Kind.service_receipt: KindSpec("文书送达回执", "送", ("served_document_id",), False),
    Kind.closing_approval: KindSpec("结案审批表", "结", ("execution",), False),
    Kind.legal_review_opinion: KindSpec("重大执法决定法制审核意见书", "法审", (), False),
}

# 立卷顺序 (local rule, DOMAIN.md): the decision first, then the documents in the order of
# the steps, then the receipts and the closing form.
FILING_ORDER: tuple[Kind, ...] = (
    Kind.penalty_decision,
    Kind.no_penalty_decision,
    Kind.inspection_record,
    Kind.rectification_order,
    Kind.reinspection_opinion,
    Kind.interview_record,
    Kind.legal_review_opinion,
    Kind.penalty_notice,
    Kind.hearing_notice,
    Kind.statement_record,
    Kind.service_receipt,
    Kind.closing_approval,
)


class InvalidDocument(ValueError):
    """The request cannot make this document (unknown kind, missing field, wrong stage)."""


def parse_kind(value: str) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        raise InvalidDocument(
            f"unknown document kind {value!r}; one of: {', '.join(k.value for k in Kind)}"
        ) from None


def check_fields(kind: Kind, fields: dict) -> None:
    """Refuse a document whose officer-given fields are missing or empty."""
    missing = [f for f in SPECS[kind].required if fields.get(f) in (None, "", [], {})]
    if missing:
        raise InvalidDocument(f"{SPECS[kind].title} needs: {', '.join(missing)}")


def format_number(prefix: str, kind: Kind, year: int, n: int) -> str:
    """E.g. 新北应急责改〔2026〕3号 (gap-free per agency, kind and year)."""
    if n < 1:
        raise ValueError("numbers start at 1")
    return f"{prefix}{SPECS[kind].code}〔{year}〕{n}号"


def filing_rank(kind: str) -> int:
    try:
        return FILING_ORDER.index(Kind(kind))
    except ValueError:
        return len(FILING_ORDER)
