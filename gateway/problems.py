"""RFC 9457 problem details (`application/problem+json`) for every error the gateway returns.

A problem body is

    {"type": "https://enforcement.example/problems/<slug>", "title": "...", "status": 4xx,
     "detail": "...", "request_id": "...", ...extension members}

`type` is stable and meant for code, `title` is a short summary of the kind of problem,
`detail` explains this occurrence for people. Validation failures add `errors`, a list of
`{loc, msg}`. A 500 never shows internals: the exception is logged with its traceback and the
caller gets the request id to quote.

Raise `ProblemError` anywhere in a request; `install_problem_handlers(app)` turns it, starlette
`HTTPException`, `RequestValidationError` and any unhandled exception into a problem answer.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.chassis.context import current_request_id

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://enforcement.example/problems/"
MEDIA_TYPE = "application/problem+json"


def problem_type(slug: str) -> str:
    """The `type` URI of a slug (a full URI is kept as it is)."""
    return slug if "://" in slug else PROBLEM_BASE + slug


class Problem(BaseModel):
    """The body of every 4xx and 5xx answer (RFC 9457)."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(
        description="stable URI identifying the kind of problem; for code",
        examples=[PROBLEM_BASE + "invalid-request"],
    )
    title: str = Field(description="short summary of the kind of problem")
    status: int = Field(description="the HTTP status code")
    detail: str | None = Field(default=None, description="this occurrence, for people")
    instance: str | None = None
    request_id: str | None = Field(default=None, description="quote it when reporting a problem")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="validation failures: a list of {loc, msg}"
    )


_PROBLEM_SCHEMA = Problem.model_json_schema()

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}}}
    for status, text in {
        400: "Bad request",
        401: "Not authenticated, or the token or signature is not valid",
        403: "Not allowed for this caller",
        404: "Not found",
        409: "Conflict with the current state, or the same Idempotency-Key is still running",
        413: "Request body larger than the gateway accepts",
        422: "Invalid input, or an Idempotency-Key reused for a different request",
        500: "Internal error (quote the request id)",
        502: "A service failed",
        503: "A service is unavailable",
        504: "A service did not answer in time",
    }.items()
}
"""Use as `responses=PROBLEM_RESPONSES` (or `{k: PROBLEM_RESPONSES[k] for k in (...)}`)."""

RATE_LIMITED_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many requests from this caller; the Retry-After header says when",
        "headers": {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
        "content": {MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}},
    }
}
"""Add to the routes that a rate limit guards (login, the public disclosure routes)."""


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem.

    `type` is a slug such as "invalid-token"; it becomes `PROBLEM_BASE + slug` (kept in
    `self.type`, the slug in `self.slug`). Extra keyword arguments become extension members.
    """

    def __init__(
        self,
        status: int,
        type: str,
        title: str,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = type.removeprefix(PROBLEM_BASE)
        self.type = problem_type(type)
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra

    def to_dict(self, request_id: str | None = None) -> dict[str, Any]:
        return problem_body(
            self.status, self.type, self.title, self.detail, request_id=request_id, **self.extra
        )

    def __repr__(self) -> str:
        return f"ProblemError({self.status}, {self.slug!r}, {self.detail or self.title!r})"


def problem_body(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    request_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": problem_type(slug), "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return body


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    request_id: str | None = None,
    **extra: Any,
) -> JSONResponse:
    """An `application/problem+json` response."""
    return JSONResponse(
        problem_body(status, slug, title, detail, request_id=request_id, **extra),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _request_id(request: Request) -> str | None:
    return _scope_request_id(request.scope)


def _scope_request_id(scope: Scope) -> str | None:
    state = scope.get("state")
    value = state.get("request_id") if isinstance(state, dict) else None
    if value is None:
        value = current_request_id()
    return value


_SLUGS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
}

_INTERNAL_DETAIL = "the error was logged; quote the request id when reporting it"


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _internal_error(request_id: str | None) -> JSONResponse:
    return problem_response(
        500, "internal-error", "Internal error", _INTERNAL_DETAIL, request_id=request_id
    )


class UnhandledErrorMiddleware:
    """Turns an exception no handler took into a 500 problem *inside* the user middleware,
    so the request-id and metrics middlewares still see (and label) the answer.

    Starlette's own last-resort handler sits outside every middleware and re-raises after
    answering; this keeps that path for errors raised by middlewares themselves only.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:  # too late for another answer; let the server close the connection
                raise
            await _internal_error(_scope_request_id(scope))(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of `app` with problem+json. Call before the app starts."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.type,
            exc.title,
            exc.detail,
            exc.headers,
            _request_id(request),
            **exc.extra,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        phrase = _status_phrase(exc.status_code)
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            exc.status_code,
            _SLUGS.get(exc.status_code, "error"),
            phrase,
            detail if detail and detail != phrase else None,
            getattr(exc, "headers", None),
            _request_id(request),
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Only where and what: the offending input is never echoed (it may be a password).
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        # Every field at once, so a form can mark them all after one answer.
        detail = "; ".join(
            f"{'.'.join(e['loc'])}: {e['msg']}" if e["loc"] else e["msg"] for e in errors
        )
        return problem_response(
            422,
            "invalid-request",
            "The request is not valid",
            detail or "invalid",
            None,
            _request_id(request),
            errors=errors,
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        # Reached only for errors raised outside UnhandledErrorMiddleware (in a middleware).
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _internal_error(_request_id(request))

    app.add_middleware(UnhandledErrorMiddleware)
