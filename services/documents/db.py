"""Documents tables and queries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from services.chassis.calendar_store import define_calendar_table
from services.chassis.messaging_tables import define_messaging_tables

metadata = sa.MetaData()
outbox, inbox, dead_letter = define_messaging_tables(metadata)
# A copy of the official calendar's years (review.calendar-year-published.v1).
calendar_years = define_calendar_table(metadata)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("document_id", sa.String(36), primary_key=True),
    sa.Column("client_document_id", sa.String(100), nullable=False, unique=True),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("title", sa.String(64), nullable=False),
    sa.Column("number", sa.String(64), nullable=False),
    sa.Column("case_no", sa.String(64), nullable=False),
    sa.Column("party_name", sa.String(200), nullable=False),
    # What the PDF was rendered from, so a signature can render it again the same way.
    sa.Column("content", sa.JSON, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("object_key", sa.String(300), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("earlier_sha256", sa.JSON, nullable=False),
    sa.Column("issued_by", sa.String(64), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("entry_id", sa.String(36), nullable=True),
    sa.Column("service", sa.JSON, nullable=True),
    sa.Column("deadlines", sa.JSON, nullable=False),
    # some deadline was counted through a year without its official calendar: recounted
    # when that year is entered
    sa.Column("deadlines_provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("signatures", sa.JSON, nullable=False),
    sa.Index("ix_documents_case", "case_id", "issued_at"),
    sa.Index(
        "ix_documents_provisional",
        "deadlines_provisional",
        postgresql_where=sa.text("deadlines_provisional"),
        sqlite_where=sa.text("deadlines_provisional"),
    ),
)

number_counters = sa.Table(
    "number_counters",
    metadata,
    sa.Column("agency_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)

case_files = sa.Table(
    "case_files",
    metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("object_key", sa.String(300), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("pages", sa.Integer, nullable=False),
    sa.Column("retention", sa.String(16), nullable=False),
    sa.Column("retain_until", sa.Date, nullable=True),
    sa.Column("object_locked", sa.Boolean, nullable=False),
    sa.Column("assembled_by", sa.String(64), nullable=False),
    sa.Column("assembled_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("entry_id", sa.String(36), nullable=True),
)


def next_number(conn: sa.Connection, *, agency_id: str, kind: str, year: int) -> int:
    """The next number of a gap-free series, moved in the caller's transaction (as records
    numbers its filings and decisions): a rolled-back issue leaves no gap."""
    insert = (
        postgresql.insert(number_counters)
        if conn.dialect.name == "postgresql"
        else sqlite.insert(number_counters)
    )
    stmt = (
        insert.values(agency_id=agency_id, kind=kind, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["agency_id", "kind", "year"],
            set_={"last": number_counters.c.last + 1},
        )
        .returning(number_counters.c.last)
    )
    return int(conn.execute(stmt).scalar_one())


def get_document(conn: sa.Connection, document_id: str, *, lock: bool = False) -> Any:
    q = sa.select(documents).where(documents.c.document_id == document_id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    return conn.execute(q).first()


def by_client_id(conn: sa.Connection, client_document_id: str) -> Any:
    return conn.execute(
        sa.select(documents).where(documents.c.client_document_id == client_document_id)
    ).first()


def case_documents(conn: sa.Connection, case_id: str) -> list[Any]:
    return list(
        conn.execute(
            sa.select(documents)
            .where(documents.c.case_id == case_id)
            .order_by(documents.c.issued_at, documents.c.document_id)
        )
    )


def all_documents(conn: sa.Connection) -> list[Any]:
    return list(conn.execute(sa.select(documents).order_by(documents.c.issued_at)))


def get_case_file(conn: sa.Connection, case_id: str) -> Any:
    return conn.execute(sa.select(case_files).where(case_files.c.case_id == case_id)).first()
