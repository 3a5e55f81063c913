"""Rate limits for the routes anyone can hit: failed logins and the public search.

`SlidingWindow` keeps its events in the gateway process (the embedded default: one gateway
on SQLite). `SharedWindow` keeps them in the gateway's database, so several gateway replicas
on PostgreSQL share one limit; the app picks it when the database is PostgreSQL.

`take(key)` checks and counts in one step (the public routes, exports); `retry_after` then
`hit` is for limits counted only on an outcome (failed logins).
"""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindow:
    """At most `limit` events per `window_s` seconds for each key."""

    def __init__(self, limit: int, window_s: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self._max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.RLock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window_s:
            events.popleft()
        return events

    def retry_after(self, key: str, now: float | None = None, limit: int | None = None) -> int:
        """0 when `key` may go on; otherwise the seconds until it may. `limit` overrides the
        window's for this key (one window, keys of different weight)."""
        now = time.monotonic() if now is None else now
        limit = self.limit if limit is None else limit
        with self._lock:
            events = self._recent(key, now)
            if len(events) < limit:
                return 0
            # The oldest of the last `limit` events must age out of the window.
            return max(1, int(events[-limit] + self.window_s - now) + 1)

    def take(self, key: str, now: float | None = None) -> int:
        """Count one event for `key` if the window has room (0); else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            wait = self.retry_after(key, now)
            if not wait:
                self.hit(key, now)
            return wait

    def hit(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._events) >= self._max_keys:
                self._events.clear()  # a flood of keys must not exhaust memory
            self._recent(key, now).append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


# One row per (bucket, key) holding the times of its recent events (PostgreSQL only). The
# row is the lock: ON CONFLICT DO UPDATE takes it and sees its newest version, so concurrent
# takes on any replica are counted one after another, never both into the last place.
_TAKE = """
INSERT INTO rate_limit_windows AS w (bucket, key, hits)
VALUES (:bucket, :key, ARRAY[CAST(:now AS double precision)])
ON CONFLICT (bucket, key) DO UPDATE
SET hits = ARRAY(SELECT h FROM unnest(w.hits) AS h WHERE h > :since ORDER BY h)
    || CAST(:now AS double precision)
WHERE (SELECT count(*) FROM unnest(w.hits) AS h WHERE h > :since) < :limit
RETURNING cardinality(w.hits)
"""
_HIT = """
INSERT INTO rate_limit_windows AS w (bucket, key, hits)
VALUES (:bucket, :key, ARRAY[CAST(:now AS double precision)])
ON CONFLICT (bucket, key) DO UPDATE
SET hits = ARRAY(
    SELECT h FROM (
        SELECT h FROM unnest(w.hits) AS h WHERE h > :since ORDER BY h DESC LIMIT :keep
    ) AS kept ORDER BY h
) || CAST(:now AS double precision)
"""
_RECENT = """
SELECT h FROM rate_limit_windows AS w, unnest(w.hits) AS h
WHERE w.bucket = :bucket AND w.key = :key AND h > :since
ORDER BY h DESC LIMIT :limit
"""
_PRUNE = """
DELETE FROM rate_limit_windows AS w
WHERE w.bucket = :bucket AND NOT EXISTS (SELECT 1 FROM unnest(w.hits) AS h WHERE h > :since)
"""
MAX_KEPT = 10_000  # events kept per key by `hit`, which counts without a check


class SharedWindow:
    """The same window kept in the gateway's database (PostgreSQL), so every gateway replica
    counts the same events: one row per key with its recent event times.

    `take` checks and counts in one statement, so replicas racing at the limit let none
    through beyond it. Calls are synchronous: run them off the loop."""

    def __init__(
        self, database, bucket: str, limit: int, window_s: float, prune_every: int = 500
    ) -> None:
        self._db = database
        self.bucket = bucket
        self.limit = limit
        self.window_s = window_s
        self._prune_every = prune_every
        self._hits = 0
        self._lock = threading.Lock()

    def _args(self, key: str, now: float, **more) -> dict:
        return {"bucket": self.bucket, "key": key[:200], "now": now,
                "since": now - self.window_s, **more}  # fmt: skip

    def retry_after(self, key: str, now: float | None = None, limit: int | None = None) -> int:
        import sqlalchemy as sa

        now = time.time() if now is None else now
        limit = self.limit if limit is None else limit
        with self._db.read() as conn:
            recent = conn.execute(sa.text(_RECENT), self._args(key, now, limit=limit)).scalars()
            recent = list(recent)
        if len(recent) < limit:
            return 0
        # The oldest of the last `limit` events must age out of the window.
        return max(1, int(recent[-1] + self.window_s - now) + 1)

    def take(self, key: str, now: float | None = None) -> int:
        """Count one event for `key` if the window has room (0); else the seconds to wait."""
        import sqlalchemy as sa

        now = time.time() if now is None else now
        with self._db.unit_of_work() as uow:
            counted = uow.conn.execute(
                sa.text(_TAKE), self._args(key, now, limit=self.limit)
            ).first()
            self._prune_now(uow.conn, now)
            uow.commit()
        if counted is not None:
            return 0
        return self.retry_after(key, now) or 1  # refused: at least a second

    def hit(self, key: str, now: float | None = None) -> None:
        import sqlalchemy as sa

        now = time.time() if now is None else now
        with self._db.unit_of_work() as uow:
            uow.conn.execute(sa.text(_HIT), self._args(key, now, keep=MAX_KEPT))
            self._prune_now(uow.conn, now)
            uow.commit()

    def _prune_now(self, conn, now: float) -> None:
        import sqlalchemy as sa

        with self._lock:
            self._hits += 1
            prune = self._hits % self._prune_every == 0
        if prune:  # keys whose events all aged out
            conn.execute(sa.text(_PRUNE), {"bucket": self.bucket, "since": now - self.window_s})

    def clear(self, key: str) -> None:
        from gateway.db import rate_limit_windows as t

        with self._db.unit_of_work() as uow:
            uow.conn.execute(t.delete().where(t.c.bucket == self.bucket, t.c.key == key[:200]))
            uow.commit()
