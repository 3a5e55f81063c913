r"""Device request verification in the gateway (the protocol itself: `devices.protocol`).

In the gateway, a route takes the device with `Depends(device_principal(get_db))`, or
calls `verify_device_request(request, database)`.

A request that is missing a header, outside the window, from an unknown or revoked device,
with a wrong signature or with a nonce already seen is refused with 401 problem+json whose
`type` ends in missing-signature-headers, stale-timestamp, unknown-device, revoked-device,
bad-signature or replayed-nonce; nothing is stored. Nonces are remembered in the gateway
database (`device_nonces`) for as long as a replay could still pass the time check.

Secrets are stored *recoverably* in the gateway database (`device_credentials.secret`):
checking an HMAC needs the secret itself, so it cannot be hashed like a password. Protect the
gateway database accordingly. On rotation the previous secret stays valid for a grace period
so devices in the field can pick up the new one; revoking refuses the device at once.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, Request

from devices.protocol import (  # noqa: F401  (re-exported for the gateway's callers)
    _DEVICE_ID,
    _NONCE,
    _SIGNATURE,
    _TIMESTAMP,
    DEFAULT_GRACE_S,
    DEFAULT_WINDOW_S,
    HEADERS,
    canonical,
    request_target,
    sign,
    signed_headers,
)
from gateway import db
from gateway.problems import ProblemError
from services.chassis.db import Database


def _refuse(slug: str, detail: str) -> ProblemError:
    return ProblemError(
        status=401,
        type=slug,
        title="Device request refused",
        detail=detail,
        headers={"WWW-Authenticate": 'HMAC-SHA256 realm="devices"'},
    )


@dataclass(frozen=True)
class DevicePrincipal:
    """A device whose request signature checked out."""

    device_id: str
    kind: str
    owner_id: str  # the venue (gas devices) or weigh station the device belongs to
    # The agency whose admin issued the credentials; the gas and overload services check it
    # against the agency that owns the device's venue or the station on every request.
    agency_id: str = ""

    @property
    def venue_or_station_id(self) -> str:
        return self.owner_id


class DeviceCredentials:
    """Device secrets in the gateway database: provision, rotate, revoke, verify."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def provision(
        self, device_id: str, kind: str, owner_id: str, agency_id: str | None = None
    ) -> str:
        """Register a device; returns its new secret (shown once, to install on the device).

        Raises ValueError for a malformed id and sqlalchemy IntegrityError for a known one.
        """
        if not _DEVICE_ID.match(device_id):
            raise ValueError("device id must be 1-64 of [A-Za-z0-9._:-]")
        secret = secrets.token_urlsafe(32)
        with self._db.unit_of_work() as uow:
            uow.conn.execute(
                db.device_credentials.insert().values(
                    device_id=device_id,
                    kind=kind,
                    owner_id=owner_id,
                    agency_id=agency_id,
                    secret=secret,
                    status="active",
                    created_at=db.utcnow(),
                )
            )
            uow.commit()
        return secret

    def reissue(self, device_id: str, kind: str, owner_id: str, agency_id: str) -> str:
        """Give a known id to a new holder (its owner taking it back): a new secret, the old
        one and any grace period dropped at once. Raises KeyError when the id is unknown."""
        secret = secrets.token_urlsafe(32)
        with self._db.unit_of_work() as uow:
            result = uow.conn.execute(
                db.device_credentials.update()
                .where(db.device_credentials.c.device_id == device_id)
                .values(
                    kind=kind,
                    owner_id=owner_id,
                    agency_id=agency_id,
                    secret=secret,
                    status="active",
                    created_at=db.utcnow(),
                    previous_secret=None,
                    previous_valid_until=None,
                    rotated_at=None,
                    revoked_at=None,
                )
            )
            if result.rowcount == 0:
                raise KeyError(device_id)
            uow.commit()
        return secret

    def rotate(self, device_id: str, grace_s: int = DEFAULT_GRACE_S) -> str:
        """Issue a new secret; the current one keeps working for `grace_s` seconds.

        Raises KeyError when the device is unknown or revoked.
        """
        secret = secrets.token_urlsafe(32)
        now = db.utcnow()
        with self._db.unit_of_work() as uow:
            row = self._row(uow.conn, device_id)
            if row is None or row.status != "active":
                raise KeyError(device_id)
            uow.conn.execute(
                db.device_credentials.update()
                .where(db.device_credentials.c.device_id == device_id)
                .values(
                    secret=secret,
                    previous_secret=row.secret,
                    previous_valid_until=now + timedelta(seconds=grace_s),
                    rotated_at=now,
                )
            )
            uow.commit()
        return secret

    def revoke(self, device_id: str) -> None:
        """Refuse the device from now on (its secrets are dropped). KeyError if unknown."""
        with self._db.unit_of_work() as uow:
            result = uow.conn.execute(
                db.device_credentials.update()
                .where(db.device_credentials.c.device_id == device_id)
                .values(
                    status="revoked",
                    revoked_at=db.utcnow(),
                    previous_secret=None,
                    previous_valid_until=None,
                )
            )
            if result.rowcount == 0:
                raise KeyError(device_id)
            uow.commit()

    def get(self, device_id: str) -> Any:
        """The `device_credentials` row (device_id, kind, owner_id, status, ...) or None."""
        with self._db.read() as conn:
            return self._row(conn, device_id)

    def of_agency(self, agency_id: str, limit: int = 5000) -> list[Any]:
        """The agency's credential rows (never shown with their secrets), by owner and id."""
        with self._db.read() as conn:
            return list(
                conn.execute(
                    sa.select(db.device_credentials)
                    .where(db.device_credentials.c.agency_id == agency_id)
                    .order_by(db.device_credentials.c.owner_id, db.device_credentials.c.device_id)
                    .limit(limit)
                )
            )

    @staticmethod
    def _row(conn: sa.Connection, device_id: str) -> Any:
        return conn.execute(
            sa.select(db.device_credentials).where(db.device_credentials.c.device_id == device_id)
        ).first()

    def verify(
        self,
        *,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
        window_s: int = DEFAULT_WINDOW_S,
        now: float | None = None,
    ) -> DevicePrincipal:
        """Check one signed request (`headers` with lower-case names); remembers its nonce
        so it cannot be replayed. Raises ProblemError(401) when refused."""
        current = now if now is not None else time.time()
        device_id, nonce = self._headers_ok(headers, current, window_s)
        device = self._signature_ok(self.get(device_id), method, path, headers, body, current)
        self._remember_nonce(device_id, nonce, current, window_s)
        return device

    def verify_many(
        self,
        requests: list[tuple[str, str, dict[str, str], bytes]],
        *,
        window_s: int = DEFAULT_WINDOW_S,
        now: float | None = None,
    ) -> list[DevicePrincipal | ProblemError]:
        """`verify` for many (method, path, headers, body) at once, each answered as `verify`
        alone would answer it after the ones before it: the same checks and the same nonce
        rows (a nonce seen before, or twice among them, is refused), written in one
        transaction instead of one each."""
        current = now if now is not None else time.time()
        out: list[DevicePrincipal | ProblemError] = []
        heads: list[tuple[str, str] | None] = []
        for _method, _path, headers, _body in requests:
            try:
                heads.append(self._headers_ok(headers, current, window_s))
            except ProblemError as exc:
                heads.append(None)
                out.append(exc)
            else:
                out.append(None)  # type: ignore[arg-type]
        ids = sorted({h[0] for h in heads if h is not None})
        with self._db.read() as conn:
            rows = {
                r.device_id: r
                for r in conn.execute(
                    sa.select(db.device_credentials).where(
                        db.device_credentials.c.device_id.in_(ids)
                    )
                )
            }
        fresh: list[int] = []
        for i, (method, path, headers, body) in enumerate(requests):
            if heads[i] is None:
                continue
            try:
                out[i] = self._signature_ok(
                    rows.get(heads[i][0]), method, path, headers, body, current
                )
                fresh.append(i)
            except ProblemError as exc:
                out[i] = exc
        replayed = self._remember_nonces([heads[i] for i in fresh], current, window_s)
        for i, again in zip(fresh, replayed, strict=True):
            if again:
                out[i] = _refuse("replayed-nonce", "this nonce was already used")
        return out

    @staticmethod
    def _headers_ok(headers: dict[str, str], current: float, window_s: int) -> tuple[str, str]:
        device_id = headers.get("x-device-id", "")
        ts = headers.get("x-timestamp", "")
        nonce = headers.get("x-nonce", "")
        signature = headers.get("x-signature", "")
        if not (device_id and ts and nonce and signature):
            raise _refuse(
                "missing-signature-headers",
                "send X-Device-Id, X-Timestamp, X-Nonce and X-Signature",
            )
        if not (
            _DEVICE_ID.match(device_id)
            and _NONCE.match(nonce)
            and _TIMESTAMP.match(ts)
            and _SIGNATURE.match(signature)
        ):
            raise _refuse(
                "missing-signature-headers",
                "malformed signature headers: X-Timestamp is Unix seconds, X-Nonce "
                "16-64 of [A-Za-z0-9_-], X-Signature 64 hex digits",
            )
        if abs(current - int(ts)) > window_s:
            raise _refuse(
                "stale-timestamp",
                f"X-Timestamp is more than {window_s} s from the server clock "
                f"(server time {int(current)})",
            )
        return device_id, nonce

    @staticmethod
    def _signature_ok(
        row: Any, method: str, path: str, headers: dict[str, str], body: bytes, current: float
    ) -> DevicePrincipal:
        if row is None:
            raise _refuse("unknown-device", "unknown device")
        if row.status != "active":
            raise _refuse("revoked-device", "this device's credentials were revoked")
        candidates = [row.secret]
        grace_until = db.as_utc(row.previous_valid_until)
        if row.previous_secret and grace_until and grace_until.timestamp() > current:
            candidates.append(row.previous_secret)
        given = headers["x-signature"].lower()
        ts, nonce = headers["x-timestamp"], headers["x-nonce"]
        matched = False
        for secret in candidates:  # check all, so timing does not tell which one matched
            matched |= hmac.compare_digest(sign(secret, method, path, ts, nonce, body), given)
        if not matched:
            raise _refuse("bad-signature", "the signature does not match the request")
        return DevicePrincipal(
            device_id=row.device_id,
            kind=row.kind,
            owner_id=row.owner_id,
            agency_id=row.agency_id or "",
        )

    def _remember_nonce(self, device_id: str, nonce: str, now: float, window_s: int) -> None:
        # A nonce first seen at S came with a timestamp in [S - w, S + w], so a replay passes
        # the time check until at most S + 2w: keep it that long, prune what is older.
        seen_at = datetime.fromtimestamp(now, UTC)
        try:
            with self._db.unit_of_work() as uow:
                uow.conn.execute(
                    db.device_nonces.delete().where(
                        db.device_nonces.c.seen_at < seen_at - timedelta(seconds=2 * window_s)
                    )
                )
                uow.conn.execute(
                    db.device_nonces.insert().values(
                        device_id=device_id, nonce=nonce, seen_at=seen_at
                    )
                )
                uow.commit()
        except sa.exc.IntegrityError as exc:
            raise _refuse("replayed-nonce", "this nonce was already used") from exc

    def _remember_nonces(
        self, pairs: list[tuple[str, str]], now: float, window_s: int
    ) -> list[bool]:
        """The nonces of many requests in one transaction; True for each one already seen
        (before, or earlier among them). The primary key stays the judge: should another
        writer insert one of them meanwhile, each is written on its own instead."""
        if not pairs:
            return []
        seen_at = datetime.fromtimestamp(now, UTC)
        c = db.device_nonces.c
        try:
            with self._db.unit_of_work() as uow:
                uow.conn.execute(
                    db.device_nonces.delete().where(
                        c.seen_at < seen_at - timedelta(seconds=2 * window_s)
                    )
                )
                known = {
                    (device_id, nonce)
                    for device_id, nonce in uow.conn.execute(
                        sa.select(c.device_id, c.nonce).where(
                            c.device_id.in_(sorted({d for d, _ in pairs})),
                            c.nonce.in_(sorted({n for _, n in pairs})),
                        )
                    )
                }
                replayed = []
                for pair in pairs:
                    replayed.append(pair in known)
                    known.add(pair)
                new = [p for p, again in zip(pairs, replayed, strict=True) if not again]
                if new:
                    uow.conn.execute(
                        db.device_nonces.insert(),
                        [{"device_id": d, "nonce": n, "seen_at": seen_at} for d, n in new],
                    )
                uow.commit()
            return replayed
        except sa.exc.IntegrityError:
            out = []
            for device_id, nonce in pairs:
                try:
                    self._remember_nonce(device_id, nonce, now, window_s)
                    out.append(False)
                except ProblemError:
                    out.append(True)
            return out


async def verify_device_request(
    request: Request, db: Database | DeviceCredentials, window_s: int = DEFAULT_WINDOW_S
) -> DevicePrincipal:
    """Verify a signed device request (reads the raw body; the route can read it again).

    The database work runs in a worker thread so the event loop is not blocked.
    """
    credentials = db if isinstance(db, DeviceCredentials) else DeviceCredentials(db)
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    # The query string as it came on the wire (ASCII; latin-1 keeps any stray byte as is).
    query = request.scope.get("query_string", b"").decode("latin-1")
    device = await asyncio.to_thread(
        credentials.verify,
        method=request.method,
        path=request_target(request.url.path, query),
        headers=headers,
        body=body,
        window_s=window_s,
    )
    request.scope.setdefault("state", {})["device_id"] = device.device_id  # the access log's
    return device


def device_principal(
    get_db: Callable[..., Database | DeviceCredentials], *, window_s: int = DEFAULT_WINDOW_S
) -> Callable[..., Any]:
    """A FastAPI dependency for signed device routes: `Depends(device_principal(get_db))`.

    `get_db` is itself a dependency (it may take the request or other dependencies) that
    gives the gateway `Database`. Answers 401 problem+json when the signature is refused.
    """

    async def signed_device(
        request: Request, database: Database | DeviceCredentials = Depends(get_db)
    ) -> DevicePrincipal:
        return await verify_device_request(request, database, window_s=window_s)

    return signed_device
