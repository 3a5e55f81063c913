"""A deadline recounted on the official calendar is written into the case's record as a new
entry (执法全过程记录); what was recorded before stays as it was and the chain still holds."""

from __future__ import annotations

import pytest

from enforcement.calendar.v1 import calendar_pb2
from services.chassis.consumer import ConsumerRunner
from services.chassis.events import build_event
from services.records import db, handlers
from services.records.consumers import make_handlers
from services.records.domain.entries import check_chain

from .conftest import NUMBERING, open_case

pytestmark = pytest.mark.integration


def recounted(case_id: str, *, producer: str, deadline: str):
    return build_event(
        topic=f"{producer}.deadline-recomputed.v1",
        aggregate_id=case_id,
        payload=calendar_pb2.DeadlineRecomputed(
            case_id=case_id,
            agency_id="xinbei-yjj",
            deadline=deadline,
            ref_id="ref-1",
            previous_due_date="2027-02-12",
            previous_provisional=True,
            due_date="2027-02-15",
            provisional=False,
            calendar_year=2027,
            calendar_version=1,
            notice_no="示例〔2026〕1号",
        ),
        producer=producer,
    )


@pytest.mark.parametrize(
    ("producer", "deadline"),
    [("review", "legal-review"), ("disclosure", "disclosure"), ("overload", "art44-report")],
)
def test_a_recounted_deadline_is_a_new_entry_of_the_case(records_db, producer, deadline):
    case = open_case(records_db)
    with records_db.read() as conn:
        before = db.case_entries(conn, case.case_id)
    runner = ConsumerRunner(
        name="records", bootstrap="unused:1", db=records_db, handlers=make_handlers(NUMBERING)
    )
    event = recounted(case.case_id, producer=producer, deadline=deadline)
    assert runner.handle(event.topic, 0, 0, event.payload) == "applied"
    assert runner.handle(event.topic, 0, 0, event.payload) == "duplicate"
    with records_db.read() as conn:
        entries = db.case_entries(conn, case.case_id)
    assert entries[: len(before)] == before and len(entries) == len(before) + 1
    entry = entries[-1]
    assert entry.kind == "deadline-recomputed" and entry.actor_id == producer
    assert entry.payload["name"] == handlers.DEADLINE_NAMES[deadline]
    assert (entry.payload["previous_due_date"], entry.payload["due_date"]) == (
        "2027-02-12",
        "2027-02-15",
    )
    assert check_chain(entries) == []
