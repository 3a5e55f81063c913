"""Gas tables and queries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.chassis.messaging_tables import define_messaging_tables

metadata = sa.MetaData()
outbox, inbox, dead_letter = define_messaging_tables(metadata)

venues = sa.Table(
    "venues",
    metadata,
    sa.Column("venue_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("credit_code", sa.String(18), nullable=False),
    sa.Column("address", sa.String(300), nullable=False),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("contact", sa.String(100), nullable=False),
    sa.Column("first_lel", sa.Float, nullable=False),
    sa.Column("second_lel", sa.Float, nullable=False),
    sa.Column("sustain", sa.Integer, nullable=False),
)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("venue_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("model", sa.String(100), nullable=False),
    sa.Column("serial", sa.String(100), nullable=False),
    sa.Column("installed_on", sa.Date, nullable=True),
    sa.Column("last_inspected_on", sa.Date, nullable=True),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
    sa.Column("fault", sa.String(40), nullable=False),
    sa.Column("valve_state", sa.String(8), nullable=False),
    # What the status sweep last announced: "", online, offline or fault.
    sa.Column("status", sa.String(12), nullable=False, server_default=""),
    sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_devices_venue", "venue_id"),
    sa.Index("ix_devices_status_changed", "status_changed_at"),
)

device_events = sa.Table(
    "device_events",
    metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("type", sa.String(12), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("device_time", sa.DateTime(timezone=True), nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

alarms = sa.Table(
    "alarms",
    metadata,
    sa.Column("alarm_id", sa.String(36), primary_key=True),
    sa.Column("venue_id", sa.String(64), nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("critical", sa.Boolean, nullable=False),
    sa.Column("acknowledged_by", sa.String(64), nullable=True),
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_alarms_venue_active", "venue_id", "active"),
)

commands = sa.Table(
    "commands",
    metadata,
    sa.Column("command_id", sa.String(36), primary_key=True),
    sa.Column("valve_id", sa.String(64), nullable=False),
    sa.Column("venue_id", sa.String(64), nullable=False),
    sa.Column("alarm_id", sa.String(36), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("deliveries", sa.Integer, nullable=False),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_commands_valve_status", "valve_id", "status"),
)


def upsert(conn: sa.Connection, table: sa.Table, key: str, **values: Any) -> None:
    column = table.c[key]
    updated = conn.execute(table.update().where(column == values[key]).values(**values))
    if updated.rowcount == 0:
        conn.execute(table.insert().values(**values))


def one(conn: sa.Connection, table: sa.Table, key: str, value: str, *, lock: bool = False) -> Any:
    query = sa.select(table).where(table.c[key] == value)
    return conn.execute(query.with_for_update() if lock else query).first()


def active_alarm(conn: sa.Connection, venue_id: str) -> Any:
    return conn.execute(
        sa.select(alarms)
        .where(alarms.c.venue_id == venue_id, alarms.c.active.is_(True))
        .with_for_update()
    ).first()


def devices_of(conn: sa.Connection, venue_id: str) -> list[Any]:
    return list(conn.execute(sa.select(devices).where(devices.c.venue_id == venue_id)))


def open_commands(conn: sa.Connection, valve_id: str) -> list[Any]:
    return list(
        conn.execute(
            sa.select(commands)
            .where(commands.c.valve_id == valve_id, commands.c.status.in_(("pending", "delivered")))
            .order_by(commands.c.issued_at)
        )
    )


# A row exists while the venue is unprotected.
protection = sa.Table(
    "protection",
    metadata,
    sa.Column("venue_id", sa.String(64), primary_key=True),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    sa.Column("announced", sa.Boolean, nullable=False),
)
