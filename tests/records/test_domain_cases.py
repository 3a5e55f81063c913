"""Opening a case: the rules a phone request must meet before anything is stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.records.domain.cases import (
    Domain,
    GeoPoint,
    InvalidCase,
    Officer,
    OpenCase,
    Stage,
    open_case,
)
from services.records.domain.parties import (
    InvalidParty,
    Party,
    PartyKind,
    is_valid_resident_id,
    is_valid_uscc,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
ENTERPRISE = Party(PartyKind.organization, "常州某化工有限公司", credit_code="914403001922038216")
ZHANG = Officer("u-zhang", "张伟", "32041120001")
LI = Officer("u-li", "李娜", "32041120002")


def command(**changes) -> OpenCase:
    base = dict(
        client_case_id="phone-0001-abcdef",
        agency_id="xinbei-yjj",
        town="薛家镇",
        domain=Domain.hazardous_chemicals,
        title="危化品仓库日常检查",
        party=ENTERPRISE,
        officers=(ZHANG, LI),
        opened_by="u-zhang",
    )
    return OpenCase(**{**base, **changes})


@pytest.mark.parametrize("code", ["914403001922038216", "91110108551385082Q"])
def test_real_unified_social_credit_codes_pass_the_gb_32100_check(code):
    assert is_valid_uscc(code)


@pytest.mark.parametrize(
    "code",
    ["914403001922038217", "91440300192203821", "91440300192203821I", "914403001922O38216", ""],
)
def test_wrong_check_character_length_or_alphabet_fails(code):
    assert not is_valid_uscc(code)


def test_resident_id_check_digit_x_is_accepted_and_a_wrong_digit_refused():
    assert is_valid_resident_id("11010519491231002X")
    assert not is_valid_resident_id("110105194912310021")


def test_a_valid_command_opens_a_case_at_the_inspection_stage():
    case = open_case(command(), case_id="c-1", now=NOW)
    assert case.stage is Stage.inspection
    assert case.officer_ids == ("u-zhang", "u-li")
    assert case.opened_at == NOW


def test_on_site_inspection_needs_two_certified_officers():
    with pytest.raises(InvalidCase, match="at least 2 officers"):
        open_case(command(officers=(ZHANG,)), case_id="c", now=NOW)
    uncertified = Officer("u-wang", "王五", "")
    with pytest.raises(InvalidCase, match="at least 2 officers"):
        open_case(command(officers=(ZHANG, uncertified)), case_id="c", now=NOW)


def test_the_opening_officer_must_be_one_of_the_case_officers():
    with pytest.raises(InvalidCase, match="must be one of its officers"):
        open_case(command(opened_by="u-someone-else"), case_id="c", now=NOW)


def test_an_organisation_party_needs_a_valid_credit_code():
    bad = Party(PartyKind.organization, "某公司", credit_code="914403001922038217")
    with pytest.raises(InvalidParty, match="not a valid unified social credit code"):
        open_case(command(party=bad), case_id="c", now=NOW)


def test_a_person_party_may_come_without_an_id_number_but_not_with_a_bad_one():
    open_case(command(party=Party(PartyKind.person, "刘某")), case_id="c", now=NOW)
    with pytest.raises(InvalidParty):
        open_case(
            command(party=Party(PartyKind.person, "刘某", id_number="110105194912310021")),
            case_id="c",
            now=NOW,
        )


def test_location_outside_the_globe_is_refused():
    with pytest.raises(InvalidCase, match="latitude"):
        open_case(command(location=GeoPoint(91.0, 120.0)), case_id="c", now=NOW)
