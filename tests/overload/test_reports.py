"""Art. 44 reports: a 一超四罚 case that reaches closing must be reported within 7 working days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
import uuid_utils

from enforcement.calendar.v1 import calendar_pb2
from enforcement.overload.v1 import overload_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.calendar_store import TOPIC_YEAR_PUBLISHED
from services.chassis.consumer import ConsumerRunner
from services.chassis.events import build_event, parse_envelope, unpack
from services.chassis.workdays import add_working_days, china_date
from services.overload import db, handlers, reports
from tests.support.calendar_example import clock_at, published_2027_event

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


def deliver_calendar(database, event) -> str:
    runner = ConsumerRunner(
        name="overload",
        bootstrap="unused:1",
        db=database,
        handlers={TOPIC_YEAR_PUBLISHED: reports.on_calendar_year},
    )
    return runner.handle(event.topic, 0, 0, event.payload)


def report_closed_on(overload_db, moment: datetime):
    weighing_id, _, _, _ = handlers.record_weighing(overload_db, weighing("60"))
    case_id = str(uuid_utils.uuid7())
    with clock_at(moment):
        deliver(overload_db, advanced(case_id, f"{weighing_id}:carrier"))
    with overload_db.read() as conn:
        return db.report_of_case(conn, case_id)


def recomputed(overload_db, case_id: str) -> list:
    with overload_db.read() as conn:
        rows = conn.execute(
            sa.select(db.outbox.c.payload).where(
                db.outbox.c.topic == reports.TOPIC_DEADLINE_RECOMPUTED, db.outbox.c.key == case_id
            )
        )
        return [unpack(parse_envelope(r.payload), calendar_pb2.DeadlineRecomputed) for r in rows]


def test_art_44_reports_are_recounted_when_the_year_is_entered(overload_db):
    # Art. 44 (62号令): 7 working days from closing. 28 Dec 2026 -> 7 Jan 2027 (1 Jan is a
    # statutory holiday), provisional until 2027's notice is entered.
    december = report_closed_on(overload_db, datetime(2026, 12, 28, 2, tzinfo=UTC))
    assert (december.due_date, december.due_provisional) == (date(2027, 1, 7), True)
    january = report_closed_on(overload_db, datetime(2027, 1, 28, 2, tzinfo=UTC))
    assert (january.due_date, january.due_provisional) == (date(2027, 2, 12), True)
    sent = report_closed_on(overload_db, datetime(2027, 1, 28, 3, tzinfo=UTC))
    reports.mark_sent(overload_db, report_id=sent.report_id, agency_id=AGENCY, actor_id="u-1")
    event = published_2027_event()
    assert deliver_calendar(overload_db, event) == "applied"
    assert deliver_calendar(overload_db, event) == "duplicate"
    with overload_db.read() as conn:
        december2 = db.report_of_case(conn, december.case_id)
        january2 = db.report_of_case(conn, january.case_id)
        sent2 = db.report_of_case(conn, sent.case_id)
    assert (december2.due_date, december2.due_provisional) == (date(2027, 1, 7), False)
    assert (january2.due_date, january2.due_provisional) == (date(2027, 2, 15), False)
    assert (sent2.due_date, sent2.due_provisional) == (date(2027, 2, 12), True)  # as decided
    [moved] = recomputed(overload_db, january.case_id)
    assert (moved.deadline, moved.previous_due_date, moved.due_date) == (
        "art44-report",
        "2027-02-12",
        "2027-02-15",
    )
    assert recomputed(overload_db, sent.case_id) == []


def test_the_station_register_lists_the_agencys_stations_by_town(overload_db):
    for station_id, name, town in (("s-2", "龙城站", "罗溪镇"), ("s-1", "新桥站", "新桥街道")):
        handlers.upsert_station(
            overload_db,
            overload_pb2.Station(
                station_id=station_id, name=name, kind="wim", agency_id="xb", town=town,
                scale=overload_pb2.ScaleInfo(kind="wim", accuracy_class="5", interval_kg=20),
            ),
        )  # fmt: skip
    rows = handlers.list_stations(overload_db, "xb")
    assert [(r.station_id, r.accuracy_class) for r in rows] == [("s-1", "5"), ("s-2", "5")]
    assert [r.station_id for r in handlers.list_stations(overload_db, "xb", "罗溪镇")] == ["s-2"]
    assert handlers.list_stations(overload_db, "other") == []
