"""Hazard sources tables and queries. Raw readings are not kept here row by row: a sensor keeps
its latest value and the highest seq taken (once-only), alarms are kept whole."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.chassis.messaging_tables import define_messaging_tables

metadata = sa.MetaData()
outbox, inbox, dead_letter = define_messaging_tables(metadata)

units = sa.Table(
    "units",
    metadata,
    sa.Column("unit_id", sa.String(64), primary_key=True),
    sa.Column("enterprise_id", sa.String(64), nullable=False),
    sa.Column("enterprise_name", sa.String(200), nullable=False),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),  # storage 储存单元 / production 生产单元
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("holdings", sa.JSON, nullable=False),
    sa.Column("people_within_500m", sa.Integer, nullable=False),
    sa.Column("chain", sa.JSON, nullable=False),  # 包保责任人 and town officers
    sa.Column("grading", sa.JSON, nullable=False),  # the current grading
    sa.Index("ix_units_agency", "agency_id"),
)

# Each grading of a unit with why it changed (re-grading on a change of quantities or people).
gradings = sa.Table(
    "gradings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("unit_id", sa.String(64), nullable=False),
    sa.Column("grading", sa.JSON, nullable=False),
    sa.Column("graded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_gradings_unit", "unit_id"),
)

sensors = sa.Table(
    "sensors",
    metadata,
    sa.Column("sensor_id", sa.String(64), primary_key=True),
    sa.Column("unit_id", sa.String(64), nullable=False),
    sa.Column("quantity", sa.String(16), nullable=False),
    sa.Column("unit_of_measure", sa.String(16), nullable=False),
    sa.Column("limits", sa.JSON, nullable=False),
    sa.Column("state", sa.JSON, nullable=False),  # monitoring.SensorState
    sa.Column("last_seq", sa.BigInteger, nullable=True),  # once-only: readings above it are new
    sa.Column("readings_taken", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("last_value", sa.Float, nullable=True),
    sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("watched_since", sa.DateTime(timezone=True), nullable=False),
    # when the stale alarm can be due (monitoring.stale_due); NULL while it is raised
    sa.Column("stale_due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_sensors_unit", "unit_id"),
    sa.Index("ix_sensors_stale_due", "stale_due_at"),
)

alarms = sa.Table(
    "alarms",
    metadata,
    sa.Column("alarm_id", sa.String(36), primary_key=True),
    sa.Column("unit_id", sa.String(64), nullable=False),
    sa.Column("sensor_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("level", sa.String(12), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("open", sa.Boolean, nullable=False),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("notified", sa.JSON, nullable=False),
    sa.Column("acknowledged_by", sa.String(64), nullable=True),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("handled_by", sa.String(64), nullable=True),
    sa.Column("handled_reason", sa.String(500), nullable=True),
    sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_alarms_sensor_open", "sensor_id", "kind", "open"),
    sa.Index("ix_alarms_unit_open", "unit_id", "open"),
    sa.Index("ix_alarms_open_raised", "open", "raised_at"),
)


def one(conn: sa.Connection, table: sa.Table, key: str, value: str, *, lock: bool = False) -> Any:
    query = sa.select(table).where(table.c[key] == value)
    return conn.execute(query.with_for_update() if lock else query).first()


def open_alarm(conn: sa.Connection, sensor_id: str, kind: str) -> Any:
    return conn.execute(
        sa.select(alarms)
        .where(alarms.c.sensor_id == sensor_id, alarms.c.kind == kind, alarms.c.open.is_(True))
        .with_for_update()
    ).first()
