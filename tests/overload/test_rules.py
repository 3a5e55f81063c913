"""Overload rules, table-driven: the limit table, adjustments, the scale's error, fines."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from services.overload.domain.rules import (
    Configuration,
    FinePolicy,
    InvalidWeighing,
    Rounding,
    Scale,
    ScaleKind,
    VehicleKind,
    evaluate,
    gross_limit,
    overlimit_fine,
    overload_fine,
    validate_plate,
)

pytestmark = pytest.mark.unit

T, C = VehicleKind.truck, VehicleKind.combination
STATIC = Scale(ScaleKind.static, "III", interval_kg=20)  # tolerance 60 kg above 40 t, else 40 kg

# (axles, kind, limit in t) — 交通运输部令2016年第62号 Art. 3
TABLE = [
    (2, T, 18),
    (3, T, 25),
    (3, C, 27),
    (4, T, 31),
    (4, C, 36),
    (5, C, 43),
    (6, C, 49),
    (7, C, 49),
]


@pytest.mark.parametrize(("axles", "kind", "limit"), TABLE)
def test_every_row_at_the_limit_one_kg_over_and_inside_the_scale_error(axles, kind, limit):
    cfg = Configuration(kind, axles)
    assert gross_limit(cfg).limit_t == limit
    tolerance = STATIC.tolerance_t(D(limit))
    at = evaluate(cfg, STATIC, D(limit))
    assert not at.over_limit and at.over_t == 0
    inside = evaluate(cfg, STATIC, D(limit) + tolerance)
    assert not inside.over_limit, "within the scale's error is not over"
    one_kg = evaluate(cfg, STATIC, D(limit) + tolerance + D("0.001"))
    assert one_kg.over_limit and one_kg.over_t == D("0.001")
    assert one_kg.fine_yuan == 0 and "warning" in one_kg.fine_rule


def test_static_tolerance_follows_the_scale_interval():
    assert STATIC.tolerance_t(D(49)) == D("0.060")  # 3 e above 2,000 e (40 t)
    assert STATIC.tolerance_t(D(18)) == D("0.040")  # 2 e above 500 e (10 t)
    assert STATIC.tolerance_t(D(5)) == D("0.020")


@pytest.mark.parametrize(
    ("cfg", "limit", "note"),
    [
        (Configuration(C, 6, single_drive_axle=True), 46, "single drive axle"),
        (Configuration(T, 3, single_tyre_non_drive=True), 22, "-3 t"),
        (Configuration(C, 5, single_tyre_non_drive=True), 40, "-3 t"),
        (Configuration(T, 3, air_suspension_twin_drive=True), 26, "+1 t"),
        (Configuration(T, 4, air_suspension_twin_drive=True), 32, "+1 t"),
        (Configuration(T, 2, air_suspension_twin_drive=True), 18, None),  # 3-4 axle trucks only
        (Configuration(C, 4, air_suspension_twin_drive=True), 36, None),
    ],
)
def test_the_adjustments(cfg, limit, note):
    got = gross_limit(cfg)
    assert got.limit_t == limit
    assert (note is None) == (got.adjustments == ())
    if note:
        assert any(note in a for a in got.adjustments)


@pytest.mark.parametrize(
    ("over", "yuan"),
    [("0.9", 0), ("1.0", 0), ("1.1", 1000), ("3.5", 2000), ("80", 30000)],
)
def test_article_43_fines_with_started_tonnes_counted_whole(over, yuan):
    # A district benchmark that counts a started tonne whole (不足1吨按1吨计).
    assert overlimit_fine(D(over), FinePolicy(rounding=Rounding.up))[0] == yuan


@pytest.mark.parametrize(
    ("rounding", "over", "yuan"),
    [(Rounding.down, "3.5", 1500), (Rounding.exact, "3.5", 1750), (Rounding.exact, "1.1", 550)],
)
def test_the_rounding_rule_is_configurable(rounding, over, yuan):
    assert overlimit_fine(D(over), FinePolicy(rounding=rounding))[0] == yuan


@pytest.mark.parametrize(
    ("load", "yuan"),
    [
        ("10", 0),
        ("10.01", 200),
        ("13", 200),  # exactly 30 %
        ("13.01", 500),
        ("15", 500),  # exactly 50 %
        ("15.01", 1000),
        ("19.99", 1000),
        ("20", 2000),  # exactly 100 %
        ("35", 2000),
    ],
)
def test_overload_tiers_against_the_rated_load_at_their_boundaries(load, yuan):
    assert overload_fine(D(load), D(10))[1] == yuan


def test_a_weigh_in_motion_reading_is_only_a_suspicion():
    wim = Scale(ScaleKind.wim, "5")
    v = evaluate(Configuration(C, 6), wim, D(102))
    assert v.suspicion_only and v.over_limit and v.fine_yuan == 0
    assert v.tolerance_t == D("5.100") and v.over_t == D("47.900")
    assert "static scale" in v.notes[0]


def test_a_hundred_tonne_king_is_flagged_and_fined_per_full_tonne_by_default():
    v = evaluate(Configuration(C, 6), STATIC, D(102), rated_load_t=D(35), curb_mass_t=D(15))
    # 102 t - 0.06 t tolerance - 49 t = 52.94 t over: 52 full tonnes x 500 yuan.
    assert v.hundred_tonne_king and v.over_t == D("52.940") and v.fine_yuan == 26000
    # 102 - 0.06 - 15 = 86.94 t carried on a rated 35 t: 148.40 % over.
    assert v.overload_fine_yuan == 2000 and v.overload_percent == D("148.40")
    assert v.rules_version


@pytest.mark.parametrize(
    ("plate", "ok"),
    [
        ("苏D12345", True),
        ("苏DD12345", True),  # new energy, small
        ("苏D12345F", True),  # new energy, large vehicle
        ("苏D1234挂", True),
        ("苏 D·12345", True),
        ("XD12345", False),
        ("苏I12345", False),
        ("苏D1234", False),
        ("苏D123456789", False),
    ],
)
def test_plates(plate, ok):
    if ok:
        assert validate_plate(plate)
    else:
        with pytest.raises(InvalidWeighing, match="licence plate"):
            validate_plate(plate)


@pytest.mark.parametrize(
    "cfg", [Configuration(C, 2), Configuration(T, 5), Configuration(T, 1), Configuration(C, 13)]
)
def test_impossible_axle_configurations_are_refused(cfg):
    with pytest.raises(InvalidWeighing):
        gross_limit(cfg)


def test_size_violations_are_named():
    v = evaluate(Configuration(T, 2), STATIC, D(10), height_m=D("4.2"), width_m=D("2.5"))
    assert v.size_violations == ("height 4.2 m over 4 m",)
