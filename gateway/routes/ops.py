"""Liveness, readiness and metrics for orchestrators and operators."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from gateway.deps import State
from services.chassis.metrics import render_latest

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
    response_class=Response,
)
async def metrics() -> Response:
    """Request counts and latencies per route and status in the Prometheus text format, for the
    operators' scraper."""
    body, content_type = render_latest()
    return Response(body, media_type=content_type)
