"""Gas device routes through the gateway against the real gas service: what a device that
is not who it says, or says it twice, gets."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from enforcement.gas.v1 import gas_pb2
from gateway import db as gwdb
from gateway.app import create_app
from gateway.config import Settings as GatewaySettings
from gateway.security.device_signing import DeviceCredentials, signed_headers
from gateway.security.principals import Role
from gateway.security.tokens import TokenService
from services.chassis.db import Database, make_engine, migrate
from services.chassis.grpc_server import GrpcServer
from services.gas import db as gasdb
from services.gas import handlers
from services.gas.grpc_api import servicers
from tests.gateway.conftest import SECRET

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PATH = "/v1/gas/device-events"


@pytest.fixture
async def api(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gas.db'}")
    migrate(engine, ROOT / "services" / "gas" / "migrations")
    gas_db = Database(engine)
    handlers.upsert_venue(
        gas_db, gas_pb2.Venue(venue_id="v1", name="面馆", agency_id="a", town="t")
    )
    handlers.upsert_device(
        gas_db, gas_pb2.Device(device_id="det-1", venue_id="v1", kind="gas_detector")
    )
    handlers.upsert_device(
        gas_db, gas_pb2.Device(device_id="valve-1", venue_id="v1", kind="shutoff_valve")
    )
    handlers.upsert_venue(
        gas_db, gas_pb2.Venue(venue_id="v2", name="烤鸭店", agency_id="a", town="t")
    )
    handlers.upsert_device(
        gas_db, gas_pb2.Device(device_id="det-2", venue_id="v2", kind="gas_detector")
    )
    gw = Database(make_engine(f"sqlite:///{tmp_path / 'gateway.db'}"))
    migrate(gw.engine, ROOT / "gateway" / "migrations")
    secrets = {
        "det-1": DeviceCredentials(gw).provision("det-1", "gas_detector", "v1", "a"),
        "ghost": DeviceCredentials(gw).provision("ghost", "gas_detector", "v1", "a"),
        "valve-1": DeviceCredentials(gw).provision("valve-1", "shutoff_valve", "v1", "a"),
        "det-2": DeviceCredentials(gw).provision("det-2", "gas_detector", "v2", "a"),
        "wim": DeviceCredentials(gw).provision("wim", "weigh_station", "s1", "a"),
    }
    with gw.unit_of_work() as uow:
        gwdb.create_user(
            uow.conn, username="officer", password="correct horse battery", display_name="O",
            roles=(Role.officer,), agency_id="a", town="t", certificate_no="1", user_id="u-o",
        )  # fmt: skip
        gwdb.create_user(
            uow.conn, username="owner", password="correct horse battery", display_name="店主",
            roles=(Role.venue_owner,), agency_id="a", town="t", user_id="u-own", venue_id="v2",
        )  # fmt: skip
        uow.commit()
    with gw.read() as conn:
        tokens = TokenService(SECRET, "i", "a")
        secrets["officer"], _ = tokens.issue_access(gwdb.get_user(conn, "u-o").to_principal())
        secrets["owner"], _ = tokens.issue_access(gwdb.get_user(conn, "u-own").to_principal())
    server = GrpcServer("127.0.0.1", 0, servicers(gas_db, None), [])
    port = await server.start()
    app = create_app(
        GatewaySettings(
            database_url=str(gw.engine.url),
            jwt_secret=SECRET,
            jwt_issuer="i",
            jwt_audience="a",
            gas_addr=f"127.0.0.1:{port}",
        )
    )
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http,
        ):
            yield http, secrets, gas_db
    finally:
        await server.stop(0)
        gas_db.dispose()
        gw.dispose()


def stored(gas_db) -> int:
    with gas_db.read() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(gasdb.device_events)
        ).scalar_one()


def body(seq: int = 1) -> bytes:
    return json.dumps({"events": [{"seq": seq, "type": "reading", "lel": 30}]}).encode()


async def send(http, raw: bytes, headers: dict):
    return await http.post(
        PATH, content=raw, headers={**headers, "Content-Type": "application/json"}
    )


async def test_a_signed_batch_is_stored_once_and_every_refusal_stores_nothing(api):
    http, secrets, gas_db = api
    raw = body()
    ok = await send(http, raw, signed_headers("det-1", secrets["det-1"], "POST", PATH, raw))
    assert ok.status_code == 200 and ok.json()["accepted"] == 1
    again = await send(http, raw, signed_headers("det-1", secrets["det-1"], "POST", PATH, raw))
    assert again.json() == {"accepted": 0, "duplicates": 1, "commands": []}
    assert stored(gas_db) == 1

    raw2 = body(2)
    headers = signed_headers("det-1", secrets["det-1"], "POST", PATH, raw2)
    assert (await send(http, raw2, headers)).status_code == 200
    replay = await send(http, raw2, headers)
    assert replay.status_code == 401  # the same nonce again
    forged = signed_headers("det-1", "not-the-secret", "POST", PATH, body(3))
    assert (await send(http, body(3), forged)).status_code == 401
    stale = signed_headers("det-1", secrets["det-1"], "POST", PATH, body(4), now=time.time() - 3600)
    assert (await send(http, body(4), stale)).status_code == 401
    unknown = signed_headers("nobody", "x" * 32, "POST", PATH, body(5))
    assert (await send(http, body(5), unknown)).status_code == 401
    # Signed by a real credential, but the gas registry does not know the device.
    ghost = await send(
        http, body(6), signed_headers("ghost", secrets["ghost"], "POST", PATH, body(6))
    )
    assert ghost.status_code == 404
    station = await send(
        http, body(7), signed_headers("wim", secrets["wim"], "POST", PATH, body(7))
    )
    assert station.status_code == 403
    bad = json.dumps({"events": [{"seq": 8, "type": "reading", "lel": 150}]}).encode()
    assert (
        await send(http, bad, signed_headers("det-1", secrets["det-1"], "POST", PATH, bad))
    ).status_code == 422
    assert stored(gas_db) == 2


async def test_officers_see_a_new_alarm_on_the_event_stream(api):
    http, secrets, _ = api

    async def leak():
        await asyncio.sleep(1.2)
        raw = json.dumps({"events": [{"seq": 50, "type": "alarm", "level": 2, "lel": 55}]}).encode()
        r = await send(http, raw, signed_headers("det-1", secrets["det-1"], "POST", PATH, raw))
        assert r.status_code == 200

    stream, _ = await asyncio.gather(
        http.get(
            "/v1/gas/alarms/stream",
            params={"max_seconds": 3.5},
            headers={"Authorization": f"Bearer {secrets['officer']}"},
        ),
        leak(),
    )
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [block for block in stream.text.split("\n\n") if block.startswith("id:")]
    assert len(events) == 1 and "event: alarm" in events[0]
    data = json.loads(events[0].split("data: ", 1)[1])
    assert data["venue_id"] == "v1" and data["level"] == 2 and data["active"]
    assert data["critical"] is False and data["acknowledged"] is False  # false is said, too


def bearer(secrets) -> dict:
    return {"Authorization": f"Bearer {secrets['officer']}"}


async def post_events(http, secrets, device: str, events: list[dict]):
    raw = json.dumps({"events": events}).encode()
    r = await send(http, raw, signed_headers(device, secrets[device], "POST", PATH, raw))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_valve_waiting_on_the_long_poll_gets_the_close_command_at_once(api):
    http, secrets, _ = api
    poll = "/v1/gas/commands"

    async def wait_for_command():
        target = f"{poll}?wait=10"  # the signature covers the query string
        headers = signed_headers("valve-1", secrets["valve-1"], "GET", target, b"")
        started = time.monotonic()
        r = await http.get(target, headers=headers)
        return r, time.monotonic() - started

    async def leak():
        await asyncio.sleep(0.5)
        await post_events(http, secrets, "det-1", [{"seq": 1, "type": "alarm", "level": 2}])

    (answer, waited), _ = await asyncio.gather(wait_for_command(), leak())
    assert answer.status_code == 200, answer.text
    [command] = answer.json()["commands"]
    assert command["action"] == "close"
    assert waited < 10  # answered when the command appeared, not at the end of the wait
    # The valve confirms; the next poll holds nothing and ends empty after its wait.
    await post_events(
        http, secrets, "valve-1",
        [{"seq": 1, "type": "valve", "valve_state": "closed", "command_id": command["command_id"]}],
    )  # fmt: skip
    short = f"{poll}?wait=0.2"
    empty = await http.get(
        short, headers=signed_headers("valve-1", secrets["valve-1"], "GET", short, b"")
    )
    assert empty.status_code == 200 and empty.json()["commands"] == []
    now = f"{poll}?wait=0"
    detector = await http.get(
        now, headers=signed_headers("det-1", secrets["det-1"], "GET", now, b"")
    )
    assert detector.status_code == 200 and detector.json()["commands"] == []
    unsigned = await http.get(f"{poll}?wait=0")
    assert unsigned.status_code == 401


async def test_a_device_fault_reaches_the_event_stream(api):
    http, secrets, gas_db = api
    from services.gas import protection

    await post_events(http, secrets, "det-1", [{"seq": 1, "type": "heartbeat"}])
    protection.device_statuses(gas_db)  # det-1 online, valve-1 never heard of: both silent

    async def fault():
        await asyncio.sleep(1.2)
        await post_events(
            http, secrets, "det-1", [{"seq": 2, "type": "fault", "fault": "line-open"}]
        )
        assert protection.device_statuses(gas_db) == 1

    stream, _ = await asyncio.gather(
        http.get("/v1/gas/alarms/stream", params={"max_seconds": 3.5}, headers=bearer(secrets)),
        fault(),
    )
    blocks = [b for b in stream.text.split("\n\n") if "event: device" in b]
    assert len(blocks) == 1
    data = json.loads(blocks[0].split("data: ", 1)[1])
    assert (data["device_id"], data["status"], data["fault"]) == ("det-1", "fault", "line-open")


async def test_coverage_counts_protected_and_unprotected_venues_with_reasons(api):
    http, secrets, gas_db = api
    handlers.upsert_venue(
        gas_db, gas_pb2.Venue(venue_id="v2", name="火锅", agency_id="a", town="t")
    )
    handlers.upsert_venue(
        gas_db, gas_pb2.Venue(venue_id="v3", name="别处", agency_id="a", town="u")
    )
    handlers.upsert_venue(
        gas_db, gas_pb2.Venue(venue_id="vx", name="外区", agency_id="b", town="t")
    )
    await post_events(http, secrets, "det-1", [{"seq": 1, "type": "heartbeat"}])
    await post_events(http, secrets, "valve-1", [{"seq": 1, "type": "heartbeat"}])

    r = await http.get("/v1/gas/coverage", headers=bearer(secrets))
    assert r.status_code == 200, r.text
    cov = r.json()
    # The officer's jurisdiction is town t of agency a: v1 protected; v2's only device, a
    # detector, was never heard from and it has no valve.
    assert [t["town"] for t in cov["towns"]] == ["t"]
    assert cov["district"]["registered"] == 2
    assert cov["district"]["protected"] == 1 and cov["district"]["unprotected"] == 1
    assert cov["towns"][0]["gaps"] == {"detector-offline": 1, "no-valve": 1}
    assert [v["venue_id"] for v in cov["unprotected"]] == ["v2"]

    await post_events(http, secrets, "det-1", [{"seq": 2, "type": "fault", "fault": "battery"}])
    cov = (await http.get("/v1/gas/coverage", headers=bearer(secrets))).json()
    assert cov["district"]["protected"] == 0
    assert cov["towns"][0]["gaps"]["detector-fault"] == 1

    chart = await http.get("/v1/gas/coverage.svg", headers=bearer(secrets))
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/svg+xml"
    assert "<svg" in chart.text and "报警器故障" in chart.text
    assert (await http.get("/v1/gas/coverage")).status_code == 401


async def test_a_venue_owner_follows_only_their_own_venue(api):
    http, secrets, _ = api
    owner = {"Authorization": f"Bearer {secrets['owner']}"}
    assert (await http.get("/v1/gas/alarms", headers=owner)).json() == {"alarms": []}
    await post_events(http, secrets, "det-1", [{"seq": 1, "type": "alarm", "level": 1}])

    async def leak_at_the_owners_venue():
        await asyncio.sleep(1.2)
        await post_events(http, secrets, "det-2", [{"seq": 1, "type": "alarm", "level": 2}])

    stream, _ = await asyncio.gather(
        http.get("/v1/gas/alarms/stream", params={"max_seconds": 3}, headers=owner),
        leak_at_the_owners_venue(),
    )
    alarms = [
        json.loads(b.split("data: ", 1)[1]) for b in stream.text.split("\n\n") if "data: " in b
    ]
    assert [a["venue_id"] for a in alarms] == ["v2"]  # the neighbour's alarm is not theirs
    listed = (await http.get("/v1/gas/alarms", headers=owner)).json()["alarms"]
    assert [a["venue_id"] for a in listed] == ["v2"]
    officer_sees = (await http.get("/v1/gas/alarms", headers=bearer(secrets))).json()["alarms"]
    assert {a["venue_id"] for a in officer_sees} == {"v1", "v2"}
    # Owners follow; they do not acknowledge for the regulator nor see the district.
    alarm_id = listed[0]["alarm_id"]
    assert (
        await http.post(f"/v1/gas/alarms/{alarm_id}/acknowledge", headers=owner)
    ).status_code == 403
    assert (await http.get("/v1/gas/coverage", headers=owner)).status_code == 403
    assert (await http.get("/v1/cases", headers=owner)).status_code == 403


async def test_an_officer_sees_a_venues_detectors_and_valves_as_they_are_now(api):
    http, secrets, _ = api
    await post_events(
        http, secrets, "valve-1", [{"seq": 1, "type": "valve", "valve_state": "closed"}]
    )
    r = await http.get("/v1/gas/venues/v1", headers=bearer(secrets))
    assert r.status_code == 200, r.text
    state = r.json()
    devices = {d["device_id"]: d for d in state["devices"]}
    assert (
        devices["valve-1"]["status"] == "online" and devices["valve-1"]["valve_state"] == "closed"
    )
    assert devices["det-1"]["status"] == "offline"  # never heard from
    assert state["gaps"] == ["detector-offline"]
    assert state["gap_labels"] == {"detector-offline": "报警器离线"}
    assert (await http.get("/v1/gas/venues/nowhere", headers=bearer(secrets))).status_code == 404
    owner = {"Authorization": f"Bearer {secrets['owner']}"}
    assert (await http.get("/v1/gas/venues/v2", headers=owner)).status_code == 403
