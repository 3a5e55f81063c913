"""Rate limits for the routes anyone can hit: failed logins and the public search.

`SlidingWindow` keeps its events in the gateway process (the embedded default: one gateway
on SQLite). `SharedWindow` keeps them in the gateway's database, so several gateway replicas
on PostgreSQL share one limit; the app picks it when the database is PostgreSQL.
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
        self._lock = threading.Lock()

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

    def hit(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._events) >= self._max_keys:
                self._events.clear()  # a flood of keys must not exhaust memory
            self._recent(key, now).append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


class SharedWindow:
    """The same window kept in the gateway's database, so every gateway replica counts the
    same events (PostgreSQL in production; one row per event, pruned as they age out).

    Check and hit are two statements: replicas racing at the limit may let one or two more
    through, which a rate limit can afford. Calls are synchronous: run them off the loop."""

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

    def retry_after(self, key: str, now: float | None = None, limit: int | None = None) -> int:
        import sqlalchemy as sa

        from gateway.db import rate_limit_hits as t

        now = time.time() if now is None else now
        limit = self.limit if limit is None else limit
        with self._db.read() as conn:
            recent = [
                r.at
                for r in conn.execute(
                    sa.select(t.c.at)
                    .where(t.c.bucket == self.bucket, t.c.key == key[:200])
                    .where(t.c.at > now - self.window_s)
                    .order_by(t.c.at.desc())
                    .limit(limit)
                )
            ]
        if len(recent) < limit:
            return 0
        return max(1, int(recent[-1] + self.window_s - now) + 1)

    def hit(self, key: str, now: float | None = None) -> None:
        from gateway.db import rate_limit_hits as t

        now = time.time() if now is None else now
        with self._lock:
            self._hits += 1
            prune = self._hits % self._prune_every == 0
        with self._db.unit_of_work() as uow:
            uow.conn.execute(t.insert().values(bucket=self.bucket, key=key[:200], at=now))
            if prune:
                uow.conn.execute(
                    t.delete().where(t.c.bucket == self.bucket, t.c.at <= now - self.window_s)
                )
            uow.commit()

    def clear(self, key: str) -> None:
        from gateway.db import rate_limit_hits as t

        with self._db.unit_of_work() as uow:
            uow.conn.execute(t.delete().where(t.c.bucket == self.bucket, t.c.key == key[:200]))
            uow.commit()
