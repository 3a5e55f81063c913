"""Identification and grading of major hazard sources (危险化学品重大危险源, GB 18218-2018).

- Identification (辨识, 4.2): a unit (生产单元 or 储存单元) is a major hazard source when
  S = Σ qᵢ/Qᵢ ≥ 1, q the most that can be present (t), Q the critical quantity (临界量) from
  表1 (named chemicals) or else 表2 (hazard categories).
- Grading (分级, 4.3): R = α · Σ βᵢ·qᵢ/Qᵢ. β (校正系数): named toxic gases by 表3, others by
  class (表4): explosives 2, flammable gases 1.5, unnamed toxic gases 2 (highly toxic 4),
  everything else 1. α (暴露人员校正系数, 表5) by the people within 500 m of the boundary.
  Grades (表6): 一级 R ≥ 100; 二级 50 ≤ R < 100; 三级 10 ≤ R < 50; 四级 R < 10.

The tables ship as CSV files in `data/` naming their source. `RULES_VERSION` names this rule
set; a stored grade keeps the version that gave it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from functools import cache
from pathlib import Path

RULES_VERSION = "GB18218-2018/v1"
_DATA = Path(__file__).with_name("data")


class Grade(IntEnum):
    """重大危险源等级: 一级 is the most dangerous."""

    none = 0  # not a major hazard source (S < 1)
    first = 1  # 一级
    second = 2  # 二级
    third = 3  # 三级
    fourth = 4  # 四级

    @property
    def zh(self) -> str:
        return ("非重大危险源", "一级", "二级", "三级", "四级")[self.value]


@dataclass(frozen=True)
class Critical:
    """One row of 表1 or 表2: the critical quantity Q and the β it brings."""

    key: str  # CAS number (表1) or category code (表2), e.g. "7782-50-5", "W2"
    name_zh: str
    critical_t: Decimal
    beta: Decimal
    source: str  # "表1" or "表2"


def _rows(name: str) -> list[dict[str, str]]:
    with (_DATA / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


@cache
def table1() -> dict[str, Critical]:
    """表1, keyed by CAS number and by Chinese name."""
    out: dict[str, Critical] = {}
    for r in _rows("gb18218_table1.csv"):
        c = Critical(
            r["cas"] or r["name_zh"],
            r["name_zh"],
            Decimal(r["critical_t"]),
            Decimal(r["beta"]),
            "表1",
        )
        out[r["name_zh"]] = c
        if r["cas"]:
            out[r["cas"]] = c
    return out


@cache
def table2() -> dict[str, Critical]:
    """表2, keyed by hazard category code (J1..J5, W1.1..W11)."""
    return {
        r["code"]: Critical(
            r["code"], r["category_zh"], Decimal(r["critical_t"]), Decimal(r["beta"]), "表2"
        )
        for r in _rows("gb18218_table2.csv")
    }


@dataclass(frozen=True)
class Holding:
    """A chemical a unit holds: by CAS number or 表1 name, else by its 表2 category."""

    chemical: str  # CAS number or Chinese name
    max_t: Decimal  # the most that can be present, t
    category: str = ""  # 表2 code, used when the chemical is not in 表1


class UnknownChemical(ValueError):
    """Neither in 表1 nor given a 表2 category."""


def critical_for(h: Holding) -> Critical:
    """Q and β of a holding: 表1 by name or CAS first, else 表2 by category (GB 18218 4.1)."""
    named = table1().get(h.chemical.strip())
    if named is not None:
        return named
    cat = table2().get(h.category.strip())
    if cat is None:
        raise UnknownChemical(h.chemical)
    return cat


def alpha(people_within_500m: int) -> Decimal:
    """α (暴露人员校正系数) by the people within 500 m of the unit's boundary (表5)."""
    if people_within_500m < 0:
        raise ValueError("people is zero or more")
    if people_within_500m >= 100:
        return Decimal("2.0")
    if people_within_500m >= 50:
        return Decimal("1.5")
    if people_within_500m >= 30:
        return Decimal("1.2")
    if people_within_500m >= 1:
        return Decimal("1.0")
    return Decimal("0.5")


def grade_of(r: Decimal) -> Grade:
    """The grade for R (表6): 一级 ≥ 100, 二级 [50, 100), 三级 [10, 50), 四级 < 10."""
    if r >= 100:
        return Grade.first
    if r >= 50:
        return Grade.second
    if r >= 10:
        return Grade.third
    return Grade.fourth


@dataclass(frozen=True)
class Assessment:
    """The outcome of identification and grading of one unit."""

    s: Decimal  # Σ q/Q
    weighted: Decimal  # Σ β·q/Q
    alpha: Decimal
    r: Decimal
    major: bool
    grade: Grade
    rules_version: str = RULES_VERSION

    def reason_against(self, before: Assessment | None) -> str:
        """Why a re-grade differs from the previous one (for the unit's history)."""
        if before is None:
            return f"首次辨识: S={self.s:.3f}, R={self.r:.2f}, {self.grade.zh}"
        parts = []
        if before.weighted != self.weighted:
            parts.append(f"Σβq/Q {before.weighted:.3f}→{self.weighted:.3f}")
        if before.alpha != self.alpha:
            parts.append(f"α {before.alpha}→{self.alpha}")
        if before.rules_version != self.rules_version:
            parts.append(f"rules {before.rules_version}→{self.rules_version}")
        change = "; ".join(parts) or "no change"
        return f"{before.grade.zh}→{self.grade.zh} ({change})"


def assess(holdings: list[Holding], people_within_500m: int) -> Assessment:
    """Identify and grade one unit (GB 18218-2018 4.2, 4.3)."""
    s = Decimal(0)
    weighted = Decimal(0)
    for h in holdings:
        if h.max_t < 0:
            raise ValueError("quantities are zero or more")
        c = critical_for(h)
        ratio = h.max_t / c.critical_t
        s += ratio
        weighted += c.beta * ratio
    a = alpha(people_within_500m)
    r = a * weighted
    major = s >= 1
    return Assessment(
        s=s,
        weighted=weighted,
        alpha=a,
        r=r,
        major=major,
        grade=grade_of(r) if major else Grade.none,
    )
