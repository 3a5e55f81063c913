"""`python -m services.chassis.healthcheck HOST:PORT [SERVICE]`, as Docker health checks run it."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest

from services.chassis.grpc_server import GrpcServer
from tests.chassis.grpc_support import SERVICE, Echo, add_echo_to_server

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


async def healthcheck(*args: str) -> tuple[int, str]:
    # A subprocess, awaited: the server under test runs on this very event loop.
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.chassis.healthcheck",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode, out.decode().strip()


@pytest.fixture
async def server():
    srv = GrpcServer("127.0.0.1", 0, [(add_echo_to_server, Echo())], [SERVICE])
    await srv.start()
    yield srv
    await srv.stop(0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_serving_server_exits_0(server):
    assert await healthcheck(f"127.0.0.1:{server.port}") == (0, "SERVING")


async def test_a_serving_service_exits_0(server):
    assert await healthcheck(f"127.0.0.1:{server.port}", SERVICE) == (0, "SERVING")


async def test_an_unknown_service_exits_1(server):
    assert await healthcheck(f"127.0.0.1:{server.port}", "test.Nobody") == (1, "NOT_SERVING")


async def test_a_stopped_server_exits_1(server):
    await server.stop(0)
    code, _ = await healthcheck(f"127.0.0.1:{server.port}", "--timeout", "0.5")
    assert code == 1


async def test_nothing_listening_exits_1():
    code, out = await healthcheck(f"127.0.0.1:{free_port()}", "--timeout", "0.5")
    assert (code, out) == (1, "NOT_SERVING")


async def test_no_address_is_a_usage_error():
    code, _ = await healthcheck()
    assert code == 2
