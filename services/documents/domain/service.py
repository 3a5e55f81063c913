"""Service of documents (送达) and the deadlines that run from it; the case file's retention.

行政处罚法 (2021) Art. 61: a decision is served on the party; Art. 64(1): a hearing is asked
for within 5 days of the notice; Art. 67: the fine is paid within 15 days of receiving the
decision; Art. 85: "三日" and "五日" in the law are working days (法定节假日 excluded), while
the 15 days of payment are calendar days. The defence period of the notice (陈述申辩) is 3 days
after 安全生产违法行为行政处罚办法. Every period starts the day after service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from services.documents.domain.kinds import InvalidDocument, Kind


class Method:
    direct = "direct"  # 直接送达
    left = "left-at-premises"  # 留置送达: refused to take it; witnesses present
    post = "post"  # 邮寄送达
    electronic = "electronic"  # 电子送达: only with the party's written consent


METHOD_LABELS = {
    Method.direct: "直接送达",
    Method.left: "留置送达",
    Method.post: "邮寄送达",
    Method.electronic: "电子送达",
}


def check_service(method: str, recipient: str, witnesses: list[str], consent_ref: str) -> None:
    """The conditions of each method (民事诉讼法 Art. 86-90, applied by 行政处罚法 Art. 61)."""
    if method not in METHOD_LABELS:
        raise InvalidDocument(f"method must be one of: {', '.join(METHOD_LABELS)}")
    if not recipient.strip():
        raise InvalidDocument("recipient (受送达人或签收人) is required")
    if method == Method.left and not [w for w in witnesses if w.strip()]:
        raise InvalidDocument("留置送达 needs at least one witness (见证人)")
    if method == Method.electronic and not consent_ref.strip():
        raise InvalidDocument("电子送达 needs the party's written consent (consent_ref)")


@dataclass(frozen=True)
class DeadlineRule:
    name: str
    label: str
    days: int
    working_days: bool
    basis: str


RULES: dict[Kind, tuple[DeadlineRule, ...]] = {
    Kind.penalty_notice: (
        DeadlineRule(
            "defence", "陈述申辩期限", 3, True, "安全生产违法行为行政处罚办法; 行政处罚法第八十五条"
        ),
        DeadlineRule(
            "hearing-request", "听证申请期限", 5, True, "行政处罚法第六十四条第一项、第八十五条"
        ),
    ),
    Kind.penalty_decision: (
        DeadlineRule("payment", "缴纳罚款期限", 15, False, "行政处罚法第六十七条第三款"),
        DeadlineRule("reconsideration", "申请行政复议期限", 60, False, "行政复议法第二十条"),
    ),
}


@dataclass(frozen=True)
class Due:
    name: str
    label: str
    due_date: date
    basis: str
    working_days: bool


def deadlines_from_service(
    kind: Kind, served_on: date, add_working_days: Callable[[date, int], date]
) -> list[Due]:
    """The deadlines a served document starts; `served_on` is the China date of service."""
    out = []
    for rule in RULES.get(kind, ()):
        if rule.working_days:
            due = add_working_days(served_on, rule.days)
        else:
            due = served_on + timedelta(days=rule.days)
        out.append(Due(rule.name, rule.label, due, rule.basis, rule.working_days))
    return out


# 档案保管期限 (local, by case kind): penalty cases 30 years, major (legally reviewed) cases
# permanently, others 10 years.
def retention(*, decided: bool, major: bool) -> tuple[str, int | None]:
    """(label, years); years None for 永久."""
    if major:
        return "permanent", None
    if decided:
        return "30y", 30
    return "10y", 10


RETENTION_LABELS = {"permanent": "永久", "30y": "30年", "10y": "10年"}
