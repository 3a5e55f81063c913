"""The log's queue and sequencer on each backend: a write answers with its place, entries
are hashed without their place (format 2) while entries written before the sequencer keep
theirs (format 1) and still verify after the migration."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from services.chassis.db import Database, make_engine, migrate
from services.records import db, handlers, sequencer, transparency
from services.records.domain import log, merkle
from services.records.domain.entries import GENESIS, Entry, canonical_bytes, seal
from services.records.domain.treehead import TreeHeadSigner, new_seed_b64
from services.records.verify import verify
from tests.records.conftest import MIGRATIONS, meta, open_case

pytestmark = pytest.mark.integration


def note(database: Database, case_id: str, text: str) -> Entry:
    entry, _ = handlers.append_entry(
        database,
        case_id=case_id,
        kind="note",
        payload={"text": text},
        corrects_entry_id="",
        meta=meta(),
    )
    return entry


def test_a_write_answers_with_its_place_and_leaves_nothing_queued(records_db):
    case = open_case(records_db)
    entries = [note(records_db, case.case_id, f"n{i}") for i in range(5)]
    assert [e.leaf_index for e in entries] == [1, 2, 3, 4, 5]
    assert not any(e.queued for e in entries)
    if records_db.engine.dialect.name == "sqlite":
        assert sequencer.log_sequencer(records_db).sequenced == 0, "placed by the writes"
    with records_db.read() as conn:
        assert db.queue_length(conn) == 0
        size, peaks = db.log_size(conn)
        assert size == 6
        assert merkle.root(db.leaf_hashes(conn, size)) == log.root(log.loads(peaks))
        stored = db.get_entry(conn, entries[-1].entry_id)
    assert stored == entries[-1] and stored.v == 2
    # A retry with the same client id answers the same entry, with its place.
    again, created = handlers.append_entry(
        records_db,
        case_id=case.case_id,
        kind="note",
        payload={"text": "n4"},
        corrects_entry_id="",
        meta=meta(client_entry_id=entries[-1].client_entry_id),
    )
    assert not created and again.leaf_index == 5


def test_what_waits_in_the_queue_is_placed_later_in_queue_order(records_db, monkeypatch):
    """The sequencer away (a holder crashed): writes answer `queued`, sealed and chained; the
    next sequencer places them in the order they were queued, each once."""
    if records_db.engine.dialect.name == "sqlite":
        pytest.skip("on SQLite a write places its own leaf; nothing waits for a sequencer")
    cases = [open_case(records_db) for _ in range(2)]
    seq = sequencer.log_sequencer(records_db)
    monkeypatch.setattr(seq, "run", lambda: 0)
    seq.wait_s = 0.2
    written = [note(records_db, cases[i % 2].case_id, f"away {i}") for i in range(3)]
    assert all(e.queued and e.leaf_index is None for e in written)
    assert written[2].prev_hash == written[0].entry_hash, "chained in its case meanwhile"
    with records_db.read() as conn:
        assert db.queue_length(conn) == 3
    monkeypatch.undo()
    seq.run()  # on PostgreSQL its own thread may be first
    placed = seq.wait([e.entry_id for e in written], timeout=30)
    assert seq.run() == 0, "nothing placed twice"
    with records_db.read() as conn:
        assert db.queue_length(conn) == 0
    assert [placed[e.entry_id] for e in written] == [2, 3, 4]


def test_the_entry_format_says_whether_the_place_is_hashed():
    entry = Entry(
        entry_id="e", case_id="c", seq=1, leaf_index=7, kind="note", client_entry_id="x",
        actor_id="u", device_time=None, server_time=datetime(2026, 1, 1, tzinfo=UTC),
        location=None, payload={"text": "t"}, prev_hash=GENESIS,
    )  # fmt: skip
    v1, v2 = replace(entry, v=1), replace(entry, v=2)
    assert b'"leaf_index":7' in canonical_bytes(v1) and b'"v":1' in canonical_bytes(v1)
    assert b"leaf_index" not in canonical_bytes(v2) and b'"v":2' in canonical_bytes(v2)
    assert seal(replace(v1, leaf_index=8)).entry_hash != seal(v1).entry_hash
    assert seal(replace(v2, leaf_index=None)).entry_hash == seal(v2).entry_hash


def test_a_log_written_before_the_sequencer_still_verifies_after_the_migration(db_url):
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    database = Database(engine)
    try:
        now = datetime(2026, 6, 1, tzinfo=UTC)
        old = seal(
            Entry(
                entry_id="old-1", case_id="case-old", seq=1, leaf_index=0, kind="note",
                client_entry_id="old-1", actor_id="u-zhang", device_time=None, server_time=now,
                location=None, payload={"text": "before the sequencer"}, prev_hash=GENESIS, v=1,
            )
        )  # fmt: skip
        leaf = merkle.leaf_hash(canonical_bytes(old))
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO entries (entry_id, case_id, seq, leaf_index, kind, "
                    "client_entry_id, actor_id, server_time, delay_s, payload, evidence, "
                    "corrects_entry_id, prev_hash, entry_hash, leaf_hash) VALUES ('old-1', "
                    "'case-old', 1, 0, 'note', 'old-1', 'u-zhang', :t, 0, :p, '[]', '', :g, :h, "
                    ":l)"
                ),
                {"t": now, "p": '{"text":"before the sequencer"}', "g": GENESIS,
                 "h": old.entry_hash, "l": leaf.hex()},
            )  # fmt: skip
            conn.execute(
                sa.text("UPDATE log_state SET size = 1, peaks = :p WHERE id = 1"),
                {"p": log.dumps(log.append([], leaf))},
            )
        migrate(engine, MIGRATIONS)
        with database.read() as conn:
            kept = db.get_entry(conn, "old-1")
        assert kept == old and kept.v == 1 and kept.leaf_index == 0
        key = TreeHeadSigner(new_seed_b64())
        transparency.current_tree_head(database, key)
        report = verify(database, None, "", key.public_key_b64, ["case-old"])
        assert report.ok, report.problems
        assert report.entries == 1
        # A tampered old entry is still caught by its own format.
        with engine.begin() as conn:
            conn.execute(db.entries.update().values(payload='{"text":"rewritten"}'))
        assert not verify(database, None, "", key.public_key_b64, ["case-old"]).ok
    finally:
        database.dispose()
