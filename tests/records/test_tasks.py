"""Inspection tasks opened from gas alarms and overload violations, and taken up as cases."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaProducer

from enforcement.gas.v1 import gas_events_pb2
from enforcement.overload.v1 import overload_events_pb2
from services.chassis.consumer import ConsumerRunner
from services.chassis.events import build_event
from services.chassis.kafka_admin import ensure_topics
from services.records import handlers
from services.records.consumers import make_handlers

from .conftest import AGENCY, NUMBERING, open_case, uid

pytestmark = pytest.mark.integration


def alarm(alarm_id: str, level: str = "level-1", lel: float = 30.0):
    return build_event(
        topic="gas.alarm-raised.v1",
        aggregate_id=alarm_id,
        payload=gas_events_pb2.AlarmRaised(
            alarm_id=alarm_id,
            venue_id="v-1",
            venue_name="老街面馆",
            venue_credit_code="914403001922038216",
            agency_id=AGENCY,
            town="薛家镇",
            level=level,
            max_lel_percent=lel,
        ),
        producer="gas",
    )


def violation(weighing_id: str):
    party = overload_events_pb2.Party
    return build_event(
        topic="overload.violation-confirmed.v1",
        aggregate_id=weighing_id,
        payload=overload_events_pb2.ViolationConfirmed(
            weighing_id=weighing_id,
            agency_id=AGENCY,
            town="罗溪镇",
            plate="苏D12345",
            gross_t=62.4,
            limit_t=49.0,
            over_t=13.4,
            driver=party(name="赵六", id_number="11010519491231002X"),
            carrier=party(name="常州某运输有限公司", credit_code="914403001922038216"),
            loading_source=party(name="某砂石场", credit_code="91110108551385082Q"),
        ),
        producer="overload",
    )


HANDLERS = make_handlers(NUMBERING)


def runner(database) -> ConsumerRunner:
    return ConsumerRunner(name="records", bootstrap="unused:1", db=database, handlers=HANDLERS)


def open_tasks(database, town=None):
    return handlers.list_tasks(database, agency_id=AGENCY, town=town, status="open", page_size=100)


def test_a_gas_alarm_makes_one_urgent_task_that_later_events_update(records_db):
    r = runner(records_db)
    alarm_id = uid("alarm")
    assert r.handle("gas.alarm-raised.v1", 0, 1, alarm(alarm_id).payload) == "applied"
    assert r.handle("gas.alarm-raised.v1", 0, 2, alarm(alarm_id, "level-2", 62).payload) == (
        "applied"
    )
    tasks = [t for t in open_tasks(records_db) if t.source_ref == alarm_id]
    assert len(tasks) == 1
    assert tasks[0].priority == "urgent" and tasks[0].details["level"] == "level-2"
    assert tasks[0].party["credit_code"] == "914403001922038216"


def test_an_overload_violation_without_confirming_officers_makes_four_tasks(records_db):
    """An event from before confirmations named their officers: no lawful case, four tasks."""
    weighing = uid("w")
    assert (
        runner(records_db).handle(
            "overload.violation-confirmed.v1", 1, 7, violation(weighing).payload
        )
        == "applied"
    )
    roles = sorted(
        t.details["role"]
        for t in open_tasks(records_db, "罗溪镇")
        if t.source_ref.startswith(weighing)
    )
    assert roles == ["carrier", "driver", "loading-source", "supervision-notice"]


def test_officers_take_up_a_task_once_and_only_in_their_agency(records_db):
    alarm_id = uid("alarm")
    runner(records_db).handle("gas.alarm-raised.v1", 0, 3, alarm(alarm_id).payload)
    task = next(t for t in open_tasks(records_db) if t.source_ref == alarm_id)
    with pytest.raises(handlers.NotFound):
        open_case(records_db, agency="other-agency", task_id=task.task_id)
    case = open_case(records_db, task_id=task.task_id)
    taken = handlers.list_tasks(
        records_db, agency_id=AGENCY, town=None, status="case-opened", page_size=100
    )
    assert [t.case_id for t in taken if t.task_id == task.task_id] == [case.case_id]
    assert task.task_id not in {t.task_id for t in open_tasks(records_db)}
    with pytest.raises(handlers.Conflict, match=case.case_id):
        open_case(records_db, task_id=task.task_id)


def test_a_gas_alarm_on_the_broker_reaches_the_task_list(records_db, kafka_bootstrap):
    ensure_topics(
        kafka_bootstrap,
        {"gas.alarm-raised.v1": 6, "overload.violation-confirmed.v1": 6, "review.completed.v1": 6},
    )
    consumer = ConsumerRunner(
        name=uid("records"), bootstrap=kafka_bootstrap, db=records_db, handlers=HANDLERS
    )
    consumer.start()
    try:
        alarm_id = uid("alarm")
        event = alarm(alarm_id)
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        producer.send(event.topic, key=event.key.encode(), value=event.payload).get(timeout=30)
        producer.send(event.topic, key=event.key.encode(), value=event.payload).get(timeout=30)
        producer.close()
        deadline = time.monotonic() + 60
        while not any(t.source_ref == alarm_id for t in open_tasks(records_db)):
            assert time.monotonic() < deadline, "the alarm never became a task"
            time.sleep(0.3)
    finally:
        consumer.stop()
    assert sum(t.source_ref == alarm_id for t in open_tasks(records_db)) == 1


def test_an_unprotected_venue_makes_a_check_task(records_db):
    event = gas_events_pb2.VenueUnprotected(
        venue_id="v-bbq", venue_name="烧烤店", agency_id=AGENCY, town="薛家镇",
        reasons=["no shut-off valve installed"],
    )  # fmt: skip
    event.since.FromSeconds(1_795_000_000)
    envelope = build_event(
        topic="gas.venue-unprotected.v1", aggregate_id="v-bbq", payload=event, producer="gas"
    )
    assert (
        runner(records_db).handle("gas.venue-unprotected.v1", 0, 9, envelope.payload) == "applied"
    )
    [task] = [t for t in open_tasks(records_db) if t.source_ref.startswith("unprotected:v-bbq")]
    assert task.details["reasons"] == ["no shut-off valve installed"] and task.priority == "normal"
