"""Transactional outbox and its relay to Kafka.

A use case records events in its unit of work; they are inserted into `outbox` in the same
transaction as the state change. The relay reads unpublished rows in id order, publishes them
with an idempotent `acks="all"` producer keyed by aggregate id, and marks them published only
after the broker acknowledged them. A crash between publishing and marking re-publishes the
same rows (same event ids), which the consumers' inbox turns into no second effect.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from kafka import KafkaProducer

from services.chassis import metrics
from services.chassis.db import sqlite_writer_lock
from services.chassis.events import OutboxEvent, utcnow
from services.chassis.lease import Lease

log = logging.getLogger(__name__)

_OUTBOX = sa.table(
    "outbox",
    sa.column("id"),
    sa.column("event_id"),
    sa.column("topic"),
    sa.column("key"),
    sa.column("event_type"),
    sa.column("payload"),
    sa.column("created_at"),
    sa.column("published_at"),
)


def write_outbox_rows(conn: sa.Connection, events: Iterable[OutboxEvent]) -> None:
    conn.execute(
        _OUTBOX.insert(),
        [
            {
                "event_id": e.event_id,
                "topic": e.topic,
                "key": e.key,
                "event_type": e.event_type,
                "payload": e.payload,
                "created_at": e.created_at,
            }
            for e in events
        ],
    )


def producer_config(
    bootstrap: str,
    client_id: str,
    *,
    idempotent: bool = True,
    security: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Settings for a producer that never loses or reorders an acknowledged message.

    `idempotent=False` is for brokers whose idempotence does not survive a crash. Tansu 0.6
    stores a producer's new sequence number before the batch itself: killed between the two,
    it answers the retried batch DUPLICATE_SEQUENCE_NUMBER, which clients take as success,
    and the message is lost (tests/faults, docs/faults.md). Without idempotence one request in
    flight keeps each partition in order, and a retry may write a message twice, which the
    consumers' inbox absorbs.
    """
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap.split(","),
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        "max_in_flight_requests_per_connection": 5,
        "linger_ms": 5,
        "batch_size": 64 * 1024,
        "delivery_timeout_ms": 30_000,
        "request_timeout_ms": 10_000,
        "max_block_ms": 10_000,
        "reconnect_backoff_max_ms": 2_000,
        "allow_auto_create_topics": False,
    }
    if not idempotent:
        config.update(enable_idempotence=False, max_in_flight_requests_per_connection=1)
    config.update(security or {})  # SASL/TLS (settings.kafka_client_config)
    return config


# While the relay works, the lease is asked at most this often (a round trip each time);
# its statements run on the lease's session, so one that lost it fails at once anyway.
LEASE_CHECK_S = 1.0
BACKLOG_GAUGE_S = 1.0


class OutboxRelay:
    """Publishes a service's outbox rows to Kafka, in id order, until stopped."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        bootstrap: str,
        service: str,
        batch_size: int = 500,
        poll_interval_s: float = 0.2,
        producer_factory: Callable[[], Any] | None = None,
        after_publish: Callable[[Sequence[int]], None] | None = None,
        idempotent: bool = True,
        security: Mapping[str, Any] | None = None,
        lease_ttl_s: float = 10.0,
    ) -> None:
        self._engine = engine
        self._service = service
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._producer_factory = producer_factory or (
            lambda: KafkaProducer(
                **producer_config(
                    bootstrap, f"{service}-outbox-relay", idempotent=idempotent, security=security
                )
            )
        )
        self._after_publish = after_publish  # test hook: runs between publish and mark
        self._producer: Any = None
        self._lease = Lease(engine, f"outbox-relay:{service}", ttl_s=lease_ttl_s)
        self._lease_checked = 0.0  # monotonic time the lease was last confirmed
        self._async_marks: Any = None  # the lease session told not to wait for WAL flushes
        self._backlog_at = 0.0
        self._sqlite_writers = sqlite_writer_lock(engine)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Called after a commit that wrote outbox rows, so they go out without waiting."""
        self._wake.set()

    def backlog(self) -> int:
        with self._engine.connect().execution_options(readonly=True) as conn:
            return conn.execute(
                sa.select(sa.func.count())
                .select_from(_OUTBOX)
                .where(_OUTBOX.c.published_at.is_(None))
            ).scalar_one()

    def _is_leader(self) -> bool:
        """On PostgreSQL only the replica holding the relay's lease publishes (chassis/lease.py):
        two relays on one outbox would publish rows twice and out of order. SQLite has one
        process per file, so there is nothing to elect."""
        now = time.monotonic()
        if self._lease.connection is not None and now - self._lease_checked < LEASE_CHECK_S:
            return True
        held = self._lease.held()
        self._lease_checked = now if held else 0.0
        return held

    def _release_leadership(self) -> None:
        self._lease.release()

    @contextlib.contextmanager
    def _session(self, *, write: bool = False) -> Iterator[sa.Connection]:
        """The lease's own session on PostgreSQL (a holder that lost it cannot mark rows);
        a pooled connection on SQLite."""
        leased = self._lease.connection
        if leased is not None:
            yield leased
            return
        if not write:  # SQLite: a deferred BEGIN, so reading never queues for the write lock
            with self._engine.connect().execution_options(readonly=True) as conn:
                yield conn
            return
        # SQLite: queue with the process's writers rather than in SQLite's sleeping busy handler
        with self._sqlite_writers or contextlib.nullcontext(), self._engine.begin() as conn:
            yield conn

    def publish_batch(self) -> int:
        """Publish the oldest unpublished rows; returns how many were marked published.

        Only the run of rows up to the first failure is marked, so a later row is never
        marked while an earlier one is still waiting.
        """
        if not self._is_leader():
            return 0
        try:
            return self._publish_batch()
        except Exception:
            self._lease_checked = 0.0  # the session may be gone: ask the lease before going on
            raise

    def _publish_batch(self) -> int:
        with self._session() as conn:
            rows = conn.execute(
                sa.select(
                    _OUTBOX.c.id,
                    _OUTBOX.c.event_id,
                    _OUTBOX.c.topic,
                    _OUTBOX.c.key,
                    _OUTBOX.c.event_type,
                    _OUTBOX.c.payload,
                )
                .where(_OUTBOX.c.published_at.is_(None))
                .order_by(_OUTBOX.c.id)
                .limit(self._batch_size)
            ).all()
        if not rows:
            return 0
        producer = self._get_producer()
        futures = [
            producer.send(
                row.topic,
                key=row.key.encode(),
                value=bytes(row.payload),
                headers=[
                    ("event_id", row.event_id.encode()),
                    ("event_type", row.event_type.encode()),
                ],
            )
            for row in rows
        ]
        producer.flush()
        done: list[int] = []
        error: BaseException | None = None
        for row, future in zip(rows, futures, strict=True):
            try:
                future.get(timeout=0)
            except Exception as exc:
                error = exc
                break
            done.append(row.id)
        if done:
            if self._after_publish is not None:
                self._after_publish(done)
            self._mark_published(done)
            metrics.OUTBOX_PUBLISHED.labels(self._service).inc(len(done))
        if error is not None:
            raise error
        return len(done)

    def _mark_published(self, ids: list[int]) -> None:
        now = utcnow()
        with self._session(write=True) as conn:
            if conn.dialect.name == "postgresql":  # one statement, one array parameter
                if conn is not self._async_marks:
                    # A mark lost in a crash only publishes its rows again, which the
                    # consumers' inbox absorbs: no need to wait for the WAL's flush.
                    conn.exec_driver_sql("SET synchronous_commit = off")
                    self._async_marks = conn
                conn.execute(
                    sa.text(
                        "UPDATE outbox SET published_at = :now"
                        " WHERE id = ANY(CAST(:ids AS BIGINT[]))"
                    ),
                    {"now": now, "ids": ids},
                )
                return
            for start in range(0, len(ids), 500):
                conn.execute(
                    _OUTBOX.update()
                    .where(_OUTBOX.c.id.in_(ids[start : start + 500]))
                    .values(published_at=now)
                )

    def _get_producer(self) -> Any:
        if self._producer is None:
            self._producer = self._producer_factory()
        return self._producer

    def _drop_producer(self) -> None:
        # A fresh producer gets a fresh idempotence session after a failure.
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                producer.close(timeout=1)
            except Exception:
                log.debug("closing producer failed", exc_info=True)

    def run(self) -> None:
        """Loop until `stop()`: publish what is there, back off while the broker is down."""
        backoff = 0.5
        while not self._stop.is_set():
            try:
                published = self.publish_batch()
                backoff = 0.5
            except Exception as exc:
                metrics.OUTBOX_FAILURES.labels(self._service).inc()
                log.warning("outbox relay cannot publish, retrying in %.1fs: %s", backoff, exc)
                self._drop_producer()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if time.monotonic() - self._backlog_at >= BACKLOG_GAUGE_S:  # a query: not per batch
                self._backlog_at = time.monotonic()
                try:
                    metrics.OUTBOX_BACKLOG.labels(self._service).set(self.backlog())
                except Exception:
                    log.debug("backlog gauge failed", exc_info=True)
            if published < self._batch_size:
                self._wake.wait(self._poll_interval_s)
                self._wake.clear()
        self._drop_producer()
        self._release_leadership()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.run, name=f"{self._service}-outbox-relay", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until the outbox is empty (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.backlog() == 0:
                return True
            self.wake()
            time.sleep(0.05)
        return False
