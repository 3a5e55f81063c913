"""`Idempotency-Key` on writes: a phone that retries gets the first answer, not a second
effect.

Applies to POST, PUT, PATCH and DELETE carrying an `Idempotency-Key` header (1-200 printable
ASCII characters, else 400) from a caller the `principal_resolver` recognises (the verified
JWT subject; devices are deduplicated by their own batch ids, so they are passed through).
Keys are scoped to the caller:

- first request: an in-progress row (principal, key) is stored with the method, path and a
  SHA-256 of method, path, query and body; the app runs; an answer below 500 is stored
  (status, content type, Location, body) before its last byte reaches the client;
- the same key with the same request: the stored answer is replayed with
  `Idempotent-Replayed: true`;
- the same key with another method, path or body: 422 `idempotency-key-reused`;
- the same key while the first is still running: 409 `idempotency-key-in-flight`;
- a 5xx answer or an exception deletes the row, so the client may retry; so does a row left
  in progress longer than `in_flight_timeout_s` (a gateway that died mid-request), or, with
  replicas on PostgreSQL, at once when the replica that ran it is gone (`process_lease`);
- rows older than `ttl_s` are replaced (and pruned).

Database calls are synchronous SQLAlchemy and run in worker threads.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import db
from gateway.problems import MEDIA_TYPE, problem_body
from services.chassis.db import Database

log = logging.getLogger(__name__)

PROCESS_LEASE_PREFIX = "gateway-process:"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HEADER = b"idempotency-key"
REPLAYED_HEADER = b"idempotent-replayed"
MAX_KEY_LENGTH = 200

_t = db.idempotency_keys


@dataclass
class _Answer:
    """A response made by the middleware itself (a problem or a replay)."""

    status: int
    body: bytes
    content_type: str = MEDIA_TYPE
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def send(self, send: Send) -> None:
        headers = [
            (b"content-type", self.content_type.encode("latin-1")),
            (b"content-length", str(len(self.body)).encode()),
            *self.headers,
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def _problem(scope: Scope, status: int, slug: str, title: str, detail: str) -> _Answer:
    state = scope.get("state")
    request_id = state.get("request_id") if isinstance(state, dict) else None
    body = problem_body(status, slug, title, detail, request_id=request_id)
    return _Answer(status, json.dumps(body, ensure_ascii=False).encode())


def valid_key(key: str) -> bool:
    return 1 <= len(key) <= MAX_KEY_LENGTH and all(" " <= c <= "~" for c in key)


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        database_getter: Callable[[], Database],
        principal_resolver: Callable[[dict[bytes, bytes]], str | None],
        max_body: int = 1024 * 1024,
        ttl_s: int = 86400,
        in_flight_timeout_s: int = 300,
        owner: str | None = None,
    ) -> None:
        self.app = app
        self.owner = owner  # this process's id while it holds its `process_lease`
        self.database_getter = database_getter
        self.principal_resolver = principal_resolver
        self.max_body = max_body
        self.ttl = timedelta(seconds=ttl_s)
        self.in_flight_timeout = timedelta(seconds=in_flight_timeout_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        principal = await self._principal(headers)
        if principal is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not valid_key(key):
            await _problem(
                scope,
                400,
                "bad-idempotency-key",
                "Bad Idempotency-Key",
                f"use 1-{MAX_KEY_LENGTH} printable ASCII characters",
            ).send(send)
            return

        request_body = await self._read_body(scope, receive, send, headers)
        if request_body is None:
            return
        method, path = scope["method"], scope["path"]
        digest = hashlib.sha256()
        for part in (method.encode(), path.encode(), scope.get("query_string", b""), request_body):
            digest.update(len(part).to_bytes(8, "big") + part)
        fingerprint = digest.hexdigest()

        database = self.database_getter()
        answer = await anyio.to_thread.run_sync(
            self._claim, database, principal, key, scope, fingerprint
        )
        if answer is not None:
            await answer.send(send)
            return
        await self._run(scope, receive, send, database, principal, key, request_body)

    async def _principal(self, headers: dict[bytes, bytes]) -> str | None:
        try:
            principal = self.principal_resolver(headers)
            if inspect.isawaitable(principal):
                principal = await principal
        except Exception:
            log.warning("idempotency principal resolver failed", exc_info=True)
            return None
        return principal or None

    async def _read_body(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]
    ) -> bytes | None:
        """The whole request body (bounded), or None when answered/disconnected."""
        too_large = _problem(
            scope, 413, "body-too-large", "Request body too large", f"at most {self.max_body} bytes"
        )
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body:
            await too_large.send(send)
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await too_large.send(send)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        database: Database,
        principal: str,
        key: str,
        request_body: bytes,
    ) -> None:
        body_given = False

        async def replay_receive() -> Message:
            nonlocal body_given
            if not body_given:
                body_given = True
                return {"type": "http.request", "body": request_body, "more_body": False}
            return await receive()

        status = 0
        response_headers: list[tuple[bytes, bytes]] = []
        body_parts: list[bytes] = []
        settled = False  # the row was completed or forgotten

        async def capture_send(message: Message) -> None:
            nonlocal status, response_headers, settled
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                body_parts.append(message.get("body", b""))
                if not message.get("more_body", False) and not settled:
                    # Settle before the last byte goes out, so a client that retries at once
                    # is answered from the store rather than with 409.
                    settled = True
                    await self._settle(
                        database, principal, key, status, response_headers, b"".join(body_parts)
                    )
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        except BaseException:
            if not settled:
                await anyio.to_thread.run_sync(self._forget, database, principal, key)
            raise
        if not settled:  # the app ended without a complete answer
            await anyio.to_thread.run_sync(self._forget, database, principal, key)

    async def _settle(
        self,
        database: Database,
        principal: str,
        key: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        try:
            if status < 500:
                await anyio.to_thread.run_sync(
                    self._complete, database, principal, key, status, headers, body
                )
                return
        except Exception:
            # The effect happened and the client still gets its answer; only the replay
            # is lost. Free the key so a retry is not stuck behind an in-progress row.
            log.exception("could not store the answer for an idempotency key")
        try:
            await anyio.to_thread.run_sync(self._forget, database, principal, key)
        except Exception:
            log.exception("could not free an idempotency key (freed after the in-flight timeout)")

    # -- database work, in worker threads --------------------------------------------------

    def _claim(
        self, database: Database, principal: str, key: str, scope: Scope, fingerprint: str
    ) -> _Answer | None:
        """Insert the in-progress row (None: go ahead), or say how to answer a repeat."""
        now = db.utcnow()
        this = (_t.c.principal == principal) & (_t.c.key == key)
        with database.unit_of_work() as uow:
            conn = uow.conn
            conn.execute(_t.delete().where(_t.c.created_at < now - self.ttl))
            row = conn.execute(sa.select(_t).where(this).with_for_update()).first()
            if (
                row is not None
                and row.completed_at is None
                and (
                    db.as_utc(row.created_at) < now - self.in_flight_timeout
                    or self._owner_gone(conn, row.owner)
                )
            ):
                log.warning("idempotency key of %s abandoned in flight; running again", principal)
                conn.execute(_t.delete().where(this))
                row = None
            if row is None:
                try:
                    conn.execute(
                        _t.insert().values(
                            principal=principal,
                            key=key,
                            method=scope["method"],
                            path=scope["path"][:500],
                            request_hash=fingerprint,
                            created_at=now,
                            owner=self.owner,
                        )
                    )
                    uow.commit()
                    return None
                except sa.exc.IntegrityError:
                    pass  # an identical request claimed it a moment ago
                return _problem(
                    scope,
                    409,
                    "idempotency-key-in-flight",
                    "Request still in progress",
                    "the first request with this key is still running; retry later",
                )
            uow.commit()  # keeps the pruning
        if row.request_hash != fingerprint:
            return _problem(
                scope,
                422,
                "idempotency-key-reused",
                "Idempotency-Key reused",
                "this key was used for a different request; make a new key",
            )
        if row.completed_at is None:
            return _problem(
                scope,
                409,
                "idempotency-key-in-flight",
                "Request still in progress",
                "the first request with this key is still running; retry later",
            )
        extra = [(REPLAYED_HEADER, b"true")]
        if row.location:
            extra.append((b"location", row.location.encode("latin-1")))
        return _Answer(
            row.status_code, bytes(row.body or b""), row.content_type or "application/json", extra
        )

    def _owner_gone(self, conn: sa.Connection, owner: str | None) -> bool:
        """True when the gateway process that ran the key is gone: the lease it holds while
        it lives (`process_lease`) is free. Only between replicas on PostgreSQL."""
        if not owner or owner == self.owner or conn.dialect.name != "postgresql":
            return False
        return bool(
            conn.execute(
                sa.text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"),
                {"k": f"lease:{PROCESS_LEASE_PREFIX}{owner}"},
            ).scalar_one()
        )

    @staticmethod
    def _forget(database: Database, principal: str, key: str) -> None:
        with database.unit_of_work() as uow:
            uow.conn.execute(_t.delete().where(_t.c.principal == principal, _t.c.key == key))
            uow.commit()

    @staticmethod
    def _complete(
        database: Database,
        principal: str,
        key: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        found: dict[bytes, Any] = {}
        for name, value in headers:
            found.setdefault(name.lower(), value)
        content_type = found.get(b"content-type", b"").decode("latin-1")[:200] or None
        location = found.get(b"location", b"").decode("latin-1")
        with database.unit_of_work() as uow:
            uow.conn.execute(
                _t.update()
                .where(_t.c.principal == principal, _t.c.key == key)
                .values(
                    status_code=status,
                    content_type=content_type,
                    location=location if 0 < len(location) <= 500 else None,
                    body=body,
                    completed_at=db.utcnow(),
                )
            )
            uow.commit()


class ProcessLease:
    """While a gateway process lives it holds the lease `gateway-process:<owner>` (chassis
    lease: a PostgreSQL advisory lock on its own session, touched every 2 s). Another replica
    finding the lease free knows the process died, and runs a retry of its unfinished key."""

    def __init__(self, database: Database, owner: str) -> None:
        import threading

        from services.chassis.lease import Lease

        self.owner = owner
        self._lease = Lease(database.engine, f"{PROCESS_LEASE_PREFIX}{owner}")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep, name="process-lease", daemon=True)

    def start(self) -> None:
        self._lease.held()
        self._thread.start()

    def _keep(self) -> None:
        while not self._stop.wait(2.0):
            try:
                self._lease.held()
            except Exception:  # the database is away; taken again when it is back
                log.warning("gateway process lease not renewed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._lease.release()
