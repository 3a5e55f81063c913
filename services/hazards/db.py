"""Hazards tables and queries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.chassis.calendar_store import define_calendar_table
from services.chassis.messaging_tables import define_messaging_tables

metadata = sa.MetaData()
outbox, inbox, dead_letter = define_messaging_tables(metadata)

calendar_years = define_calendar_table(metadata)

hazards = sa.Table(
    "hazards",
    metadata,
    sa.Column("hazard_id", sa.String(36), primary_key=True),
    sa.Column("hazard_no", sa.String(80), nullable=False, unique=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("sector", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("credit_code", sa.String(18), nullable=False),
    sa.Column("enterprise_name", sa.String(200), nullable=False),
    sa.Column("location", sa.String(300), nullable=False),
    sa.Column("description", sa.String(2000), nullable=False),
    sa.Column("department", sa.String(100), nullable=False),  # 监管责任
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("dup_key", sa.String(600), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("grade", sa.String(10), nullable=False),
    sa.Column("grading", sa.JSON, nullable=False),
    sa.Column("rectification_order", sa.JSON, nullable=True),
    sa.Column("order_due", sa.Date, nullable=True),
    sa.Column("supervision", sa.JSON, nullable=True),  # 挂牌督办
    sa.Column("supervision_due", sa.Date, nullable=True),
    sa.Column("notice_due", sa.Date, nullable=True),
    sa.Column("escalations", sa.JSON, nullable=False),
    sa.Column("overdue_sent", sa.JSON, nullable=False),
    sa.Column("candidate_sent", sa.Boolean, nullable=False),
    sa.Column("fine_yuan", sa.Integer, nullable=True),
    sa.Column("decision_no", sa.String(80), nullable=True),
    sa.Column("registered_by", sa.String(64), nullable=False),
    sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("registered_on", sa.Date, nullable=False),
    sa.Column("closed_on", sa.Date, nullable=True),
    sa.Column("working_days_open", sa.Integer, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("agency_id", "year", "seq", name="uq_hazards_number"),
    sa.Index("ix_hazards_dup", "agency_id", "dup_key", "status"),
    sa.Index("ix_hazards_agency_status", "agency_id", "status"),
)

counters = sa.Table(
    "hazard_counters",
    metadata,
    sa.Column("agency_id", sa.String(64), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)

# Every finding of a hazard, the first (registered) and its duplicates (linked); a source's
# ref is unique, so an event or a phone's retry registers once.
findings = sa.Table(
    "hazard_findings",
    metadata,
    sa.Column("finding_id", sa.String(36), primary_key=True),
    sa.Column("hazard_id", sa.String(36), nullable=False, index=True),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("source_ref", sa.String(200), nullable=False),
    sa.Column("role", sa.String(12), nullable=False),  # registered, linked
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("source", "source_ref", name="uq_findings_source"),
)

acts = sa.Table(
    "hazard_acts",
    metadata,
    sa.Column("act_id", sa.String(36), primary_key=True),
    sa.Column("hazard_id", sa.String(36), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("actor_id", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
)

photos = sa.Table(
    "hazard_photos",
    metadata,
    sa.Column("photo_id", sa.String(36), primary_key=True),
    sa.Column("owner_kind", sa.String(16), nullable=False),  # hazard, rectification, report
    sa.Column("owner_id", sa.String(36), nullable=False, index=True),
    sa.Column("object_key", sa.String(200), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("media_type", sa.String(40), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

links = sa.Table(
    "rectification_links",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("hazard_id", sa.String(36), nullable=False, index=True),
    sa.Column("issued_by", sa.String(64), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
)

reports = sa.Table(
    "hazard_reports",
    metadata,
    sa.Column("report_id", sa.String(36), primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("what", sa.String(2000), nullable=False),
    sa.Column("place", sa.String(300), nullable=False),
    sa.Column("enterprise_name", sa.String(200), nullable=False),
    sa.Column("reporter_sealed", sa.Text, nullable=True),  # AES-GCM, base64
    sa.Column("address_key", sa.String(64), nullable=False),
    sa.Column("device_key", sa.String(64), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("hazard_id", sa.String(36), nullable=True, index=True),
    sa.Column("verified_by", sa.String(64), nullable=True),
    sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("opinion", sa.String(2000), nullable=True),
    sa.Column("matter", sa.String(24), nullable=True),
    sa.Column("reward_eligible", sa.Boolean, nullable=True),
    sa.Column("reward_yuan", sa.Integer, nullable=True),
    sa.Column("reward_rule", sa.String(300), nullable=True),
    sa.Column("reward_paid_on", sa.Date, nullable=True),
    sa.Column("reward_voucher", sa.String(100), nullable=True),
    sa.Column("reward_paid_by", sa.String(64), nullable=True),
    sa.Index("ix_reports_address", "address_key", "received_at"),
    sa.Index("ix_reports_device", "device_key", "received_at"),
)

# Confirmed overloads per loading source (货运源头单位), to find the repeated ones.
loading_hits = sa.Table(
    "loading_source_hits",
    metadata,
    sa.Column("weighing_id", sa.String(64), primary_key=True),
    sa.Column("credit_code", sa.String(18), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
)


def insert(conn: sa.Connection, table: sa.Table, **values: Any) -> None:
    conn.execute(table.insert().values(**values))


def get_hazard(conn: sa.Connection, hazard_id: str) -> Any:
    return conn.execute(sa.select(hazards).where(hazards.c.hazard_id == hazard_id)).first()


def update_hazard(conn: sa.Connection, hazard_id: str, **values: Any) -> None:
    conn.execute(hazards.update().where(hazards.c.hazard_id == hazard_id).values(**values))


def next_number(conn: sa.Connection, agency_id: str, year: int) -> int:
    """The next number of the agency's year; the write lock (SQLite BEGIN IMMEDIATE, the row
    lock on PostgreSQL) makes it gap-free: a rolled-back registration takes its number back."""
    row = conn.execute(
        sa.select(counters.c.last)
        .where(counters.c.agency_id == agency_id, counters.c.year == year)
        .with_for_update()
    ).first()
    if row is None:
        insert(conn, counters, agency_id=agency_id, year=year, last=1)
        return 1
    conn.execute(
        counters.update()
        .where(counters.c.agency_id == agency_id, counters.c.year == year)
        .values(last=row.last + 1)
    )
    return row.last + 1


def finding_by_source(conn: sa.Connection, source: str, source_ref: str) -> Any:
    return conn.execute(
        sa.select(findings).where(findings.c.source == source, findings.c.source_ref == source_ref)
    ).first()


def open_duplicate(conn: sa.Connection, agency_id: str, dup_key: str) -> Any:
    return conn.execute(
        sa.select(hazards).where(
            hazards.c.agency_id == agency_id,
            hazards.c.dup_key == dup_key,
            hazards.c.status != "closed",
        )
    ).first()


def acts_of(conn: sa.Connection, hazard_id: str) -> list:
    return list(
        conn.execute(sa.select(acts).where(acts.c.hazard_id == hazard_id).order_by(acts.c.at))
    )


def findings_of(conn: sa.Connection, hazard_id: str) -> list:
    return list(
        conn.execute(
            sa.select(findings)
            .where(findings.c.hazard_id == hazard_id)
            .order_by(findings.c.found_at)
        )
    )


def photos_of(conn: sa.Connection, owner_kind: str, owner_id: str) -> list:
    return list(
        conn.execute(
            sa.select(photos).where(
                photos.c.owner_kind == owner_kind, photos.c.owner_id == owner_id
            )
        )
    )
