"""The simulator's devices after a connection reset: they post the same events again (the
same sequence numbers, stored once by the platform), signed anew, and count the retry."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from devices import gas_simulator as sim

DEVICE = sim.SimDevice("det-1", sim.DETECTOR, "venue-1", "s3cr3t-example-0123456789abcdefghijkl")


def _run(fail_times: int, retries: int = 3):
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) <= fail_times:
            raise httpx.ReadError("connection reset by peer", request=request)
        events = json.loads(request.content)["events"]
        return httpx.Response(200, json={"accepted": len(events), "duplicates": 0, "commands": []})

    async def go():
        transport = httpx.MockTransport(answer)
        async with httpx.AsyncClient(base_url="http://gw", transport=transport) as http:
            s = sim.Simulator(http, seq_start=100, retries=retries)
            events = [sim.heartbeat(s.next_seq(DEVICE.device_id)), sim.reading(101, 3.0)]
            return s, await s.post(DEVICE, events)

    return seen, *asyncio.run(go())


@pytest.mark.unit
def test_a_post_lost_to_a_reset_is_sent_again_with_the_same_events_and_a_new_nonce():
    seen, s, reply = _run(fail_times=1)
    assert reply.ok and reply.accepted == 2
    assert len(seen) == 2
    assert seen[0].content == seen[1].content  # the same sequence numbers
    assert seen[0].headers["x-nonce"] != seen[1].headers["x-nonce"]
    assert s.totals.retries == 1 and s.totals.requests == 1 and s.totals.errors == 0


@pytest.mark.unit
def test_a_device_gives_up_after_its_retries():
    with pytest.raises(httpx.ReadError):
        _run(fail_times=5, retries=2)
