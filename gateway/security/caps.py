"""Caps on what one caller may hold open or pull at once: live streams and exports.

A live stream (Server-Sent Events) keeps a connection and a once-a-second poll of the gas
service going for up to an hour; an export pages through up to 5,000 records. Without a cap,
one account or one address could hold hundreds of them. Both caps are kept in the gateway
process, like the other rate limits (`gateway.security.ratelimit`): with several replicas
each allows its own share.
"""

from __future__ import annotations

import itertools
import threading
import time


class StreamSlots:
    """At most `limit` open streams per key (a user id). A slot not given back (a stream
    whose clean-up never ran) frees itself after `hold_s` seconds, the longest a stream
    lasts, so a leak can never lock a user out for good."""

    def __init__(self, limit: int, hold_s: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.hold_s = hold_s
        self._max_keys = max_keys
        self._open: dict[str, dict[int, float]] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> dict[int, float]:
        slots = self._open.setdefault(key, {})
        for slot, until in list(slots.items()):
            if until <= now:
                del slots[slot]
        return slots

    def take(self, key: str, hold_s: float | None = None, now: float | None = None) -> int | None:
        """A slot id, or None when `key` already holds `limit` open streams."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._open) >= self._max_keys:
                for k in [k for k, v in self._open.items() if not self._live(k, now)]:
                    del self._open[k]
            slots = self._live(key, now)
            if len(slots) >= self.limit:
                return None
            slot = next(self._ids)
            slots[slot] = now + (self.hold_s if hold_s is None else hold_s)
            return slot

    def give_back(self, key: str, slot: int) -> None:
        with self._lock:
            slots = self._open.get(key)
            if slots is not None:
                slots.pop(slot, None)
                if not slots:
                    del self._open[key]

    def held(self, key: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self._lock:
            return len(self._live(key, now))


class SharedStreamSlots:
    """`StreamSlots` kept in the gateway's database, so the cap holds across gateway replicas
    (PostgreSQL). The slots of a replica that died (its process lease is free, see
    gateway.idempotency.ProcessLease) are dropped at the user's next stream."""

    def __init__(self, database, limit: int, hold_s: float, owner: str | None = None) -> None:
        self._db = database
        self.limit = limit
        self.hold_s = hold_s
        self.owner = owner

    def take(self, key: str, hold_s: float | None = None, now: float | None = None) -> str | None:
        import uuid

        import sqlalchemy as sa

        from gateway.db import stream_slots as t

        now = time.time() if now is None else now
        with self._db.unit_of_work() as uow:
            uow.conn.execute(t.delete().where(t.c.user_key == key, t.c.until <= now))
            owners = {
                r.owner
                for r in uow.conn.execute(sa.select(t.c.owner).where(t.c.user_key == key))
                if r.owner and r.owner != self.owner
            }
            for owner in owners:
                if _gone(uow.conn, owner):
                    uow.conn.execute(t.delete().where(t.c.user_key == key, t.c.owner == owner))
            live = uow.conn.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.user_key == key)
            ).scalar_one()
            if live >= self.limit:
                uow.commit()
                return None
            slot = str(uuid.uuid4())
            until = now + (self.hold_s if hold_s is None else hold_s)
            uow.conn.execute(
                t.insert().values(slot_id=slot, user_key=key, until=until, owner=self.owner)
            )
            uow.commit()
        return slot

    def give_back(self, key: str, slot) -> None:
        from gateway.db import stream_slots as t

        with self._db.unit_of_work() as uow:
            uow.conn.execute(t.delete().where(t.c.slot_id == str(slot)))
            uow.commit()

    def held(self, key: str, now: float | None = None) -> int:
        import sqlalchemy as sa

        from gateway.db import stream_slots as t

        now = time.time() if now is None else now
        with self._db.read() as conn:
            return conn.execute(
                sa.select(sa.func.count())
                .select_from(t)
                .where(t.c.user_key == key, t.c.until > now)
            ).scalar_one()


def _gone(conn, owner: str) -> bool:
    """The gateway process `owner` died: its process lease is free (PostgreSQL only)."""
    import sqlalchemy as sa

    from gateway.idempotency import PROCESS_LEASE_PREFIX

    if conn.dialect.name != "postgresql":
        return False
    return bool(
        conn.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"),
            {"k": f"lease:{PROCESS_LEASE_PREFIX}{owner}"},
        ).scalar_one()
    )
