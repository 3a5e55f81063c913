"""Truck overload rules (超限超载), as pure functions with their regulation named.

Version `RULES_VERSION`; every answer carries it, so a decision can be explained later with
the rules it was made under. Masses are Decimal tonnes, never floats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

RULES_VERSION = "jt-2016-62/gb1589-2016/v1"
TONNE = Decimal(1)
KG = Decimal("0.001")


class VehicleKind(StrEnum):
    truck = "truck"  # 货车 (rigid)
    combination = "combination"  # 汽车列车 (tractor + semi-trailer or trailer)


class InvalidWeighing(ValueError):
    pass


@dataclass(frozen=True)
class Configuration:
    kind: VehicleKind
    axles: int
    single_drive_axle: bool = False  # tractor with one drive axle (6+ axle combinations)
    single_tyre_non_drive: bool = False  # single tyres on an axle that is not the drive axle
    air_suspension_twin_drive: bool = False  # air suspension on twin-tyre drive axles


# 交通运输部令2016年第62号 《超限运输车辆行驶公路管理规定》 Art. 3 (GB 1589-2016)
_TABLE: dict[tuple[int, VehicleKind], Decimal] = {
    (2, VehicleKind.truck): Decimal(18),
    (3, VehicleKind.truck): Decimal(25),
    (3, VehicleKind.combination): Decimal(27),
    (4, VehicleKind.truck): Decimal(31),
    (4, VehicleKind.combination): Decimal(36),
    (5, VehicleKind.combination): Decimal(43),
    (6, VehicleKind.combination): Decimal(49),
}
MAX_AXLES = 12


@dataclass(frozen=True)
class Limit:
    limit_t: Decimal
    basis: str
    adjustments: tuple[str, ...] = ()


def gross_limit(cfg: Configuration) -> Limit:
    """The gross-mass limit of a configuration (62号令 Art. 3 (一)–(四)).

    Single tyres on any axle but the drive axle: -3 t. Air suspension with twin tyres on the
    drive axle: +1 t for 3- and 4-axle trucks. Six or more axles with a single drive axle on
    the tractor: 46 t instead of 49 t.
    """
    if not 2 <= cfg.axles <= MAX_AXLES:
        raise InvalidWeighing(f"a goods vehicle has 2 to {MAX_AXLES} axles, not {cfg.axles}")
    key = (min(cfg.axles, 6), cfg.kind)
    if key not in _TABLE:
        raise InvalidWeighing(
            f"no {cfg.axles}-axle {cfg.kind.value} in the limit table: a combination has 3 or "
            "more axles, a rigid truck 2 to 4"
        )
    limit = _TABLE[key]
    basis = "交通运输部令2016年第62号第三条"
    notes: list[str] = []
    if key == (6, VehicleKind.combination) and cfg.single_drive_axle:
        limit = Decimal(46)
        notes.append("tractor with a single drive axle: 46 t")
    if cfg.single_tyre_non_drive:
        limit -= 3
        notes.append("single tyres on a non-drive axle: -3 t")
    if cfg.air_suspension_twin_drive and cfg.kind is VehicleKind.truck and cfg.axles in (3, 4):
        limit += 1
        notes.append("air suspension on twin-tyre drive axles: +1 t")
    return Limit(limit, basis, tuple(notes))


# -- the scale ---------------------------------------------------------------------------------


class ScaleKind(StrEnum):
    static = "static"  # 静态称重 at a fixed station
    wim = "wim"  # 不停车预检 weigh-in-motion: a reading is only a suspicion


@dataclass(frozen=True)
class Scale:
    kind: ScaleKind
    accuracy_class: str  # WIM: OIML R134 class "2", "5", "10"; static: "III"
    interval_kg: int = 20  # static scales: verification interval e

    def tolerance_t(self, reading_t: Decimal) -> Decimal:
        """The largest error allowed in service for this reading.

        WIM (OIML R134 / JJG 907): the class in per cent of the reading (class 2: 2 %).
        Static class III (JJG 539): 3 e above 2,000 e, 2 e above 500 e, e below.
        """
        if self.kind is ScaleKind.wim:
            if self.accuracy_class not in ("2", "5", "10"):
                raise InvalidWeighing("a weigh-in-motion scale is of class 2, 5 or 10")
            return (reading_t * Decimal(self.accuracy_class) / 100).quantize(KG)
        if self.accuracy_class != "III":
            raise InvalidWeighing("a static vehicle scale is of accuracy class III")
        e = Decimal(self.interval_kg) * KG
        multiple = 3 if reading_t > 2000 * e else 2 if reading_t > 500 * e else 1
        return multiple * e


# -- fines -------------------------------------------------------------------------------------


class Rounding(StrEnum):
    up = "up"  # 不足1吨按1吨计: a started tonne counts as a whole one (default)
    down = "down"  # only whole tonnes count
    exact = "exact"  # pro rata to the kilogram


@dataclass(frozen=True)
class FinePolicy:
    warning_up_to_t: Decimal = Decimal(1)
    yuan_per_tonne: int = 500
    cap_yuan: int = 30_000
    rounding: Rounding = Rounding.up


def overlimit_fine(over_t: Decimal, policy: FinePolicy | None = None) -> tuple[int, str]:
    """62号令 Art. 43: up to 1 t over a warning; above, 500 yuan per tonne over, at most 30,000.

    Returns (yuan, what applies). The tonnes over are rounded by `policy.rounding`.
    """
    policy = policy or FinePolicy()
    if over_t <= 0:
        return 0, "not over the limit"
    if over_t <= policy.warning_up_to_t:
        return 0, f"over by at most {policy.warning_up_to_t} t: warning (第四十三条)"
    if policy.rounding is Rounding.up:
        tonnes = over_t.to_integral_value(rounding=ROUND_CEILING)
    elif policy.rounding is Rounding.down:
        tonnes = over_t.to_integral_value(rounding=ROUND_FLOOR)
    else:
        tonnes = over_t
    yuan = int((tonnes * policy.yuan_per_tonne).to_integral_value(rounding=ROUND_FLOOR))
    if yuan >= policy.cap_yuan:
        return (
            policy.cap_yuan,
            f"500 yuan per tonne over, capped at {policy.cap_yuan:,} (第四十三条)",
        )
    return (
        yuan,
        f"{policy.yuan_per_tonne} yuan per tonne over, {tonnes} t "
        f"(第四十三条, rounding {policy.rounding.value})",
    )


def overload_fine(load_t: Decimal, rated_t: Decimal) -> tuple[Decimal, int, str]:
    """超载 against the rated load (道路交通安全法 Art. 92), by the typical tiering.

    Returns (per cent over, yuan, tier). At most 30 %: 200; over 30 % to 50 %: 500; over 50 %
    and under 100 %: 1,000; 100 % or more: 2,000.
    """
    if rated_t <= 0:
        raise InvalidWeighing("the rated load must be positive")
    percent = ((load_t - rated_t) / rated_t * 100).quantize(Decimal("0.01"))
    if percent <= 0:
        return percent, 0, "within the rated load"
    if percent <= 30:
        return percent, 200, "over the rated load by at most 30 %"
    if percent <= 50:
        return percent, 500, "over the rated load by more than 30 % up to 50 %"
    if percent < 100:
        return percent, 1000, "over the rated load by more than 50 %, under 100 %"
    return percent, 2000, "over the rated load by 100 % or more"


# -- sizes and plates --------------------------------------------------------------------------

SIZE_LIMITS_M = {"height": Decimal("4"), "width": Decimal("2.55"), "length": Decimal("18.1")}

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    rf"^[{_PROVINCES}][A-HJ-NP-Z]"
    r"(?:[A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF]|[A-HJ-NP-Z0-9]{4}挂)$"
)


def validate_plate(plate: str) -> str:
    """A Chinese plate, new-energy (8 characters) and trailer (挂) plates included."""
    normalised = plate.strip().upper().replace(" ", "").replace("·", "")
    if not _PLATE.match(normalised):
        raise InvalidWeighing(f"{plate!r} is not a valid Chinese licence plate")
    return normalised


def size_violations(
    height_m: Decimal | None, width_m: Decimal | None, length_m: Decimal | None
) -> list[str]:
    found = []
    for name, value in (("height", height_m), ("width", width_m), ("length", length_m)):
        if value is not None and value > SIZE_LIMITS_M[name]:
            found.append(f"{name} {value} m over {SIZE_LIMITS_M[name]} m")
    return found


# -- the whole answer --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Everything an officer or a weigh station needs to act on, and why."""

    rules_version: str
    limit_t: Decimal
    limit_basis: str
    adjustments: tuple[str, ...]
    measured_t: Decimal
    tolerance_t: Decimal
    over_t: Decimal  # after the scale's tolerance; 0 when within the limit
    over_limit: bool
    suspicion_only: bool  # a weigh-in-motion reading: send the truck to a static scale
    fine_yuan: int
    fine_rule: str
    overload_percent: Decimal | None
    overload_fine_yuan: int
    overload_rule: str
    size_violations: tuple[str, ...]
    hundred_tonne_king: bool  # 百吨王
    notes: tuple[str, ...] = field(default=())


def evaluate(
    cfg: Configuration,
    scale: Scale,
    gross_t: Decimal,
    *,
    rated_load_t: Decimal | None = None,
    curb_mass_t: Decimal | None = None,
    height_m: Decimal | None = None,
    width_m: Decimal | None = None,
    length_m: Decimal | None = None,
    fine_policy: FinePolicy | None = None,
    hundred_tonne_t: Decimal = Decimal(100),
) -> Verdict:
    if not Decimal(0) < gross_t < Decimal(300):
        raise InvalidWeighing("gross mass must be between 0 and 300 t")
    limit = gross_limit(cfg)
    tolerance = scale.tolerance_t(gross_t)
    over = max(Decimal(0), gross_t - tolerance - limit.limit_t)
    suspicion = scale.kind is ScaleKind.wim
    fine, fine_rule = (
        (0, "a weigh-in-motion reading is not a basis for a penalty")
        if suspicion
        else overlimit_fine(over, fine_policy)
    )
    percent, ofine, orule = None, 0, "rated load unknown"
    if rated_load_t is not None and curb_mass_t is not None:
        percent, ofine, orule = overload_fine(gross_t - curb_mass_t, rated_load_t)
    notes = []
    if suspicion and over > 0:
        notes.append("suspected over the limit: weigh on a static scale before any penalty")
    return Verdict(
        rules_version=RULES_VERSION,
        limit_t=limit.limit_t,
        limit_basis=limit.basis,
        adjustments=limit.adjustments,
        measured_t=gross_t,
        tolerance_t=tolerance,
        over_t=over,
        over_limit=over > 0,
        suspicion_only=suspicion,
        fine_yuan=fine,
        fine_rule=fine_rule,
        overload_percent=percent,
        overload_fine_yuan=0 if suspicion else ofine,
        overload_rule=orule,
        size_violations=tuple(size_violations(height_m, width_m, length_m)),
        hundred_tonne_king=gross_t >= hundred_tonne_t,
        notes=tuple(notes),
    )
