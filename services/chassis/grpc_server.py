"""gRPC server bootstrap (grpc.aio): health, reflection, request ids, graceful shutdown."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from services.chassis import context, metrics

log = logging.getLogger(__name__)

HEALTH_SERVICE = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name


def remaining_seconds(ctx: grpc.aio.ServicerContext) -> float | None:
    """The caller's deadline, as seconds left, to hand on to calls this handler makes."""
    return ctx.time_remaining()


def _code_of(ctx: grpc.aio.ServicerContext, error: BaseException | None) -> str:
    if error is not None and not isinstance(error, grpc.aio.AbortError):
        return "UNKNOWN"
    code = ctx.code()
    if code is None:
        return "OK"
    return code.name if isinstance(code, grpc.StatusCode) else str(code)


class _ContextInterceptor(grpc.aio.ServerInterceptor):
    """Binds x-request-id / x-trace-id for the handler, logs and measures each call."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or not handler.unary_unary:
            return handler
        metadata = dict(details.invocation_metadata or ())
        method = details.method
        inner = handler.unary_unary

        async def unary_unary(request: Any, ctx: grpc.aio.ServicerContext) -> Any:
            request_id = metadata.get("x-request-id") or context.new_request_id()
            trace_id = metadata.get("x-trace-id") or request_id
            started = time.perf_counter()
            error: BaseException | None = None
            with context.bound(request_id=request_id, trace_id=trace_id):
                try:
                    return await inner(request, ctx)
                except BaseException as exc:
                    error = exc
                    raise
                finally:
                    elapsed = time.perf_counter() - started
                    code = _code_of(ctx, error)
                    metrics.GRPC_REQUESTS.labels(method, code).inc()
                    metrics.GRPC_LATENCY.labels(method).observe(elapsed)
                    level = (
                        logging.WARNING
                        if code in {"UNKNOWN", "INTERNAL"}
                        else logging.DEBUG
                        if method.startswith("/grpc.")
                        else logging.INFO
                    )
                    log.log(
                        level,
                        "grpc %s %s %.1fms",
                        method,
                        code,
                        elapsed * 1000,
                        extra={"grpc_method": method, "grpc_code": code},
                        exc_info=error if code == "UNKNOWN" else None,
                    )

        return grpc.unary_unary_rpc_method_handler(
            unary_unary,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class GrpcServer:
    """One aio server with the given servicers plus health and reflection."""

    def __init__(
        self,
        host: str,
        port: int,
        servicers: list[tuple[Callable[..., Any], Any]],
        service_names: list[str],
    ) -> None:
        self.host = host
        self.requested_port = port
        self.service_names = list(service_names)
        self.health = HealthServicer()
        self.server = grpc.aio.server(interceptors=[_ContextInterceptor()])
        for add, servicer in servicers:
            add(servicer, self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [*self.service_names, HEALTH_SERVICE, reflection.SERVICE_NAME], self.server
        )
        self.port: int | None = None

    async def start(self) -> int:
        self.port = self.server.add_insecure_port(f"{self.host}:{self.requested_port}")
        if not self.port:
            raise RuntimeError(f"cannot bind gRPC to {self.host}:{self.requested_port}")
        await self.server.start()
        for name in ["", *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        return self.port

    async def stop(self, grace: float) -> None:
        """Report NOT_SERVING, refuse new calls, let calls in flight finish within `grace`."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)

    async def serve_until_signal(self, grace: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await stopping.wait()
        log.info("shutting down gRPC (grace %.0fs)", grace)
        await self.stop(grace)
