"""The record's Merkle log as the outside sees it: signed tree heads and proofs."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa

from services.chassis.db import Database
from services.chassis.lease import Lease
from services.records import db
from services.records.domain import log, merkle
from services.records.domain.entries import Entry
from services.records.domain.treehead import TreeHead, TreeHeadSigner

log_ = logging.getLogger(__name__)


class ProofUnavailable(LookupError):
    pass


class LogForked(RuntimeError):
    """The stored log does not extend the last signed head: nothing more is signed."""


class LogSigner:
    """The log's one signer (Trillian's log signer under leader election).

    On PostgreSQL every replica queues entries and the holder of `records-log-sequencer`
    sequences them (sequencer.py); only the replica holding the `records-log-signer` lease
    signs tree heads, of the log as the sequencer left it (`log_state`). Two leases, so that
    a process without the log key (a tool, a test) can sequence and placing entries never
    waits for a signature. A replica that takes the lease over first proves that the log it inherits
    extends the newest signed head (an RFC 6962 consistency proof from the stored leaves,
    checked as a client would) and signs nothing if it does not. On SQLite the one process
    always holds it. One per process and database: `log_signer(database, signer)`.
    """

    def __init__(self, database: Database, signer: TreeHeadSigner) -> None:
        self.database = database
        self.signer = signer
        self.lease = Lease(database.engine, "records-log-signer")
        self._checked_from: int | None = None  # newest head size this holder has vouched for
        self._generation = -1  # the holding under which `_checked_from` was checked
        self._lock = threading.Lock()

    def asked(self, _sizes: list[str] | None) -> None:
        """Another replica needs a head of the size it sees: sign it if this one holds the
        lease (called on the wake-up listener's thread)."""
        try:
            self.sign_current()
        except Exception:
            log_.exception("signing a tree head asked for by another replica failed")

    def held(self) -> bool:
        held = self.lease.held()
        if not held or self.lease.generation != self._generation:
            self._checked_from = None  # taking it again means checking again
            self._generation = self.lease.generation if held else -1
        return held

    def sign_current(self) -> TreeHead | None:
        """Sign the log's current size if this replica holds the lease (None otherwise)."""
        with self._lock:
            if not self.held():
                return None
            with self.database.read() as conn:
                size, peaks = db.log_size(conn)
                head = db.tree_head_of_size(conn, size)
                latest = db.latest_tree_head(conn)
            if head is not None:
                self._checked_from = head.tree_size
                return head
            root = log.root(log.loads(peaks)).hex()
            if latest is not None and latest.tree_size != self._checked_from:
                self._check_extends(latest, size, root)
            head = self.signer.sign(size, root, int(time.time() * 1000))
            try:
                with self.database.unit_of_work() as uow:
                    db.insert_tree_head(uow.conn, head)
                    uow.commit()
            except sa.exc.IntegrityError:  # a holder that lost the lease just now signed it
                with self.database.read() as conn:
                    head = db.tree_head_of_size(conn, size)
                assert head is not None
            self._checked_from = head.tree_size
            return head

    def _check_extends(self, latest: TreeHead, size: int, root: str) -> None:
        with self.database.read() as conn:
            leaves = db.leaf_hashes(conn, size)
        proof = merkle.consistency_proof(latest.tree_size, leaves) if latest.tree_size else []
        # The stored leaves must give the root the log's edge gives, and that tree must
        # extend the newest signed one.
        if len(leaves) != size or merkle.root(leaves).hex() != root:
            log_.error("the stored leaves do not give the log's root at size %d", size)
            raise LogForked(f"the stored leaves do not give the log's root at size {size}")
        if not merkle.verify_consistency(
            latest.tree_size, size, bytes.fromhex(latest.root_hash), bytes.fromhex(root), proof
        ):
            log_.error("the stored log does not extend the head of size %d", latest.tree_size)
            raise LogForked(
                f"the log of size {size} does not extend the signed head of size "
                f"{latest.tree_size}; nothing is signed until this is resolved"
            )


_SIGNERS_LOCK = threading.Lock()

# How long a replica without the lease waits for the holder to sign the size it sees.
HOLDER_WAIT_S = 3.0


def log_signer(database: Database, signer: TreeHeadSigner) -> LogSigner:
    with _SIGNERS_LOCK:
        found = getattr(database, "_log_signer", None)
        if found is None:
            found = LogSigner(database, signer)
            database._log_signer = found  # type: ignore[attr-defined]
            database.on_dispose(found.lease.release)
            if database.engine.dialect.name == "postgresql":
                database.wakeups.subscribe(SIGN_CHANNEL, found.asked)
        return found


# Without anyone asking, the holder signs a grown log at most this often, so auditors find
# it covered within a minute and the kept heads do not grow by one a second.
UNASKED_SIGN_EVERY_S = 60.0
SIGN_CHANNEL = "records_log_sign"


def sign_periodically(database: Database, settings) -> None:
    """Keeps the holder's lease alive (a standby asks for it) and signs an unasked head when
    the newest is older than `UNASKED_SIGN_EVERY_S`."""
    signer = log_signer(database, TreeHeadSigner(settings.signing_seed_b64()))
    if not signer.held():
        return
    with database.read() as conn:
        latest = db.latest_tree_head(conn)
    if latest is None or time.time() * 1000 - latest.timestamp_ms > UNASKED_SIGN_EVERY_S * 1000:
        signer.sign_current()


def current_tree_head(database: Database, signer: TreeHeadSigner) -> TreeHead:
    """The signed head of the log as it is now, or, on a replica without the signer's lease,
    the newest head the holder signed within `HOLDER_WAIT_S`; signed once per size and kept."""
    head = log_signer(database, signer).sign_current()
    if head is not None:
        return head
    with database.read() as conn:
        size, _ = db.log_size(conn)
    database.wakeups.announce(SIGN_CHANNEL, [str(size)])  # the holder signs it now
    deadline = time.monotonic() + HOLDER_WAIT_S
    while True:
        with database.read() as conn:
            latest = db.latest_tree_head(conn)
        if (latest is not None and latest.tree_size >= size) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if latest is None:
        raise ProofUnavailable("the log has no signed tree head yet; ask again in a moment")
    return latest


def _head_for(database: Database, signer: TreeHeadSigner, size: int) -> TreeHead:
    if size == 0:
        return current_tree_head(database, signer)
    with database.read() as conn:
        head = db.tree_head_of_size(conn, size)
    if head is None:
        current = current_tree_head(database, signer)
        if current.tree_size == size:
            return current
        raise ProofUnavailable(f"no signed tree head of size {size}; ask for the current one")
    return head


@dataclass(frozen=True)
class InclusionProof:
    entry: Entry
    leaf_hash: str
    audit_path: list[str]
    tree_head: TreeHead


def inclusion_proof(
    database: Database, signer: TreeHeadSigner, entry_id: str, agency_id: str, tree_size: int = 0
) -> InclusionProof:
    head = _head_for(database, signer, tree_size)
    with database.read() as conn:
        entry = db.get_entry(conn, entry_id)
        case = db.get_case(conn, entry.case_id) if entry is not None else None
        if entry is None or case is None or case.agency_id != agency_id:
            raise LookupError("entry not found")
        if entry.leaf_index is None:
            raise ProofUnavailable(
                "the entry is recorded but still queued for the log (queued: true): the "
                "sequencer has not given it its place yet; ask again in a moment"
            )
        if entry.leaf_index >= head.tree_size:
            raise ProofUnavailable(
                f"the entry is at index {entry.leaf_index}, after the tree of size "
                f"{head.tree_size}; ask for a newer tree head"
            )
        leaves = db.leaf_hashes(conn, head.tree_size)
        leaf = db.stored_leaf_hash(conn, entry_id)
    path = merkle.inclusion_proof(entry.leaf_index, leaves)
    return InclusionProof(entry, leaf or "", [p.hex() for p in path], head)


def consistency_proof(
    database: Database, signer: TreeHeadSigner, first: int, second: int = 0
) -> tuple[list[str], TreeHead]:
    head = _head_for(database, signer, second)
    if not 0 < first <= head.tree_size:
        raise ValueError(f"first must be between 1 and {head.tree_size}")
    with database.read() as conn:
        leaves = db.leaf_hashes(conn, head.tree_size)
    return [p.hex() for p in merkle.consistency_proof(first, leaves)], head
