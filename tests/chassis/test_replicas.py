"""Several replicas of one service on one PostgreSQL database: the relay's lease is taken
over when its holder dies or hangs, two relays running side by side publish every event with
each aggregate in order, consumers of one group apply every event once through rebalances,
and wake-ups cross replicas. PostgreSQL only (TEST_DATABASE_URL); SQLite has one process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import defaultdict

import pytest
import sqlalchemy as sa

from services.chassis.consumer import ConsumerRunner
from services.chassis.db import Database
from services.chassis.events import parse_envelope
from services.chassis.kafka_admin import ensure_topics
from services.chassis.lease import Lease
from services.chassis.outbox import OutboxRelay
from services.chassis.wakeups import Wakeups
from tests.chassis.messaging_support import (
    count,
    effects,
    metadata,
    record_effect,
    unique_topic,
    write_events,
)
from tests.chassis.test_outbox import OUTBOX, read_topic
from tests.support.databases import postgres_available, throwaway_database

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not postgres_available(), reason="TEST_DATABASE_URL not set"),
]

HOLD = """
import sys, time
from services.chassis.db import make_engine
from services.chassis.lease import Lease
lease = Lease(make_engine(sys.argv[1]), sys.argv[2])
assert lease.held()
print("held", flush=True)
while True:
    time.sleep(0.2)
    lease.held()
"""


@pytest.fixture
def pg_url(tmp_path):
    with throwaway_database("postgresql", tmp_path, "rep") as url:
        yield url


@pytest.fixture
def database(pg_url):
    db = Database.from_url(pg_url)
    metadata.create_all(db.engine)
    yield db
    db.dispose()


def wait_until(predicate, timeout: float = 15.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def test_a_lease_is_taken_over_when_its_holder_is_killed(pg_url, database):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, pg_url, "relay:test"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        standby = Lease(database.engine, "relay:test")
        assert not standby.held(), "two holders at once"
        holder.kill()  # SIGKILL: no goodbye
        holder.wait(10)
        assert wait_until(standby.held, timeout=10), "the standby took over within seconds"
        standby.release()
    finally:
        if holder.poll() is None:
            holder.kill()


def test_a_holder_that_stops_talking_loses_the_lease_and_cannot_write_under_it(database):
    hung = Lease(database.engine, "signer:test", ttl_s=1.0)
    assert hung.held()
    standby = Lease(database.engine, "signer:test", ttl_s=1.0)
    assert not standby.held()
    # The holder hangs: its session sends nothing, so the server ends it after the TTL.
    assert wait_until(standby.held, timeout=10)
    stale = hung.connection
    with pytest.raises(sa.exc.DBAPIError):
        stale.exec_driver_sql("SELECT 1")  # fenced: its session is gone
    assert not hung.held(), "it asks again and finds the lease taken"
    hung.release()
    standby.release()


def test_two_relays_side_by_side_publish_everything_in_order_across_a_failover(
    database, kafka_bootstrap
):
    topic = unique_topic()
    ensure_topics(kafka_bootstrap, {topic: 3})
    relays = [
        OutboxRelay(
            database.engine, bootstrap=kafka_bootstrap, service="pair", poll_interval_s=0.05
        )
        for _ in range(2)
    ]
    for relay in relays:
        relay.start()
    ids = write_events(database, topic, [(f"agg-{i % 5}", f"v{i}") for i in range(60)])
    assert wait_until(lambda: count(database, OUTBOX, OUTBOX.c.published_at.is_(None)) == 0)
    # The holder's session dies (as with a killed pod); the other relay takes over.
    with database.engine.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        ).all()
    assert len(killed) == 1, "exactly one relay held the lease"
    ids += write_events(database, topic, [(f"agg-{i % 5}", f"w{i}") for i in range(60)])
    try:
        assert wait_until(lambda: count(database, OUTBOX, OUTBOX.c.published_at.is_(None)) == 0)
    finally:
        for relay in relays:
            relay.stop()
    messages = read_topic(kafka_bootstrap, topic, len(ids))
    by_key: dict[str, list[str]] = defaultdict(list)
    for m in messages:
        event_id = parse_envelope(m.value).event_id
        if event_id not in by_key[m.key.decode()]:  # a re-publish after a failover is allowed
            by_key[m.key.decode()].append(event_id)
    assert sorted(e for v in by_key.values() for e in v) == sorted(ids), "nothing lost"
    for seen in by_key.values():
        assert seen == sorted(seen), "each aggregate's events in the order they were written"


def test_consumers_of_one_group_apply_every_event_once_through_rebalances(
    database, kafka_bootstrap
):
    topic = unique_topic()
    ensure_topics(kafka_bootstrap, {topic: 4})

    replicas: list[Database] = []

    def member() -> ConsumerRunner:
        # Each member is a replica: its own engine on the shared database.
        replicas.append(Database.from_url(str_url(database)))
        return ConsumerRunner(
            name=f"group-{topic}",
            bootstrap=kafka_bootstrap,
            db=replicas[-1],
            handlers={topic: record_effect},
        )

    first = member()
    first.start()
    ids = write_events(database, topic, [(f"agg-{i % 8}", f"v{i}") for i in range(120)])
    relay = OutboxRelay(database.engine, bootstrap=kafka_bootstrap, service="groups")
    publishing = threading.Thread(target=lambda: [relay.publish_batch() for _ in range(3)])
    publishing.start()
    second = member()
    second.start()  # joins: the group rebalances while events flow
    publishing.join()
    assert wait_until(lambda: count(database, effects) >= 40, timeout=60)
    first.stop()  # leaves mid-stream: the other member takes all partitions
    more = write_events(database, topic, [(f"agg-{i % 8}", f"w{i}") for i in range(60)])
    while relay.publish_batch():
        pass
    try:
        assert wait_until(lambda: count(database, effects) >= len(ids) + len(more), timeout=90)
        time.sleep(1.5)  # room for a second effect to show up, if there were one
    finally:
        second.stop()
        for replica in replicas:
            replica.dispose()
    with database.read() as conn:
        applied = [r.event_id for r in conn.execute(sa.select(effects.c.event_id))]
    assert sorted(applied) == sorted(ids + more), "every event applied exactly once"


def str_url(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=False)


def test_a_wake_up_announced_on_one_replica_reaches_the_others_and_a_lost_session_resyncs(
    database,
):
    url = str_url(database)
    replica_a = Wakeups(Database.from_url(url).engine)
    replica_b = Wakeups(Database.from_url(url).engine)
    heard: list[list[str] | None] = []
    arrived = threading.Event()

    def on_wake(ids):
        heard.append(ids)
        arrived.set()

    replica_b.subscribe("valves", on_wake)
    try:
        assert replica_b.wait_listening("valves")
        replica_a.announce("valves", ["valve-1", "valve-2"])
        assert arrived.wait(10)
        assert heard == [["valve-1", "valve-2"]]
        arrived.clear()
        # The listener's session dies: it listens again and tells its waiters to look again.
        with database.engine.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE (query LIKE 'LISTEN%' OR query = 'SELECT 1') "
                    "AND pid <> pg_backend_pid() AND datname = current_database()"
                )
            )
        assert arrived.wait(15)
        assert heard[-1] is None
    finally:
        replica_a.stop()
        replica_b.stop()


def test_a_singleton_periodic_job_runs_in_one_replica_at_a_time(database):
    from pathlib import Path

    from services.chassis.runtime import Periodic, ServiceRuntime, ServiceSpec
    from services.chassis.settings import ServiceSettings

    ran: list[str] = []
    spec = ServiceSpec(
        name="sweeper",
        migrations=Path("."),
        servicers=lambda _db, _s: [],
        grpc_service_names=[],
        periodic=(Periodic("sweep", 0.05, lambda db, s: ran.append(s.grpc_host), True),),
    )
    replicas = [
        ServiceRuntime(spec, ServiceSettings(database_url=str_url(database), grpc_host=host))
        for host in ("replica-a", "replica-b")
    ]
    threads = [
        threading.Thread(target=r._loop, args=(spec.periodic[0],), daemon=True) for r in replicas
    ]
    for t in threads:
        t.start()
    assert wait_until(lambda: len(ran) >= 10)
    first = ran[0]
    replicas[0 if first == "replica-a" else 1]._stopping.set()  # the holder stops
    assert wait_until(lambda: ran[-1] != first), "the other replica took the job over"
    for r in replicas:
        r._stopping.set()
    for t in threads:
        t.join(5)
    switched = next(i for i, host in enumerate(ran) if host != first)
    assert set(ran[:switched]) == {first} and first not in ran[switched:], "never both at once"
    for r in replicas:
        r.db.dispose()
