"""When a rectification deadline slips (the plan, item 5): 警示 → 约谈 → 督办 → 立案查处.

安全生产法 (2021) Art. 102: a unit that fails to eliminate a hazard is ordered to eliminate
it at once or within a deadline, fined up to 50,000 yuan, and ordered to suspend production
for rectification (停产停业整顿) if it refuses; the records case is that step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.hazards.domain.deadlines import is_overdue
from services.hazards.domain.grading import Grade
from services.hazards.domain.registry import InvalidHazard


class Step(StrEnum):
    warning = "warning"  # 警示
    summons = "summons"  # 约谈, recorded with its minutes
    notice = "notice"  # 督办通知, with a last deadline
    case = "case"  # 立案查处 (a records case, Art. 102)


LADDER = (Step.warning, Step.summons, Step.notice, Step.case)
STEP_NAMES = {
    Step.warning: "警示",
    Step.summons: "约谈",
    Step.notice: "督办通知",
    Step.case: "立案查处",
}
MIN_MINUTES = 20  # characters of 约谈 minutes: who attended, what was said, what was promised


@dataclass(frozen=True)
class Escalation:
    step: Step
    minutes: str = ""
    notice_days: int = 0


def next_step(taken: list[Step] | tuple[Step, ...]) -> Step | None:
    """The step after those already taken, in the ladder's order; None after the case."""
    return LADDER[len(taken)] if len(taken) < len(LADDER) else None


def check_escalation(
    e: Escalation,
    taken: list[Step] | tuple[Step, ...],
    *,
    rectifying: bool,
    order_due: date | None,
    notice_due: date | None,
    today: date,
) -> None:
    """Refuse a step out of order or before its deadline slipped:
    - every step needs a rectification under way (not reported, not closed);
    - 警示, 约谈 and 督办通知 need the order's deadline passed;
    - 约谈 needs its minutes;
    - 督办通知 needs its own deadline;
    - the case needs the 督办 notice's deadline passed too."""
    if not rectifying:
        raise InvalidHazard("隐患不在整改中, 不能督促升级")
    expected = next_step(taken)
    if expected is None:
        raise InvalidHazard("已立案查处, 没有下一步")
    if e.step is not expected:
        raise InvalidHazard(f"下一步应为{STEP_NAMES[expected]}, 不是{STEP_NAMES[e.step]}")
    if not is_overdue(order_due, today):
        raise InvalidHazard("整改期限未过, 不能督促升级")
    if e.step is Step.summons and len(e.minutes.strip()) < MIN_MINUTES:
        raise InvalidHazard(f"约谈须附约谈纪要 (至少 {MIN_MINUTES} 字)")
    if e.step is Step.notice and e.notice_days <= 0:
        raise InvalidHazard("督办通知须写明期限 (工作日)")
    if e.step is Step.case and not is_overdue(notice_due, today):
        raise InvalidHazard("督办通知期限未过, 不能立案查处")


def due_steps(
    taken: list[Step] | tuple[Step, ...],
    *,
    rectifying: bool,
    order_due: date | None,
    notice_due: date | None,
    today: date,
) -> Step | None:
    """The step an overdue list shows as due now, or None."""
    step = next_step(taken)
    if step is None or not rectifying or not is_overdue(order_due, today):
        return None
    if step is Step.case and not is_overdue(notice_due, today):
        return None
    return step


def is_punishment_candidate(
    grade: Grade, closed: bool, supervision_due: date | None, today: date
) -> bool:
    """A major hazard still not closed past its 挂牌督办 deadline makes the enterprise a
    candidate for the joint-punishment list (the plan, item 12); the disclosure service
    decides."""
    return grade is Grade.major and not closed and is_overdue(supervision_due, today)
