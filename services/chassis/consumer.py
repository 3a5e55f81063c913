"""Kafka consumer runner: each message is handled once in effect.

For every message the handler runs inside a unit of work that also records the event id in
`inbox`; the Kafka offset is committed only after that transaction. A redelivered message
(after a crash, a rebalance or a relay re-publish) finds its event id in the inbox and is
skipped. A message that cannot be parsed, or whose handler keeps failing, goes to
`dead_letter` so one bad message does not stop the partition.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError, RebalanceInProgressError
from kafka.structs import OffsetAndMetadata
from sqlalchemy.dialects import postgresql, sqlite

from enforcement.events.v1.envelope_pb2 import EventEnvelope
from services.chassis import context, metrics
from services.chassis.db import Database, UnitOfWork
from services.chassis.events import MalformedEvent, parse_envelope, utcnow

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, EventEnvelope], None]

_INBOX = sa.table(
    "inbox",
    sa.column("consumer"),
    sa.column("event_id"),
    sa.column("topic"),
    sa.column("partition"),
    sa.column("offset"),
    sa.column("processed_at"),
)
_DEAD = sa.table(
    "dead_letter",
    sa.column("consumer"),
    sa.column("topic"),
    sa.column("partition"),
    sa.column("offset"),
    sa.column("event_id"),
    sa.column("value"),
    sa.column("error"),
    sa.column("attempts"),
    sa.column("failed_at"),
)


class ConsumerRunner:
    """Runs one consumer group (`name`) over `handlers` (topic -> handler) until stopped."""

    def __init__(
        self,
        *,
        name: str,
        bootstrap: str,
        db: Database,
        handlers: Mapping[str, Handler],
        session_timeout_ms: int = 6000,
        heartbeat_interval_ms: int = 2000,
        max_attempts: int = 5,
        retry_backoff_s: float = 0.2,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self._security = dict(security or {})
        self._bootstrap = bootstrap
        self._db = db
        self._handlers = dict(handlers)
        self._session_timeout_ms = session_timeout_ms
        self._heartbeat_interval_ms = heartbeat_interval_ms
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.assigned = threading.Event()

    def _make_consumer(self) -> KafkaConsumer:
        consumer = KafkaConsumer(
            bootstrap_servers=self._bootstrap.split(","),
            group_id=self.name,
            client_id=f"{self.name}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=self._heartbeat_interval_ms,
            max_poll_records=200,
            reconnect_backoff_max_ms=2000,
            **self._security,
        )
        consumer.subscribe(sorted(self._handlers))
        return consumer

    # -- one message -------------------------------------------------------------------

    def handle(self, topic: str, partition: int, offset: int, value: bytes | None) -> str:
        """Apply one message; returns 'applied', 'duplicate' or 'dead-lettered'."""
        started = time.perf_counter()
        try:
            envelope = parse_envelope(value or b"")
        except MalformedEvent as exc:
            self._dead_letter(topic, partition, offset, None, value, str(exc), 1)
            return self._count(topic, "dead-lettered", started)
        handler = self._handlers[topic]
        last_error = ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                with context.bound(trace_id=envelope.trace_id or None):
                    outcome = self._apply(handler, envelope, topic, partition, offset)
                return self._count(topic, outcome, started)
            except MalformedEvent as exc:
                self._dead_letter(
                    topic, partition, offset, envelope.event_id, value, str(exc), attempt
                )
                return self._count(topic, "dead-lettered", started)
            except Exception as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "handler %s failed on %s (attempt %d/%d): %s",
                    self.name,
                    envelope.event_id,
                    attempt,
                    self._max_attempts,
                    last_error,
                )
                metrics.CONSUMER_MESSAGES.labels(self.name, topic, "failed").inc()
                if self._stop.wait(self._retry_backoff_s * attempt):
                    raise
        self._dead_letter(
            topic, partition, offset, envelope.event_id, value, last_error, self._max_attempts
        )
        return self._count(topic, "dead-lettered", started)

    def _apply(
        self, handler: Handler, envelope: EventEnvelope, topic: str, partition: int, offset: int
    ) -> str:
        with self._db.unit_of_work() as uow:
            # Claim the event first: a member that got the partition in a rebalance while
            # another still applies it waits here on the inbox key, then sees it taken,
            # instead of running the handler a second time beside the first.
            insert = (
                postgresql.insert(_INBOX)
                if uow.conn.dialect.name == "postgresql"
                else sqlite.insert(_INBOX)
            )
            claimed = uow.conn.execute(
                insert.values(
                    consumer=self.name,
                    event_id=envelope.event_id,
                    topic=topic,
                    partition=partition,
                    offset=offset,
                    processed_at=utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
                .returning(_INBOX.c.event_id)
            ).first()
            if claimed is None:
                return "duplicate"
            handler(uow, envelope)
            uow.commit()
        return "applied"

    def _dead_letter(
        self,
        topic: str,
        partition: int,
        offset: int,
        event_id: str | None,
        value: bytes | None,
        error: str,
        attempts: int,
    ) -> None:
        log.error("dead-lettering %s[%d]@%d (%s): %s", topic, partition, offset, event_id, error)
        with self._db.unit_of_work() as uow:
            uow.conn.execute(
                _DEAD.insert().values(
                    consumer=self.name,
                    topic=topic,
                    partition=partition,
                    offset=offset,
                    event_id=event_id,
                    value=value,
                    error=error[:4000],
                    attempts=attempts,
                    failed_at=utcnow(),
                )
            )
            uow.commit()

    def _count(self, topic: str, outcome: str, started: float) -> str:
        metrics.CONSUMER_MESSAGES.labels(self.name, topic, outcome).inc()
        metrics.CONSUMER_LATENCY.labels(self.name, topic).observe(time.perf_counter() - started)
        return outcome

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            consumer = None
            try:
                consumer = self._make_consumer()
                backoff = 0.5
                self._poll_loop(consumer)
            except Exception as exc:
                log.warning("consumer %s restarting in %.1fs: %s", self.name, backoff, exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                if consumer is not None:
                    try:
                        consumer.close(autocommit=False)
                    except Exception:
                        log.debug("consumer close failed", exc_info=True)

    def _poll_loop(self, consumer: KafkaConsumer) -> None:
        while not self._stop.is_set():
            batches: dict[TopicPartition, list[Any]] = consumer.poll(timeout_ms=500)
            if consumer.assignment():
                self.assigned.set()
            for tp, messages in batches.items():
                next_offset = None
                for message in messages:
                    if self._stop.is_set():
                        break
                    self.handle(message.topic, message.partition, message.offset, message.value)
                    next_offset = message.offset + 1
                # One commit per partition batch; a crash before it only causes redelivery,
                # which the inbox absorbs.
                if next_offset is not None:
                    self._commit(consumer, tp, next_offset)

    def _commit(self, consumer: KafkaConsumer, tp: TopicPartition, next_offset: int) -> None:
        try:
            consumer.commit({tp: OffsetAndMetadata(next_offset, "", -1)})
        except (RebalanceInProgressError, CommitFailedError) as exc:
            # The inbox makes the redelivery that follows harmless.
            log.info("offset commit skipped during rebalance: %s", exc)
        except KafkaError as exc:
            log.warning("offset commit failed: %s", exc)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"{self.name}-consumer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
