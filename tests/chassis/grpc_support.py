"""A tiny gRPC service for the chassis tests, with bytes in and out (no generated stubs).

`test.Echo/WhoAmI` answers what the handler saw: the bound ids and the deadline left;
`Sleep` waits the seconds given in the request; `Stream` answers three times; `Fail` raises.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import grpc

from services.chassis import context
from services.chassis.grpc_server import remaining_seconds

SERVICE = "test.Echo"


def _seen(ctx: grpc.aio.ServicerContext) -> bytes:
    return json.dumps(
        {
            "request_id": context.current_request_id(),
            "trace_id": context.current_trace_id(),
            "remaining": remaining_seconds(ctx),
        }
    ).encode()


class Echo:
    def __init__(self, on_sleep: Callable[[], None] | None = None) -> None:
        self.on_sleep = on_sleep

    async def who_am_i(self, request: bytes, ctx: grpc.aio.ServicerContext) -> bytes:
        return _seen(ctx)

    async def sleep(self, request: bytes, ctx: grpc.aio.ServicerContext) -> bytes:
        if self.on_sleep is not None:
            self.on_sleep()
        await asyncio.sleep(float(request or b"0"))
        return _seen(ctx)

    async def stream(self, request: bytes, ctx: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        for _ in range(3):
            await asyncio.sleep(0)
            yield _seen(ctx)

    async def fail(self, request: bytes, ctx: grpc.aio.ServicerContext) -> bytes:
        raise ValueError("a bug in the handler")


def add_echo_to_server(servicer: Echo, server: grpc.aio.Server) -> None:
    """Plays the part of a generated `add_XServicer_to_server`."""
    unary = grpc.unary_unary_rpc_method_handler
    handlers = {
        "WhoAmI": unary(servicer.who_am_i),
        "Sleep": unary(servicer.sleep),
        "Stream": grpc.unary_stream_rpc_method_handler(servicer.stream),
        "Fail": unary(servicer.fail),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


def unary(channel: grpc.aio.Channel, name: str) -> grpc.aio.UnaryUnaryMultiCallable:
    return channel.unary_unary(f"/{SERVICE}/{name}")


def stream(channel: grpc.aio.Channel, name: str) -> grpc.aio.UnaryStreamMultiCallable:
    return channel.unary_stream(f"/{SERVICE}/{name}")
