"""The MQTT bridge's groups: many device messages checked with one nonce transaction and
stored with one RecordReadingsMany call, against the real hazard sources service over gRPC
and real SQLite databases; only the broker connection is a recorder (what the bridge
publishes on the ack topics and which messages it PUBACKs)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import grpc
import pytest

from devices import protocol
from enforcement.hazard_sources.v1 import hazard_sources_pb2 as pb
from enforcement.hazard_sources.v1 import hazard_sources_pb2_grpc
from gateway.config import Settings
from gateway.mqtt_bridge import Bridge, chunks, coalesce
from gateway.security.device_signing import DeviceCredentials
from services.chassis.db import Database, make_engine, migrate
from services.hazard_sources import db as hsdb
from services.hazard_sources import handlers
from services.hazard_sources.grpc_api import HazardSourcesServicer

pytestmark = pytest.mark.integration

SERVICE_MIGRATIONS = (
    Path(__file__).resolve().parents[2] / "services" / "hazard_sources" / "migrations"
)
GATEWAY_MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"
CHAIN = [pb.Person(role=r, name=r) for r in ("principal", "technical", "operational")]


class Recorder:
    """Stands in for the bridge's paho client."""

    def __init__(self) -> None:
        self.published: list[tuple[str, dict]] = []
        self.acked: list[int] = []

    def publish(self, topic, payload, qos=0):
        self.published.append((topic, json.loads(payload)))

    def ack(self, mid, qos):
        self.acked.append(mid)


class Clients:
    def __init__(self, channel) -> None:
        self.hazard_sources = hazard_sources_pb2_grpc.HazardSourcesServiceStub(channel)


@pytest.fixture
def database(db_url):
    """The gateway's database (credentials, nonces) on each backend."""
    engine = make_engine(db_url)
    migrate(engine, GATEWAY_MIGRATIONS)
    database = Database(engine)
    yield database
    database.dispose()


@pytest.fixture
def service(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'hazard_sources.db'}")
    migrate(engine, SERVICE_MIGRATIONS)
    database = Database(engine)
    handlers.upsert_unit(
        database,
        pb.Unit(
            unit_id="u-1", enterprise_id="e", enterprise_name="e", agency_id="a-1", town="t",
            kind="storage", holdings=[pb.Holding(chemical="氯", max_t=10)], chain=CHAIN,
        ),
    )  # fmt: skip
    for sid in ("pt-a", "pt-c"):
        sensor = pb.Sensor(sensor_id=sid, unit_id="u-1", quantity="pressure", high=1.6)
        handlers.upsert_sensor(database, sensor, "a-1")
    yield database
    database.dispose()


@pytest.fixture
async def bridge(database, service):
    server = grpc.aio.server()
    hazard_sources_pb2_grpc.add_HazardSourcesServiceServicer_to_server(
        HazardSourcesServicer(service, None), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    b = Bridge(Settings(), database, Clients(channel))
    b.client = Recorder()
    yield b
    await channel.close()
    await server.stop(None)


def message(device_id, secret, body, mid, *, kind="readings", nonce=None):
    topic = protocol.up_topic(device_id, kind)
    payload = protocol.sign_publish(secret, topic, body, nonce=nonce)
    return (device_id, topic, payload, 0.0, mid, 1)


def batch(first, n, after=None, value=1.2):
    body = {"readings": [{"seq": first + i, "value": value} for i in range(n)]}
    if after is not None:
        body["after"] = after
    return body


async def test_a_group_with_bad_messages_stores_the_others_and_acks_exactly(
    bridge, database, service
):
    creds = DeviceCredentials(database)
    a = creds.provision("pt-a", "hazard_sensor", "u-1", "a-1")
    b = creds.provision("pt-b", "hazard_sensor", "u-1", "a-1")  # not a sensor of the service
    c = creds.provision("pt-c", "hazard_sensor", "u-1", "a-1")
    first = message("pt-a", a, batch(1, 2), 1, nonce="nonce-a-first-000001")
    items = [
        first,
        message("pt-b", b, batch(1, 1), 2),  # unknown to the service: refused
        message("pt-a", a, batch(3, 2, after=2), 3),  # after the first: stored
        (*first[:4], 4, 1),  # the broker's second delivery: a replayed nonce, no ack
        message("pt-c", c, {"readings": [{"seq": "x"}]}, 5),  # a bad body: refused
        message("pt-c", c, batch(10, 1, after=9), 6),  # over a hole: a gap
        message("pt-a", "not-the-secret-0123456789abcdefghijklmn", batch(5, 1, after=4), 7),
        message("pt-a", a, batch(5, 3, after=4, value=1.7), 8),  # stored, an alarm
    ]
    await bridge._handle(items)

    assert sorted(bridge.client.acked) == [1, 2, 3, 4, 5, 6, 7, 8]  # every message PUBACKed
    acks = bridge.client.published
    shown = [(t, {k: v for k, v in b.items() if k not in ("reason", "alarms")}) for t, b in acks]
    assert shown == [
        # pt-a's three stored answers: the last confirms all the earlier ones did
        ("devices/pt-b/ack", {"kind": "readings", "refused": [[1, 1]]}),
        ("devices/pt-c/ack", {
            "kind": "readings", "after": 9, "accepted": 0, "duplicates": 0,
            "stored_up_to": None, "gap": True,
        }),
        ("devices/pt-a/ack", {
            "kind": "readings", "after": 4, "accepted": 3, "duplicates": 0,
            "stored_up_to": 7, "gap": False,
        }),
    ]  # fmt: skip
    assert acks[-1][1]["alarms"] >= 1
    assert "NOT_FOUND" in acks[0][1]["reason"]
    with service.read() as conn:
        a_row = hsdb.one(conn, hsdb.sensors, "sensor_id", "pt-a")
        c_row = hsdb.one(conn, hsdb.sensors, "sensor_id", "pt-c")
    assert (a_row.last_seq, a_row.readings_taken) == (7, 7)
    assert (c_row.last_seq, c_row.readings_taken) == (None, 0)
    assert (bridge.counters.applied, bridge.counters.refused) == (4, 4)

    # the same messages again (resent with the same nonces): nothing new is stored
    await bridge._handle(items)
    with service.read() as conn:
        assert hsdb.one(conn, hsdb.sensors, "sensor_id", "pt-a").readings_taken == 7


def test_a_refusal_with_no_seqs_sends_no_ack():
    # (the bad body above had no int seq: the bridge tells the device nothing it can match)
    assert Bridge._refused_body("readings", b'{"readings": [{"seq": "x"}]}', "bad") is None


def test_acks_are_coalesced_only_for_plain_stored_answers():
    stored = {"kind": "readings", "stored_up_to": 2, "gap": False}
    later = {"kind": "readings", "stored_up_to": 4, "gap": False}
    gap = {"kind": "readings", "stored_up_to": 4, "gap": True, "after": 9}
    refused = {"kind": "readings", "refused": [[5, 5]]}
    events = {"kind": "events", "stored": [[1, 1]]}
    acks = [("a", stored), ("b", stored), ("a", gap), ("a", later), ("a", refused), ("g", events)]
    assert coalesce(acks) == [
        ("b", stored),
        ("a", gap),
        ("a", later),
        ("a", refused),
        ("g", events),
    ]


def test_chunks_keep_within_the_service_limits():
    reqs = [pb.RecordReadingsRequest(readings=[pb.Reading(seq=i)] * 1000) for i in range(45)]
    sizes = [sum(len(r.readings) for r in c) for c in chunks(reqs)]
    assert sizes == [20_000, 20_000, 5_000]
    small = [pb.RecordReadingsRequest(readings=[pb.Reading(seq=1)]) for _ in range(1001)]
    assert [len(c) for c in chunks(small)] == [500, 500, 1]


async def test_the_two_stages_keep_a_sensors_messages_in_order_across_groups(
    bridge, database, service
):
    """A lane's check stage and store stage, as `start` runs them, with groups of 2: the
    messages of one sensor go through several groups and calls, never overtaking each other
    (an overtaken batch would draw a gap answer), and each is PUBACKed once."""
    a = DeviceCredentials(database).provision("pt-a", "hazard_sensor", "u-1", "a-1")
    bridge._group = 2
    inbox: asyncio.Queue = asyncio.Queue()
    checked: asyncio.Queue = asyncio.Queue(maxsize=2)
    tasks = [
        asyncio.create_task(bridge._check_stage(inbox, checked)),
        asyncio.create_task(bridge._store_stage(checked)),
    ]
    try:
        for m in range(10):
            after = 2 * m if m else None
            inbox.put_nowait(message("pt-a", a, batch(1 + 2 * m, 2, after=after), m + 1))
        for _ in range(600):
            if len(bridge.client.acked) == 10:
                break
            await asyncio.sleep(0.1)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert sorted(bridge.client.acked) == list(range(1, 11))
    acks = [body for _topic, body in bridge.client.published]
    assert not any(b["gap"] for b in acks)
    assert acks[-1]["stored_up_to"] == 20
    with service.read() as conn:
        row = hsdb.one(conn, hsdb.sensors, "sensor_id", "pt-a")
    assert (row.last_seq, row.readings_taken) == (20, 20)
