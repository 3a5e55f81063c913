"""The gRPC chassis: health, reflection, request ids, deadlines, metrics, graceful shutdown."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from services.chassis import context
from services.chassis.grpc_client import check_health, make_channel
from services.chassis.grpc_server import HEALTH_SERVICE, GrpcServer
from tests.chassis.grpc_support import SERVICE, Echo, add_echo_to_server, stream, unary

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
REFLECTION_SERVICE = "grpc.reflection.v1alpha.ServerReflection"


@pytest.fixture
async def server():
    srv = GrpcServer("127.0.0.1", 0, [(add_echo_to_server, Echo())], [SERVICE])
    await srv.start()
    yield srv
    await srv.stop(0)


@pytest.fixture
async def channel(server):
    """A channel through the chassis client interceptors."""
    ch = make_channel(f"127.0.0.1:{server.port}")
    yield ch
    await ch.close()


@pytest.fixture
async def raw_channel(server):
    """A plain channel: no request id, no default deadline."""
    ch = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    yield ch
    await ch.close()


def calls_counted(method: str, code: str) -> float:
    value = REGISTRY.get_sample_value(
        "grpc_server_requests_total", {"method": f"/{SERVICE}/{method}", "code": code}
    )
    return value or 0.0


async def eventually(predicate, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


async def test_start_returns_the_bound_port_when_asked_for_port_0(server):
    assert isinstance(server.port, int)
    assert server.port > 0


async def test_health_is_serving_for_the_server_and_each_service(channel):
    assert await check_health(channel, "")
    assert await check_health(channel, SERVICE)


async def test_health_of_an_unknown_service_is_not_serving(channel):
    assert not await check_health(channel, "test.Nobody")


async def test_reflection_lists_the_services_health_and_reflection(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    )
    names = set()
    async for reply in call:
        names |= {s.name for s in reply.list_services_response.service}
    assert names == {SERVICE, HEALTH_SERVICE, REFLECTION_SERVICE}


async def test_request_and_trace_ids_from_the_client_interceptor_reach_the_handler(channel):
    with context.bound(request_id="req-0123", trace_id="trace-4567"):
        seen = json.loads(await unary(channel, "WhoAmI")(b""))
    assert seen["request_id"] == "req-0123"
    assert seen["trace_id"] == "trace-4567"


async def test_ids_are_bound_for_each_step_of_a_streaming_handler(channel):
    with context.bound(request_id="req-stream", trace_id="trace-stream"):
        replies = [json.loads(r) async for r in stream(channel, "Stream")(b"")]
    assert len(replies) == 3
    assert {r["request_id"] for r in replies} == {"req-stream"}


async def test_a_missing_request_id_is_made_and_used_as_the_trace_id(raw_channel):
    seen = json.loads(await unary(raw_channel, "WhoAmI")(b""))
    assert len(seen["request_id"]) == 32
    int(seen["request_id"], 16)
    assert seen["trace_id"] == seen["request_id"]


async def test_each_call_without_a_request_id_gets_its_own(raw_channel):
    first = json.loads(await unary(raw_channel, "WhoAmI")(b""))
    second = json.loads(await unary(raw_channel, "WhoAmI")(b""))
    assert first["request_id"] != second["request_id"]


@pytest.mark.parametrize("unfit", ['has spaces and "quotes"', "x" * 300])
async def test_an_unfit_request_id_is_replaced(raw_channel, unfit):
    seen = json.loads(await unary(raw_channel, "WhoAmI")(b"", metadata=(("x-request-id", unfit),)))
    assert seen["request_id"] != unfit
    assert len(seen["request_id"]) == 32


async def test_the_handler_sees_the_callers_deadline(raw_channel):
    seen = json.loads(await unary(raw_channel, "WhoAmI")(b"", timeout=3.0))
    # The grpc-timeout header is rounded up on the wire, so allow a little over.
    assert 2.0 < seen["remaining"] <= 3.1


async def test_a_call_without_deadline_shows_none(raw_channel):
    seen = json.loads(await unary(raw_channel, "WhoAmI")(b""))
    assert seen["remaining"] is None


async def test_the_client_channel_adds_its_default_deadline(server):
    ch = make_channel(f"127.0.0.1:{server.port}", default_timeout=4.0)
    try:
        seen = json.loads(await unary(ch, "WhoAmI")(b""))
        assert 3.0 < seen["remaining"] <= 4.1
        seen = json.loads(await unary(ch, "WhoAmI")(b"", timeout=1.5))
        assert seen["remaining"] <= 1.6
    finally:
        await ch.close()


async def test_an_expired_deadline_gives_deadline_exceeded(channel):
    before = calls_counted("Sleep", "DEADLINE_EXCEEDED")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await unary(channel, "Sleep")(b"2", timeout=0.2)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert await eventually(lambda: calls_counted("Sleep", "DEADLINE_EXCEEDED") == before + 1)


async def test_calls_are_counted_timed_and_logged_with_their_request_id(channel, caplog):
    caplog.set_level(logging.INFO, logger="services.chassis.grpc_server")
    ok_before = calls_counted("WhoAmI", "OK")
    failed_before = calls_counted("Fail", "UNKNOWN")
    with context.bound(request_id="req-logged"):
        await unary(channel, "WhoAmI")(b"")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await unary(channel, "Fail")(b"")
    assert caught.value.code() == grpc.StatusCode.UNKNOWN
    assert calls_counted("WhoAmI", "OK") == ok_before + 1
    assert calls_counted("Fail", "UNKNOWN") == failed_before + 1
    latency = REGISTRY.get_sample_value(
        "grpc_server_latency_seconds_count", {"method": f"/{SERVICE}/WhoAmI"}
    )
    assert latency and latency >= 1

    calls = [r for r in caplog.records if getattr(r, "grpc_method", "").startswith(f"/{SERVICE}/")]
    assert [(r.grpc_method, r.grpc_code) for r in calls] == [
        (f"/{SERVICE}/WhoAmI", "OK"),
        (f"/{SERVICE}/Fail", "UNKNOWN"),
    ]
    assert calls[1].levelno == logging.WARNING
    assert calls[1].exc_info is not None
    assert all(r.duration_ms >= 0 for r in calls)
    assert {(r.request_id, r.trace_id) for r in calls} == {("req-logged", "req-logged")}


async def test_stop_reports_not_serving_to_watchers_then_refuses_calls(server, channel):
    watch = health_pb2_grpc.HealthStub(channel).Watch(
        health_pb2.HealthCheckRequest(service=SERVICE), timeout=10
    )
    first = await watch.read()
    assert first.status == health_pb2.HealthCheckResponse.SERVING

    stopping = asyncio.create_task(server.stop(grace=1.0))
    second = await watch.read()
    assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
    await stopping
    assert not await check_health(channel, SERVICE)
    assert not await check_health(channel, "")


async def test_sigterm_lets_the_call_in_flight_finish_and_the_process_exit_0():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.chassis._grpc_server_proc",
        "5",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line.startswith(b"port "), line
        address = f"127.0.0.1:{int(line.split()[1])}"
        async with make_channel(address) as ch:
            assert await check_health(ch, SERVICE)
            with context.bound(request_id="req-sigterm"):
                slow = asyncio.ensure_future(unary(ch, "Sleep")(b"1.5", timeout=10))
            assert await asyncio.wait_for(proc.stdout.readline(), 10) == b"sleeping\n"

            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.2)
            # While it drains, the server takes no new calls.
            assert not await check_health(ch, SERVICE)

            reply = json.loads(await slow)
            assert reply["remaining"] is not None
            assert await asyncio.wait_for(proc.wait(), 10) == 0
            assert time.monotonic() - started < 5
            assert await proc.stdout.read() == b"stopped\n"
            # Gone: the connection is refused.
            assert not await check_health(ch, SERVICE)

        # gRPC's C core may write its own plain lines to stderr; ours are the JSON ones.
        lines = (await proc.stderr.read()).splitlines()
        logged = [json.loads(line) for line in lines if line.startswith(b"{")]
        sleep_calls = [e for e in logged if e.get("grpc_method") == f"/{SERVICE}/Sleep"]
        assert len(sleep_calls) == 1
        assert sleep_calls[0]["grpc_code"] == "OK"
        assert sleep_calls[0]["request_id"] == "req-sigterm"
        assert sleep_calls[0]["service"] == "grpc-test"
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_a_call_longer_than_the_grace_is_cut_off_at_the_grace():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.chassis._grpc_server_proc",
        "0.5",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        address = f"127.0.0.1:{int(line.split()[1])}"
        async with make_channel(address) as ch:
            slow = asyncio.ensure_future(unary(ch, "Sleep")(b"30", timeout=60))
            assert await asyncio.wait_for(proc.stdout.readline(), 10) == b"sleeping\n"
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await slow
            assert caught.value.code() in {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED}
            assert await asyncio.wait_for(proc.wait(), 10) == 0
            assert time.monotonic() - started < 5
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
