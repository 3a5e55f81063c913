"""Art. 44 reports: a 一超四罚 case that reaches closing must be reported within 7 working days."""

from __future__ import annotations

import pytest
import uuid_utils

from enforcement.records.v1 import records_pb2
from services.chassis.consumer import ConsumerRunner
from services.chassis.events import build_event
from services.chassis.workdays import add_working_days, china_date
from services.overload import handlers, reports

from .conftest import AGENCY, weighing

pytestmark = pytest.mark.integration


def advanced(case_id: str, source_ref: str, to: str = "closing", topic=reports.SOURCE):
    event = records_pb2.CaseAdvanced(
        case=records_pb2.Case(
            case_id=case_id, agency_id=AGENCY, source_topic=topic, source_ref=source_ref
        ),
        from_stage="execution",
        to_stage=to,
    )
    return build_event(
        topic="records.case-advanced.v1", aggregate_id=case_id, payload=event, producer="records"
    )


def deliver(database, event) -> str:
    runner = ConsumerRunner(
        name="overload",
        bootstrap="unused:1",
        db=database,
        handlers={"records.case-advanced.v1": reports.on_case_advanced},
    )
    return runner.handle(event.topic, 0, 0, event.payload)


def test_a_closed_overload_case_is_due_for_its_report_and_can_be_marked_sent(overload_db):
    weighing_id, _, _, _ = handlers.record_weighing(overload_db, weighing("60", plate="苏D33333"))
    case_id = str(uuid_utils.uuid7())
    deliver(overload_db, advanced(case_id, f"{weighing_id}:carrier", to="service"))
    deliver(
        overload_db, advanced(str(uuid_utils.uuid7()), "x:carrier", topic="gas.alarm-raised.v1")
    )
    assert reports.list_reports(overload_db, AGENCY, True) == []
    assert deliver(overload_db, advanced(case_id, f"{weighing_id}:carrier")) == "applied"
    [report] = reports.list_reports(overload_db, AGENCY, True)
    today = china_date()
    assert report.plate == "苏D33333" and report.role == "carrier"
    assert report.due_date == add_working_days(today, 7)
    sent = reports.mark_sent(
        overload_db, report_id=report.report_id, agency_id=AGENCY, actor_id="u-officer"
    )
    assert sent.sent_on == today and reports.list_reports(overload_db, AGENCY, True) == []
    with pytest.raises(reports.NotFound):
        reports.mark_sent(overload_db, report_id=report.report_id, agency_id="x", actor_id="u")
