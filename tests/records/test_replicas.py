"""Records as several replicas on one PostgreSQL database: entries from every replica form one
log, placed by one sequencer and signed by one signer; signed heads stay consistent across a
failover of either (the sequencer's holder killed with SIGKILL mid-stream); filing numbers stay
gap-free and unique under concurrent writers. PostgreSQL only."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import utcnow
from services.chassis.lease import Lease
from services.records import db, handlers, sequencer, transparency
from services.records.domain import log, merkle
from services.records.domain.numbering import NumberKind
from services.records.domain.treehead import TreeHeadSigner, new_seed_b64, verify_tree_head
from tests.records.conftest import AGENCY, MIGRATIONS, NUMBERING, advance, meta, open_case
from tests.support.databases import postgres_available, throwaway_database

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not postgres_available(), reason="TEST_DATABASE_URL not set"),
]


@pytest.fixture
def replicas(tmp_path):
    """Two records replicas: two engines, two signers' leases, one database."""
    with throwaway_database("postgresql", tmp_path, "recrep") as url:
        engine = make_engine(url)
        migrate(engine, MIGRATIONS)
        engine.dispose()
        pair = [Database.from_url(url), Database.from_url(url)]
        yield pair
        for database in pair:
            database.dispose()


def note(database: Database, case_id: str, text: str) -> None:
    handlers.append_entry(
        database,
        case_id=case_id,
        kind="note",
        payload={"text": text},
        corrects_entry_id="",
        meta=meta(),
    )


def kill_signer(database: Database) -> None:
    """The signer's session dies: the server drops it and with it the signer's lease."""
    lease = database._log_signer.lease  # type: ignore[attr-defined]
    pid = lease.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    with database.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()


def test_one_signer_and_consistent_heads_across_a_failover(replicas):
    a, b = replicas
    key = TreeHeadSigner(new_seed_b64())
    case = open_case(a)
    first = transparency.log_signer(a, key).sign_current()
    assert first is not None, "replica A holds the signer's lease"
    assert transparency.log_signer(b, key).sign_current() is None, "one signer at a time"

    # Both replicas append at once; their entries go into one sequence.
    writers = [
        threading.Thread(
            target=lambda d=d, n=n: [note(d, case.case_id, f"{n}-{i}") for i in range(10)]
        )
        for n, d in enumerate((a, b, a, b))
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    with a.read() as conn:
        size, _ = db.log_size(conn)
        indexes = sorted(r.leaf_index for r in conn.execute(sa.select(db.entries.c.leaf_index)))
    assert indexes == list(range(size)), "one log, no hole, no index twice"

    # B does not sign: it asks the holder (NOTIFY) and serves the head A signed for it.
    assert a.wakeups.wait_listening(transparency.SIGN_CHANNEL)
    served = transparency.current_tree_head(b, key)
    assert served.tree_size == size

    second = transparency.log_signer(a, key).sign_current()
    assert second == served, "signed once per size, by A"
    kill_signer(a)
    note(b, case.case_id, "after the failover")
    third = transparency.log_signer(b, key).sign_current()
    assert third is not None, "B took the lease over"
    assert transparency.log_signer(a, key).sign_current() is None, "A, back, is a standby"

    for older in (first, second):
        proof, head = transparency.consistency_proof(b, key, older.tree_size, third.tree_size)
        assert head == third
        assert merkle.verify_consistency(
            older.tree_size,
            third.tree_size,
            bytes.fromhex(older.root_hash),
            bytes.fromhex(third.root_hash),
            [bytes.fromhex(p) for p in proof],
        )
    assert all(verify_tree_head(h, key.public_key_b64) for h in (first, second, third))


def test_a_new_signer_refuses_to_sign_a_log_that_does_not_extend_the_last_head(replicas):
    a, b = replicas
    key = TreeHeadSigner(new_seed_b64())
    case = open_case(a)
    note(a, case.case_id, "one")
    signed = transparency.log_signer(a, key).sign_current()
    kill_signer(a)
    # History rewritten under the signed head while the signer changes hands.
    with b.unit_of_work() as uow:
        uow.conn.execute(
            db.entries.update().where(db.entries.c.leaf_index == 0).values(leaf_hash="00" * 32)
        )
        uow.commit()
    note(b, case.case_id, "two")
    with pytest.raises(transparency.LogForked):
        transparency.log_signer(b, key).sign_current()
    with b.read() as conn:
        assert db.latest_tree_head(conn) == signed, "nothing signed over the rewrite"


def test_filing_numbers_stay_gap_free_and_unique_under_concurrent_replicas(replicas):
    a, b = replicas
    cases = [open_case(a if i % 2 else b) for i in range(16)]
    failures: list[BaseException] = []

    def file(database: Database, chunk) -> None:
        try:
            for case in chunk:
                advance(database, case.case_id, "filing")
                # A filing that fails after taking its number leaves no hole behind.
                try:
                    with database.unit_of_work() as uow:
                        db.next_number(
                            uow.conn,
                            agency_id=AGENCY,
                            kind=NumberKind.filing.name,
                            year=handlers._year(utcnow()),
                        )
                        raise RuntimeError("the filing failed")
                except RuntimeError:
                    pass
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [
        threading.Thread(target=file, args=(a if i % 2 else b, cases[i::4])) for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    with a.read() as conn:
        numbers = [r.case_no for r in conn.execute(sa.select(db.cases.c.case_no)) if r.case_no]
    assert len(numbers) == len(set(numbers)) == 16
    prefix = NUMBERING.prefix(AGENCY)
    serials = sorted(int(n.split("〕")[1].rstrip("号")) for n in numbers)
    assert serials == list(range(1, 17)), f"gap-free: {numbers}"
    assert all(n.startswith(prefix) for n in numbers)


# -- the sequencer -----------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


class Replica:
    """A records replica in its own process (tests/records/_replica_proc.py), writing notes."""

    def __init__(self, url: str, name: str, stop: Path, case_ids: list[str], *, hold: bool):
        args = [url, name, "1" if hold else "0", str(stop), *case_ids]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.records._replica_proc", *args],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.state = self.proc.stdout.readline().strip()
        self.acks: dict[str, int | None] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            parts = line.split()
            if parts and parts[0] == "ack":
                self.acks[parts[1]] = None if parts[2] == "queued" else int(parts[2])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)


def wait_until(predicate, timeout: float = 120.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def queued(database: Database) -> int:
    with database.read() as conn:
        return db.queue_length(conn)


def test_a_sequencer_killed_mid_stream_loses_nothing_and_heads_stay_consistent(tmp_path):
    with throwaway_database("postgresql", tmp_path, "recseq") as url:
        engine = make_engine(url)
        migrate(engine, MIGRATIONS)
        engine.dispose()
        setup = Database.from_url(url)
        case_ids = [open_case(setup).case_id for _ in range(4)]
        setup.dispose()  # its sequencer gone: replica A takes the lease
        stop = tmp_path / "stop"
        a = Replica(url, "a", stop, case_ids, hold=True)
        assert a.state == "holding"
        b = Replica(url, "b", stop, case_ids, hold=False)
        assert b.state == "standing-by"
        view = Database.from_url(url)
        try:
            seed = new_seed_b64()
            key = TreeHeadSigner(seed)
            assert wait_until(lambda: len(a.acks) >= 20 and len(b.acks) >= 10)
            before = transparency.log_signer(view, key).sign_current()
            assert before is not None and before.tree_size >= 30

            a.proc.kill()  # SIGKILL while both write: no goodbye, a batch may be cut off
            a.proc.wait(30)
            answered_by_b = len(b.acks)
            assert wait_until(lambda: len(b.acks) >= answered_by_b + 30), "B writes on"
            # B took the lease over and places everything, A's last writes too.
            assert wait_until(lambda: queued(view) == 0)
            stop.touch()
            assert b.proc.wait(60) == 0
            after = transparency.log_signer(view, key).sign_current()
            assert after is not None

            with view.read() as conn:
                placed = dict(
                    conn.execute(sa.select(db.entries.c.entry_id, db.entries.c.leaf_index)).all()
                )
                size, peaks = db.log_size(conn)
                leaves = db.leaf_hashes(conn, size)
                assert db.queue_length(conn) == 0
            acked = {**a.acks, **b.acks}
            for entry_id, index in acked.items():
                assert placed.get(entry_id) is not None, f"acknowledged {entry_id} not placed"
                if index is not None:
                    assert placed[entry_id] == index, "placed where the write said"
            assert sorted(placed.values()) == list(range(size)), "gap-free, each once"
            assert len(placed) >= len(acked) + len(case_ids)
            assert merkle.root(leaves) == log.root(log.loads(peaks)), "edge matches leaves"
            assert after.tree_size == size

            proof, head = transparency.consistency_proof(
                view, key, before.tree_size, after.tree_size
            )
            assert head == after
            assert merkle.verify_consistency(
                before.tree_size,
                after.tree_size,
                bytes.fromhex(before.root_hash),
                bytes.fromhex(after.root_hash),
                [bytes.fromhex(p) for p in proof],
            )
            assert verify_tree_head(before, key.public_key_b64)
            assert verify_tree_head(after, key.public_key_b64)
        finally:
            a.stop()
            b.stop()
            view.dispose()
        env = {
            **os.environ,
            "RECORDS_DATABASE_URL": url,
            "RECORDS_LOG_SIGNING_KEY": seed,
        }
        verified = subprocess.run(
            [sys.executable, "-m", "services.records.verify", "--no-evidence"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "OK" in verified.stdout


def test_a_write_answers_queued_when_no_sequencer_places_it_and_is_placed_later(replicas):
    a, _ = replicas
    case = open_case(a)
    # Another process holds the sequencer's lease and does nothing with it.
    squatter = Lease(a.engine, sequencer.LEASE)
    seq = sequencer.log_sequencer(a)
    for _ in range(20):
        seq.lease.release()
        if squatter.held():
            break
    assert squatter.held()
    seq.wait_s = 0.5
    key = TreeHeadSigner(new_seed_b64())
    entry, created = handlers.append_entry(
        a,
        case_id=case.case_id,
        kind="note",
        payload={"text": "while no sequencer runs"},
        corrects_entry_id="",
        meta=meta(),
    )
    assert created and entry.queued and entry.leaf_index is None
    assert entry.entry_hash and entry.prev_hash == case.head_hash, "sealed and chained"
    with pytest.raises(transparency.ProofUnavailable, match="queued"):
        transparency.inclusion_proof(a, key, entry.entry_id, AGENCY)
    _, timeline = handlers.timeline(a, case.case_id, AGENCY)
    assert timeline[-1].entry_id == entry.entry_id and timeline[-1].queued

    squatter.release()  # the sequencer's holder is gone: A's standby takes over
    index = seq.wait([entry.entry_id], timeout=30)[entry.entry_id]
    assert index == 1, "placed after the case's first entry"
    proof = transparency.inclusion_proof(a, key, entry.entry_id, AGENCY)
    assert merkle.verify_inclusion(
        bytes.fromhex(proof.leaf_hash),
        index,
        proof.tree_head.tree_size,
        [bytes.fromhex(p) for p in proof.audit_path],
        bytes.fromhex(proof.tree_head.root_hash),
    )
