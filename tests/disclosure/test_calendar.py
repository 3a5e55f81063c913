"""Disclosure deadlines on the official calendar: 7 working days from the decision to its
publication (行政执法公示); counted through a year without its notice they are provisional and
recounted when the year is entered. The publication itself is never redated."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from enforcement.calendar.v1 import calendar_pb2
from services.chassis.events import parse_envelope, unpack
from services.disclosure import calendar, db, handlers
from tests.support.calendar_example import clock_at, published_2027_event

from .conftest import AGENCY, decided, deliver

pytestmark = pytest.mark.integration


def publish(disclosure_db, decided_at: datetime, published_at: datetime):
    event = decided(decided_at=decided_at)
    with clock_at(published_at):
        assert deliver(disclosure_db, event) == "applied"
    with disclosure_db.read() as conn:
        return db.disclosure_of_case(conn, event.key)


def test_an_on_time_publication_across_the_spring_festival_stops_showing_as_late(disclosure_db):
    # Decided Thu 28 Jan 2027, published Mon 15 Feb. Without the notice: 29 Jan, 1-4 Feb,
    # 11, 12, 15 Feb = 8 working days, late. With the example notice (Sunday 31 Jan worked,
    # 5-13 Feb off): 7, on time.
    row = publish(
        disclosure_db,
        datetime(2027, 1, 28, 2, tzinfo=UTC),
        datetime(2027, 2, 15, 2, tzinfo=UTC),
    )
    assert (row.working_days_to_publish, row.due_date, row.due_provisional) == (
        8,
        date(2027, 2, 12),
        True,
    )
    assert row.case_id in {r.case_id for r in handlers.late(disclosure_db, AGENCY, 7)}
    assert deliver(disclosure_db, published_2027_event()) == "applied"
    with disclosure_db.read() as conn:
        after = db.disclosure_of_case(conn, row.case_id)
        [moved] = [
            unpack(parse_envelope(r.payload), calendar_pb2.DeadlineRecomputed)
            for r in conn.execute(
                sa.select(db.outbox.c.payload).where(
                    db.outbox.c.topic == calendar.TOPIC_DEADLINE_RECOMPUTED,
                    db.outbox.c.key == row.case_id,
                )
            )
        ]
    assert (after.working_days_to_publish, after.due_date, after.due_provisional) == (
        7,
        date(2027, 2, 15),
        False,
    )
    assert after.published_at == row.published_at and after.status == "published"
    assert row.case_id not in {r.case_id for r in handlers.late(disclosure_db, AGENCY, 7)}
    assert (moved.deadline, moved.previous_due_date, moved.due_date) == (
        "disclosure",
        "2027-02-12",
        "2027-02-15",
    )


def test_a_count_that_never_touched_the_year_is_left_alone(disclosure_db):
    row = publish(
        disclosure_db,
        datetime(2026, 11, 2, 2, tzinfo=UTC),
        datetime(2026, 11, 5, 2, tzinfo=UTC),
    )
    assert not row.due_provisional
    deliver(disclosure_db, published_2027_event())
    with disclosure_db.read() as conn:
        assert db.disclosure_of_case(conn, row.case_id).due_date == row.due_date
        assert (
            conn.execute(
                sa.select(sa.func.count())
                .select_from(db.outbox)
                .where(db.outbox.c.topic == calendar.TOPIC_DEADLINE_RECOMPUTED)
            ).scalar()
            == 0
        )
