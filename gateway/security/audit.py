"""The audit log: who asked for which change, and what the answer was (issue 16).

Every request an account makes with a method other than GET, HEAD or OPTIONS leaves one
row, refused ones too; reads and devices' posts do not (the access log and the services'
own records cover them). The row is written after the answer went out, so it costs the
caller nothing; a failed write is logged and never turns a done change into an error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from starlette.types import Scope

from gateway import db as gwdb
from services.chassis.db import Database

log = logging.getLogger("gateway.audit")
READS = frozenset({"GET", "HEAD", "OPTIONS"})


class AuditLog:
    def __init__(self, database: Callable[[], Database]) -> None:
        self._database = database

    async def record(self, scope: Scope, route: str, status: int, request_id: str) -> None:
        state = scope.get("state") or {}
        user_id, agency_id = state.get("user_id"), state.get("agency_id")
        if scope.get("method") in READS or not user_id or not agency_id:
            return
        row = {
            "at": datetime.now(UTC), "agency_id": agency_id, "user_id": user_id,
            "method": scope["method"], "route": route[:300],
            "path": scope.get("path", "")[:500], "status": status, "request_id": request_id,
        }  # fmt: skip
        try:
            await asyncio.to_thread(self._write, row)
        except Exception:  # the change is done; a lost audit row must not undo its answer
            log.exception("audit row not written", extra={"request_id": request_id})

    def _write(self, row: dict) -> None:
        with self._database().unit_of_work() as uow:
            uow.conn.execute(gwdb.audit_log.insert().values(**row))
            uow.commit()

    def entries(
        self,
        agency_id: str,
        *,
        user_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        before_id: int | None = None,
        limit: int = 200,
    ) -> list:
        """The agency's rows, newest first, with the account's name when it still exists."""
        t, u = gwdb.audit_log, gwdb.users
        q = (
            sa.select(t, u.c.display_name, u.c.username)
            .select_from(t.outerjoin(u, u.c.user_id == t.c.user_id))
            .where(t.c.agency_id == agency_id)
        )
        if user_id:
            q = q.where(t.c.user_id == user_id)
        if since is not None:
            q = q.where(t.c.at >= since)
        if until is not None:
            q = q.where(t.c.at < until)
        if before_id is not None:
            q = q.where(t.c.audit_id < before_id)
        with self._database().read() as conn:
            return list(conn.execute(q.order_by(t.c.audit_id.desc()).limit(limit)))
