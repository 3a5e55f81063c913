"""Case and decision numbers (文号): per agency, kind and year, gap-free.

The counter itself lives in the database and moves in the same transaction as the filing or
decision it numbers, so a rolled-back transaction leaves no gap and two concurrent filers
never share a number.
"""

from __future__ import annotations

from enum import StrEnum


class NumberKind(StrEnum):
    filing = "立"  # 立案 number
    decision = "罚"  # 行政处罚决定书 number


def format_number(prefix: str, kind: NumberKind, year: int, n: int) -> str:
    """E.g. 新北应急罚〔2026〕17号."""
    if n < 1:
        raise ValueError("numbers start at 1")
    return f"{prefix}{kind.value}〔{year}〕{n}号"
