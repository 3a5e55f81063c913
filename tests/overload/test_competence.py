"""Who fines what (services/overload/domain/competence.py): the road authority fines 超限
(62号令 Art. 43), the traffic police 超载 (道路交通安全法 Art. 92) and the points; the rest is
referred (62号令 Art. 45; 行政处罚法 Art. 29). And the settings that configure it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.overload.config import Settings
from services.overload.domain.competence import (
    DEFAULT_POWERS,
    Power,
    UnknownPower,
    matters_of,
    powers_of,
    referrals,
)
from services.overload.domain.rules import DEFAULT_READING_SOURCE, Rounding
from services.overload.handlers import Policy

pytestmark = pytest.mark.unit

ROAD, POLICE = Power.road_authority, Power.traffic_police
OVER_BOTH = {"over_limit": True, "overload_fine_yuan": 2000, "overload_percent": "149.37"}


@pytest.mark.parametrize(
    ("verdict", "codes"),
    [
        (OVER_BOTH, ["overlimit", "overload", "driver-points"]),
        ({"over_limit": True, "overload_fine_yuan": 0}, ["overlimit"]),  # 超载 within the error
        ({"over_limit": True, "axle_over": True}, ["overlimit", "axle-load"]),
        ({**OVER_BOTH, "suspicion_only": True}, []),  # a WIM reading shows nothing
    ],
)
def test_what_a_weighing_shows_and_whose_it_is(verdict, codes):
    found = matters_of(verdict)
    assert [m.code for m in found] == codes
    powers = {m.code: m.power for m in found}
    assert powers.get("overlimit", ROAD) is ROAD and powers.get("axle-load", ROAD) is ROAD
    assert (
        powers.get("overload", POLICE) is POLICE and powers.get("driver-points", POLICE) is POLICE
    )


@pytest.mark.parametrize(
    ("powers", "to"),
    [
        (frozenset({ROAD}), [POLICE]),
        (frozenset({POLICE}), [ROAD]),
        (frozenset({ROAD, POLICE}), []),  # joint enforcement: nothing to refer
    ],
)
def test_the_matters_outside_the_agencys_powers_are_referred(powers, to):
    drafts = referrals(matters_of(OVER_BOTH), powers)
    assert [d.to_power for d in drafts] == to
    for d in drafts:
        assert all(m.power is d.to_power for m in d.matters)
        assert any("第二十九条" in b for b in d.basis)
        if d.to_power is POLICE:
            assert any("第四十五条" in b for b in d.basis)
            assert d.to_agency == "公安机关交通管理部门"


def test_the_recipient_is_configured():
    [d] = referrals(matters_of(OVER_BOTH), DEFAULT_POWERS, {"traffic-police": "新北交警大队"})
    assert d.to_agency == "新北交警大队"


def test_an_agency_not_configured_is_a_road_authority():
    assert powers_of("xinbei-yjj", {}) == {ROAD}
    assert powers_of("a", {"a": ["traffic-police"]}) == {POLICE}
    with pytest.raises(UnknownPower):
        powers_of("a", {"a": ["customs"]})


def test_settings_default_to_the_partys_reading_and_refuse_an_unsourced_other():
    policy = Policy.from_settings(Settings())
    assert policy.fine.rounding is Rounding.down and policy.fine.source == DEFAULT_READING_SOURCE
    with pytest.raises(ValidationError, match="discretion benchmark"):
        Settings(fine_rounding="up")
    named = Policy.from_settings(
        Settings(fine_rounding="up", fine_rounding_source="某区基准第12项")
    )
    assert named.fine.rounding is Rounding.up and named.fine.source == "某区基准第12项"
    with pytest.raises(ValidationError, match="AGENCY_POWERS"):
        Settings(agency_powers={"a": ["customs"]})
