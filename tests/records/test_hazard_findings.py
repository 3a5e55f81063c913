"""A case entry marked as a hazard finding (隐患) is announced once for the hazards service."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from enforcement.records.v1 import records_pb2
from services.chassis.events import parse_envelope, unpack
from services.records import handlers
from services.records.domain.entries import InvalidEntry

from .conftest import meta, open_case

pytestmark = pytest.mark.integration

FINDING = {"text": "罐区巡查", "hazard": {"kind": "液化烃储罐未设注水措施",
                                          "location": "罐区", "criteria": ["hc-6"]}}  # fmt: skip


def found(database) -> list[records_pb2.HazardFound]:
    with database.read() as conn:
        rows = conn.execute(
            sa.text("SELECT payload FROM outbox WHERE topic = 'records.hazard-found.v1'")
        ).all()
    return [unpack(parse_envelope(r.payload), records_pb2.HazardFound) for r in rows]


def test_a_note_marked_as_a_hazard_finding_is_announced_once(records_db):
    case = open_case(records_db)
    m = meta()
    entry, _ = handlers.append_entry(
        records_db, case_id=case.case_id, kind="note", payload=FINDING, corrects_entry_id="",
        meta=m,
    )  # fmt: skip
    handlers.append_entry(
        records_db,
        case_id=case.case_id,
        kind="note",
        payload=FINDING,
        corrects_entry_id="",
        meta=m,
    )  # fmt: skip  (the phone's retry)
    handlers.append_entry(
        records_db, case_id=case.case_id, kind="note", payload={"text": "无隐患"},
        corrects_entry_id="", meta=meta(),
    )  # fmt: skip
    events = found(records_db)
    assert len(events) == 1
    assert events[0].entry_id == entry.entry_id and list(events[0].criteria) == ["hc-6"]
    assert events[0].case.party.credit_code == "914403001922038216"


def test_a_finding_without_kind_or_place_is_refused(records_db):
    case = open_case(records_db)
    with pytest.raises(InvalidEntry, match="kind"):
        handlers.append_entry(
            records_db, case_id=case.case_id, kind="note",
            payload={"hazard": {"kind": "消防通道堵塞"}}, corrects_entry_id="", meta=meta(),
        )  # fmt: skip
    assert found(records_db) == []
