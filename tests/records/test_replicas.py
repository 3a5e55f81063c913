"""Records as several replicas on one PostgreSQL database: entries from every replica form one
log with one signer, signed heads stay consistent across a failover of the signer, and
filing numbers stay gap-free and unique under concurrent writers. PostgreSQL only."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import utcnow
from services.records import db, handlers, transparency
from services.records.domain import merkle
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
    """The signer's process dies: the server drops its session and with it the lease."""
    with database.engine.connect() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                "AND granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        ).all()
    assert len(killed) == 1


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
