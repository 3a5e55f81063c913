"""Who fines what in a truck overload (超限超载), and what goes to the other agency.

- The road authority (公路管理机构 / 交通运输综合执法) fines 超限: 交通运输部令2016年第62号
  Art. 43 (on 公路安全保护条例 Art. 64), axle loads under 公路安全保护条例 Art. 64, and the
  carrier and loading source who instigated it (公路安全保护条例 Art. 68, 62号令 Art. 54).
- The traffic police (公安机关交通管理部门) fine 超载 against the rated load (道路交通安全法
  Art. 92 para. 2) and score the driver's points (道路交通安全违法行为记分管理办法).

An agency proposes only the fines within its own powers (configuration; a district's
overload platform is the road authority's by default). What the weighing shows that another
agency must act on is sent to it as a referral (抄告/移送, 62号令 Art. 45) with the weighing,
the photos and the facts, and with the fine this agency proposes, so that the one act gets
one fine (行政处罚法 Art. 29).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Power(StrEnum):
    road_authority = "road-authority"  # 公路管理机构 / 交通运输综合执法机构
    traffic_police = "traffic-police"  # 公安机关交通管理部门


DEFAULT_POWERS = frozenset({Power.road_authority})
RECIPIENTS = {
    Power.road_authority: "公路管理机构(交通运输综合执法机构)",
    Power.traffic_police: "公安机关交通管理部门",
}

ART_43 = "《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第四十三条"
ART_45 = "《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第四十五条"
ART_64 = "《公路安全保护条例》第六十四条"
ART_92 = "《中华人民共和国道路交通安全法》第九十二条第二款"
POINTS = "《道路交通安全违法行为记分管理办法》(公安部令第163号)"
ONE_FINE = "《中华人民共和国行政处罚法》第二十九条"


class UnknownPower(ValueError):
    pass


@dataclass(frozen=True)
class Matter:
    """One thing a weighing shows that an agency with `power` acts on."""

    code: str
    power: Power
    basis: str
    what: str


@dataclass(frozen=True)
class ReferralDraft:
    """A referral (抄告/移送) to the agency holding `to_power`."""

    to_power: Power
    to_agency: str
    matters: tuple[Matter, ...]
    basis: tuple[str, ...]


def powers_of(agency_id: str, configured: Mapping[str, Iterable[str]]) -> frozenset[Power]:
    """The agency's powers from configuration; an agency not listed is a road authority."""
    listed = configured.get(agency_id)
    if not listed:
        return DEFAULT_POWERS
    try:
        return frozenset(Power(p) for p in listed)
    except ValueError as exc:
        raise UnknownPower(f"{agency_id}: powers are road-authority, traffic-police") from exc


def matters_of(verdict: Mapping) -> list[Matter]:
    """What a confirmed static weighing shows, by the agency competent for each.

    `verdict` is the stored verdict (v1 or v2 keys). A weigh-in-motion reading shows
    nothing (it is only a suspicion).
    """
    if verdict.get("suspicion_only"):
        return []
    found: list[Matter] = []
    if verdict.get("over_limit"):
        found.append(
            Matter(
                "overlimit",
                Power.road_authority,
                f"{ART_64}; {ART_43}",
                f"超限: 车货总质量 {verdict.get('measured_t')} t, 限定标准 "
                f"{verdict.get('limit_t')} t, 扣除称重误差后超限 {verdict.get('over_t')} t"
                + (
                    f"; 外廓尺寸 {', '.join(verdict.get('size_violations') or [])}"
                    if verdict.get("size_violations")
                    else ""
                ),
            )
        )
    if verdict.get("axle_over"):
        found.append(
            Matter("axle-load", Power.road_authority, ART_64, "轴荷超过 GB 1589-2016 限值")
        )
    if int(verdict.get("overload_fine_yuan") or 0) > 0:
        percent = verdict.get("overload_percent")
        found.append(
            Matter(
                "overload",
                Power.traffic_police,
                ART_92,
                f"超载: 扣除称重误差后超过核定载质量 {percent}% ({verdict.get('overload_rule')})",
            )
        )
        found.append(
            Matter(
                "driver-points",
                Power.traffic_police,
                POINTS,
                "驾驶人记分, 由公安机关交通管理部门依法决定",
            )
        )
    return found


def referrals(
    matters: Iterable[Matter],
    powers: frozenset[Power],
    recipients: Mapping[str, str] | None = None,
) -> list[ReferralDraft]:
    """The matters outside the agency's powers, one referral per competent agency.

    Basis: 62号令 Art. 45 (what the road authority finds for the traffic police is reported
    to them) and 行政处罚法 Art. 29 (one act, one fine: the referral carries this agency's
    own proposal so the other agency can apply it).
    """
    names = {**{p.value: n for p, n in RECIPIENTS.items()}, **(recipients or {})}
    by_power: dict[Power, list[Matter]] = {}
    for m in matters:
        if m.power not in powers:
            by_power.setdefault(m.power, []).append(m)
    return [
        ReferralDraft(
            to_power=power,
            to_agency=names.get(power.value, RECIPIENTS[power]),
            matters=tuple(found),
            basis=(ART_45, ONE_FINE) if power is Power.traffic_police else (ONE_FINE,),
        )
        for power, found in sorted(by_power.items())
    ]
