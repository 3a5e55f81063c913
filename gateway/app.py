"""The FastAPI gateway: one HTTP front for phones, devices and the public."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.clients import ServiceClients
from gateway.config import Settings
from gateway.deps import GatewayState
from gateway.idempotency import IdempotencyMiddleware, ProcessLease
from gateway.openapi import install_api_docs
from gateway.problem_texts import ProblemLanguage
from gateway.problems import install_problem_handlers, problem_response
from gateway.routes import (
    auth,
    calendar,
    cases,
    devices,
    documents,
    gas,
    hazard_sources,
    hazards,
    home,
    lookups,
    mqtt,
    ops,
    overload,
    public,
    records,
    reviews,
    supervision,
    users,
)
from gateway.security.accounts import AccountStates
from gateway.security.audit import AuditLog
from gateway.security.caps import SharedStreamSlots, StreamSlots
from gateway.security.headers import SecurityHeadersMiddleware
from gateway.security.ratelimit import SharedWindow, SlidingWindow
from gateway.security.refresh import RefreshTokens
from gateway.security.tokens import TokenService
from gateway.webapps import mount_web_apps
from services.chassis import context, metrics
from services.chassis.db import Database, migrate

MIGRATIONS = Path(__file__).parent / "migrations"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BodyTooLarge(StarletteHTTPException):
    """Raised while the body is read: FastAPI passes HTTPExceptions through body parsing."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"at most {limit} bytes")


class NulInText(StarletteHTTPException):
    """A NUL character in a string: PostgreSQL cannot store it in text, and no form needs it."""

    def __init__(self) -> None:
        super().__init__(422, "a text holds a NUL character (\\u0000)")


# A JSON escape \u0000 that is not itself escaped (an even run of backslashes before it).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def has_nul(body: bytes) -> bool:
    return b"\x00" in body or _JSON_NUL.search(body) is not None


def nul_response(request_id: str) -> Response:
    return problem_response(
        422, "validation-error", "Invalid request",
        "a text holds a NUL character (\\u0000); remove it and send again",
        request_id=request_id,
    )  # fmt: skip


def too_large_response(limit: int, request_id: str) -> Response:
    response = problem_response(
        413, "body-too-large", "Request body too large", f"at most {limit} bytes",
        request_id=request_id,
    )  # fmt: skip
    response.headers["Connection"] = "close"  # the rest of the body is not read
    return response


class RequestContextMiddleware:
    """Request id (taken from X-Request-ID when sane, else made), body limit, HTTP metrics."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, audit: AuditLog | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else context.new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False
        received = 0
        body = bytearray()

        async def limited_receive() -> Message:
            # A chunked body declares no length: count what arrives.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
                body.extend(chunk)
                if not message.get("more_body", False) and has_nul(bytes(body)):
                    raise NulInText()
            return message

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            query = scope.get("query_string", b"").lower()
            if b"%00" in query or b"\x00" in query or "\x00" in scope.get("path", ""):
                await nul_response(request_id)(scope, receive, send_with_id)
                return
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                await too_large_response(self.max_body_bytes, request_id)(
                    scope, receive, send_with_id
                )
                return
            with context.bound(request_id=request_id, trace_id=request_id):
                try:
                    await self.app(scope, limited_receive, send_with_id)
                except BodyTooLarge:
                    # Read outside the routes (e.g. by the idempotency middleware).
                    if response_started:
                        raise
                    await too_large_response(self.max_body_bytes, request_id)(
                        scope, receive, send_with_id
                    )
                except NulInText:
                    if response_started:
                        raise
                    await nul_response(request_id)(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            metrics.HTTP_REQUESTS.labels(scope["method"], path, str(status)).inc()
            metrics.HTTP_LATENCY.labels(scope["method"], path).observe(elapsed)
            log_access(scope, path, status, elapsed, request_id)
            if self.audit is not None:
                await self.audit.record(scope, path, status, request_id)


access_log = logging.getLogger("gateway.access")


def log_access(scope: Scope, route: str, status: int, elapsed_s: float, request_id: str) -> None:
    """One line per request: a refused one leaves a trace too. Only the route template and
    ids: never the raw path or query (a party's name may be searched), a header or a body."""
    state = scope.get("state") or {}
    access_log.info(
        "%s %s %d %.1f ms",
        scope["method"],
        route,
        status,
        elapsed_s * 1000,
        extra={
            "method": scope["method"],
            "route": route,
            "status": status,
            "duration_ms": round(elapsed_s * 1000, 1),
            "request_id": request_id,
            "user_id": state.get("user_id"),
            "device_id": state.get("device_id"),
        },
    )


def create_app(settings: Settings, *, clients: ServiceClients | None = None) -> FastAPI:
    """Build the app; the database is migrated and channels opened in the lifespan."""
    database = Database.from_url(settings.database_url)
    # Replicas on PostgreSQL: this process's id, alive while it holds its lease.
    process_owner = uuid.uuid4().hex if database.engine.dialect.name == "postgresql" else None
    tokens = TokenService(
        settings.jwt_secret.get_secret_value(),
        settings.jwt_issuer,
        settings.jwt_audience,
        access_ttl_s=settings.access_token_ttl_s,
        refresh_ttl_s=settings.refresh_token_ttl_s,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(database.engine, MIGRATIONS)
        process_lease = ProcessLease(database, process_owner) if process_owner else None
        if process_lease is not None:
            process_lease.start()
        service_clients = clients or ServiceClients(
            settings.service_addrs(), settings.grpc_timeout_s, settings.service_token_signer()
        )
        app.state.gateway = GatewayState(
            settings=settings,
            db=database,
            clients=service_clients,
            tokens=tokens,
            refresh=RefreshTokens(database, tokens),
            **_limits(settings, database, process_owner),
            accounts=AccountStates(database, settings.account_check_cache_s),
        )
        yield
        await service_clients.close()
        if process_lease is not None:
            process_lease.stop()
        database.dispose()

    app = FastAPI(
        title="Field enforcement platform API",
        version="1.0.0",
        summary="For officers' phone apps, gas devices, weigh stations and public readers.",
        lifespan=lifespan,
        docs_url=None,  # served by install_api_docs, without a CDN
        redoc_url=None,
        openapi_url=None,  # the parts of the document are served by install_api_docs
    )
    install_problem_handlers(app)

    @app.exception_handler(BodyTooLarge)
    async def _body_too_large(request: Request, exc: BodyTooLarge) -> Response:
        return too_large_response(settings.max_body_bytes, request.scope["state"]["request_id"])

    @app.exception_handler(NulInText)
    async def _nul_in_text(request: Request, exc: NulInText) -> Response:
        return nul_response(request.scope["state"]["request_id"])

    app.include_router(home.router)
    app.include_router(ops.router)
    app.include_router(auth.router)
    app.include_router(cases.router)
    app.include_router(records.router)
    app.include_router(reviews.router)
    app.include_router(public.router)
    app.include_router(overload.router)
    app.include_router(gas.router)
    app.include_router(hazard_sources.router)
    app.include_router(mqtt.router)
    app.include_router(hazards.router)
    app.include_router(hazards.public_router)
    app.include_router(devices.router)
    app.include_router(users.router)
    app.include_router(calendar.router)
    app.include_router(lookups.router)
    app.include_router(supervision.router)
    app.include_router(documents.router)
    app.include_router(documents.public)
    if settings.api_docs:
        install_api_docs(app)
    mount_web_apps(app, Path(settings.web_dir), settings.app_connect_src)

    def principal_of(headers: dict[bytes, bytes]) -> str | None:
        value = headers.get(b"authorization", b"").decode("latin-1")
        if not value.lower().startswith("bearer "):
            return None
        try:
            return tokens.decode_access(value[7:].strip()).user_id
        except Exception:
            return None  # the route answers 401 itself

    app.add_middleware(
        IdempotencyMiddleware,
        database_getter=lambda: database,
        principal_resolver=principal_of,
        max_body=settings.max_body_bytes,
        in_flight_timeout_s=settings.idempotency_in_flight_timeout_s,
        owner=process_owner,
    )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        audit=AuditLog(lambda: database),
    )
    app.add_middleware(ProblemLanguage)  # every problem answer, in zh-CN or en
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: every answer gets them
    return app


def _limits(settings: Settings, database: Database, owner: str | None = None) -> dict:
    """Rate limits and stream caps: in the process for the one embedded gateway (SQLite), in
    the shared database when gateway replicas run on PostgreSQL."""
    if database.engine.dialect.name == "postgresql":
        return dict(
            login_failures=SharedWindow(
                database, "login", settings.login_failures_per_15_min, 15 * 60
            ),
            public_requests=SharedWindow(database, "public", settings.public_requests_per_min, 60),
            streams=SharedStreamSlots(
                database, settings.live_streams_per_user, hold_s=3600 + 60, owner=owner
            ),
            exports=SharedWindow(database, "exports", settings.exports_per_10_min, 10 * 60),
        )
    return dict(
        login_failures=SlidingWindow(settings.login_failures_per_15_min, 15 * 60),
        public_requests=SlidingWindow(settings.public_requests_per_min, 60),
        streams=StreamSlots(settings.live_streams_per_user, hold_s=3600 + 60),
        exports=SlidingWindow(settings.exports_per_10_min, 10 * 60),
    )
