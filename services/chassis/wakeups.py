"""Wake-ups across replicas: a write on one replica wakes the waiters held by every replica.

On PostgreSQL `announce` sends `NOTIFY channel, payload`; each process keeps one connection
that LISTENs and hands what arrives to the callbacks subscribed on that channel (its own
announcements included). After the listening session was lost and taken again, every callback
is called with `None`: something may have been missed, so waiters look again.

On SQLite (one process per file) `announce` calls the local callbacks directly.

A wake-up is a hint, never the data: a waiter always reads the database after it, and looks
again on a timer anyway, so a lost notification costs latency, not correctness.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

import sqlalchemy as sa

log = logging.getLogger(__name__)

Callback = Callable[[list[str] | None], None]

MAX_PAYLOAD = 7_000  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more


def _chunks(items: list[str]) -> Iterable[str]:
    chunk: list[str] = []
    size = 0
    for item in items:
        if chunk and size + len(item) + 1 > MAX_PAYLOAD:
            yield ",".join(chunk)
            chunk, size = [], 0
        chunk.append(item)
        size += len(item) + 1
    if chunk:
        yield ",".join(chunk)


class Wakeups:
    """Subscribe callbacks to channels; announce lists of ids (no commas in them) on a channel."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._subscribers: dict[str, list[Callback]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listening: set[str] = set()
        self.ready = threading.Event()  # set once LISTEN is in place (tests wait for it)

    def subscribe(self, channel: str, callback: Callback) -> None:
        with self._lock:
            self._subscribers.setdefault(channel, []).append(callback)
            start = self._postgres and self._thread is None
            if start:
                self._thread = threading.Thread(
                    target=self._listen_forever, name="wakeups-listener", daemon=True
                )
        if start:
            self._thread.start()  # later channels are LISTENed within a second

    def announce(self, channel: str, ids: list[str]) -> None:
        """Wake the waiters on `ids` in every replica; never raises (the write is committed)."""
        if not ids:
            return
        if not self._postgres:
            self._dispatch(channel, list(ids))
            return
        try:
            with self._engine.connect() as conn:
                for payload in _chunks(list(ids)):
                    conn.execute(sa.text("SELECT pg_notify(:c, :p)"), {"c": channel, "p": payload})
                conn.commit()
        except Exception:
            log.warning("wake-up on %s not sent; waiters look again on their timer", channel)
            self._dispatch(channel, list(ids))  # at least this replica's waiters

    def _dispatch(self, channel: str, ids: list[str] | None) -> None:
        with self._lock:
            callbacks = list(self._subscribers.get(channel, ()))
        for callback in callbacks:
            try:
                callback(ids)
            except Exception:
                log.exception("wake-up callback on %s failed", channel)

    def wait_listening(self, channel: str, timeout: float = 10.0) -> bool:
        """True once this process LISTENs on `channel` (always on SQLite); for tests."""
        if not self._postgres:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if channel in self._listening and self.ready.is_set():
                return True
            time.sleep(0.02)
        return False

    def _listen_forever(self) -> None:
        import psycopg

        url = self._engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    conninfo,
                    autocommit=True,
                    keepalives=1,
                    keepalives_idle=5,
                    keepalives_interval=2,
                    keepalives_count=3,
                    connect_timeout=5,
                ) as conn:
                    self._listening = set()
                    self._listen_new(conn)
                    self.ready.set()
                    if not first:  # what was announced while we were away is unknown
                        for channel in list(self._subscribers):
                            self._dispatch(channel, None)
                    first = False
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            if note.channel in self._listening and note.payload:
                                self._dispatch(note.channel, note.payload.split(","))
                        self._listen_new(conn)
                        conn.execute("SELECT 1")  # a dead server shows here, not in silence
            except Exception as exc:
                self.ready.clear()
                if self._stop.is_set():
                    return
                log.warning("wake-up listener lost its session, again in 1 s: %s", exc)
                self._stop.wait(1.0)

    def _listen_new(self, conn) -> None:
        from psycopg import sql

        with self._lock:
            channels = set(self._subscribers) - self._listening
        for channel in channels:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self._listening.add(channel)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(3.0)
