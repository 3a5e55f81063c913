"""Truck overload rules (超限超载), as pure functions with their regulation named.

Version `RULES_VERSION`; every answer carries it, so a decision can be explained later with
the rules it was made under (`RULE_SETS` says what each version did). Masses are Decimal
tonnes with at most three decimals (whole kilograms), never floats; every comparison that
decides an outcome is exact.

Sources:
- 交通运输部令2016年第62号《超限运输车辆行驶公路管理规定》 ("62号令"): Art. 3 para. 1 items
  (一)–(三) the dimensions, (四)–(八) the gross masses; Art. 3 para. 2 items (一)–(五) how the
  limit is worked out; Art. 43 the fines; Art. 45 what is reported to the traffic police.
- GB 1589-2016 《汽车、挂车及汽车列车外廓尺寸、轴荷及质量限值》: axle-load limits (4.3),
  the refrigerated truck's width and the centre-axle car carrier's length.
- 交公路发〔2016〕124号 附件《公路货运车辆超限超载认定标准》, notes 1–4: the 2-axle truck's
  行驶证 mass, -3 t per axle with single tyres, the widened tyres (425/445 mm), air suspension.
- 道路交通安全法 Art. 92 para. 2: 超载 against the rated load (核定载质量).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal, localcontext
from enum import StrEnum
from fractions import Fraction

RULES_VERSION = "jt-2016-62/gb1589-2016/v2"
TONNE = Decimal(1)
KG = Decimal("0.001")

# What each version of the rules did; a stored verdict names its version, and its own text
# (limit, adjustments, rules applied) stays as it was written.
RULE_SETS: dict[str, str] = {
    "jt-2016-62/gb1589-2016/v1": (
        "62号令 Art. 3 table with -3 t for single tyres and +1 t for air suspension; the "
        "scale's error deducted for 超限 only; 超载 on the reading, percent rounded to 0.01; "
        "Art. 43 counted per started tonne"
    ),
    "jt-2016-62/gb1589-2016/v2": (
        "every item of 62号令 Art. 3 para. 2 (axle groups, -3 t per single-tyred axle unless "
        "widened tyres, the sum of the GB 1589 axle limits, the 行驶证 mass of tractors, farm "
        "vehicles and low-speed trucks, GB 1589 special vehicles, permits for indivisible "
        "loads); axle loads judged against GB 1589-2016; dimensions fined under Art. 43(1)(一); "
        "the scale's error deducted for 超载 too, tiers decided exactly; the Art. 43 reading "
        "named with its source (default per full tonne, the party's favour)"
    ),
}


class VehicleKind(StrEnum):
    truck = "truck"  # 货车 (rigid)
    combination = "combination"  # 汽车列车 (tractor + semi-trailer or trailer)
    tractor = "tractor"  # 拖拉机 (运输型)
    farm_vehicle = "farm_vehicle"  # 农用车: 三轮汽车 (formerly 三轮农用运输车)
    low_speed_truck = "low_speed_truck"  # 低速货车 (formerly 四轮农用运输车)


# 62号令 Art. 3 para. 2 (四): limited by the 行驶证's rated gross mass (核定的总质量).
LICENSED_KINDS = frozenset(
    {VehicleKind.tractor, VehicleKind.farm_vehicle, VehicleKind.low_speed_truck}
)


class Special(StrEnum):
    """GB 1589-conforming vehicles that 62号令 Art. 3 para. 2 (五) does not count as 超限
    where GB 1589 allows them more than the table (air suspension is its own flag)."""

    refrigerated = "refrigerated"  # 冷藏车: width 2.6 m (GB 1589-2016 4.1)
    centre_axle_car_carrier = "centre_axle_car_carrier"  # 中置轴车辆运输列车: length 22 m
    special_purpose = "special_purpose"  # 专用作业车: its own GB 1589 mass, on the 行驶证


class InvalidWeighing(ValueError):
    pass


@dataclass(frozen=True)
class AxleGroup:
    """One axle or axle group as weighed, in order from the front.

    62号令 Art. 3 para. 2 (一): a two-axle group counts as two axles, a three-axle group as
    three. `spread_mm` is the distance between the group's adjacent axles (GB 1589 table).
    """

    axles: int = 1
    load_t: Decimal | None = None
    twin_tyres: bool = True  # 每侧双轮胎
    drive: bool = False  # 驱动轴
    steer: bool = False  # 转向轴
    spread_mm: int | None = None
    air_suspension: bool = False
    widened_tyres: bool = False  # 加宽轮胎 meeting the national standard (425 / 445 mm)


@dataclass(frozen=True)
class Permit:
    """A 超限运输许可 (62号令 ch. 2, 大件运输) for an indivisible load (不可解体物品).

    Within the permitted figures the vehicle is not in 违法超限运输; beyond them it is judged
    against the permitted figures.
    """

    permit_no: str
    gross_t: Decimal
    height_m: Decimal | None = None
    width_m: Decimal | None = None
    length_m: Decimal | None = None


@dataclass(frozen=True)
class Configuration:
    kind: VehicleKind
    axles: int
    single_drive_axle: bool = False  # tractor with one drive axle (6+ axle combinations)
    single_tyre_non_drive: bool = False  # v1 flag: one non-drive axle with single tyres
    air_suspension_twin_drive: bool = False  # air suspension on twin-tyre drive axles
    single_tyre_axles: int = 0  # non-drive axles of groups and trailers with single tyres
    widened_tyre_axles: int = 0  # of those, with widened tyres meeting the national standard
    licensed_gross_t: Decimal | None = None  # 行驶证核定的总质量
    special: Special | None = None
    semi_trailer_spread_mm: int | None = None  # 4-axle articulated with air suspension: 37 t
    axle_groups: tuple[AxleGroup, ...] = ()


# 62号令 Art. 3 para. 1, items (四)–(八) (GB 1589-2016 4.2): the limit and the item.
_TABLE: dict[tuple[int, VehicleKind], tuple[Decimal, str]] = {
    (2, VehicleKind.truck): (Decimal(18), "(四)"),
    (3, VehicleKind.truck): (Decimal(25), "(五)"),
    (3, VehicleKind.combination): (Decimal(27), "(五)"),
    (4, VehicleKind.truck): (Decimal(31), "(六)"),
    (4, VehicleKind.combination): (Decimal(36), "(六)"),
    (5, VehicleKind.combination): (Decimal(43), "(七)"),
    (6, VehicleKind.combination): (Decimal(49), "(八)"),
}
MAX_AXLES = 12
ART3 = "交通运输部令2016年第62号第三条"
NOTICE_124 = "交公路发〔2016〕124号附件备注"


@dataclass(frozen=True)
class Limit:
    limit_t: Decimal
    basis: str
    adjustments: tuple[str, ...] = ()


def axle_group_limit(g: AxleGroup) -> tuple[Decimal, str]:
    """The largest load GB 1589-2016 (4.3, axle-load table) allows on one axle or group.

    Single axle: single tyres 7 t (a trailer axle with widened tyres of 425 mm or more
    10 t); twin tyres 10 t, a drive axle 11.5 t. Two-axle group by spread d: d < 1,000 mm
    11.5 t; < 1,300 mm 16 t; < 1,800 mm 18 t (19 t for twin-tyre drive axles with air
    suspension); 1,800 mm or more 18 t. Three-axle group: d <= 1,300 mm 21 t; above 24 t.
    An unknown spread is given the most the group may carry (in the party's favour).
    """
    if g.axles == 1:
        if g.twin_tyres and not g.steer:
            return (
                (Decimal("11.5"), "drive axle, twin tyres")
                if g.drive
                else (
                    Decimal(10),
                    "single axle, twin tyres",
                )
            )
        if g.widened_tyres and not g.steer:
            return Decimal(10), "single axle, widened tyres"
        return Decimal(7), "single axle, single tyres"
    if g.axles == 2:
        d = g.spread_mm
        bonus = g.drive and g.twin_tyres and g.air_suspension
        if d is not None and d < 1000:
            return Decimal("11.5"), "two-axle group, d < 1,000 mm"
        if d is not None and d < 1300:
            return Decimal(16), "two-axle group, 1,000 <= d < 1,300 mm"
        if bonus and (d is None or d < 1800):
            return Decimal(19), "two-axle drive group, twin tyres, air suspension"
        return Decimal(18), "two-axle group"
    if g.axles == 3:
        if g.spread_mm is not None and g.spread_mm <= 1300:
            return Decimal(21), "three-axle group, d <= 1,300 mm"
        return Decimal(24), "three-axle group"
    raise InvalidWeighing("an axle group has 1, 2 or 3 axles")


def counted_axles(cfg: Configuration) -> int:
    """62号令 Art. 3 para. 2 (一): groups count by their axles; they must agree with `axles`."""
    if not cfg.axle_groups:
        return cfg.axles
    n = sum(g.axles for g in cfg.axle_groups)
    if n != cfg.axles:
        raise InvalidWeighing(
            f"the axle groups count {n} axles (a two-axle group is two axles, 62号令第三条第二款"
            f"第(一)项), the vehicle {cfg.axles}"
        )
    return n


def single_tyred_axles(cfg: Configuration) -> tuple[int, int]:
    """(axles with single tyres that lower the limit, of them with widened tyres).

    62号令 Art. 3 para. 2 (二): apart from the drive axle, the axles of groups and of
    trailers count as twin-tyred; each with single tyres lowers the limit by 3,000 kg
    (124号 note 2: "每减少两个轮胎"), unless it carries widened tyres meeting the national
    standard (124号 note 3: 425 mm on trailers, 445 mm on drive axles).
    """
    from_groups = sum(
        g.axles for g in cfg.axle_groups if not g.twin_tyres and not g.drive and not g.steer
    )
    widened_groups = sum(
        g.axles
        for g in cfg.axle_groups
        if not g.twin_tyres and not g.drive and not g.steer and g.widened_tyres
    )
    single = max(cfg.single_tyre_axles, from_groups, 1 if cfg.single_tyre_non_drive else 0)
    widened = min(single, max(cfg.widened_tyre_axles, widened_groups))
    if cfg.widened_tyre_axles > single:
        raise InvalidWeighing("more axles with widened tyres than axles with single tyres")
    return single, widened


def gross_limit(cfg: Configuration) -> Limit:
    """The gross-mass limit (62号令 Art. 3 para. 1 items (四)–(八), para. 2 items (一)–(五)).

    Tractors, farm vehicles and low-speed trucks: the 行驶证's rated gross mass (para. 2 (四)).
    Others: the table by axles counted with groups (para. 2 (一)); six or more axles with a
    single drive axle on the tractor 46 t; -3 t per non-drive axle with single tyres unless
    widened tyres (para. 2 (二)); GB 1589 vehicles keep GB 1589's figure (para. 2 (五)): air
    suspension on twin-tyre drive axles +1 t for 3- and 4-axle trucks, 37 t for a 4-axle
    articulated combination with the semi-trailer's axles 1,800 mm or more apart (124号
    note 4), a special-purpose vehicle its 行驶证 mass; a 2-axle truck never above its
    行驶证 mass (124号 note 1); and never above the sum of the axle-load limits when the
    axles are known (para. 2 (三)).
    """
    if not 1 <= cfg.axles <= MAX_AXLES:
        raise InvalidWeighing(f"a goods vehicle has 1 to {MAX_AXLES} axles, not {cfg.axles}")
    axles = counted_axles(cfg)
    notes: list[str] = []
    if cfg.kind in LICENSED_KINDS or cfg.special is Special.special_purpose:
        if cfg.licensed_gross_t is None or cfg.licensed_gross_t <= 0:
            raise InvalidWeighing(
                f"a {cfg.kind.value} is limited by the 行驶证's rated gross mass: "
                "licensed_gross_t is required"
            )
        limit = cfg.licensed_gross_t
        if cfg.kind in LICENSED_KINDS:
            basis = f"{ART3}第二款第(四)项"
            notes.append(f"{cfg.kind.value}: the 行驶证's rated gross mass {limit} t")
        else:
            basis = f"{ART3}第二款第(五)项; GB 1589-2016"
            notes.append(f"special-purpose vehicle (专用作业车): its GB 1589 mass {limit} t")
        return _axle_sum_cap(cfg, limit, basis, notes)
    if axles < 2:
        raise InvalidWeighing(f"a goods vehicle has 2 to {MAX_AXLES} axles, not {axles}")
    key = (min(axles, 6), cfg.kind)
    if key not in _TABLE:
        raise InvalidWeighing(
            f"no {axles}-axle {cfg.kind.value} in the limit table: a combination has 3 or "
            "more axles, a rigid truck 2 to 4"
        )
    limit, item = _TABLE[key]
    basis = f"{ART3}第一款第{item}项"
    if key == (6, VehicleKind.combination) and cfg.single_drive_axle:
        limit = Decimal(46)
        notes.append("tractor with a single drive axle: 46 t (第一款第(八)项)")
    single, widened = single_tyred_axles(cfg)
    if single - widened > 0:
        limit -= 3 * (single - widened)
        notes.append(
            f"{single - widened} non-drive axle(s) with single tyres: "
            f"-{3 * (single - widened)} t (第二款第(二)项)"
        )
    if widened:
        notes.append(f"{widened} axle(s) with widened tyres to the national standard: no -3 t")
    if cfg.air_suspension_twin_drive and cfg.kind is VehicleKind.truck and axles in (3, 4):
        limit += 1
        notes.append(
            f"air suspension on twin-tyre drive axles: +1 t (第二款第(五)项, {NOTICE_124}4)"
        )
    if (
        cfg.air_suspension_twin_drive
        and key == (4, VehicleKind.combination)
        and cfg.semi_trailer_spread_mm is not None
        and cfg.semi_trailer_spread_mm >= 1800
    ):
        limit = max(limit, Decimal(37))
        notes.append(f"4-axle articulated, air suspension, d >= 1,800 mm: 37 t ({NOTICE_124}4)")
    if (
        key == (2, VehicleKind.truck)
        and cfg.licensed_gross_t is not None
        and 0 < cfg.licensed_gross_t < limit
    ):
        limit = cfg.licensed_gross_t
        notes.append(f"2-axle truck: its 行驶证 mass {limit} t ({NOTICE_124}1)")
    return _axle_sum_cap(cfg, limit, basis, notes)


def _axle_sum_cap(cfg: Configuration, limit: Decimal, basis: str, notes: list[str]) -> Limit:
    """62号令 Art. 3 para. 2 (三): never above the sum of the axles' GB 1589 limits."""
    if cfg.axle_groups:
        total = sum((axle_group_limit(g)[0] for g in cfg.axle_groups), Decimal(0))
        if total < limit:
            notes.append(
                f"the sum of the axle-load limits {total} t is lower: the limit (第二款第(三)项)"
            )
            limit = total
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
            # Rounded up to the kilogram: the party keeps the benefit of the doubt.
            return (reading_t * Decimal(self.accuracy_class) / 100).quantize(
                KG, rounding=ROUND_CEILING
            )
        if self.accuracy_class != "III":
            raise InvalidWeighing("a static vehicle scale is of accuracy class III")
        e = Decimal(self.interval_kg) * KG
        multiple = 3 if reading_t > 2000 * e else 2 if reading_t > 500 * e else 1
        return multiple * e


def _kg(t: Decimal) -> int:
    """Whole kilograms; a mass given finer than 1 kg is refused rather than rounded."""
    kg = t * 1000
    if kg != kg.to_integral_value():
        raise InvalidWeighing(f"{t} t is finer than a kilogram")
    return int(kg)


# -- fines -------------------------------------------------------------------------------------


class Rounding(StrEnum):
    """How "每超1000千克罚款500元" (62号令 Art. 43(1)(二)) counts the tonnes over."""

    up = "up"  # per started tonne: 不足1000千克按1000千克计
    down = "down"  # per full tonne: only whole 1000 kg count (the party's favour)
    exact = "exact"  # proportional, to the kilogram


READINGS = {
    Rounding.up: "per started tonne (不足1000千克的按1000千克计)",
    Rounding.down: "per full tonne (每满1000千克罚款500元)",
    Rounding.exact: "proportional to the kilogram (按比例计算)",
}
# Without a district benchmark, the reading most favourable to the party: 行政处罚法
# Art. 5 (过罚相当) and the rule that a doubt in a penalty provision is read for the party.
DEFAULT_READING_SOURCE = (
    "no district discretion benchmark configured: the reading most favourable to the party "
    "(《中华人民共和国行政处罚法》第五条 过罚相当; 《超限运输车辆行驶公路管理规定》第四十三条"
    "第一款第(二)项 does not say how a part tonne counts)"
)


@dataclass(frozen=True)
class FinePolicy:
    warning_up_to_t: Decimal = Decimal(1)
    yuan_per_tonne: int = 500
    cap_yuan: int = 30_000
    rounding: Rounding = Rounding.down
    source: str = DEFAULT_READING_SOURCE  # the district benchmark the reading comes from

    @property
    def reading(self) -> str:
        return READINGS[self.rounding]


def overlimit_fine(over_t: Decimal, policy: FinePolicy | None = None) -> tuple[int, str]:
    """62号令 Art. 43(1)(二): over the limit of Art. 3 para. 1 items (四)–(八) by at most
    1,000 kg a warning; above, 500 yuan per 1,000 kg over, at most 30,000.

    Returns (yuan, what applies). The tonnes over are counted by `policy.rounding`, the
    district's discretion-benchmark reading; the text names it.
    """
    policy = policy or FinePolicy()
    if over_t <= 0:
        return 0, "not over the limit"
    if over_t <= policy.warning_up_to_t:
        return 0, f"over by at most {policy.warning_up_to_t} t: warning (第四十三条第一款第(二)项)"
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
            f"500 yuan per tonne over, capped at {policy.cap_yuan:,} (第四十三条第一款第(二)项)",
        )
    return (
        yuan,
        f"{policy.yuan_per_tonne} yuan per tonne over, {tonnes} t counted "
        f"{policy.reading} (第四十三条第一款第(二)项)",
    )


# 道路交通安全法 Art. 92 para. 2 with DOMAIN's typical tiering: (upper bound of the tier in
# per cent, inclusive?, yuan, text).
_OVERLOAD_TIERS = (
    (30, True, 200, "over the rated load by at most 30 %"),
    (50, True, 500, "over the rated load by more than 30 % up to 50 %"),
    (100, False, 1000, "over the rated load by more than 50 %, under 100 %"),
)
_TOP_TIER = (2000, "over the rated load by 100 % or more")


def _percent_text(excess_kg: int, rated_kg: int) -> Decimal:
    """The per cent over, for reading: truncated to 0.01, with more digits where the
    truncation would land on a tier boundary the exact value lies beyond."""
    exact = Fraction(excess_kg * 100, rated_kg)
    with localcontext() as ctx:
        ctx.prec = 40
        value = Decimal(excess_kg * 100) / Decimal(rated_kg)
    for places in ("0.01", "0.001", "0.0001", "0.00001", "0.000001"):
        shown = value.quantize(Decimal(places), rounding=ROUND_DOWN)
        if Fraction(shown) == exact or Fraction(shown) not in (30, 50, 100):
            return shown
    return shown


def overload_fine(load_t: Decimal, rated_t: Decimal) -> tuple[Decimal, int, str]:
    """超载 against the rated load (道路交通安全法 Art. 92 para. 2), by the typical tiering.

    Returns (per cent over, yuan, tier). At most 30 %: 200; over 30 % to 50 %: 500; over 50 %
    and under 100 %: 1,000; 100 % or more: 2,000. The tier is decided on whole kilograms,
    exactly: 30.004 % over is over 30 %.
    """
    if rated_t <= 0:
        raise InvalidWeighing("the rated load must be positive")
    load_kg, rated_kg = _kg(load_t), _kg(rated_t)
    excess = load_kg - rated_kg
    if excess <= 0:
        return _percent_text(excess, rated_kg), 0, "within the rated load"
    ratio = Fraction(excess * 100, rated_kg)
    percent = _percent_text(excess, rated_kg)
    for bound, inclusive, yuan, text in _OVERLOAD_TIERS:
        if ratio < bound or (inclusive and ratio == bound):
            return percent, yuan, text
    return percent, *_TOP_TIER


@dataclass(frozen=True)
class OverloadFinding:
    load_t: Decimal  # gross - the scale's error - curb mass
    percent: Decimal
    fine_yuan: int
    rule: str


def overload_of(
    gross_t: Decimal, tolerance_t: Decimal, curb_mass_t: Decimal, rated_load_t: Decimal
) -> OverloadFinding:
    """超载 after the scale's error, exactly as 超限 deducts it: the load carried is the
    reading less the scale's largest permissible error less the curb mass (整备质量), so
    what lies within the scale's error is never penalised (道路交通安全法 Art. 92; JJG 539
    / OIML R134 for the error)."""
    load = max(Decimal(0), gross_t - tolerance_t - curb_mass_t)
    percent, yuan, rule = overload_fine(load, rated_load_t)
    if yuan:
        rule += f" after the scale's error of {tolerance_t} t"
    elif gross_t - curb_mass_t > rated_load_t:
        rule = f"within the rated load once the scale's error of {tolerance_t} t is deducted"
    return OverloadFinding(load, percent, yuan, rule)


# -- sizes and plates --------------------------------------------------------------------------

SIZE_LIMITS_M = {"height": Decimal("4"), "width": Decimal("2.55"), "length": Decimal("18.1")}
SIZE_ITEMS = {"height": "(一)", "width": "(二)", "length": "(三)"}
# 62号令 Art. 43(1)(一): bands by how far out the vehicle is (height, width, length, yuan).
SIZE_BANDS = (
    (Decimal("4.2"), Decimal("3"), Decimal("20"), 0, 200),
    (Decimal("4.5"), Decimal("3.75"), Decimal("28"), 200, 1000),
)
SIZE_TOP_BAND = (1000, 3000)

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


def size_limits(special: Special | None = None, permit: Permit | None = None) -> dict[str, Decimal]:
    """62号令 Art. 3 para. 1 (一)–(三): 4 m, 2.55 m, 18.1 m; GB 1589-2016 allows a
    refrigerated truck 2.6 m and a centre-axle car carrier 22 m (para. 2 (五)); a permit
    (大件运输许可) its own figures."""
    limits = dict(SIZE_LIMITS_M)
    if special is Special.refrigerated:
        limits["width"] = Decimal("2.6")
    if special is Special.centre_axle_car_carrier:
        limits["length"] = Decimal("22")
    if permit is not None:
        for name in limits:
            granted = getattr(permit, f"{name}_m")
            if granted is not None:
                limits[name] = max(limits[name], granted)
    return limits


def size_violations(
    height_m: Decimal | None,
    width_m: Decimal | None,
    length_m: Decimal | None,
    limits: dict[str, Decimal] | None = None,
) -> list[str]:
    """62号令 Art. 3 para. 1 (一) height 4 m, (二) width 2.55 m, (三) length 18.1 m."""
    limits = limits or SIZE_LIMITS_M
    found = []
    for name, value in (("height", height_m), ("width", width_m), ("length", length_m)):
        if value is not None and value > limits[name]:
            found.append(f"{name} {value} m over {limits[name]} m")
    return found


def size_fine_band(
    height_m: Decimal | None, width_m: Decimal | None, length_m: Decimal | None
) -> tuple[int, int, str]:
    """62号令 Art. 43(1)(一): within 4.2 m high, 3 m wide and 20 m long up to 200 yuan; within
    4.5 m, 3.75 m and 28 m 200-1,000; beyond any of these 1,000-3,000. (low, high, text)."""
    h, w, ln = (v or Decimal(0) for v in (height_m, width_m, length_m))
    for max_h, max_w, max_l, low, high in SIZE_BANDS:
        if h <= max_h and w <= max_w and ln <= max_l:
            return low, high, f"{low}-{high} yuan (第四十三条第一款第(一)项)"
    low, high = SIZE_TOP_BAND
    return low, high, f"{low}-{high} yuan (第四十三条第一款第(一)项)"


# -- the whole answer --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Everything an officer or a weigh station needs to act on, and why.

    The fields after `notes` came with v2; a verdict stored under v1 lacks them and reads
    with their defaults.
    """

    rules_version: str
    limit_t: Decimal
    limit_basis: str
    adjustments: tuple[str, ...]
    measured_t: Decimal
    tolerance_t: Decimal
    over_t: Decimal  # after the scale's tolerance; 0 when within the limit
    over_limit: bool  # over the gross limit or a dimension (62号令 Art. 3 para. 1)
    suspicion_only: bool  # a weigh-in-motion reading: send the truck to a static scale
    fine_yuan: int  # Art. 43: the mass fine plus the size fine, at most 30,000
    fine_rule: str
    overload_percent: Decimal | None
    overload_fine_yuan: int
    overload_rule: str
    size_violations: tuple[str, ...]
    hundred_tonne_king: bool  # 百吨王
    notes: tuple[str, ...] = field(default=())
    fine_reading: str = ""  # how "每超1000千克罚款500元" was read
    fine_reading_source: str = ""  # the benchmark (or default) that reading comes from
    axle_findings: tuple[str, ...] = ()  # each axle or group against GB 1589-2016
    axle_over: bool = False  # an axle load over its limit (公路安全保护条例 Art. 64)
    size_fine_yuan: int = 0  # Art. 43(1)(一), the band's lowest until the benchmark says
    size_rule: str = ""
    permit_no: str = ""  # 大件运输许可 the figures were judged against
    overload_load_t: Decimal | None = None  # the load carried, after the scale's error
    mass_over_limit: bool = False  # the gross mass alone, after the scale's error


def _axle_findings(cfg: Configuration, scale: Scale) -> tuple[tuple[str, ...], bool]:
    found, over = [], False
    for i, g in enumerate(cfg.axle_groups, start=1):
        limit, what = axle_group_limit(g)
        if g.load_t is None:
            found.append(f"axle {i} ({what}): limit {limit} t, not weighed")
            continue
        tol = scale.tolerance_t(g.load_t)
        excess = g.load_t - tol - limit
        if excess > 0:
            over = True
            found.append(
                f"axle {i} ({what}): {g.load_t} t, over its limit {limit} t by {excess} t "
                f"after the scale's error {tol} t (GB 1589-2016; 公路安全保护条例第六十四条)"
            )
        else:
            found.append(f"axle {i} ({what}): {g.load_t} t within {limit} t")
    return tuple(found), over


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
    permit: Permit | None = None,
) -> Verdict:
    """A weighing judged by 62号令 Art. 3 and 43, GB 1589-2016 and 道路交通安全法 Art. 92.

    The scale's largest permissible error is deducted before anything counts as over, for
    the gross limit, each axle and the rated load alike. A weigh-in-motion reading is only a
    suspicion. A permit for an indivisible load replaces the limits by its figures.
    """
    if not Decimal(0) < gross_t < Decimal(300):
        raise InvalidWeighing("gross mass must be between 0 and 300 t")
    _kg(gross_t)
    policy = fine_policy or FinePolicy()
    limit = gross_limit(cfg)
    limit_t, basis, adjustments = limit.limit_t, limit.basis, limit.adjustments
    if permit is not None:
        if not permit.permit_no.strip() or permit.gross_t <= 0:
            raise InvalidWeighing("a permit needs its number and its permitted gross mass")
        limit_t = max(limit_t, permit.gross_t)
        basis = f"超限运输许可 {permit.permit_no} (交通运输部令2016年第62号第二章, 不可解体物品)"
        adjustments = (*adjustments, f"permit {permit.permit_no}: {limit_t} t")
    tolerance = scale.tolerance_t(gross_t)
    over = max(Decimal(0), gross_t - tolerance - limit_t)
    suspicion = scale.kind is ScaleKind.wim
    sizes = tuple(size_violations(height_m, width_m, length_m, size_limits(cfg.special, permit)))
    size_yuan, size_rule = 0, ""
    if sizes:
        low, _high, band = size_fine_band(height_m, width_m, length_m)
        size_yuan = low
        size_rule = f"outside the dimensions: {band}; proposed at the band's lowest"
    if suspicion:
        fine, fine_rule = 0, "a weigh-in-motion reading is not a basis for a penalty"
        size_yuan = 0
    else:
        fine, fine_rule = overlimit_fine(over, policy)
        if size_yuan and fine + size_yuan > policy.cap_yuan:
            fine_rule += f"; with the size fine at most {policy.cap_yuan:,} (第四十三条第二款)"
        fine = min(policy.cap_yuan, fine + size_yuan)
    axle_findings, axle_over = _axle_findings(cfg, scale)
    percent, ofine, orule, load = None, 0, "rated load unknown", None
    if rated_load_t is not None and curb_mass_t is not None:
        found = overload_of(gross_t, tolerance, curb_mass_t, rated_load_t)
        percent, ofine, orule, load = found.percent, found.fine_yuan, found.rule, found.load_t
    notes = []
    if suspicion and (over > 0 or sizes):
        notes.append("suspected over the limit: weigh on a static scale before any penalty")
    if axle_over:
        notes.append(
            "an axle load is over GB 1589-2016: 公路安全保护条例第六十四条 (up to 30,000 yuan, "
            "by the district's benchmark); not added to the computed fine"
        )
    return Verdict(
        rules_version=RULES_VERSION,
        limit_t=limit_t,
        limit_basis=basis,
        adjustments=adjustments,
        measured_t=gross_t,
        tolerance_t=tolerance,
        over_t=over,
        over_limit=over > 0 or bool(sizes),
        suspicion_only=suspicion,
        fine_yuan=fine,
        fine_rule=fine_rule + (f"; {size_rule}" if size_rule and not suspicion else ""),
        overload_percent=percent,
        overload_fine_yuan=0 if suspicion else ofine,
        overload_rule=orule,
        size_violations=sizes,
        hundred_tonne_king=gross_t >= hundred_tonne_t,
        notes=tuple(notes),
        fine_reading=policy.reading,
        fine_reading_source=policy.source,
        axle_findings=axle_findings,
        axle_over=axle_over,
        size_fine_yuan=size_yuan,
        size_rule=size_rule,
        permit_no=permit.permit_no if permit else "",
        overload_load_t=load,
        mass_over_limit=over > 0,
    )
