"""Overload tables and queries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from services.chassis.calendar_store import define_calendar_table
from services.chassis.messaging_tables import define_messaging_tables

metadata = sa.MetaData()
outbox, inbox, dead_letter = define_messaging_tables(metadata)
# A copy of the official calendar's years (review.calendar-year-published.v1).
calendar_years = define_calendar_table(metadata)

inspections = sa.Table(
    "inspections",
    metadata,
    sa.Column("inspection_id", sa.String(36), primary_key=True),
    sa.Column("plate", sa.String(12), nullable=False),
    sa.Column("station_id", sa.String(64), nullable=False),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("last_verdict", sa.JSON, nullable=False),
    sa.Column("hundred_tonne_king", sa.Boolean, nullable=False),
    sa.Column("parties", sa.JSON, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    # The static weighing a confirmation rests on, and the officers who confirmed it.
    sa.Column("static_weighing_id", sa.String(36), nullable=True),
    sa.Column("confirmed_by", sa.JSON, nullable=True),
    sa.Index("ix_inspections_plate_status", "plate", "status"),
)

weighings = sa.Table(
    "weighings",
    metadata,
    sa.Column("weighing_id", sa.String(36), primary_key=True),
    sa.Column("client_weighing_id", sa.String(100), nullable=False, unique=True),
    sa.Column("inspection_id", sa.String(36), nullable=True),
    sa.Column("station_id", sa.String(64), nullable=False),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("plate", sa.String(12), nullable=False),
    sa.Column("scale_kind", sa.String(8), nullable=False),
    sa.Column("gross_t", sa.String(16), nullable=False),
    sa.Column("verdict", sa.JSON, nullable=False),
    sa.Column("over_limit", sa.Boolean, nullable=False),
    sa.Column("hundred_tonne_king", sa.Boolean, nullable=False),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("weighed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Index("ix_weighings_agency_day", "agency_id", "day", "station_id"),
)

violations = sa.Table(
    "violations",
    metadata,
    sa.Column("inspection_id", sa.String(36), primary_key=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("plate", sa.String(12), nullable=False),
    sa.Column("carrier_code", sa.String(18), nullable=False),
    sa.Column("carrier_name", sa.String(200), nullable=False),
    sa.Column("source_code", sa.String(18), nullable=False),
    sa.Column("source_name", sa.String(200), nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_violations_plate", "plate", "confirmed_at"),
)

OPEN_STATUSES = (
    "suspected",
    "intercepted",
    "weighed",
    "confirmed",
    "cleared",
    "unloaded",
    "reweighed",
)


def weighing_by_client_id(conn: sa.Connection, client_weighing_id: str) -> Any:
    return conn.execute(
        sa.select(weighings).where(weighings.c.client_weighing_id == client_weighing_id)
    ).first()


def open_inspection(conn: sa.Connection, plate: str, agency_id: str) -> Any:
    return conn.execute(
        sa.select(inspections)
        .where(
            inspections.c.plate == plate,
            inspections.c.agency_id == agency_id,
            inspections.c.status.in_(OPEN_STATUSES),
        )
        .order_by(inspections.c.opened_at.desc())
        .limit(1)
        .with_for_update()
    ).first()


def get_inspection(conn: sa.Connection, inspection_id: str, *, for_update: bool = False) -> Any:
    query = sa.select(inspections).where(inspections.c.inspection_id == inspection_id)
    return conn.execute(query.with_for_update() if for_update else query).first()


def insert(conn: sa.Connection, table: sa.Table, **values: Any) -> None:
    conn.execute(table.insert().values(**values))


def update_inspection(conn: sa.Connection, inspection_id: str, **values: Any) -> None:
    conn.execute(
        inspections.update().where(inspections.c.inspection_id == inspection_id).values(**values)
    )


def station_days(
    conn: sa.Connection, agency_id: str, day_from: date, day_to: date, town: str = ""
) -> list[Any]:
    """Per station and day; with `town`, that town's stations only."""
    w = weighings
    suspected = sa.func.sum(sa.case((sa.and_(w.c.scale_kind == "wim", w.c.over_limit), 1), else_=0))
    # Confirmed means by the officers on site: the static weighing an inspection rests on.
    signed = sa.select(inspections.c.static_weighing_id).where(
        inspections.c.confirmed_at.is_not(None), inspections.c.agency_id == agency_id
    )
    confirmed = sa.func.sum(sa.case((w.c.weighing_id.in_(signed), 1), else_=0))
    kings = sa.func.sum(sa.case((w.c.hundred_tonne_king, 1), else_=0))
    query = (
        sa.select(
            w.c.station_id,
            w.c.day,
            sa.func.count().label("weighed"),
            suspected.label("suspected"),
            confirmed.label("confirmed"),
            kings.label("kings"),
        )
        .where(w.c.agency_id == agency_id, w.c.day >= day_from, w.c.day <= day_to)
        .where(_in_town(w.c.station_id, agency_id, town))
        .group_by(w.c.station_id, w.c.day)
        .order_by(w.c.day, w.c.station_id)
    )
    return list(conn.execute(query))


def _in_town(station_id: sa.Column, agency_id: str, town: str) -> Any:
    """True for every row without `town`; else only rows of that town's stations."""
    if not town:
        return sa.true()
    return station_id.in_(
        sa.select(stations.c.station_id).where(
            stations.c.agency_id == agency_id, stations.c.town == town
        )
    )


def top(
    conn: sa.Connection,
    agency_id: str,
    code: sa.Column,
    name: sa.Column,
    since: datetime,
    limit: int,
    town: str = "",
) -> list[Any]:
    """The most frequent keys of confirmed violations; with `town`, those found in that town."""
    in_town = (
        violations.c.inspection_id.in_(
            sa.select(inspections.c.inspection_id).where(
                inspections.c.agency_id == agency_id, inspections.c.town == town
            )
        )
        if town
        else sa.true()
    )
    query = (
        sa.select(code.label("key"), sa.func.max(name).label("name"), sa.func.count().label("n"))
        .where(violations.c.agency_id == agency_id, violations.c.confirmed_at >= since, code != "")
        .where(in_town)
        .group_by(code)
        .order_by(sa.func.count().desc(), code)
        .limit(limit)
    )
    return list(conn.execute(query))


stations = sa.Table(
    "stations",
    metadata,
    sa.Column("station_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("scale_kind", sa.String(8), nullable=False),
    sa.Column("accuracy_class", sa.String(4), nullable=False),
    sa.Column("interval_kg", sa.Integer, nullable=False),
    sa.Column("verified_on", sa.Date, nullable=True),
)


def get_station(conn: sa.Connection, station_id: str) -> Any:
    return conn.execute(sa.select(stations).where(stations.c.station_id == station_id)).first()


def upsert_station(conn: sa.Connection, **values: Any) -> None:
    updated = conn.execute(
        stations.update().where(stations.c.station_id == values["station_id"]).values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(stations.insert().values(**values))


photos = sa.Table(
    "photos",
    metadata,
    sa.Column("photo_id", sa.String(36), primary_key=True),
    sa.Column("weighing_id", sa.String(36), nullable=False),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("object_key", sa.String(200), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_photos_weighing", "weighing_id"),
)


def get_weighing(conn: sa.Connection, weighing_id: str) -> Any:
    return conn.execute(sa.select(weighings).where(weighings.c.weighing_id == weighing_id)).first()


def get_photo(conn: sa.Connection, photo_id: str) -> Any:
    return conn.execute(sa.select(photos).where(photos.c.photo_id == photo_id)).first()


reports = sa.Table(
    "reports",
    metadata,
    sa.Column("report_id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36), nullable=False, unique=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("weighing_id", sa.String(36), nullable=False),
    sa.Column("role", sa.String(24), nullable=False),
    sa.Column("plate", sa.String(12), nullable=False),
    sa.Column("closed_on", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("sent_on", sa.Date, nullable=True),
    sa.Column("sent_by", sa.String(64), nullable=True),
    # counted through a year without its notice: recounted when the year is entered
    sa.Column("due_provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_reports_agency_due", "agency_id", "due_date"),
)


def report_of_case(conn: sa.Connection, case_id: str) -> Any:
    return conn.execute(sa.select(reports).where(reports.c.case_id == case_id)).first()


def get_report(conn: sa.Connection, report_id: str) -> Any:
    return conn.execute(sa.select(reports).where(reports.c.report_id == report_id)).first()


def list_reports(conn: sa.Connection, agency_id: str, open_only: bool) -> list[Any]:
    query = sa.select(reports).where(reports.c.agency_id == agency_id)
    if open_only:
        query = query.where(reports.c.sent_on.is_(None))
    return list(conn.execute(query.order_by(reports.c.due_date)))


referrals = sa.Table(
    "referrals",
    metadata,
    sa.Column("referral_id", sa.String(36), primary_key=True),
    sa.Column("inspection_id", sa.String(36), nullable=False),
    sa.Column("weighing_id", sa.String(36), nullable=False),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("plate", sa.String(12), nullable=False),
    sa.Column("to_power", sa.String(24), nullable=False),
    sa.Column("to_agency", sa.String(200), nullable=False),
    sa.Column("matters", sa.JSON, nullable=False),
    sa.Column("basis", sa.JSON, nullable=False),
    sa.Column("facts", sa.Text, nullable=False),
    sa.Column("photo_keys", sa.JSON, nullable=False),
    sa.Column("own_fine_yuan", sa.Integer, nullable=False),
    sa.Column("own_fine_basis", sa.String(500), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("sent_on", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("acknowledged_on", sa.Date, nullable=True),
    sa.Column("acknowledged_by", sa.String(64), nullable=True),
    sa.Column("acknowledgement_ref", sa.String(100), nullable=True),
    sa.UniqueConstraint("inspection_id", "to_power", name="uq_referrals_inspection_power"),
    sa.Index("ix_referrals_agency_due", "agency_id", "due_date"),
)


def attached_photo_keys(conn: sa.Connection, weighing_id: str) -> list[str]:
    query = (
        sa.select(photos.c.object_key)
        .where(photos.c.weighing_id == weighing_id, photos.c.status == "attached")
        .order_by(photos.c.created_at)
    )
    return [r.object_key for r in conn.execute(query)]


def get_referral(conn: sa.Connection, referral_id: str) -> Any:
    return conn.execute(sa.select(referrals).where(referrals.c.referral_id == referral_id)).first()


def list_referrals(conn: sa.Connection, agency_id: str, open_only: bool) -> list[Any]:
    query = sa.select(referrals).where(referrals.c.agency_id == agency_id)
    if open_only:
        query = query.where(referrals.c.status == "sent")
    return list(conn.execute(query.order_by(referrals.c.due_date, referrals.c.referral_id)))


def list_inspections(conn: sa.Connection, agency_id: str, open_only: bool, limit: int) -> list[Any]:
    """The agency's inspections with their station's name; awaiting confirmation first."""
    query = (
        sa.select(inspections, stations.c.name.label("station_name"))
        .select_from(
            inspections.outerjoin(stations, stations.c.station_id == inspections.c.station_id)
        )
        .where(inspections.c.agency_id == agency_id)
    )
    if open_only:
        query = query.where(inspections.c.status.in_(OPEN_STATUSES))
    waiting = sa.case((inspections.c.status == "weighed", 0), else_=1)
    return list(conn.execute(query.order_by(waiting, inspections.c.updated_at.desc()).limit(limit)))


def weighings_of(conn: sa.Connection, inspection_id: str) -> list[Any]:
    query = sa.select(weighings).where(weighings.c.inspection_id == inspection_id)
    return list(conn.execute(query.order_by(weighings.c.weighed_at)))


def attached_photos(conn: sa.Connection, weighing_ids: list[str]) -> list[Any]:
    if not weighing_ids:
        return []
    query = (
        sa.select(photos)
        .where(photos.c.weighing_id.in_(weighing_ids), photos.c.status == "attached")
        .order_by(photos.c.created_at)
    )
    return list(conn.execute(query))
