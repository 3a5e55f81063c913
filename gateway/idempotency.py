"""`Idempotency-Key` on writes: a phone that retries gets the first answer, not a second
effect.

The key is scoped to the caller (the verified JWT subject). The first request stores its
response; a repeat with the same method, path and body replays it; the same key with another
request is refused with 422; a repeat while the first is still running gets 409. A 5xx is not
kept, so the client may try again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import db
from gateway.problems import MEDIA_TYPE, PROBLEM_BASE
from services.chassis.db import Database

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
HEADER = b"idempotency-key"


def _problem(status: int, slug: str, title: str, detail: str) -> tuple[int, bytes]:
    return status, json.dumps({"type": PROBLEM_BASE + slug, "title": title, "status": status,
                               "detail": detail}).encode()


async def _send_raw(send: Send, status: int, body: bytes, content_type: str,
                    extra: list[tuple[bytes, bytes]] = ()) -> None:
    headers = [(b"content-type", content_type.encode()),
               (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, database_getter: Callable[[], Database],
                 principal_resolver: Callable[[dict[bytes, bytes]], str | None],
                 max_body: int = 1024 * 1024, ttl_s: int = 86400) -> None:
        self.app = app
        self.database_getter = database_getter
        self.principal_resolver = principal_resolver
        self.max_body = max_body
        self.ttl = timedelta(seconds=ttl_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        principal = self.principal_resolver(headers)
        if principal is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not (1 <= len(key) <= 200) or not key.isascii() or not key.isprintable():
            status, body = _problem(400, "bad-idempotency-key", "Bad Idempotency-Key",
                                    "use 1-200 printable ASCII characters")
            await _send_raw(send, status, body, MEDIA_TYPE)
            return

        # Read the whole body (bounded) so it can be hashed, then hand it on unchanged.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                status, body = _problem(413, "body-too-large", "Request body too large",
                                        f"at most {self.max_body} bytes")
                await _send_raw(send, status, body, MEDIA_TYPE)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        request_body = b"".join(chunks)
        fingerprint = hashlib.sha256(
            scope["method"].encode() + b"\n" + scope["path"].encode() + b"\n" + request_body
        ).hexdigest()

        database = self.database_getter()
        claim = await asyncio.to_thread(self._claim, database, principal, key, scope,
                                        fingerprint)
        if claim is not None:
            await claim(send)
            return

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": request_body, "more_body": False}
            return await receive()

        captured: dict = {"status": 500, "headers": [], "body": []}

        async def capture_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture_send)
        except BaseException:
            await asyncio.to_thread(self._forget, database, principal, key)
            raise
        if captured["status"] >= 500:
            await asyncio.to_thread(self._forget, database, principal, key)
        else:
            await asyncio.to_thread(self._complete, database, principal, key, captured)

    def _claim(self, database: Database, principal: str, key: str, scope: Scope,
               fingerprint: str):
        """Insert the in-progress row; or return how to answer a repeat."""
        t = db.idempotency_keys
        now = db.utcnow()
        with database.unit_of_work() as uow:
            row = uow.conn.execute(sa.select(t).where(t.c.principal == principal,
                                                      t.c.key == key)).first()
            if row is not None and db.as_utc(row.created_at) < now - self.ttl:
                uow.conn.execute(t.delete().where(t.c.principal == principal, t.c.key == key))
                row = None
            if row is None:
                try:
                    uow.conn.execute(t.insert().values(
                        principal=principal, key=key, method=scope["method"],
                        path=scope["path"][:500], request_hash=fingerprint, created_at=now))
                    uow.commit()
                    return None
                except sa.exc.IntegrityError:
                    row = None
        if row is None:  # lost a race with an identical request
            return self._answer(*_problem(409, "idempotency-key-in-flight",
                                          "Request still in progress",
                                          "the first request with this key is still running"))
        if row.request_hash != fingerprint:
            return self._answer(*_problem(
                422, "idempotency-key-reused", "Idempotency-Key reused",
                "this key was used for a different request; make a new key"))
        if row.completed_at is None:
            return self._answer(*_problem(409, "idempotency-key-in-flight",
                                          "Request still in progress",
                                          "the first request with this key is still running"))
        extra = [(b"idempotent-replayed", b"true")]
        if row.location:
            extra.append((b"location", row.location.encode()))
        return lambda send: _send_raw(send, row.status_code, bytes(row.body or b""),
                                      row.content_type or "application/json", extra)

    @staticmethod
    def _answer(status: int, body: bytes):
        return lambda send: _send_raw(send, status, body, MEDIA_TYPE)

    @staticmethod
    def _forget(database: Database, principal: str, key: str) -> None:
        t = db.idempotency_keys
        with database.unit_of_work() as uow:
            uow.conn.execute(t.delete().where(t.c.principal == principal, t.c.key == key))
            uow.commit()

    def _complete(self, database: Database, principal: str, key: str, captured: dict) -> None:
        headers = {k.lower(): v for k, v in captured["headers"]}
        t = db.idempotency_keys
        with database.unit_of_work() as uow:
            uow.conn.execute(t.update().where(t.c.principal == principal, t.c.key == key).values(
                status_code=captured["status"],
                content_type=headers.get(b"content-type", b"").decode("latin-1") or None,
                location=headers.get(b"location", b"").decode("latin-1") or None,
                body=b"".join(captured["body"]), completed_at=db.utcnow()))
            uow.commit()
