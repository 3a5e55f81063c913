"""Rewards for public reports (安全生产领域举报奖励办法, 国家安全监管总局 财政部 2018).

- A verified major hazard or illegal operation (重大事故隐患, 安全生产违法行为): 15 % of the
  fine actually imposed, at least 3,000 and at most 300,000 yuan.
- A concealed or falsely reported accident (瞒报, 谎报事故): per concealed death 30,000
  (一般), 40,000 (较大), 50,000 (重大), 60,000 (特别重大) yuan, at most 300,000.
- Only the first valid reporter of the same matter is rewarded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from services.hazards.domain.registry import InvalidHazard

BASIS = "安全生产领域举报奖励办法 (2018)"
RATE = Decimal("0.15")
MIN_YUAN = 3_000
MAX_YUAN = 300_000


class Matter(StrEnum):
    major_hazard = "major-hazard"  # 重大事故隐患
    illegal_operation = "illegal-operation"  # 安全生产违法行为
    concealed_accident = "concealed-accident"  # 瞒报、谎报事故


class AccidentGrade(StrEnum):
    ordinary = "ordinary"  # 一般事故
    larger = "larger"  # 较大事故
    major = "major"  # 重大事故
    especially_major = "especially-major"  # 特别重大事故


PER_DEATH_YUAN = {
    AccidentGrade.ordinary: 30_000,
    AccidentGrade.larger: 40_000,
    AccidentGrade.major: 50_000,
    AccidentGrade.especially_major: 60_000,
}


@dataclass(frozen=True)
class Reward:
    yuan: int
    rule: str


def reward(
    matter: Matter,
    *,
    fine_yuan: int = 0,
    accident_grade: AccidentGrade | None = None,
    concealed_deaths: int = 0,
) -> Reward:
    """The reward of one verified report, in whole yuan (rounded half up)."""
    if matter is Matter.concealed_accident:
        if accident_grade is None or concealed_deaths < 1:
            raise InvalidHazard("瞒报谎报事故的奖励须有事故等级和查实的瞒报谎报死亡人数")
        per = PER_DEATH_YUAN[accident_grade]
        raw = per * concealed_deaths
        yuan = min(raw, MAX_YUAN)
        return Reward(
            yuan,
            f"{BASIS}: 每查实瞒报谎报死亡1人奖励{per}元 × {concealed_deaths}人"
            + (f", 最高{MAX_YUAN}元" if raw > MAX_YUAN else ""),
        )
    if fine_yuan < 0:
        raise InvalidHazard("罚款金额不能为负数")
    raw = (Decimal(fine_yuan) * RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    yuan = int(min(max(raw, MIN_YUAN), MAX_YUAN))
    note = ""
    if raw < MIN_YUAN:
        note = f", 不足{MIN_YUAN}元的按{MIN_YUAN}元"
    elif raw > MAX_YUAN:
        note = f", 最高{MAX_YUAN}元"
    return Reward(yuan, f"{BASIS}: 按实际罚款{fine_yuan}元的15%计{int(raw)}元{note}")


@dataclass(frozen=True)
class Claim:
    report_id: str
    received_at: datetime
    valid: bool


def first_valid(claims: list[Claim]) -> str | None:
    """The report rewarded for one matter: the first valid one received (多人举报同一事项的,
    只奖励最先举报人)."""
    valid = sorted((c for c in claims if c.valid), key=lambda c: (c.received_at, c.report_id))
    return valid[0].report_id if valid else None
