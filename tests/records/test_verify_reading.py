"""The verifier puts an entry's canonical bytes together from its stored columns; these tests
hold that shortcut to `canonical_bytes` and show what it does with rows it cannot trust."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from services.records import db, handlers, transparency
from services.records.domain.entries import canonical_bytes
from services.records.domain.treehead import TreeHeadSigner
from services.records.verify import _COLUMNS, _Canonical, _entry, verify

from .conftest import meta, open_case

pytestmark = pytest.mark.integration

SIGNER = TreeHeadSigner(base64.b64encode(b"v" * 32).decode())


def report(database, case_ids=None):
    head = transparency.current_tree_head(database, SIGNER)
    return verify(database, None, "", SIGNER.public_key_b64, case_ids, head)


def note(database, case, payload, **changes):
    entry, _ = handlers.append_entry(
        database, case_id=case.case_id, kind="note", payload=payload, corrects_entry_id="",
        meta=meta(**changes),
    )  # fmt: skip
    return entry


def set_column(database, entry_id, **values):
    with database.unit_of_work() as uow:
        where = db.entries.c.entry_id == entry_id
        uow.conn.execute(db.entries.update().where(where).values(**values))
        uow.commit()


def test_the_bytes_from_stored_columns_are_the_canonical_bytes(records_db):
    case = open_case(records_db)
    whole_second = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
    note(records_db, case, {"text": '现场 "引号" \\ 与换行\n', "n": [1, 2.5, None, True]})
    place = {"latitude": 31.5, "longitude": 120.25, "accuracy_m": 8.0}
    note(records_db, case, {"t": "x"}, device_time=whole_second, location=place)
    note(records_db, case, {"t": "y"}, device_time=datetime.now(UTC) - timedelta(minutes=3))
    note(records_db, case, {"嵌套": {"b": {}, "a": []}})
    with records_db.read() as conn:
        canonical = _Canonical(conn.dialect)
        rows = conn.execute(sa.select(*_COLUMNS).where(db.entries.c.case_id == case.case_id)).all()
        assert len(rows) == 5  # opened + 4 notes
        for row in rows:
            # The shortcut is taken (not the exact way) and gives the very same bytes.
            assert canonical._spliced(row) == canonical_bytes(_entry(row, canonical.datetime))
            assert canonical(row) == canonical._spliced(row)
    result = report(records_db)
    assert result.ok, result.problems
    assert report(records_db, [case.case_id]).entries == 5


def test_equivalent_json_that_is_not_canonical_is_decided_the_exact_way(records_db):
    case = open_case(records_db)
    entry = note(records_db, case, {"b": 1, "a": "甲"})
    # The same value, written with spaces and other key order: the shortcut's bytes differ,
    # the entry as read is unchanged, as the verifier always judged it.
    set_column(records_db, entry.entry_id, payload='{ "a": "甲", "b": 1 }')
    result = report(records_db)
    assert result.ok, result.problems


def test_a_stored_column_that_is_not_json_is_reported_on_its_entry(records_db):
    case = open_case(records_db)
    entry = note(records_db, case, {"t": "x"})
    later = note(records_db, case, {"t": "y"})
    set_column(records_db, entry.entry_id, payload='{"t":"x"')
    set_column(records_db, later.entry_id, location='null,"payload":{"t":"y"}')
    result = report(records_db)
    assert not result.ok
    assert {p.entry_id for p in result.problems} == {entry.entry_id, later.entry_id}
    unmatched = {p.entry_id for p in result.problems if "does not match its hash" in p.what}
    assert unmatched == {entry.entry_id, later.entry_id}


def test_every_case_is_counted_once(records_db):
    first, second = open_case(records_db), open_case(records_db)
    note(records_db, second, {"t": "x"})
    result = report(records_db)
    assert result.ok and result.cases == 2 and result.entries == 3
    asked = report(records_db, [second.case_id, second.case_id])
    assert asked.ok and asked.cases == 1 and asked.entries == 2
    assert report(records_db, [first.case_id]).entries == 1
