"""gRPC server bootstrap (grpc.aio): health, reflection, request ids, graceful shutdown.

Every service serves the standard `grpc.health.v1.Health` service (SERVING for "" and each of
its services) and server reflection, so `grpcurl` and orchestrators can probe it. One server
interceptor binds the caller's `x-request-id` / `x-trace-id` for the handler (or makes a
request id), logs each call and records the gRPC metrics.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.chassis import context, metrics
from services.chassis.service_auth import ServiceAuthInterceptor, ServiceTokenVerifier

log = logging.getLogger(__name__)

HEALTH_SERVICE = health.SERVICE_NAME
REQUEST_ID_KEY = "x-request-id"
TRACE_ID_KEY = "x-trace-id"

# An incoming id is logged and passed on, so only short, plain ids are taken from callers.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Codes that mean a bug or a broken dependency rather than a caller's mistake.
_SERVER_FAULTS = frozenset({"UNKNOWN", "INTERNAL", "DATA_LOSS", "UNIMPLEMENTED"})

_SERVER_OPTIONS = [
    # Without this a second process can bind the same fixed port and silently share traffic.
    ("grpc.so_reuseport", 0),
    # Our clients send keepalive pings; the server default (5 min) would answer too_many_pings.
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    # Clients reconnect (and resolve again) every few minutes, so replicas added by a scale-up
    # get their share; the grace outlasts a valve's longest long-poll (55 s).
    ("grpc.max_connection_age_ms", 300_000),
    ("grpc.max_connection_age_grace_ms", 70_000),
]

ServicerAdder = Callable[[Any, grpc.aio.Server], None]


def remaining_seconds(ctx: grpc.aio.ServicerContext) -> float | None:
    """Seconds left before the caller's deadline (None: the caller set none).

    Pass it as `timeout=` to the calls this handler makes, so the deadline shrinks downstream.
    """
    remaining = ctx.time_remaining()
    if remaining is None:
        return None
    return max(0.0, remaining)


def _sane_id(value: Any) -> str | None:
    if isinstance(value, str) and _SANE_ID.fullmatch(value):
        return value
    return None


def _status_name(ctx: grpc.aio.ServicerContext, error: BaseException | None) -> str:
    if isinstance(error, asyncio.CancelledError | GeneratorExit):
        # grpc.aio cancels the handler when the deadline passes or the caller goes away.
        remaining = ctx.time_remaining()
        return "DEADLINE_EXCEEDED" if remaining is not None and remaining <= 0 else "CANCELLED"
    if error is not None and not isinstance(error, grpc.aio.AbortError):
        return "UNKNOWN"
    code = ctx.code()
    if code is None:
        return "OK"
    if isinstance(code, grpc.StatusCode):
        return code.name
    for status in grpc.StatusCode:
        if status.value[0] == code:
            return status.name
    return str(code)


class _CallScope:
    """The ids and clock of one call; binds the ids around each step of the handler."""

    def __init__(self, method: str, request_id: str, trace_id: str) -> None:
        self.method = method
        self.request_id = request_id
        self.trace_id = trace_id
        self.started = time.perf_counter()

    def bound(self) -> Any:
        return context.bound(request_id=self.request_id, trace_id=self.trace_id)

    def finish(self, ctx: grpc.aio.ServicerContext, error: BaseException | None) -> None:
        elapsed = time.perf_counter() - self.started
        code = _status_name(ctx, error)
        metrics.GRPC_REQUESTS.labels(self.method, code).inc()
        metrics.GRPC_LATENCY.labels(self.method).observe(elapsed)
        if code in _SERVER_FAULTS:
            level = logging.WARNING
        elif self.method.startswith("/grpc."):
            level = logging.DEBUG  # health probes and reflection would drown the log
        else:
            level = logging.INFO
        log.log(
            level,
            "grpc %s %s %.1fms",
            self.method,
            code,
            elapsed * 1000,
            extra={
                "grpc_method": self.method,
                "grpc_code": code,
                "duration_ms": round(elapsed * 1000, 3),
                # Explicit, because a cancelled handler may end outside the call's binding.
                "request_id": self.request_id,
                "trace_id": self.trace_id,
            },
            exc_info=error if code == "UNKNOWN" else None,
        )


def _wrap_coroutine(behaviour: Callable[..., Awaitable[Any]], scope: _CallScope) -> Any:
    async def call(request: Any, ctx: grpc.aio.ServicerContext) -> Any:
        error: BaseException | None = None
        try:
            with scope.bound():
                return await behaviour(request, ctx)
        except BaseException as exc:
            error = exc
            raise
        finally:
            scope.finish(ctx, error)

    return call


def _wrap_async_generator(behaviour: Callable[..., AsyncIterator[Any]], scope: _CallScope) -> Any:
    async def stream(request: Any, ctx: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        responses = behaviour(request, ctx)
        error: BaseException | None = None
        try:
            while True:
                # Bound per step: a context token must never be held across our own `yield`.
                with scope.bound():
                    try:
                        item = await anext(responses)
                    except StopAsyncIteration:
                        break
                yield item
        except BaseException as exc:
            error = exc
            raise
        finally:
            with scope.bound():
                await responses.aclose()
            scope.finish(ctx, error)

    return stream


_HANDLER_FACTORIES = {
    (False, False): ("unary_unary", grpc.unary_unary_rpc_method_handler),
    (False, True): ("unary_stream", grpc.unary_stream_rpc_method_handler),
    (True, False): ("stream_unary", grpc.stream_unary_rpc_method_handler),
    (True, True): ("stream_stream", grpc.stream_stream_rpc_method_handler),
}


class RequestContextInterceptor(grpc.aio.ServerInterceptor):
    """Binds x-request-id / x-trace-id for the handler, logs and measures each call.

    The binding wraps the handler's behaviour itself, so it holds wherever grpc.aio runs it.
    Unknown methods are left alone (no metric label per made-up method name). Sync handlers,
    which grpc.aio runs in a thread, are passed through unwrapped.
    """

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        attr, factory = _HANDLER_FACTORIES[(handler.request_streaming, handler.response_streaming)]
        behaviour = getattr(handler, attr)
        metadata = dict(details.invocation_metadata or ())
        request_id = _sane_id(metadata.get(REQUEST_ID_KEY)) or context.new_request_id()
        trace_id = _sane_id(metadata.get(TRACE_ID_KEY)) or request_id
        scope = _CallScope(details.method, request_id, trace_id)
        if inspect.isasyncgenfunction(behaviour):
            wrapped = _wrap_async_generator(behaviour, scope)
        elif inspect.iscoroutinefunction(behaviour):
            wrapped = _wrap_coroutine(behaviour, scope)
        else:
            return handler
        return factory(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class GrpcServer:
    """One aio server with the given servicers plus health and reflection.

    `servicers` are `(add_XServicer_to_server, servicer)` pairs; `service_names` their full
    names (e.g. `enforcement.records.v1.RecordsService`), reported SERVING once started.
    With `auth`, every call but health probes needs a good service token (service_auth).
    """

    def __init__(
        self,
        host: str,
        port: int,
        servicers: list[tuple[ServicerAdder, Any]],
        service_names: list[str],
        auth: ServiceTokenVerifier | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.service_names = list(service_names)
        self.health = health.aio.HealthServicer()
        interceptors: list[grpc.aio.ServerInterceptor] = [RequestContextInterceptor()]
        if auth is not None:
            # After the request context: refused calls are logged and counted like others.
            interceptors.append(ServiceAuthInterceptor(auth))
        self.server = grpc.aio.server(interceptors=interceptors, options=_SERVER_OPTIONS)
        for add, servicer in servicers:
            add(servicer, self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [*self.service_names, HEALTH_SERVICE, reflection.SERVICE_NAME], self.server
        )
        self.port: int | None = None
        self._stopping: asyncio.Future[None] | None = None
        self._forced: asyncio.Task[None] | None = None

    async def start(self) -> int:
        """Bind, report SERVING for "" and every service, start; returns the bound port."""
        self.port = self.server.add_insecure_port(f"{self.host}:{self.requested_port}")
        if not self.port:
            raise RuntimeError(f"cannot bind gRPC to {self.host}:{self.requested_port}")
        # Set before start: the first probe after the port opens already sees the services.
        for name in ["", *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        await self.server.start()
        return self.port

    async def stop(self, grace: float | None) -> None:
        """Report NOT_SERVING, refuse new calls, let calls in flight finish within `grace`.

        Safe to call again; a later call with a smaller grace cuts the wait short.
        """
        await self.health.enter_graceful_shutdown()
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self.server.stop(grace))
        else:
            await self.server.stop(grace)
        await asyncio.shield(self._stopping)

    async def serve_until_signal(
        self,
        grace: float = 10.0,
        on_stop: Callable[[], Any] | None = None,
    ) -> None:
        """Serve until SIGTERM or SIGINT, then stop gracefully; a second signal cuts the grace.

        `on_stop` (sync or async) runs after the server has stopped, when every call in
        flight has finished: the place to drain the outbox relay and close the database.
        """
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        signals = (signal.SIGTERM, signal.SIGINT)

        def on_signal(sig: signal.Signals) -> None:
            if stopping.is_set():
                log.warning("%s again: stopping gRPC now", sig.name)
                self._forced = loop.create_task(self.server.stop(None))
                return
            log.info("%s: stopping gRPC (grace %.1fs)", sig.name, grace)
            stopping.set()

        for sig in signals:
            loop.add_signal_handler(sig, on_signal, sig)
        try:
            await stopping.wait()
            await self.stop(grace)
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
        if on_stop is not None:
            result = on_stop()
            if inspect.isawaitable(result):
                await result


# (exception types, status code): a domain refusal and the gRPC status it is answered with.
ErrorCodes = list[tuple[type[BaseException] | tuple[type[BaseException], ...], grpc.StatusCode]]


def blocking_caller(codes: ErrorCodes) -> Callable[..., Awaitable[Any]]:
    """`await call(context, fn, *args)`: run a blocking use case off the event loop, and abort
    with the first matching status when it refuses; the message is what the user reads."""

    async def call(servicer_context: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except Exception as exc:
            for types, code in codes:
                if isinstance(exc, types):
                    await servicer_context.abort(code, str(exc))
            raise

    return call
