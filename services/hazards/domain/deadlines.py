"""Deadlines of rectification (整改期限) and of 挂牌督办, in working days of China's calendar.

A document issued on paper in the field (责令限期整改指令书, 督办通知) may be entered later
with the day it was issued; the count runs from that day, never from the day it was typed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.chassis.workdays import Calendar, Due
from services.hazards.domain.grading import Grade
from services.hazards.domain.registry import InvalidHazard

# (local) limits of a rectification order; a major hazard may need months of works.
ORDER_DAYS = {Grade.general: (1, 30), Grade.major: (1, 120)}
SUPERVISION_DAYS = (1, 180)  # 挂牌督办
NOTICE_DAYS = (1, 30)  # an escalation's 督办 notice
BACKDATE_DAYS = 30  # how long ago a paper document may have been issued


@dataclass(frozen=True)
class FiveInPlace:
    """五落实: responsible person, measures, funds, deadline and contingency plan."""

    responsible_person: str
    measures: str
    funds_yuan: int
    deadline_working_days: int
    contingency_plan: str

    def problems(self) -> list[str]:
        out = []
        if not self.responsible_person.strip():
            out.append("整改责任人 (五落实之责任) 未填写")
        if len(self.measures.strip()) < 4:
            out.append("整改措施 (五落实之措施) 未填写")
        if self.funds_yuan < 0:
            out.append("整改资金 (五落实之资金) 不能为负数")
        if not self.contingency_plan.strip():
            out.append("应急预案 (五落实之预案) 未填写")
        return out


def check_issued_on(issued_on: date, today: date) -> None:
    if issued_on > today:
        raise InvalidHazard("签发日期不能晚于今天")
    if (today - issued_on).days > BACKDATE_DAYS:
        raise InvalidHazard(f"签发日期不能早于 {BACKDATE_DAYS} 天前")


def _within(days: int, limits: tuple[int, int], what: str) -> None:
    low, high = limits
    if not low <= days <= high:
        raise InvalidHazard(f"{what}须为 {low}-{high} 个工作日")


def order_due(
    calendar: Calendar, grade: Grade, plan: FiveInPlace, issued_on: date, today: date
) -> Due:
    """The rectification deadline: `deadline_working_days` after the order was issued."""
    problems = plan.problems()
    if problems:
        raise InvalidHazard("; ".join(problems))
    _within(plan.deadline_working_days, ORDER_DAYS[grade], "整改期限")
    check_issued_on(issued_on, today)
    return calendar.add_working_days(issued_on, plan.deadline_working_days)


def supervision_due(calendar: Calendar, days: int, issued_on: date, today: date) -> Due:
    """挂牌督办's own deadline, set by the supervising office."""
    _within(days, SUPERVISION_DAYS, "挂牌督办期限")
    check_issued_on(issued_on, today)
    return calendar.add_working_days(issued_on, days)


def notice_due(calendar: Calendar, days: int, issued_on: date, today: date) -> Due:
    """An escalation's 督办 notice: a last deadline before the case."""
    _within(days, NOTICE_DAYS, "督办通知期限")
    check_issued_on(issued_on, today)
    return calendar.add_working_days(issued_on, days)


def is_overdue(due: date | None, today: date) -> bool:
    """Past due: the deadline day itself still counts as in time."""
    return due is not None and today > due
