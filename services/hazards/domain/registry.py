"""Registering a hazard (隐患挂号): sectors, sources, the enterprise's code, the number, and
what makes two findings the same hazard."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class InvalidHazard(ValueError):
    """A registration or an act the rules refuse; the message is what the officer reads."""


class Sector(StrEnum):
    """The plan's key sectors (重点行业领域)."""

    hazardous_chemicals = "hazardous-chemicals"  # 危险化学品
    industry_trade = "industry-trade"  # 工贸
    fire = "fire"  # 消防
    road_transport = "road-transport"  # 道路运输
    construction = "construction"  # 建筑施工
    town_gas = "town-gas"  # 城镇燃气
    special_equipment = "special-equipment"  # 特种设备
    other = "other"


SECTOR_NAMES = {
    Sector.hazardous_chemicals: "危险化学品",
    Sector.industry_trade: "工贸",
    Sector.fire: "消防",
    Sector.road_transport: "道路运输",
    Sector.construction: "建筑施工",
    Sector.town_gas: "城镇燃气",
    Sector.special_equipment: "特种设备",
    Sector.other: "其他",
}


class Source(StrEnum):
    inspection = "inspection"  # an officer's inspection finding (执法检查)
    patrol = "patrol"  # a supervisor's patrol or 督导 finding
    public_report = "public-report"  # 举报
    gas_unprotected = "gas-unprotected"  # gas.venue-unprotected.v1
    gas_alarm = "gas-alarm"  # gas.alarm-raised.v1 left unresolved
    loading_source = "loading-source"  # overload.violation-confirmed.v1, repeated
    case_finding = "case-finding"  # a records case entry marked as a hazard finding


# 统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character. The same
# algorithm as the records service's party check (services do not import one another).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(first17: str) -> str:
    """The check character of GB 32100-2015 for the first 17 characters."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """Whether `code` is a well-formed 统一社会信用代码 with the right check character."""
    if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def check_credit_code(code: str) -> str:
    """The code upper-cased, or InvalidHazard naming what is wrong."""
    code = code.strip().upper()
    if not is_valid_uscc(code):
        raise InvalidHazard(f"统一社会信用代码 {code or '(空)'} 无效 (GB 32100-2015 校验位不符)")
    return code


def hazard_number(agency_prefix: str, year: int, seq: int) -> str:
    """The register number, gap-free per agency and year, e.g. 新北隐患〔2026〕17号."""
    return f"{agency_prefix}隐患〔{year}〕{seq}号"


_SPACE = re.compile(r"[\s\u3000,，.。;；:：()（）\-_/#号]+")


def normalise_place(text: str) -> str:
    """The place as a comparison key: full-width folded, spaces and punctuation dropped."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub("", folded)


@dataclass(frozen=True)
class DuplicateKey:
    """An open hazard with the same enterprise, place and kind is the same hazard: a second
    finding of it is linked to the first, not registered twice (挂号 once, tracked once)."""

    credit_code: str
    place: str
    kind: str

    @classmethod
    def of(cls, credit_code: str, location: str, kind: str) -> DuplicateKey:
        return cls(credit_code.upper(), normalise_place(location), kind.strip().lower())

    def text(self) -> str:
        return f"{self.credit_code}|{self.place}|{self.kind}"
