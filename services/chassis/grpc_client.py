"""gRPC channels for callers: request id and trace id passed on, a deadline on every call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.chassis import context

REQUEST_ID_KEY = "x-request-id"
TRACE_ID_KEY = "x-trace-id"
AUTHORIZATION_KEY = "authorization"

_CHANNEL_OPTIONS = [
    # Notice a dead peer (half-open TCP after a pod is killed) within ~40 s, not hours.
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    # Every address the name resolves to (a headless Service's ready pods) gets calls in
    # turn; one address (a proxy, a virtual IP, 127.0.0.1) behaves as before.
    ("grpc.lb_policy_name", "round_robin"),
]


class _ContextDetails:
    """Adds the bound request and trace ids to the metadata, and a timeout when none is given.

    Ids the caller put in the metadata itself are left as they are. With `token`, each call
    carries `authorization: Bearer <token()>`, the caller's service token (service_auth).
    """

    def __init__(self, default_timeout: float, token: Callable[[], str] | None = None) -> None:
        self.default_timeout = default_timeout
        self.token = token

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        request_id = context.current_request_id()
        trace_id = context.current_trace_id()
        if request_id and REQUEST_ID_KEY not in metadata:
            metadata.add(REQUEST_ID_KEY, request_id)
        if trace_id and TRACE_ID_KEY not in metadata:
            metadata.add(TRACE_ID_KEY, trace_id)
        if self.token is not None and AUTHORIZATION_KEY not in metadata:
            metadata.add(AUTHORIZATION_KEY, f"Bearer {self.token()}")
        timeout = details.timeout if details.timeout is not None else self.default_timeout
        return grpc.aio.ClientCallDetails(
            details.method, timeout, metadata, details.credentials, details.wait_for_ready
        )


# One class per call kind: grpc.aio files an interceptor under the first kind it implements
# only (an if/elif chain), so one object implementing all four would see unary-unary calls only.
class _UnaryUnary(_ContextDetails, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _UnaryStream(_ContextDetails, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(self._details(details), request)


class _StreamUnary(_ContextDetails, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


class _StreamStream(_ContextDetails, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(self._details(details), requests)


def context_interceptors(
    default_timeout: float = 5.0, token: Callable[[], str] | None = None
) -> list[grpc.aio.ClientInterceptor]:
    """The client interceptors `make_channel` installs, one per call kind."""
    return [
        kind(default_timeout, token)
        for kind in (_UnaryUnary, _UnaryStream, _StreamUnary, _StreamStream)
    ]


def make_channel(
    address: str, default_timeout: float = 5.0, token: Callable[[], str] | None = None
) -> grpc.aio.Channel:
    """An insecure aio channel to `address` (host:port) that passes the context ids on, and
    with `token` the caller's service token on every call."""
    return grpc.aio.insecure_channel(
        address,
        interceptors=context_interceptors(default_timeout, token),
        options=_CHANNEL_OPTIONS,
    )


async def check_health(channel: grpc.aio.Channel, service: str = "", timeout: float = 1.0) -> bool:
    """True when the peer's `grpc.health.v1` answers SERVING for `service`; False otherwise."""
    try:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=timeout
        )
    except grpc.RpcError:
        return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING
