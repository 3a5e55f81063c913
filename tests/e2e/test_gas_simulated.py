"""200 simulated venues on the embedded stack: every detector and valve reports, one venue
leaks, and only that venue's valve is told to close; it acknowledges, and the regulator's
event stream shows the alarm. Prints how long the close command took to be ready."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time

import httpx
import pytest

from deploy.stack import Stack, free_ports
from devices.gas_simulator import Simulator

pytestmark = pytest.mark.e2e

VENUES = 200
OFFICER_TOWN = "薛家镇"  # officer1's town in the demo district


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("gas-sim-stack") / "var", free_ports())
    try:
        s.start(ready_timeout=120)
        yield s
    finally:
        s.stop()


async def first_alarm_on_stream(
    http: httpx.AsyncClient, headers: dict, venue_id: str, ready: asyncio.Event
) -> dict:
    """Read GET /v1/gas/alarms/stream until an `alarm` event of `venue_id` arrives."""
    async with http.stream(
        "GET", "/v1/gas/alarms/stream", params={"max_seconds": 60}, headers=headers
    ) as r:
        assert r.status_code == 200, await r.aread()
        assert r.headers["content-type"].startswith("text/event-stream")
        block: list[str] = []
        async for line in r.aiter_lines():
            ready.set()  # the stream is open: the first line is its retry hint
            if line:
                block.append(line)
                continue
            fields = dict(f.split(": ", 1) for f in block if ": " in f)
            block = []
            if fields.get("event") == "alarm":
                alarm = json.loads(fields["data"])
                if alarm["venue_id"] == venue_id:
                    return alarm
    raise AssertionError("the stream ended without the alarm")


def commands_in_gas_db(stack: Stack) -> list[tuple[str, str, str]]:
    with sqlite3.connect(f"file:{stack.var / 'gas.db'}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT command_id, valve_id, status FROM commands").fetchall()


async def test_one_leak_among_200_venues_closes_only_its_own_valve(stack):
    password = stack.secrets["demo_password"]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=30) as http:
        sim = Simulator(http)
        started = time.perf_counter()
        venues = await sim.register(await sim.login("admin", password), VENUES)
        print(f"\nregistered {VENUES} venues and {2 * VENUES} devices, secrets issued by the "
              f"admin routes, in {time.perf_counter() - started:.1f} s")  # fmt: skip
        officer = await sim.login("officer1", password)
        await district_reports_and_one_venue_leaks(sim, stack, venues, officer)


async def district_reports_and_one_venue_leaks(sim: Simulator, stack: Stack, venues, officer):
    started = time.perf_counter()
    first = await sim.tick(readings=3)
    print(f"{len(first)} signed posts in {time.perf_counter() - started:.1f} s")
    assert [r.status for r in first if not r.ok] == []
    assert len(first) == 2 * VENUES
    assert sum(r.accepted for r in first) == VENUES * 4 + VENUES  # detectors + valves

    leaking = next(v for v in reversed(venues) if v.town == OFFICER_TOWN)
    others = [v for v in venues if v is not leaking]
    gone_quiet = [v.detector.device_id for v in others[:5]]
    sim.silence(*gone_quiet)

    ready = asyncio.Event()
    stream = asyncio.create_task(first_alarm_on_stream(sim.http, officer, leaking.venue_id, ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        # The rest of the district keeps reporting while the gas builds up in one kitchen.
        leak, during = await asyncio.gather(
            sim.leak(leaking, valve="long-poll"), sim.tick(others, readings=3)
        )
        print(
            f"leak reading -> close command ready for the valve: "
            f"{leak.command_ready_s * 1000:.0f} ms (with {len(during)} other posts in flight)"
        )
        assert [r.status for r in during if not r.ok] == []
        assert len(during) == 2 * len(others) - len(gone_quiet)
        assert not {r.device_id for r in during} & set(gone_quiet)

        assert len(leak.command_ids) == 1 and leak.acknowledged
        assert set(sim.received) == {leaking.valve.device_id}
        after = await sim.tick(readings=1)
        assert [r.status for r in after if not r.ok] == []
        assert [r.device_id for r in after if r.command_ids] == []

        [(command_id, valve_id, status)] = commands_in_gas_db(stack)
        assert (command_id, valve_id) == (leak.command_ids[0], leaking.valve.device_id)
        assert status == "acknowledged"

        alarm = await asyncio.wait_for(stream, 15)
        assert alarm["active"] and alarm["level"] == 1 and alarm["town"] == OFFICER_TOWN
        print(f"alarm on the officers' stream: {alarm['venue_name']}, {alarm['peak_lel']} % LEL")
    finally:
        stream.cancel()
