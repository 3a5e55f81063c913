"""Liveness, readiness and metrics for orchestrators and operators."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from gateway.deps import State
from services.chassis.metrics import render_latest
from services.chassis.settings import Mode

router = APIRouter(tags=["operations"])


def _database_answers(state) -> bool:
    try:
        with state.db.read() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


@router.get("/healthz", operation_id="healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    """Answers 200 while the gateway process runs; no dependency is checked. For an
    orchestrator's liveness probe."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="Readiness: the gateway's database and every service's gRPC health are up",
    responses={503: {"description": "Some dependency is not ready; the body says which"}},
)
async def readyz(state: State) -> JSONResponse:
    """200 when the gateway's own database and every service's gRPC health check answer, else
    503 with `checks` naming what is down. For a readiness probe and for `make run`."""
    checks = await state.clients.health()
    checks["database"] = await asyncio.to_thread(_database_answers, state)
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not-ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics of this process",
    description="Needs `Authorization: Bearer <GATEWAY_METRICS_TOKEN>` when that is set; "
    "in production mode it is off without it.",
    response_class=Response,
)
async def metrics(state: State, authorization: str | None = Header(default=None)) -> Response:
    """Request counts and latencies per route and status in the Prometheus text format, for the
    operators' scraper."""
    token = state.settings.metrics_token
    if token is None:
        if state.settings.mode is Mode.production:
            return Response(status_code=404)  # not public in production (issue 13, item 9)
    else:
        given = (authorization or "").removeprefix("Bearer ").strip().encode()
        if not hmac.compare_digest(given, token.get_secret_value().encode()):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    body, content_type = render_latest()
    return Response(body, media_type=content_type)
