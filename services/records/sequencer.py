"""The record log's sequencer: Trillian's log sequencer under leader election.

Every replica's write commits its entry (sealed, hash-chained in its case) and a row in
`log_queue` in the write's own transaction, so nothing answered is lost and writers no longer
queue on the log's one row. One replica, the holder of the `records-log-sequencer` lease,
takes the queued leaves in batches in queue order, gives them the next leaf indexes, moves the
log's right edge (`log_state`: size and peaks) and takes them off the queue, all in one
transaction; the same holder signs tree heads (transparency.LogSigner uses this lease).

Woken, not only polled: a write that queued leaves wakes the holder after its commit (in the
process when the holder is here, else `NOTIFY records_log_queue`), and each batch announces
`records_log_sequenced` so that writers waiting for their place, on any replica, look again.
On SQLite (one process, one writer per file) a write places its leaf itself inside its own
transaction (handlers._append, db.next_leaf) and queues nothing; the sequencer there only
takes what an older version left queued.

Two holders at once (one that lost its session mid-batch, one that just took over) cannot
give a place twice: a batch first locks `log_state`, and only then reads the queue.
"""

from __future__ import annotations

import logging
import threading
import time

from services.chassis.db import Database
from services.chassis.lease import Lease
from services.records import db
from services.records.domain import log

log_ = logging.getLogger(__name__)

LEASE = "records-log-sequencer"
QUEUE_CHANNEL = "records_log_queue"
SEQUENCED_CHANNEL = "records_log_sequenced"
BATCH = 1000
HOLDER_POLL_S = 1.0  # the holder looks at the queue at least this often, woken or not
STANDBY_POLL_S = 0.25  # a standby asks for the lease this often
WAIT_S = 10.0  # how long a write waits for its place before answering "queued"


class LogSequencer:
    """One per process and database: `log_sequencer(database)`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.lease = Lease(database.engine, LEASE)
        self.wait_s = WAIT_S
        self._postgres = database.engine.dialect.name == "postgresql"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._generation = 0  # moves whenever leaves were sequenced (here or elsewhere)
        self._run_lock = threading.Lock()
        self._holding = False
        self._thread: threading.Thread | None = None
        self.sequenced = 0  # leaves this process sequenced

    # -- the holder's side ---------------------------------------------------------------

    def start(self) -> None:
        if self._postgres:
            self.database.wakeups.subscribe(QUEUE_CHANNEL, self._queued_elsewhere)
            self.database.wakeups.subscribe(SEQUENCED_CHANNEL, self._sequenced_elsewhere)
        self._thread = threading.Thread(target=self._loop, name="log-sequencer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self.lease.release()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run()
            except Exception:  # the next round tries again; the leaves stay queued
                log_.exception("sequencing the log's queue failed")
            self._wake.wait(HOLDER_POLL_S if self._holding else STANDBY_POLL_S)
            self._wake.clear()

    def holds(self) -> bool:
        held = self.lease.held()
        self._holding = held
        return held

    def run(self) -> int:
        """Sequence everything queued, if this process holds the lease; how many leaves."""
        if self._stop.is_set():
            return 0
        with self._run_lock:
            if not self.holds() or not self._anything_queued():
                return 0
            total = 0
            while True:
                size, n = self._batch()
                total += n
                if n < BATCH:
                    break
        if not total:
            return 0
        self.sequenced += total
        self._moved()
        if self._postgres:
            self.database.wakeups.announce(SEQUENCED_CHANNEL, [str(size)])
        return total

    def _anything_queued(self) -> bool:
        with self.database.read() as conn:
            return bool(db.queued_leaves(conn, 1))

    def _batch(self) -> tuple[int, int]:
        with self.database.unit_of_work() as uow:
            # The log's row first: a second holder's batch waits here, then reads the queue
            # as this one left it.
            size, peaks_text = db.lock_log(uow.conn)
            rows = db.queued_leaves(uow.conn, BATCH)
            if not rows:
                return size, 0
            peaks = log.loads(peaks_text)
            for row in rows:
                peaks = log.append(peaks, bytes.fromhex(row.leaf_hash))
            db.sequence_leaves(uow.conn, rows, size)
            db.save_log(uow.conn, size + len(rows), log.dumps(peaks))
            uow.commit()
        return size + len(rows), len(rows)

    # -- wake-ups --------------------------------------------------------------------------

    def appended(self) -> None:
        """A transaction that queued leaves committed (after-commit hook of the write)."""
        if not self._postgres:
            try:
                self.run()  # the writer's thread sequences: placed before it answers
            except Exception:
                log_.exception("sequencing after a write failed; the sequencer's round retries")
                self._wake.set()
        elif self._holding:
            self._wake.set()
        else:
            self.database.wakeups.announce(QUEUE_CHANNEL, ["queued"])

    def _queued_elsewhere(self, _ids: list[str] | None) -> None:
        if self._holding:  # a standby woken by every write would knock at the lease each time
            self._wake.set()

    def _sequenced_elsewhere(self, _ids: list[str] | None) -> None:
        self._moved()

    def _moved(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    # -- the writer's side -----------------------------------------------------------------

    def wait(self, entry_ids: list[str], timeout: float | None = None) -> dict[str, int | None]:
        """The leaf index of each entry, waiting up to `timeout` (default `wait_s`) for the
        sequencer to place them; None for one still queued when the time is up."""
        deadline = time.monotonic() + (self.wait_s if timeout is None else timeout)
        while True:
            with self._changed:
                seen = self._generation
            with self.database.read() as conn:
                found = db.leaf_indexes(conn, entry_ids)
            remaining = deadline - time.monotonic()
            if all(found.get(e) is not None for e in entry_ids) or remaining <= 0:
                return found
            if not self._postgres:
                try:
                    self.run()
                except Exception:
                    log_.exception("sequencing for a waiting write failed")
            with self._changed:
                if self._generation == seen:
                    # a wake-up is a hint: look again at least every second anyway
                    self._changed.wait(min(remaining, 1.0 if self._postgres else 0.05))


_LOCK = threading.Lock()


def log_sequencer(database: Database) -> LogSequencer:
    """This process's sequencer on `database`, started on first use (and stopped with it)."""
    with _LOCK:
        found = getattr(database, "_log_sequencer", None)
        if found is None:
            found = LogSequencer(database)
            database._log_sequencer = found  # type: ignore[attr-defined]
            database.on_dispose(found.stop)
            found.start()
        return found
