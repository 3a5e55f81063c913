"""The overload rules against the law, clause by clause, at their boundaries.

62号令 = 交通运输部令2016年第62号《超限运输车辆行驶公路管理规定》; 124号 = 交公路发〔2016〕124号
附件《公路货运车辆超限超载认定标准》; GB 1589 = GB 1589-2016.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from services.overload.domain.rules import (
    RULE_SETS,
    RULES_VERSION,
    AxleGroup,
    Configuration,
    FinePolicy,
    InvalidWeighing,
    Permit,
    Rounding,
    Scale,
    ScaleKind,
    Special,
    VehicleKind,
    axle_group_limit,
    evaluate,
    gross_limit,
    overlimit_fine,
    overload_fine,
    overload_of,
    size_fine_band,
)

pytestmark = pytest.mark.unit

T, C = VehicleKind.truck, VehicleKind.combination
STATIC = Scale(ScaleKind.static, "III", interval_kg=20)  # 60 kg above 40 t, 40 kg above 10 t


# -- 超载 (道路交通安全法 Art. 92 para. 2) after the scale's error ---------------------------

# (gross, yuan): rated 10 t, curb 5 t; a 20 kg-interval scale allows 40 kg on 10-40 t.
# The load carried is gross - 0.040 - 5.
OVERLOAD_AFTER_ERROR = [
    ("15.040", 0),  # 10.000 t carried: within the rated load
    ("15.060", 200),  # 10.020 t: over, at most 30 %
    ("18.040", 200),  # 13.000 t: exactly 30 %
    ("18.041", 500),  # 13.001 t: 30.01 % is over 30 %
    ("20.040", 500),  # exactly 50 %
    ("20.041", 1000),
    ("25.039", 1000),  # 99.99 %
    ("25.040", 2000),  # exactly 100 %
]


@pytest.mark.parametrize(("gross", "yuan"), OVERLOAD_AFTER_ERROR)
def test_art_92_tiers_count_only_what_lies_beyond_the_scales_error(gross, yuan):
    v = evaluate(Configuration(T, 2), STATIC, D(gross), rated_load_t=D(10), curb_mass_t=D(5))
    assert v.tolerance_t == D("0.040")
    assert v.overload_fine_yuan == yuan, v.overload_rule


def test_an_overload_within_the_scales_error_is_no_overload():
    # 15.03 t read: 10.03 t carried on the reading, 9.99 t once the 40 kg error is deducted.
    found = overload_of(D("15.03"), D("0.040"), D(5), D(10))
    assert found.fine_yuan == 0 and "scale's error" in found.rule
    assert found.load_t == D("9.990")


@pytest.mark.parametrize(
    ("load_kg", "rated_kg", "yuan", "shown"),
    [
        (32_501, 25_000, 500, "30.004"),  # 30.004 % is over 30 %: never shown as 30.00
        (32_500, 25_000, 200, "30.00"),
        (13_001, 10_000, 500, "30.01"),
        (30_001, 20_000, 1000, "50.005"),
        (19_999, 10_000, 1000, "99.99"),
    ],
)
def test_the_tier_boundary_is_not_lost_to_rounding(load_kg, rated_kg, yuan, shown):
    # 道路交通安全法 Art. 92 para. 2: "超过核定载质量30%" is decided on whole kilograms, exactly:
    # 32,501 kg carried on a rated 25,000 kg is 30.004 % over.
    percent, got, _ = overload_fine(D(load_kg) / 1000, D(rated_kg) / 1000)
    assert got == yuan and str(percent) == shown


def test_30_004_per_cent_after_the_scales_error_is_the_500_tier():
    # 3-axle truck, curb 12 t, rated 25 t: 44.561 t read - 0.060 t error - 12 t = 32.501 t.
    v = evaluate(Configuration(T, 3), STATIC, D("44.561"), rated_load_t=D(25), curb_mass_t=D(12))
    assert v.overload_percent == D("30.004") and v.overload_fine_yuan == 500


def test_a_mass_finer_than_a_kilogram_is_refused():
    with pytest.raises(InvalidWeighing, match="kilogram"):
        overload_fine(D("13.0004"), D(10))


# -- 62号令 Art. 3 para. 2 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("groups", "axles", "limit"),
    [
        # (一) a two-axle group counts as two axles: steer, drive tandem, tandem semi-trailer
        # is a 5-axle combination, 43 t (第一款第(七)项; the axle limits sum to 7+18+18 = 43).
        ((AxleGroup(1, steer=True, twin_tyres=False), AxleGroup(2, drive=True, spread_mm=1350),
          AxleGroup(2, spread_mm=1350)), 5, 43),
        # steer, one drive axle, tridem: 5 axles, but (三) the axle limits 7+11.5+24 = 42.5 t.
        ((AxleGroup(1, steer=True, twin_tyres=False), AxleGroup(1, drive=True),
          AxleGroup(3)), 5, D("42.5")),
        # a 6-axle combination: steer, drive tandem, tridem: 49 t (第一款第(八)项).
        ((AxleGroup(1, steer=True, twin_tyres=False), AxleGroup(2, drive=True),
          AxleGroup(3)), 6, 49),
    ],
)  # fmt: skip
def test_axle_groups_count_as_their_axles(groups, axles, limit):
    assert gross_limit(Configuration(C, axles, axle_groups=groups)).limit_t == limit


def test_axle_groups_that_disagree_with_the_axle_count_are_refused():
    groups = (AxleGroup(1, steer=True, twin_tyres=False), AxleGroup(2, drive=True))
    with pytest.raises(InvalidWeighing, match="第二款第\\(一\\)项"):
        gross_limit(Configuration(C, 6, axle_groups=groups))


@pytest.mark.parametrize(
    ("cfg", "limit"),
    [
        # (二) -3 t per non-drive axle with single tyres (124号 note 2: 每减少两个轮胎)
        (Configuration(C, 6, single_tyre_axles=1), 46),
        (Configuration(C, 6, single_tyre_axles=3), 40),
        (Configuration(C, 5, single_tyre_non_drive=True), 40),  # the v1 flag: one axle
        # ... except with widened tyres meeting the national standard (124号 note 3)
        (Configuration(C, 6, single_tyre_axles=3, widened_tyre_axles=3), 49),
        (Configuration(C, 6, single_tyre_axles=3, widened_tyre_axles=1), 43),
    ],
)
def test_single_tyres_lower_the_limit_unless_widened(cfg, limit):
    got = gross_limit(cfg)
    assert got.limit_t == limit
    if limit < 49 and cfg.axles == 6:
        assert any("第二款第(二)项" in a for a in got.adjustments)


def test_single_tyres_read_from_the_axle_groups():
    groups = (
        AxleGroup(1, steer=True, twin_tyres=False),
        AxleGroup(2, drive=True),
        AxleGroup(3, twin_tyres=False),  # a single-tyred tridem: three axles, -9 t
    )
    assert gross_limit(Configuration(C, 6, axle_groups=groups)).limit_t == 40
    widened = (*groups[:2], AxleGroup(3, twin_tyres=False, widened_tyres=True))
    assert gross_limit(Configuration(C, 6, axle_groups=widened)).limit_t == 49


def test_more_widened_axles_than_single_tyred_ones_is_refused():
    with pytest.raises(InvalidWeighing, match="widened"):
        gross_limit(Configuration(C, 6, single_tyre_axles=1, widened_tyre_axles=2))


# GB 1589-2016 axle-load table (4.3)
@pytest.mark.parametrize(
    ("group", "limit"),
    [
        (AxleGroup(1, steer=True, twin_tyres=False), D(7)),
        (AxleGroup(1, twin_tyres=False, widened_tyres=True), D(10)),
        (AxleGroup(1), D(10)),
        (AxleGroup(1, drive=True), D("11.5")),
        (AxleGroup(2, spread_mm=999), D("11.5")),
        (AxleGroup(2, spread_mm=1000), D(16)),
        (AxleGroup(2, spread_mm=1299), D(16)),
        (AxleGroup(2, spread_mm=1300), D(18)),
        (AxleGroup(2, drive=True, air_suspension=True, spread_mm=1300), D(19)),
        (AxleGroup(2, drive=True, air_suspension=True, spread_mm=1800), D(18)),
        (AxleGroup(2, spread_mm=1800), D(18)),
        (AxleGroup(3, spread_mm=1300), D(21)),
        (AxleGroup(3, spread_mm=1301), D(24)),
        (AxleGroup(3), D(24)),  # spread unknown: the most the group may carry
    ],
)
def test_gb1589_axle_load_limits(group, limit):
    assert axle_group_limit(group)[0] == limit


def test_the_gross_limit_is_never_above_the_sum_of_the_axle_limits():
    # (三): steer 7 + drive 11.5 + a close tandem 16 = 34.5 t, below the 4-axle combination's
    # 36 t (第一款第(六)项).
    groups = (
        AxleGroup(1, steer=True, twin_tyres=False),
        AxleGroup(1, drive=True),
        AxleGroup(2, spread_mm=1200),
    )
    got = gross_limit(Configuration(C, 4, axle_groups=groups))
    assert got.limit_t == D("34.5") and any("第二款第(三)项" in a for a in got.adjustments)
    at = evaluate(Configuration(C, 4, axle_groups=groups), STATIC, D("34.5"))
    assert not at.over_limit


def test_each_axle_load_is_judged_after_the_scales_error():
    groups = (
        AxleGroup(1, D("7.020"), steer=True, twin_tyres=False),  # within 7 t + 20 kg
        AxleGroup(2, D("18.100"), drive=True, spread_mm=1350),  # 18.1 - 0.04 > 18
        AxleGroup(3, D("20.000"), spread_mm=1310),
    )
    v = evaluate(Configuration(C, 6, axle_groups=groups), STATIC, D("45.12"))
    assert v.axle_over and not v.mass_over_limit
    assert "within 7" in v.axle_findings[0] and "over its limit 18" in v.axle_findings[1]
    assert any("公路安全保护条例第六十四条" in n for n in v.notes)


@pytest.mark.parametrize("kind", [VehicleKind.tractor, VehicleKind.farm_vehicle,
                                  VehicleKind.low_speed_truck])  # fmt: skip
def test_tractors_farm_vehicles_and_low_speed_trucks_are_limited_by_their_licence(kind):
    # (四): 以行驶证核定的总质量为限定标准
    cfg = Configuration(kind, 2, licensed_gross_t=D("4.5"))
    got = gross_limit(cfg)
    assert got.limit_t == D("4.5") and "第二款第(四)项" in got.basis
    assert not evaluate(cfg, STATIC, D("4.520")).over_limit  # within 20 kg of error
    assert evaluate(cfg, STATIC, D("4.521")).over_t == D("0.001")
    with pytest.raises(InvalidWeighing, match="行驶证"):
        gross_limit(Configuration(kind, 2))


def test_a_two_axle_truck_never_above_its_licence_mass():
    # 124号 note 1: 二轴货车车货总重还应当不超过行驶证标明的总质量
    assert gross_limit(Configuration(T, 2, licensed_gross_t=D(16))).limit_t == 16
    assert gross_limit(Configuration(T, 2, licensed_gross_t=D(25))).limit_t == 18


@pytest.mark.parametrize(
    ("cfg", "limit"),
    [
        # (五) GB 1589 vehicles keep GB 1589's figures (124号 note 4)
        (Configuration(T, 3, air_suspension_twin_drive=True), 26),
        (Configuration(T, 4, air_suspension_twin_drive=True), 32),
        (Configuration(C, 4, air_suspension_twin_drive=True, semi_trailer_spread_mm=1800), 37),
        (Configuration(C, 4, air_suspension_twin_drive=True, semi_trailer_spread_mm=1799), 36),
        (Configuration(C, 3, special=Special.special_purpose, licensed_gross_t=D(33)), 33),
    ],
)
def test_gb1589_special_vehicles(cfg, limit):
    assert gross_limit(cfg).limit_t == limit


@pytest.mark.parametrize(
    ("special", "width", "length", "over"),
    [
        (None, "2.55", "18.1", False),  # (二) 2.55 m, (三) 18.1 m: at the limit is not over
        (None, "2.551", "18.1", True),
        (None, "2.55", "18.101", True),
        (Special.refrigerated, "2.6", "18.1", False),  # GB 1589: 冷藏车 2.6 m
        (Special.refrigerated, "2.601", "18.1", True),
        (Special.centre_axle_car_carrier, "2.55", "22", False),  # 中置轴车辆运输列车 22 m
    ],
)
def test_dimensions_are_judged(special, width, length, over):
    v = evaluate(
        Configuration(C, 6, special=special),
        STATIC,
        D(40),
        height_m=D(4),
        width_m=D(width),
        length_m=D(length),
    )
    assert v.over_limit is over and bool(v.size_violations) is over


@pytest.mark.parametrize(
    ("height", "width", "length", "low", "high"),
    [
        ("4.2", "3", "20", 0, 200),  # 第四十三条第一款第(一)项: up to 200 yuan
        ("4.21", "2.5", "18", 200, 1000),
        ("4.5", "3.75", "28", 200, 1000),
        ("4.51", "2.5", "18", 1000, 3000),
        ("4", "2.5", "28.01", 1000, 3000),
    ],
)
def test_article_43_size_fine_bands(height, width, length, low, high):
    assert size_fine_band(D(height), D(width), D(length))[:2] == (low, high)


def test_the_size_fine_adds_to_the_mass_fine_up_to_30000():
    # 第四十三条第二款: 多项违法行为 ... 罚款数额累计, 最高不得超过30000元
    v = evaluate(Configuration(C, 6), STATIC, D(200), height_m=D("4.6"))
    assert v.size_fine_yuan == 1000 and v.fine_yuan == 30_000
    v = evaluate(Configuration(C, 6), STATIC, D("52.06"), height_m=D("4.6"))
    assert v.over_t == D(3) and v.fine_yuan == 1500 + 1000  # 3 t over and 4.6 m high


def test_an_indivisible_load_within_its_permit_is_not_over():
    permit = Permit("苏超限2026-0412", D(80), height_m=D("4.3"))
    v = evaluate(Configuration(C, 6), STATIC, D("80.06"), height_m=D("4.3"), permit=permit)
    assert not v.over_limit and v.fine_yuan == 0 and v.permit_no == "苏超限2026-0412"
    beyond = evaluate(Configuration(C, 6), STATIC, D("82.06"), permit=permit)
    assert beyond.over_t == D(2) and beyond.fine_yuan == 1000
    assert "许可" in beyond.limit_basis


# -- Art. 43 (1)(二): the reading of "每超1000千克罚款500元" --------------------------------------


@pytest.mark.parametrize(
    ("rounding", "over", "yuan"),
    [
        (Rounding.down, "1.0", 0),  # at most 1,000 kg: warning
        (Rounding.down, "1.001", 500),
        (Rounding.down, "1.999", 500),
        (Rounding.down, "2.0", 1000),
        (Rounding.up, "1.001", 1000),
        (Rounding.up, "2.0", 1000),
        (Rounding.up, "2.001", 1500),
        (Rounding.exact, "1.5", 750),
        (Rounding.down, "80", 30000),
    ],
)
def test_article_43_readings(rounding, over, yuan):
    assert overlimit_fine(D(over), FinePolicy(rounding=rounding))[0] == yuan


def test_the_default_reading_favours_the_party_and_names_its_source():
    v = evaluate(Configuration(C, 6), STATIC, D("102"))
    # 102 - 0.06 - 49 = 52.94 t over: 52 full tonnes, not 53 started ones.
    assert v.fine_yuan == 26_000
    assert v.fine_reading.startswith("per full tonne") and "第五条" in v.fine_reading_source
    benchmark = FinePolicy(rounding=Rounding.up, source="某区交通运输行政处罚裁量基准(2025)第12项")
    v = evaluate(Configuration(C, 6), STATIC, D("102"), fine_policy=benchmark)
    assert v.fine_yuan == 26_500 and v.fine_reading_source.startswith("某区")
    assert "started tonne" in v.fine_rule


def test_the_rule_set_is_versioned_and_every_version_is_described():
    assert RULES_VERSION in RULE_SETS and "jt-2016-62/gb1589-2016/v1" in RULE_SETS
