"""gRPC channels for callers: request id and trace id passed on, a deadline on every call."""

from __future__ import annotations

from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.chassis import context


class _ContextClientInterceptor(
    grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor
):
    def __init__(self, default_timeout: float) -> None:
        self.default_timeout = default_timeout

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        request_id = context.current_request_id()
        trace_id = context.current_trace_id()
        if request_id and "x-request-id" not in metadata:
            metadata.add("x-request-id", request_id)
        if trace_id and "x-trace-id" not in metadata:
            metadata.add("x-trace-id", trace_id)
        timeout = details.timeout if details.timeout is not None else self.default_timeout
        return grpc.aio.ClientCallDetails(
            details.method, timeout, metadata, details.credentials, details.wait_for_ready
        )

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


def make_channel(address: str, default_timeout: float = 5.0) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        address,
        interceptors=[_ContextClientInterceptor(default_timeout)],
        options=[("grpc.keepalive_time_ms", 30_000)],
    )


async def check_health(channel: grpc.aio.Channel, service: str = "", timeout: float = 1.0) -> bool:
    try:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=timeout
        )
    except grpc.aio.AioRpcError:
        return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING
