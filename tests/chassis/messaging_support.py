"""A tiny service schema for testing the outbox and the consumer runner."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from google.protobuf import wrappers_pb2

from services.chassis.db import Database
from services.chassis.events import build_event
from services.chassis.messaging_tables import define_messaging_tables

metadata = sa.MetaData()
define_messaging_tables(metadata)
# No unique key on purpose: a second effect of one event would show as a second row.
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("aggregate_id", sa.String(64), nullable=False),
    sa.Column("value", sa.String(200), nullable=False),
)


def unique_topic() -> str:
    return f"test.{uuid.uuid4().hex[:12]}-happened.v1"


def write_events(db: Database, topic: str, items: list[tuple[str, str]]) -> list[str]:
    """Commit one event per (aggregate_id, value), each in its own unit of work."""
    ids = []
    for aggregate_id, value in items:
        event = build_event(
            topic=topic,
            aggregate_id=aggregate_id,
            payload=wrappers_pb2.StringValue(value=value),
            producer="test",
        )
        with db.unit_of_work() as uow:
            uow.add_event(event)
            uow.commit()
        ids.append(event.event_id)
    return ids


def record_effect(uow, envelope) -> None:
    value = wrappers_pb2.StringValue()
    envelope.payload.Unpack(value)
    uow.conn.execute(
        effects.insert().values(
            event_id=envelope.event_id, aggregate_id=envelope.aggregate_id, value=value.value
        )
    )


def count(db: Database, table: sa.Table, *where) -> int:
    with db.read() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(table).where(*where)
        ).scalar_one()
