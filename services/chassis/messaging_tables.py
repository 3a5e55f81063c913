"""The outbox, inbox and dead-letter tables every service has in its own database."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _outbox_columns() -> list[Any]:
    return [
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _inbox_columns() -> list[Any]:
    return [
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _dead_letter_columns() -> list[Any]:
    return [
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=True),
        sa.Column("value", sa.LargeBinary, nullable=True),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    ]


_UNPUBLISHED_INDEX = dict(
    postgresql_where=sa.text("published_at IS NULL"),
    sqlite_where=sa.text("published_at IS NULL"),
)


def define_messaging_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    """Add `outbox`, `inbox` and `dead_letter` to a service's metadata."""
    outbox = sa.Table("outbox", metadata, *_outbox_columns())
    sa.Index("ix_outbox_unpublished", outbox.c.id, **_UNPUBLISHED_INDEX)
    inbox = sa.Table("inbox", metadata, *_inbox_columns())
    dead = sa.Table("dead_letter", metadata, *_dead_letter_columns())
    return outbox, inbox, dead


def create_messaging_tables(op: Any) -> None:
    """For a service's first alembic migration: `create_messaging_tables(op)`."""
    op.create_table("outbox", *_outbox_columns())
    op.create_index("ix_outbox_unpublished", "outbox", ["id"], **_UNPUBLISHED_INDEX)
    op.create_table("inbox", *_inbox_columns())
    op.create_table("dead_letter", *_dead_letter_columns())


def drop_messaging_tables(op: Any) -> None:
    op.drop_table("dead_letter")
    op.drop_table("inbox")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
