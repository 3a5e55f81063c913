"""Device request signing: HMAC-SHA256 over the request, with a time window and nonces.

Gas alarms, shut-off valves and weigh stations sign every request. Firmware sends:

    X-Device-Id:  the device id the platform issued
    X-Timestamp:  Unix time in seconds (the device clock; at most 300 s off)
    X-Nonce:      16-64 characters of [A-Za-z0-9_-], never reused within the window
    X-Signature:  lower-case hex HMAC-SHA256(secret, canonical)

    canonical = METHOD + "\\n" + PATH + "\\n" + X-Timestamp + "\\n" + X-Nonce + "\\n"
                + lower-case hex SHA-256 of the raw body (of b"" when there is none)

METHOD is upper-case, PATH the request path without query string (e.g.
`/v1/devices/events`). A request outside the window, with a nonce seen before, or with a
wrong signature is refused with 401 and nothing is stored. Secrets are kept recoverable in
the gateway database, because checking an HMAC needs the secret itself; a rotated secret
stays valid for a grace period so devices in the field can pick up the new one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from fastapi import Request

from gateway import db
from gateway.problems import ProblemError
from services.chassis.db import Database

DEFAULT_WINDOW_S = 300
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_DEVICE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join([method.upper(), path, timestamp, nonce,
                      hashlib.sha256(body).hexdigest()]).encode()


def sign(secret: str, method: str, path: str, timestamp: str | int, nonce: str,
         body: bytes) -> str:
    return hmac.new(secret.encode(), canonical(method, path, str(timestamp), nonce, body),
                    hashlib.sha256).hexdigest()


def signed_headers(device_id: str, secret: str, method: str, path: str, body: bytes,
                   now: float | None = None) -> dict[str, str]:
    """The four headers a device sends (for simulators, tests and the load test)."""
    ts = str(int(now if now is not None else time.time()))
    nonce = secrets.token_urlsafe(18)
    return {"X-Device-Id": device_id, "X-Timestamp": ts, "X-Nonce": nonce,
            "X-Signature": sign(secret, method, path, ts, nonce, body)}


def _refuse(slug: str, detail: str) -> ProblemError:
    return ProblemError(status=401, type=slug, title="Device request refused", detail=detail)


@dataclass(frozen=True)
class DevicePrincipal:
    device_id: str
    kind: str
    owner_id: str


class DeviceCredentials:
    def __init__(self, database: Database) -> None:
        self._db = database

    def provision(self, device_id: str, kind: str, owner_id: str) -> str:
        if not _DEVICE_ID.match(device_id):
            raise ValueError("device id must be 1-64 of [A-Za-z0-9._:-]")
        secret = secrets.token_urlsafe(32)
        with self._db.unit_of_work() as uow:
            uow.conn.execute(db.device_credentials.insert().values(
                device_id=device_id, kind=kind, owner_id=owner_id, secret=secret,
                status="active", created_at=db.utcnow()))
            uow.commit()
        return secret

    def rotate(self, device_id: str, grace_s: int = 86400) -> str:
        secret = secrets.token_urlsafe(32)
        now = db.utcnow()
        with self._db.unit_of_work() as uow:
            row = self._row(uow.conn, device_id)
            if row is None or row.status != "active":
                raise KeyError(device_id)
            uow.conn.execute(db.device_credentials.update()
                             .where(db.device_credentials.c.device_id == device_id)
                             .values(secret=secret, previous_secret=row.secret,
                                     previous_valid_until=now + timedelta(seconds=grace_s),
                                     rotated_at=now))
            uow.commit()
        return secret

    def revoke(self, device_id: str) -> None:
        with self._db.unit_of_work() as uow:
            uow.conn.execute(db.device_credentials.update()
                             .where(db.device_credentials.c.device_id == device_id)
                             .values(status="revoked", revoked_at=db.utcnow()))
            uow.commit()

    def get(self, device_id: str):
        with self._db.read() as conn:
            return self._row(conn, device_id)

    @staticmethod
    def _row(conn: sa.Connection, device_id: str):
        return conn.execute(sa.select(db.device_credentials).where(
            db.device_credentials.c.device_id == device_id)).first()

    def verify(self, *, method: str, path: str, headers: dict[str, str], body: bytes,
               window_s: int = DEFAULT_WINDOW_S, now: float | None = None) -> DevicePrincipal:
        """Check one signed request; remembers its nonce so it cannot be replayed."""
        device_id = headers.get("x-device-id", "")
        ts = headers.get("x-timestamp", "")
        nonce = headers.get("x-nonce", "")
        signature = headers.get("x-signature", "")
        if not (device_id and ts and nonce and signature):
            raise _refuse("missing-signature-headers",
                          "send X-Device-Id, X-Timestamp, X-Nonce and X-Signature")
        if not _DEVICE_ID.match(device_id) or not _NONCE.match(nonce) or not ts.isdigit():
            raise _refuse("missing-signature-headers", "malformed signature headers")
        current = now if now is not None else time.time()
        if abs(current - int(ts)) > window_s:
            raise _refuse("stale-timestamp",
                          f"X-Timestamp is more than {window_s} s from the server clock")
        row = self.get(device_id)
        if row is None:
            raise _refuse("unknown-device", "unknown device")
        if row.status != "active":
            raise _refuse("revoked-device", "this device's credentials were revoked")
        candidates = [row.secret]
        grace_until = db.as_utc(row.previous_valid_until)
        if row.previous_secret and grace_until and grace_until.timestamp() > current:
            candidates.append(row.previous_secret)
        if not any(hmac.compare_digest(sign(s, method, path, ts, nonce, body), signature.lower())
                   for s in candidates):
            raise _refuse("bad-signature", "the signature does not match the request")
        self._remember_nonce(device_id, nonce, current, window_s)
        return DevicePrincipal(device_id=device_id, kind=row.kind, owner_id=row.owner_id)

    def _remember_nonce(self, device_id: str, nonce: str, now: float, window_s: int) -> None:
        seen_at = datetime.fromtimestamp(now, UTC)
        try:
            with self._db.unit_of_work() as uow:
                uow.conn.execute(db.device_nonces.delete().where(
                    db.device_nonces.c.seen_at < seen_at - timedelta(seconds=2 * window_s)))
                uow.conn.execute(db.device_nonces.insert().values(
                    device_id=device_id, nonce=nonce, seen_at=seen_at))
                uow.commit()
        except sa.exc.IntegrityError as exc:
            raise _refuse("replayed-nonce", "this nonce was already used") from exc


async def verify_device_request(request: Request, credentials: DeviceCredentials,
                                window_s: int = DEFAULT_WINDOW_S) -> DevicePrincipal:
    import asyncio  # noqa: PLC0415

    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    return await asyncio.to_thread(credentials.verify, method=request.method,
                                   path=request.url.path, headers=headers, body=body,
                                   window_s=window_s)
