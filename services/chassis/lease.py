"""A lease for a job that one replica at a time must run: the outbox relay, the log signer.

On PostgreSQL the lease is a session-level advisory lock held on a connection of its own.
The server drops the lock with the session, so the lease ends when its holder does:

- the process dies (SIGKILL, OOM): the kernel closes the socket, the lock is gone at once;
- the holder's host or network vanishes: the session's TCP keepalives (idle 2 s, then 3
  probes 1 s apart) and `tcp_user_timeout` end it within about 5 s;
- the process hangs but its socket lives: `idle_session_timeout` ends a session that sent
  nothing for `ttl_s`; a live holder touches its lease far more often than that.

A standby asks with `pg_try_advisory_lock` each time it would run the job, so it takes over
within one of its poll intervals after the server dropped the old session. Work done under
the lease runs on the lease's own connection (`holder.connection`), so a holder that lost
its session cannot mark anything: its statements fail with the session (fencing).

SQLite has one process per file: the lease is always held there.
"""

from __future__ import annotations

import logging
import threading

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

KEEPALIVE_ARGS = {
    "keepalives": 1,
    "keepalives_idle": 2,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "connect_timeout": 5,
}


def lease_engine(engine: sa.Engine) -> sa.Engine:
    """An unpooled engine on the same database: a lease connection closed is a lock released,
    and its session settings never leak into the pool."""
    return sa.create_engine(
        engine.url,
        poolclass=NullPool,
        connect_args=KEEPALIVE_ARGS,
        isolation_level="AUTOCOMMIT",
    )


class Lease:
    """`held()` is True while this process holds the lease named `name` on `engine`'s database."""

    def __init__(self, engine: sa.Engine, name: str, *, ttl_s: float = 10.0) -> None:
        self.name = name
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._ttl_ms = int(ttl_s * 1000)
        self._own_engine: sa.Engine | None = None
        self._conn: sa.Connection | None = None
        self._lock = threading.RLock()
        self.generation = 0  # times taken: work checked under one holding is checked again

    @property
    def connection(self) -> sa.Connection | None:
        """The session holding the lock (PostgreSQL, while held); None on SQLite."""
        return self._conn

    def held(self) -> bool:
        """Check the lease, taking it if it is free; True when this process holds it."""
        if not self._postgres:
            return True
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.exec_driver_sql("SELECT 1")  # also keeps the session from idling
                    return True
                except Exception:
                    log.warning("lease %s lost with its session", self.name)
                    self._drop()
            return self._try_take()

    def _try_take(self) -> bool:
        if self._own_engine is None:
            self._own_engine = lease_engine(self._engine)
        try:
            conn = self._own_engine.connect()
        except Exception as exc:
            log.warning("lease %s: database unreachable: %s", self.name, exc)
            return False
        try:
            got = conn.execute(
                sa.text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": f"lease:{self.name}"}
            ).scalar_one()
            if not got:
                conn.close()
                return False
            # Ends the session (and the lock) when the holder stops talking or its host is gone.
            conn.exec_driver_sql(f"SET idle_session_timeout = {self._ttl_ms}")
            conn.exec_driver_sql("SET tcp_keepalives_idle = 2")
            conn.exec_driver_sql("SET tcp_keepalives_interval = 1")
            conn.exec_driver_sql("SET tcp_keepalives_count = 3")
            conn.exec_driver_sql("SET tcp_user_timeout = 5000")
        except Exception:
            conn.invalidate()
            conn.close()
            raise
        self._conn = conn
        self.generation += 1
        log.info("lease %s taken", self.name)
        return True

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:
                log.debug("closing lease session failed", exc_info=True)

    def release(self) -> None:
        """Give the lease up (shutdown), freeing the lock for a standby at once: unlocked in
        the session first, since the server ends a closed session's backend (and its locks)
        only a moment after the client has gone."""
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.exec_driver_sql("SELECT pg_advisory_unlock_all()")
                except Exception:
                    log.debug("unlocking before closing the lease session failed", exc_info=True)
            self._drop()
            if self._own_engine is not None:
                self._own_engine.dispose()
                self._own_engine = None
