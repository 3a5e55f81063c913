"""Rate limits for the routes anyone can hit: failed logins and the public search.

Sliding windows kept in the gateway process. Several gateway replicas each keep their own,
so the effective limit is the per-process limit times the replicas; a shared store (e.g.
Redis) would be the next step when the gateway scales out.
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
