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


def confirmed(gross: str, rated: str | None = "35") -> ConfirmedOverload:
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
    )


GROSS = ["49.2", "49.9", "50.2", "52.5", "60", "75", "88.9", "100", "102.34", "130", "160"]


@pytest.mark.parametrize("rated", ["35", "45", "20", None])
@pytest.mark.parametrize("gross", GROSS)
def test_every_proposal_is_within_its_band(gross, rated):
    overload = confirmed(gross, rated)
    proposals = [
        driver_proposal(overload),
        instigation_proposal(overload, "道路运输企业"),
        instigation_proposal(overload, "货运源头单位"),
    ]
    for p in proposals:
        bench = BENCHMARKS[p.benchmark_id]
        assert bench.violation_type == p.violation_type
        if p.fine_yuan:
            placement = place(p.fine_yuan, p.circumstance, bench)
            assert placement.finding == "within-band", (p, placement.message)
        else:
            assert p.kinds == ("warning",)


def test_the_driver_gets_the_higher_fine_and_the_one_fine_rule():
    king = driver_proposal(confirmed("102.34"))  # 54 t over: 27,000; 149.54 % over: 2,000
    assert king.fine_yuan == 27_000 and king.benchmark_id == "jt62-43-overlimit"
    assert "《中华人民共和国行政处罚法》第二十九条" in king.legal_basis
    # 1.7 t over (1,000) on a 20 t rated load carried at 35.76 t (78.8 % over: 1,000): a tie
    # stays with Art. 43; 50.9 t on rated 17 t is 111 % over (2,000) and wins.
    assert driver_proposal(confirmed("50.76", "20")).benchmark_id == "jt62-43-overlimit"
    heavy = driver_proposal(confirmed("50.9", "17"))
    assert heavy.fine_yuan == 2_000 and heavy.benchmark_id == "rtsl-92-overload"
    assert heavy.circumstance == "serious"
    unknown = driver_proposal(confirmed("60", None))
    assert unknown.legal_basis[-1].endswith("第四十三条第一款第(二)项")
