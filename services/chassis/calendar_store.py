"""The official calendar's years in a service's own database.

The review service keeps the versions entered from the State Council's notice and publishes
each on `review.calendar-year-published.v1`; every service that counts working days keeps a
copy of the same table from that event (its inbox makes a redelivery harmless). No version is
ever changed or deleted: a correction is the next version, and the newest one decides.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

import sqlalchemy as sa

from enforcement.calendar.v1 import calendar_pb2
from enforcement.events.v1.envelope_pb2 import EventEnvelope
from services.chassis.db import as_utc
from services.chassis.events import unpack
from services.chassis.workdays import Calendar, OfficialYear

TOPIC_YEAR_PUBLISHED = "review.calendar-year-published.v1"


def define_calendar_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "calendar_years",
        metadata,
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("notice_no", sa.String(100), nullable=False),
        sa.Column("holidays", sa.JSON, nullable=False),
        sa.Column("makeup_days", sa.JSON, nullable=False),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
    )


def official_year(row: Any) -> OfficialYear:
    return OfficialYear(
        year=row.year,
        holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
        makeup_days=frozenset(date.fromisoformat(d) for d in row.makeup_days),
        notice_no=row.notice_no,
        version=row.version,
    )


def load_calendar(conn: sa.Connection, table: sa.Table) -> Calendar:
    """The calendar with every stored year (the newest version of each decides)."""
    return Calendar(official_year(r) for r in conn.execute(sa.select(table)))


def versions(conn: sa.Connection, table: sa.Table, year: int) -> list[Any]:
    return list(
        conn.execute(sa.select(table).where(table.c.year == year).order_by(table.c.version.desc()))
    )


def year_to_pb(row: Any) -> calendar_pb2.CalendarYear:
    msg = calendar_pb2.CalendarYear(
        year=row.year,
        version=row.version,
        notice_no=row.notice_no,
        holidays=sorted(row.holidays),
        makeup_days=sorted(row.makeup_days),
        entered_by=row.entered_by,
        agency_id=row.agency_id,
        note=row.note,
    )
    msg.entered_at.FromDatetime(as_utc(row.entered_at))
    return msg


def store_published(
    conn: sa.Connection, table: sa.Table, envelope: EventEnvelope
) -> calendar_pb2.CalendarYear | None:
    """Keep a copy of a published version; None when it was already kept."""
    msg = unpack(envelope, calendar_pb2.CalendarYearPublished).year
    known = conn.execute(
        sa.select(table.c.version).where(table.c.year == msg.year, table.c.version == msg.version)
    ).first()
    if known is not None:
        return None
    conn.execute(
        table.insert().values(
            year=msg.year,
            version=msg.version,
            notice_no=msg.notice_no,
            holidays=sorted(msg.holidays),
            makeup_days=sorted(msg.makeup_days),
            entered_by=msg.entered_by,
            agency_id=msg.agency_id,
            entered_at=msg.entered_at.ToDatetime(tzinfo=UTC),
            note=msg.note,
        )
    )
    return msg
