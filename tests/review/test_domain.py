"""Review rules: what makes a decision major, and working-day deadlines."""

from __future__ import annotations

from datetime import date

import pytest

from services.chassis.workdays import add_working_days, is_working_day, working_days_between
from services.review.domain.benchmarks import DEFAULT_BENCHMARKS, place
from services.review.domain.major import MajorRules, ProposalFacts, major_reasons

pytestmark = pytest.mark.unit

ORG = ProposalFacts(party_kind="organization", kinds=frozenset({"fine"}), fine_yuan=50_000)


def test_an_ordinary_fine_on_an_organisation_is_not_major():
    assert major_reasons(ORG) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"kinds": frozenset({"fine", "suspension"})}, "suspension"),
        ({"kinds": frozenset({"closure"})}, "closure"),
        ({"kinds": frozenset({"practice-restriction"})}, "restricting practice"),
        ({"kinds": frozenset({"qualification-lowering"})}, "lowering a qualification"),
        ({"kinds": frozenset({"licence-revocation"})}, "revoking a licence"),
        ({"fine_yuan": 100_001}, "fine over 100,000 yuan for an organisation"),
        (
            {"kinds": frozenset({"confiscation"}), "fine_yuan": 0, "confiscation_yuan": 150_000},
            "confiscation over 100,000",
        ),
        ({"party_kind": "person", "fine_yuan": 10_001}, "fine over 10,000 yuan for a person"),
        ({"mitigated": True}, "mitigated"),
        ({"departs_from_benchmark": True}, "discretion benchmark"),
        ({"hearing_requested": True}, "hearing"),
        ({"public_interest": True}, "public interest"),
        ({"complex_case": True}, "complex case"),
    ],
)
def test_each_default_major_rule_fires_on_its_own(changes, expected):
    facts = ProposalFacts(**{**ORG.__dict__, **changes})
    reasons = major_reasons(facts)
    assert len(reasons) == 1 and expected in reasons[0], reasons


@pytest.mark.parametrize(("kind", "amount"), [("person", 10_000), ("organization", 100_000)])
def test_an_amount_at_the_threshold_is_not_over_it(kind, amount):
    facts = ProposalFacts(party_kind=kind, kinds=frozenset({"fine"}), fine_yuan=amount)
    assert major_reasons(facts) == []


def test_rules_are_configurable():
    facts = ProposalFacts(
        party_kind="organization", kinds=frozenset({"fine"}), fine_yuan=60_000, mitigated=True
    )
    rules = MajorRules(organization_amount_over=50_000, mitigation=False)
    assert major_reasons(facts, rules) == [
        "a fine over 50,000 yuan for an organisation (较大数额罚款)"
    ]


def test_seven_working_days_from_30_september_2026_cross_national_day_and_its_make_up_saturday():
    # 1-7 October are holidays; Saturday 10 October is a make-up working day (调休).
    assert not is_working_day(date(2026, 10, 1))
    assert is_working_day(date(2026, 10, 10))
    assert add_working_days(date(2026, 9, 30), 7) == date(2026, 10, 15)
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 15)) == 7


def test_a_year_the_package_does_not_know_keeps_its_statutory_holidays():
    # 2027 is not in chinese-calendar 1.11; 1 January is still a holiday (全国年节及纪念日放假办法
    # Art. 2), so Mon 4, Tue 5 and Wed 6 January are the three working days.
    assert not is_working_day(date(2027, 1, 1))
    assert add_working_days(date(2026, 12, 31), 3) == date(2027, 1, 6)


def _benchmark(violation_type: str):
    return next(b for b in DEFAULT_BENCHMARKS if b.violation_type == violation_type)


@pytest.mark.parametrize(
    ("amount", "circumstance", "finding"),
    [
        (45_000, "ordinary", "within-band"),
        (20_000, "ordinary", "departure"),
        (90_000, "serious", "within-band"),
        (100_001, "serious", "outside-legal-range"),
        (45_000, "catastrophic", "no-band"),
    ],
)
def test_the_review_shows_where_an_amount_sits_in_the_benchmark(amount, circumstance, finding):
    placement = place(amount, circumstance, _benchmark("major-hazard-unregistered"))
    assert placement.finding == finding
    assert placement.is_error == (finding == "outside-legal-range")
    assert placement.departs == (finding == "departure")


@pytest.mark.parametrize(
    ("violation_type", "amount", "circumstance", "finding"),
    [
        # 62号令 Art. 43: the amount follows from the tonnes over; only the range is checked.
        ("overlimit-transport", 27_000, "ordinary", "within-band"),
        ("overlimit-transport", 30_000, "serious", "within-band"),
        ("overlimit-transport", 30_500, "serious", "outside-legal-range"),
        # 道路交通安全法 Art. 92: up to 30 % over 200-500, the typical tiers above.
        ("overload-rated-load", 200, "minor", "within-band"),
        ("overload-rated-load", 1_000, "minor", "departure"),
        ("overload-rated-load", 2_000, "serious", "within-band"),
        ("overload-rated-load", 100, "minor", "outside-legal-range"),
        # 指使、强令: up to 30,000, the district's thirds.
        ("overload-instigation", 15_000, "ordinary", "within-band"),
        ("overload-instigation", 25_000, "serious", "within-band"),
        ("overload-instigation", 25_000, "ordinary", "departure"),
        ("overload-instigation", 30_001, "serious", "outside-legal-range"),
    ],
)
def test_overload_amounts_are_placed_in_their_benchmarks(
    violation_type, amount, circumstance, finding
):
    assert place(amount, circumstance, _benchmark(violation_type)).finding == finding
