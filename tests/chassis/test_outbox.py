"""Outbox -> relay -> Kafka -> consumer runner, against real Tansu and real databases."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import defaultdict

import pytest
import sqlalchemy as sa
from google.protobuf import wrappers_pb2
from kafka import KafkaConsumer, TopicPartition

from services.chassis.consumer import ConsumerRunner
from services.chassis.db import Database
from services.chassis.events import build_event, parse_envelope
from services.chassis.kafka_admin import ensure_topics
from services.chassis.outbox import OutboxRelay
from tests.chassis.messaging_support import (
    count,
    effects,
    metadata,
    record_effect,
    unique_topic,
    write_events,
)

pytestmark = pytest.mark.integration

OUTBOX = sa.table("outbox", sa.column("published_at"))


@pytest.fixture
def database(db_url):
    db = Database.from_url(db_url)
    metadata.create_all(db.engine)
    yield db
    db.dispose()


@pytest.fixture
def topic(kafka_bootstrap):
    name = unique_topic()
    ensure_topics(kafka_bootstrap, {name: 3})
    return name


def read_topic(bootstrap: str, topic: str, expected: int, timeout_s: float = 20.0):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    messages = []
    deadline = time.monotonic() + timeout_s
    while len(messages) < expected and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            messages.extend(batch)
    consumer.close()
    return messages


def drain(relay: OutboxRelay) -> None:
    while relay.publish_batch():
        pass


# Not idempotent: how the embedded stack runs the relay (Tansu loses an idempotent
# producer's batch across a crash; see services.chassis.outbox.producer_config).
@pytest.mark.parametrize("idempotent", [True, False], ids=["idempotent", "not-idempotent"])
def test_relay_publishes_every_row_in_order_per_aggregate(
    database, kafka_bootstrap, topic, idempotent
):
    items = [(f"case-{i % 3}", f"step-{i}") for i in range(30)]
    write_events(database, topic, items)
    relay = OutboxRelay(
        database.engine, bootstrap=kafka_bootstrap, service="test", idempotent=idempotent
    )
    drain(relay)
    assert count(database, OUTBOX, OUTBOX.c.published_at.is_(None)) == 0

    messages = read_topic(kafka_bootstrap, topic, 30)
    assert len(messages) == 30
    by_key = defaultdict(list)
    for m in messages:
        envelope = parse_envelope(m.value)
        assert m.key.decode() == envelope.aggregate_id
        assert dict(m.headers)["event_id"].decode() == envelope.event_id
        assert envelope.type == topic and envelope.producer == "test"
        by_key[m.key.decode()].append(envelope.event_id)
    for ids in by_key.values():
        assert ids == sorted(ids), "UUIDv7 ids of one aggregate arrive in creation order"
    assert set(by_key) == {"case-0", "case-1", "case-2"}


def test_relay_killed_between_publish_and_mark_loses_and_doubles_nothing(
    database, db_url, kafka_bootstrap, topic
):
    ids = write_events(database, topic, [(f"agg-{i % 4}", f"v{i}") for i in range(20)])
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.chassis._relay_crash", db_url, kafka_bootstrap],
        timeout=120,
        capture_output=True,
    )
    assert crashed.returncode == 3, crashed.stderr.decode()[-2000:]
    # Published, but the relay died before it could say so.
    assert count(database, OUTBOX, OUTBOX.c.published_at.is_(None)) == 20

    OutboxRelay(database.engine, bootstrap=kafka_bootstrap, service="test").publish_batch()
    assert count(database, OUTBOX, OUTBOX.c.published_at.is_(None)) == 0
    assert len(read_topic(kafka_bootstrap, topic, 40)) == 40  # every event went out twice

    runner = ConsumerRunner(
        name=f"effects-{topic}",
        bootstrap=kafka_bootstrap,
        db=database,
        handlers={topic: record_effect},
    )
    runner.start()
    try:
        deadline = time.monotonic() + 60
        while count(database, effects) < 20 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # room for a second effect to show up, if there were one
    finally:
        runner.stop()
    with database.read() as conn:
        applied = [r.event_id for r in conn.execute(sa.select(effects.c.event_id))]
    assert sorted(applied) == sorted(ids), "each committed event applied exactly once"


def test_redelivered_message_has_no_second_effect(database, topic):
    event = build_event(
        topic=topic,
        aggregate_id="a-1",
        payload=wrappers_pb2.StringValue(value="x"),
        producer="test",
    )
    runner = ConsumerRunner(
        name="dedupe", bootstrap="unused:1", db=database, handlers={topic: record_effect}
    )
    assert runner.handle(topic, 0, 10, event.payload) == "applied"
    assert runner.handle(topic, 0, 10, event.payload) == "duplicate"
    assert runner.handle(topic, 1, 99, event.payload) == "duplicate"
    assert count(database, effects) == 1


def test_malformed_message_goes_to_dead_letter_without_effect(database, topic):
    runner = ConsumerRunner(
        name="dlq", bootstrap="unused:1", db=database, handlers={topic: record_effect}
    )
    assert runner.handle(topic, 2, 5, b"\xff\x00 not protobuf") == "dead-lettered"
    dead = sa.table("dead_letter", sa.column("topic"), sa.column("offset"), sa.column("error"))
    with database.read() as conn:
        row = conn.execute(sa.select(dead.c.topic, dead.c.offset)).one()
    assert (row.topic, row.offset) == (topic, 5)
    assert count(database, effects) == 0


def test_failing_handler_is_retried_then_dead_lettered_and_rolled_back(database, topic):
    calls = []

    def flaky(uow, envelope):
        record_effect(uow, envelope)  # written, then rolled back with the failure
        calls.append(envelope.event_id)
        raise RuntimeError("downstream rule table missing")

    event = build_event(
        topic=topic,
        aggregate_id="a-2",
        payload=wrappers_pb2.StringValue(value="y"),
        producer="test",
    )
    runner = ConsumerRunner(
        name="flaky",
        bootstrap="unused:1",
        db=database,
        handlers={topic: flaky},
        max_attempts=3,
        retry_backoff_s=0.01,
    )
    assert runner.handle(topic, 0, 1, event.payload) == "dead-lettered"
    assert len(calls) == 3
    assert count(database, effects) == 0
    inbox = sa.table("inbox", sa.column("event_id"))
    assert count(database, inbox) == 0


def test_only_one_relay_per_postgresql_database_publishes(db_url, database, kafka_bootstrap, topic):
    if not db_url.startswith("postgresql"):
        pytest.skip("leader election is for PostgreSQL; SQLite has one process per file")
    write_events(database, topic, [("agg", f"v{i}") for i in range(5)])
    first = OutboxRelay(database.engine, bootstrap=kafka_bootstrap, service="elect")
    second = OutboxRelay(database.engine, bootstrap=kafka_bootstrap, service="elect")
    assert first.publish_batch() == 5
    write_events(database, topic, [("agg", "late")])
    assert second.publish_batch() == 0, "a second replica must not publish"
    first._release_leadership()  # the leader's process ends
    assert second.publish_batch() == 1
    second._release_leadership()
