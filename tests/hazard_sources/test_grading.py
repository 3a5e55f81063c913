"""GB 18218-2018 identification and grading, at every boundary of α and of the grades."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from services.hazard_sources.domain.grading import (
    Grade,
    Holding,
    UnknownChemical,
    alpha,
    assess,
    critical_for,
    grade_of,
    table1,
    table2,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("people", "expected"),
    [
        (0, "0.5"),
        (1, "1.0"),
        (29, "1.0"),
        (30, "1.2"),
        (49, "1.2"),
        (50, "1.5"),
        (99, "1.5"),
        (100, "2.0"),
        (5000, "2.0"),
    ],
)
def test_alpha_by_people_within_500_m(people, expected):
    assert alpha(people) == D(expected)


def test_alpha_refuses_negative_people():
    with pytest.raises(ValueError):
        alpha(-1)


@pytest.mark.parametrize(
    ("r", "grade"),
    [
        ("0", Grade.fourth),
        ("9.999", Grade.fourth),
        ("10", Grade.third),
        ("49.999", Grade.third),
        ("50", Grade.second),
        ("99.999", Grade.second),
        ("100", Grade.first),
        ("1000", Grade.first),
    ],
)
def test_grade_boundaries_r_ge_100_first_50_to_100_second_10_to_50_third(r, grade):
    assert grade_of(D(r)) == grade


@pytest.mark.parametrize(
    ("chemical", "q_t", "beta"),
    [
        ("氯", "5", "4"),
        ("7782-50-5", "5", "4"),
        ("氨", "10", "2"),
        ("二氧化硫", "20", "2"),
        ("环氧乙烷", "10", "2"),
        ("氯化氢(无水)", "20", "3"),
        ("溴甲烷", "10", "3"),
        ("硫化氢", "5", "5"),
        ("氟化氢", "1", "5"),
        ("二氧化氮", "1", "10"),
        ("氰化氢", "1", "10"),
        ("碳酰氯", "0.3", "20"),
        ("磷化氢", "1", "20"),
        ("异氰酸甲酯", "0.75", "20"),
        ("液化石油气(含丙烷、丁烷及其混合物)", "50", "1.5"),
        ("68476-85-7", "50", "1.5"),
        ("氢", "5", "1.5"),
        ("甲醇", "500", "1"),
        ("硝化甘油", "1", "2"),
    ],
)
def test_table1_named_chemicals_critical_quantity_and_beta(chemical, q_t, beta):
    c = critical_for(Holding(chemical, D(1)))
    assert (c.critical_t, c.beta, c.source) == (D(q_t), D(beta), "表1")


@pytest.mark.parametrize(
    ("code", "q_t", "beta"),
    [
        ("J1", "5", "4"),
        ("J3", "50", "2"),
        ("W1.1", "1", "2"),
        ("W1.3", "10", "2"),
        ("W2", "10", "1.5"),
        ("W5.4", "1000", "1"),
        ("W5.5", "5000", "1"),
    ],
)
def test_table2_categories_for_unnamed_chemicals(code, q_t, beta):
    c = critical_for(Holding("某未列名物质", D(1), category=code))
    assert (c.critical_t, c.beta, c.source) == (D(q_t), D(beta), "表2")


def test_named_chemical_takes_table1_even_with_a_category():
    assert critical_for(Holding("氯", D(1), category="J1")).critical_t == D(5)


def test_unknown_chemical_without_category_is_refused():
    with pytest.raises(UnknownChemical):
        critical_for(Holding("不存在的物质", D(1)))


def test_tables_name_their_source():
    assert len(table1()) > 30 and len(table2()) == 25
    from services.hazard_sources.domain import grading

    for name in ("gb18218_table1.csv", "gb18218_table2.csv"):
        head = (grading._DATA / name).read_text(encoding="utf-8").splitlines()[0]
        assert "GB 18218-2018" in head


@pytest.mark.parametrize(
    ("q_t", "major"),
    [("4.999", False), ("5", True), ("5.001", True)],
)
def test_identification_s_ge_1_is_major(q_t, major):
    a = assess([Holding("氯", D(q_t))], 10)
    assert a.major is major
    assert a.grade == (Grade.fourth if major else Grade.none)


def test_sum_of_ratios_identifies_a_unit_below_each_critical_quantity():
    # 2.5 t chlorine (0.5) + 25 t LPG (0.5): S = 1, a major hazard source
    a = assess([Holding("氯", D("2.5")), Holding("液化石油气(含丙烷、丁烷及其混合物)", D(25))], 0)
    assert a.s == D(1) and a.major


@pytest.mark.parametrize(
    ("chlorine_t", "people", "grade"),
    [
        # R = α · 4 · q/5
        ("62.5", 100, Grade.first),  # 2.0 · 50 = 100
        ("62.49", 100, Grade.second),  # just under 100
        ("62.5", 99, Grade.second),  # 1.5 · 50 = 75
        ("31.25", 100, Grade.second),  # 2.0 · 25 = 50
        ("31.24", 100, Grade.third),  # just under 50
        ("12.5", 1, Grade.third),  # 1.0 · 10 = 10
        ("12.49", 1, Grade.fourth),  # just under 10
        ("25", 0, Grade.third),  # 0.5 · 20 = 10
        ("25", 30, Grade.third),  # 1.2 · 20 = 24
        ("52.08", 50, Grade.second),  # 1.5 · 41.664 = 62.5
    ],
)
def test_chlorine_grade_at_the_boundaries(chlorine_t, people, grade):
    assert assess([Holding("氯", D(chlorine_t))], people).grade == grade


def test_lpg_sphere_1000_t_with_120_people_is_second_grade():
    # 1000/50 = 20, β 1.5 → 30, α 2.0 → R 60: 二级
    a = assess([Holding("液化石油气(含丙烷、丁烷及其混合物)", D(1000))], 120)
    assert (a.r, a.grade, a.grade.zh) == (D("60.00"), Grade.second, "二级")


def test_regrade_records_why():
    before = assess([Holding("氯", D(50))], 20)
    after = assess([Holding("氯", D(50))], 120)
    reason = after.reason_against(before)
    assert "α 1.0→2.0" in reason and "三级→二级" in reason
    assert "首次辨识" in after.reason_against(None)
