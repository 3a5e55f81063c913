"""The 一超四罚 proposals records files sit inside review's benchmarks for every weighing the
overload rules can confirm: records, overload and review agree on the figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.overload.domain.rules import (
    Configuration,
    Scale,
    ScaleKind,
    VehicleKind,
    evaluate,
)
from services.records.domain.overload import (
    ConfirmedOverload,
    driver_proposal,
    instigation_proposal,
)
from services.review.domain.benchmarks import DEFAULT_BENCHMARKS, place

pytestmark = pytest.mark.unit

BENCHMARKS = {b.benchmark_id: b for b in DEFAULT_BENCHMARKS}
SIX_AXLES = Configuration(VehicleKind.combination, 6)
STATIC = Scale(ScaleKind.static, "III", 20)


BOTH = frozenset({"road-authority", "traffic-police"})


def confirmed(
    gross: str, rated: str | None = "35", powers=frozenset({"road-authority"})
) -> ConfirmedOverload:
    v = evaluate(
        SIX_AXLES,
        STATIC,
        Decimal(gross),
        rated_load_t=Decimal(rated) if rated else None,
        curb_mass_t=Decimal(15) if rated else None,
    )
    assert v.over_limit
    return ConfirmedOverload(
        plate="苏D9X123",
        gross_t=v.measured_t,
        limit_t=v.limit_t,
        over_t=v.over_t,
        fine_yuan=v.fine_yuan,
        fine_rule=v.fine_rule,
        overload_percent=v.overload_percent,
        overload_fine_yuan=v.overload_fine_yuan,
        overload_rule=v.overload_rule,
        hundred_tonne_king=v.hundred_tonne_king,
        powers=powers,
    )


GROSS = ["49.2", "49.9", "50.2", "52.5", "60", "75", "88.9", "100", "102.34", "130", "160"]


@pytest.mark.parametrize(
    "powers", [frozenset({"road-authority"}), frozenset({"traffic-police"}), BOTH]
)
@pytest.mark.parametrize("rated", ["35", "45", "20", None])
@pytest.mark.parametrize("gross", GROSS)
def test_every_proposal_is_within_its_band(gross, rated, powers):
    overload = confirmed(gross, rated, powers)
    proposals = [
        driver_proposal(overload),
        instigation_proposal(overload, "道路运输企业"),
        instigation_proposal(overload, "货运源头单位"),
    ]
    for p in proposals:
        if p is None:  # outside the agency's powers: referred, not proposed
            continue
        bench = BENCHMARKS[p.benchmark_id]
        assert bench.violation_type == p.violation_type
        if p.fine_yuan:
            placement = place(p.fine_yuan, p.circumstance, bench)
            assert placement.finding == "within-band", (p, placement.message)
        else:
            assert p.kinds == ("warning",)


def test_an_agency_holding_both_powers_gives_the_driver_the_higher_fine_and_the_one_fine_rule():
    king = driver_proposal(confirmed("102.34", powers=BOTH))  # 53 t over: 26,500; 超载 2,000
    assert king.fine_yuan == 26_500 and king.benchmark_id == "jt62-43-overlimit"
    assert "《中华人民共和国行政处罚法》第二十九条" in king.legal_basis
    # 1.7 t over (500 per full tonne) on a 20 t rated load carried at 35.70 t after the
    # scale's error (78.5 % over: 1,000): Art. 92 is higher; a tie would stay with Art. 43.
    mid = driver_proposal(confirmed("50.76", "20", powers=BOTH))
    assert mid.fine_yuan == 1_000 and mid.benchmark_id == "rtsl-92-overload"
    heavy = driver_proposal(confirmed("50.9", "17", powers=BOTH))
    assert heavy.fine_yuan == 2_000 and heavy.benchmark_id == "rtsl-92-overload"
    assert heavy.circumstance == "serious"


def test_a_road_authority_proposes_only_article_43():
    # 行政处罚法 Art. 29 is the traffic police's to apply to the referred 超载 fine.
    king = driver_proposal(confirmed("102.34"))
    assert king.fine_yuan == 26_500 and king.benchmark_id == "jt62-43-overlimit"
    assert not any("第九十二条" in b or "第二十九条" in b for b in king.legal_basis)
    heavy = driver_proposal(confirmed("50.9", "17"))  # 超载 2,000 is not the road authority's
    assert heavy.benchmark_id == "jt62-43-overlimit" and heavy.fine_yuan == 500


def test_a_traffic_police_agency_proposes_only_article_92():
    heavy = driver_proposal(confirmed("50.9", "17", powers=frozenset({"traffic-police"})))
    assert heavy.fine_yuan == 2_000 and heavy.benchmark_id == "rtsl-92-overload"
    assert instigation_proposal(confirmed("50.9", "17", frozenset({"traffic-police"})), "x") is None
    assert driver_proposal(confirmed("60", None, powers=frozenset({"traffic-police"}))) is None
    unknown = driver_proposal(confirmed("60", None))
    assert unknown.legal_basis[-1].endswith("第四十三条第一款第(二)项")


def test_a_truck_too_high_is_proposed_under_article_43_item_one():
    # 4.6 m high and 3 t over: 1,500 (mass, (二)) + 1,000 (size band 1,000-3,000, (一)).
    v = evaluate(SIX_AXLES, STATIC, Decimal("52.06"), height_m=Decimal("4.6"))
    overload = ConfirmedOverload(
        plate="苏D9X123", gross_t=v.measured_t, limit_t=v.limit_t, over_t=v.over_t,
        fine_yuan=v.fine_yuan, fine_rule=v.fine_rule, overload_percent=None,
        overload_fine_yuan=0, overload_rule="", hundred_tonne_king=False,
        size_violations=v.size_violations,
    )  # fmt: skip
    p = driver_proposal(overload)
    assert p.fine_yuan == 2_500 and "外廓尺寸超限: height 4.6 m over 4 m" in p.facts
    assert [b[-5:] for b in p.legal_basis[1:]] == ["第(二)项", "第(一)项"]


@pytest.mark.parametrize(
    ("height", "yuan", "circumstance"),
    [("4.1", 0, "minor"), ("4.3", 200, "ordinary"), ("4.6", 1_000, "serious")],
)
def test_a_truck_over_the_dimensions_only_sits_in_the_size_benchmark(height, yuan, circumstance):
    v = evaluate(SIX_AXLES, STATIC, Decimal(40), height_m=Decimal(height))
    assert v.over_limit and v.over_t == 0
    overload = ConfirmedOverload(
        plate="苏D9X123", gross_t=v.measured_t, limit_t=v.limit_t, over_t=v.over_t,
        fine_yuan=v.fine_yuan, fine_rule=v.fine_rule, overload_percent=None,
        overload_fine_yuan=0, overload_rule="", hundred_tonne_king=False,
        size_violations=v.size_violations,
    )  # fmt: skip
    p = driver_proposal(overload)
    assert p.benchmark_id == "jt62-43-size" and p.fine_yuan == yuan
    assert p.legal_basis[-1].endswith("第四十三条第一款第(一)项")
    bench = BENCHMARKS[p.benchmark_id]
    assert bench.violation_type == p.violation_type
    if yuan:
        assert place(p.fine_yuan, p.circumstance, bench).finding == "within-band"
    else:
        assert p.kinds == ("warning",)
