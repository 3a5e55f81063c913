"""Two gas replicas on one PostgreSQL database: a close command issued on one wakes the
valve's long-poll held by the other (LISTEN/NOTIFY), and the embedded default still wakes
its own long-polls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest

from enforcement.gas.v1 import gas_pb2, gas_pb2_grpc
from services.chassis.db import Database, make_engine, migrate
from services.chassis.grpc_server import GrpcServer
from services.gas import grpc_api, handlers
from tests.support.databases import throwaway_database

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "gas" / "migrations"
AGENCY = "xinbei-yjj"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "postgresql":
        import os

        if not os.environ.get("TEST_DATABASE_URL"):
            pytest.skip("TEST_DATABASE_URL not set")
    with throwaway_database(request.param, tmp_path, "gasrep") as url:
        yield url


def _ev(seq: int, type_: str, **kw) -> gas_pb2.DeviceEvent:
    e = gas_pb2.DeviceEvent(seq=seq, type=type_, **kw)
    e.device_time.FromDatetime(datetime.now(UTC))
    return e


@pytest.fixture
async def two_replicas(url):
    """Replica A takes device posts; replica B serves gRPC (long-polls, live streams)."""
    engine = make_engine(url)
    migrate(engine, MIGRATIONS)
    engine.dispose()
    # SQLite has one process per file: the "other replica" is the same database object.
    replica_a = Database.from_url(url)
    replica_b = Database.from_url(url) if url.startswith("postgresql") else replica_a
    handlers.upsert_venue(
        replica_a,
        gas_pb2.Venue(
            venue_id="v-1", name="面馆", agency_id=AGENCY, town="薛家镇",
            first_lel=20, second_lel=40, sustain=1,
        ),
    )  # fmt: skip
    for device_id, kind in (("det-1", "gas_detector"), ("valve-1", "shutoff_valve")):
        handlers.upsert_device(
            replica_a, gas_pb2.Device(device_id=device_id, venue_id="v-1", kind=kind)
        )
    server = GrpcServer("127.0.0.1", 0, grpc_api.servicers(replica_b, None), [])
    port = await server.start()
    try:
        for channel in (handlers.COMMANDS_CHANNEL, handlers.CHANGES_CHANNEL):
            assert await asyncio.to_thread(replica_b.wakeups.wait_listening, channel)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield replica_a, gas_pb2_grpc.GasServiceStub(channel)
    finally:
        await server.stop(0)
        replica_a.dispose()
        if replica_b is not replica_a:
            replica_b.dispose()


async def leak(replica) -> None:
    await asyncio.to_thread(
        handlers.ingest, replica, "det-1", [_ev(1, "alarm", level=2, lel=45)], agency_id=AGENCY
    )


async def test_a_command_issued_on_one_replica_wakes_the_valve_polling_another(
    two_replicas, monkeypatch
):
    # Without a wake-up the poll would only look again after this long, past the deadline.
    monkeypatch.setattr(grpc_api, "REDELIVERY_CHECK_S", 120.0)
    replica_a, stub = two_replicas
    poll = asyncio.ensure_future(
        stub.PendingCommands(
            gas_pb2.PendingCommandsRequest(device_id="valve-1", wait_seconds=55, agency_id=AGENCY),
            timeout=30,
        )
    )
    await asyncio.sleep(0.5)  # the poll is held by replica B
    assert not poll.done()
    await leak(replica_a)
    reply = await poll  # DEADLINE_EXCEEDED here would mean no wake-up crossed
    [command] = reply.commands
    assert command.action == "close"


async def test_an_alarm_raised_on_one_replica_wakes_the_live_streams_waiting_on_another(
    two_replicas, monkeypatch
):
    monkeypatch.setattr(grpc_api, "MAX_STREAM_WAIT_S", 120.0)
    replica_a, stub = two_replicas
    wait = asyncio.ensure_future(
        stub.ListAlarms(
            gas_pb2.ListAlarmsRequest(agency_id=AGENCY, active_only=True, wait_seconds=120),
            timeout=30,
        )
    )
    await asyncio.sleep(0.5)
    assert not wait.done()
    await leak(replica_a)
    reply = await wait
    assert reply.woken
    [alarm] = reply.alarms
    assert alarm.venue_id == "v-1"
