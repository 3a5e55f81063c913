"""Two gateway replicas on one PostgreSQL database: a retry landing on the other replica is
answered from the first, and the rate limits and stream caps count across both."""

from __future__ import annotations

import threading

import anyio
import pytest

from gateway.app import _limits
from gateway.config import Settings
from gateway.idempotency import ProcessLease
from gateway.security.ratelimit import SharedWindow
from services.chassis.db import Database, make_engine, migrate
from tests.gateway.conftest import MIGRATIONS, SECRET
from tests.gateway.test_idempotency import Harness
from tests.support.databases import postgres_available, throwaway_database

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not postgres_available(), reason="TEST_DATABASE_URL not set"),
]


@pytest.fixture
def two_replicas(tmp_path):
    with throwaway_database("postgresql", tmp_path, "gwrep") as url:
        engine = make_engine(url)
        migrate(engine, MIGRATIONS)
        engine.dispose()
        pair = (Database.from_url(url), Database.from_url(url))
        yield pair
        for database in pair:
            database.dispose()


async def test_a_retry_on_another_replica_is_answered_from_the_first(two_replicas):
    first, second = Harness(two_replicas[0]), Harness(two_replicas[1])
    async with first.client, second.client:
        original = await first.post("/count", key="phone-retry")
        retried = await second.post("/count", key="phone-retry")
        assert original.status_code == retried.status_code == 201
        assert retried.content == original.content
        assert retried.headers["idempotent-replayed"] == "true"
        assert second.calls["count"] == 0, "the second replica did not run the write again"

        # While the first replica still runs a request, the other refuses the same key.
        async with anyio.create_task_group() as tg:
            tg.start_soon(first.post, "/slow", b"{}", "slow-key")
            with anyio.fail_after(10):
                await first.entered.wait()
            busy = await second.post("/slow", body=b"{}", key="slow-key")
            assert busy.status_code == 409
            first.release.set()


async def test_a_retry_of_a_request_whose_replica_died_runs_at_once_on_the_other(two_replicas):
    first = Harness(two_replicas[0], owner="replica-a")
    second = Harness(two_replicas[1], owner="replica-b")
    alive = {
        name: ProcessLease(db, name)
        for name, db in zip(("replica-a", "replica-b"), two_replicas, strict=True)
    }
    for lease in alive.values():
        lease.start()
    try:
        async with first.client, second.client, anyio.create_task_group() as tg:
            tg.start_soon(first.post, "/slow", b"{}", "dying-key")
            with anyio.fail_after(10):
                await first.entered.wait()
            busy = await second.post("/slow", body=b"{}", key="dying-key")
            assert busy.status_code == 409, "its replica lives: still in flight"
            alive["replica-a"].stop()  # replica A dies with the request in hand
            second.release.set()
            retried = await second.post("/slow", body=b"{}", key="dying-key")
            assert retried.status_code == 200, "run by the live replica, no wait for the timeout"
            first.release.set()
    finally:
        alive["replica-b"].stop()


def test_rate_limits_and_stream_caps_count_across_replicas(two_replicas):
    settings = Settings(
        database_url="sqlite://", jwt_secret=SECRET, jwt_issuer="i", jwt_audience="a"
    )
    a, b = (_limits(settings, database) for database in two_replicas)
    limit = a["public_requests"].limit
    for i in range(limit):
        (a if i % 2 else b)["public_requests"].hit("203.0.113.7")
    assert a["public_requests"].retry_after("203.0.113.7") > 0
    assert b["public_requests"].retry_after("203.0.113.7") > 0, "the other replica counts too"
    assert b["public_requests"].retry_after("203.0.113.8") == 0

    slots = [a["streams"].take("u-1") for _ in range(a["streams"].limit)]
    assert all(slots)
    assert b["streams"].take("u-1") is None, "the cap holds on the other replica"
    b["streams"].give_back("u-1", slots[0])
    assert b["streams"].take("u-1") is not None


def test_concurrent_clients_on_two_replicas_get_exactly_the_limit_through(two_replicas):
    windows = [SharedWindow(database, "race", 30, 60) for database in two_replicas]
    allowed: list[int] = []
    start = threading.Barrier(8)

    def client(window: SharedWindow) -> None:
        start.wait()
        for _ in range(20):
            if window.take("198.51.100.9") == 0:
                allowed.append(1)

    clients = [threading.Thread(target=client, args=(windows[i % 2],)) for i in range(8)]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    assert len(allowed) == 30, "160 tries at once from 8 clients on 2 replicas: 30 let through"
    assert windows[0].retry_after("198.51.100.9") > 0
    assert windows[1].take("198.51.100.10") == 0, "another address has its own window"


def test_a_shared_window_slides(two_replicas):
    a, b = (SharedWindow(database, "slide", 3, 60) for database in two_replicas)
    assert [w.take("k", now=t) for w, t in ((a, 0), (b, 1), (a, 2))] == [0, 0, 0]
    assert b.take("k", now=10) == 51, "refused, and told when the oldest ages out"
    assert a.retry_after("k", now=10) == 51, "the refused take was not counted"
    assert b.take("k", now=60.5) == 0, "the first has aged out"
    b.hit("k", now=61)  # counted without a check (a failed login)
    assert a.retry_after("k", now=61.5) == 1
    a.clear("k")
    assert a.retry_after("k", now=61.5) == 0


def test_the_streams_of_a_replica_that_died_do_not_count_against_the_cap(two_replicas):
    settings = Settings(
        database_url="sqlite://", jwt_secret=SECRET, jwt_issuer="i", jwt_audience="a"
    )
    leases = [ProcessLease(db, f"gw-{n}") for n, db in enumerate(two_replicas)]
    for lease in leases:
        lease.start()
    try:
        a, b = (_limits(settings, db, f"gw-{n}") for n, db in enumerate(two_replicas))
        assert all(a["streams"].take("u-2") for _ in range(a["streams"].limit))
        assert b["streams"].take("u-2") is None
        leases[0].stop()  # replica a dies with the user's streams
        assert b["streams"].take("u-2") is not None, "its slots went with it"
    finally:
        leases[1].stop()
