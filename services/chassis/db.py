"""Database engine and unit of work.

SQLite (embedded default) runs in WAL mode and opens write transactions with
`BEGIN IMMEDIATE`: the write lock is taken at the start, so two writers queue on the busy
timeout instead of one failing with "database is locked" when it upgrades a read lock.
PostgreSQL is reached through psycopg 3 (`postgresql+psycopg://`).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from services.chassis.wakeups import Wakeups

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# One writer at a time per SQLite engine, queued in the process: SQLite's own busy handler
# lets waiting writers sleep in growing steps (up to 100 ms) and retry, which costs more
# latency than the write itself when several request threads write at once.
_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()


def sqlite_writer_lock(engine: Engine) -> threading.RLock | None:
    """The in-process queue of an SQLite engine's writers (None for other databases)."""
    return _SQLITE_WRITERS.get(engine)


# A pooled PostgreSQL connection is pinged at checkout only when it sat idle this long: a
# round trip per transaction otherwise. One that died in use fails its statement, and
# SQLAlchemy then drops every connection of the pool made before it.
PING_IDLE_S = 2.0


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """Build the engine for `url`; SQLite files get WAL and immediate write transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, echo=echo)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_IDLE_S:
            return  # new, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError("pooled connection is gone") from exc  # pool takes another


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the driver so the "begin" hook below decides.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get("readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    _SQLITE_WRITERS[engine] = threading.RLock()
    return engine


class UnitOfWork:
    """One transaction: commit on `commit()`, roll back on anything else.

    Events recorded with `add_event` are written to the outbox in the same transaction;
    after a successful commit the `after_commit` callbacks run (e.g. waking the relay).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        readonly: bool = False,
        after_commit: list[Callable[[], None]] | None = None,
    ) -> None:
        self._engine = engine
        self._readonly = readonly
        self._after_commit = after_commit or []
        self._conn: Connection | None = None
        self._committed = False
        self._writers: threading.RLock | None = None
        self.pending_events: list[Any] = []
        self.database: Database | None = None  # set by Database.unit_of_work

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once after this transaction commits (added once however often)."""
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._conn

    def __enter__(self) -> UnitOfWork:
        writers = None if self._readonly else _SQLITE_WRITERS.get(self._engine)
        # Past the busy timeout, go on and let SQLite's own handler decide, as without it.
        if writers is not None and writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            self._writers = writers
        try:
            conn = self._engine.connect()
            if self._readonly:
                conn = conn.execution_options(readonly=True)
            conn.begin()
        except BaseException:
            self._release()
            raise
        self._conn = conn
        return self

    def _release(self) -> None:
        writers, self._writers = self._writers, None
        if writers is not None:
            writers.release()

    def add_event(self, outbox_row: Any) -> None:
        """Queue an outbox row; it is inserted at commit, inside the transaction."""
        self.pending_events.append(outbox_row)

    def commit(self) -> None:
        from services.chassis.outbox import write_outbox_rows

        if self.pending_events:
            write_outbox_rows(self.conn, self.pending_events)
            self.pending_events = []
        self.conn.commit()
        self._committed = True

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        conn, self._conn = self._conn, None
        try:
            if conn is not None and conn.in_transaction():
                conn.rollback()
        finally:
            if conn is not None:
                conn.close()
            self._release()
        if self._committed and exc_type is None:
            for callback in self._after_commit:
                try:
                    callback()
                except Exception:  # a wake-up hook must never fail a committed write
                    log.exception("after-commit callback failed")


class Database:
    """The engine plus a factory of units of work; one per process, built at start-up."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Cross-replica wake-ups (LISTEN/NOTIFY); connects only once someone subscribes.
        self.wakeups = Wakeups(engine)
        self._after_commit: list[Callable[[], None]] = []
        self._on_dispose: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    def on_commit(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._after_commit.append(callback)

    def unit_of_work(self, *, readonly: bool = False) -> UnitOfWork:
        uow = UnitOfWork(self.engine, readonly=readonly, after_commit=list(self._after_commit))
        uow.database = self
        return uow

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (SQLite: deferred BEGIN, so readers never queue on writers)."""
        with self.unit_of_work(readonly=True) as uow:
            yield uow.conn

    def on_dispose(self, callback: Callable[[], None]) -> None:
        """Run at `dispose()`, e.g. to give a lease up."""
        with self._lock:
            self._on_dispose.append(callback)

    def dispose(self) -> None:
        for callback in self._on_dispose:
            callback()
        self.wakeups.stop()
        self.engine.dispose()


def migrate(engine: Engine, script_location: str | Path) -> None:
    """Run a service's alembic migrations to head on `engine` (called at start-up)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Replicas starting together migrate one at a time.
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                {"k": f"migrate:{script_location}"},
            )
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime: SQLite hands times back naive, and every
    time the platform stores is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
