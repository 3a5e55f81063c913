"""Nothing required is published empty: a record missing a required 双公示 field is held
back and listed for its agency, never shown with a blank or a dash."""

from __future__ import annotations

import pytest

from enforcement.disclosure.v1 import disclosure_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.events import parse_envelope, unpack
from services.disclosure import handlers
from services.disclosure.domain.publication import Authority
from services.disclosure.handlers import Policy

from .conftest import AGENCY, decided, deliver

pytestmark = pytest.mark.integration


def case_id_of(event) -> str:
    return unpack(parse_envelope(event.payload), records_pb2.PenaltyDecided).case.case_id


def published(database, case_id: str) -> bool:
    rows, _ = handlers.search(database, disclosure_pb2.SearchDisclosuresRequest(page_size=100))
    return any(r.case_id == case_id for r in rows)


def withheld_reason(database, case_id: str) -> str | None:
    return next(
        (r.reason for r in handlers.withheld(database, AGENCY) if r.case_id == case_id), None
    )


def test_a_decision_without_violation_type_is_held_back_and_listed(disclosure_db):
    event = decided(violation_type="")
    assert deliver(disclosure_db, event) == "applied"
    case_id = case_id_of(event)
    assert not published(disclosure_db, case_id)
    assert withheld_reason(disclosure_db, case_id) == (
        "required fields missing: violation_type (违法行为类型)"
    )


def test_an_authority_without_its_credit_code_publishes_nothing(disclosure_db):
    nameless = Policy(authorities={AGENCY: Authority("常州市新北区应急管理局", "", "新北区")})
    event = decided()
    deliver(disclosure_db, event, nameless)
    reason = withheld_reason(disclosure_db, case_id_of(event))
    assert reason is not None and "处罚机关统一社会信用代码" in reason
    assert not published(disclosure_db, case_id_of(event))


def test_a_complete_decision_is_published_with_every_required_field(disclosure_db):
    event = decided()
    deliver(disclosure_db, event)
    case_id = case_id_of(event)
    assert published(disclosure_db, case_id) and withheld_reason(disclosure_db, case_id) is None
