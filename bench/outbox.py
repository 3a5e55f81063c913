"""Outbox relay against direct publishing, side by side in one run on the embedded stack.

Both write one row per use case to SQLite and get one event to a consumer:
- `outbox`: the platform's way: the event row commits with the state change; the relay
  publishes batches with an idempotent acks=all producer and marks them published.
- `direct` (baseline): commit the state change, then publish the event with the same
  producer settings and wait for the ack; an outage between the two loses the event.

- `producer` (the relay's baseline): a raw kafka-python producer with the same settings
  sending the same events into the same broker as fast as it batches them; no database.

Measures use-case throughput (commits per second, 4 writer threads), events delivered per
second (first write to the last event consumed) and the latency from commit (for
`producer`: from the send) to the consumer receiving the event (p50/p95/p99).
"""

from __future__ import annotations

import statistics
import threading
import time

import sqlalchemy as sa
from google.protobuf import wrappers_pb2
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from services.chassis.db import Database
from services.chassis.events import build_event, parse_envelope
from services.chassis.kafka_admin import ensure_topics
from services.chassis.messaging_tables import define_messaging_tables
from services.chassis.outbox import OutboxRelay, producer_config

metadata = sa.MetaData()
define_messaging_tables(metadata)
facts = sa.Table(
    "facts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("value", sa.String(50)),
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _consume(bootstrap: str, topic: str, n: int, received: dict[str, float]) -> None:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
    consumer.seek_to_beginning()
    deadline = time.monotonic() + 120
    while len(received) < n and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            now = time.perf_counter()
            for m in batch:
                received.setdefault(parse_envelope(m.value).event_id, now)
    consumer.close()


def run_variant(name: str, bootstrap: str, database_url: str, n: int, writers: int = 4) -> dict:
    topic = f"bench.{name}-{int(time.time() * 1000)}.v1"
    ensure_topics(bootstrap, {topic: 6})
    db = Database.from_url(database_url)
    metadata.create_all(db.engine)
    committed: dict[str, float] = {}
    received: dict[str, float] = {}
    lock = threading.Lock()
    consumer = threading.Thread(target=_consume, args=(bootstrap, topic, n, received))
    consumer.start()
    time.sleep(1.0)

    relay = None
    producer = None
    if name == "outbox":
        relay = OutboxRelay(db.engine, bootstrap=bootstrap, service="bench")
        db.on_commit(relay.wake)
        relay.start()
    else:
        producer = KafkaProducer(**producer_config(bootstrap, f"bench-{name}"))
        producer.partitions_for(topic)  # the topic's metadata before the clock starts

    def writer(start: int) -> None:
        for i in range(start, n, writers):
            event = build_event(
                topic=topic,
                aggregate_id=f"agg-{i % 50}",
                payload=wrappers_pb2.StringValue(value=str(i)),
                producer="bench",
            )
            if name == "producer":  # no database: send and let the producer batch
                with lock:
                    committed[event.event_id] = time.perf_counter()
                producer.send(topic, key=event.key.encode(), value=event.payload)
                continue
            with db.unit_of_work() as uow:
                uow.conn.execute(facts.insert().values(value=str(i)))
                if relay is not None:
                    uow.add_event(event)
                uow.commit()
            with lock:
                committed[event.event_id] = time.perf_counter()
            if producer is not None:
                producer.send(topic, key=event.key.encode(), value=event.payload).get(30)

    started = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if producer is not None:
        producer.flush(30)
    elapsed = time.perf_counter() - started
    consumer.join()
    if relay is not None:
        relay.stop()
    if producer is not None:
        producer.close()
    db.dispose()
    latencies = [(received[e] - committed[e]) * 1000 for e in committed if e in received]
    last = max(received.values(), default=started + elapsed)
    return {
        "variant": name,
        "events": n,
        "delivered": len(latencies),
        "commits_per_s": n / elapsed,
        "delivered_per_s": len(latencies) / (last - started),
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "mean_ms": statistics.fmean(latencies),
    }
