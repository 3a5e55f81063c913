"""The liveness sweep: venues left unprotected past a grace period become an enforcement
matter (an inspection task in records), once per spell."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from enforcement.gas.v1 import gas_events_pb2
from services.chassis.db import Database, as_utc
from services.chassis.events import build_event, utcnow
from services.gas import db, handlers
from services.gas.domain.liveness import (
    DeviceKind,
    DeviceStatus,
    device_status,
    unprotected_reasons,
)

TOPIC = "gas.venue-unprotected.v1"
GRACE = timedelta(minutes=10)
INSPECTION_EVERY = timedelta(days=183)  # detectors are checked every 6 months (local)


def reasons_for(devices: list, now: datetime) -> list[str]:
    statuses = [
        DeviceStatus(d.device_id, DeviceKind(d.kind), as_utc(d.last_seen), d.fault) for d in devices
    ]
    reasons = unprotected_reasons(statuses, now)
    for d in devices:
        if d.kind == DeviceKind.detector.value and d.last_inspected_on is not None:
            if now.date() - d.last_inspected_on > INSPECTION_EVERY + GRACE:
                reasons.append(f"detector {d.device_id} is overdue for its 6-monthly inspection")
    return reasons


def sweep(database: Database, _settings: object = None, grace: timedelta = GRACE) -> int:
    """Record who is unprotected since when; announce each spell once, after the grace."""
    now = utcnow()
    announced = 0
    with database.unit_of_work() as uow:
        venues = uow.conn.execute(sa.select(db.venues)).all()
        for venue in venues:
            reasons = reasons_for(db.devices_of(uow.conn, venue.venue_id), now)
            row = db.one(uow.conn, db.protection, "venue_id", venue.venue_id, lock=True)
            if not reasons:
                if row is not None:
                    uow.conn.execute(
                        db.protection.delete().where(db.protection.c.venue_id == venue.venue_id)
                    )
                continue
            if row is None:
                uow.conn.execute(
                    db.protection.insert().values(
                        venue_id=venue.venue_id, reasons=reasons, since=now, announced=False
                    )
                )
                continue
            since = as_utc(row.since)
            if row.announced or now - since < grace:
                uow.conn.execute(
                    db.protection.update()
                    .where(db.protection.c.venue_id == venue.venue_id)
                    .values(reasons=reasons)
                )
                continue
            msg = gas_events_pb2.VenueUnprotected(
                venue_id=venue.venue_id, venue_name=venue.name,
                venue_credit_code=venue.credit_code, agency_id=venue.agency_id,
                town=venue.town, address=venue.address, reasons=reasons,
            )  # fmt: skip
            msg.since.FromDatetime(since)
            uow.add_event(
                build_event(topic=TOPIC, aggregate_id=venue.venue_id, payload=msg, producer="gas")
            )
            uow.conn.execute(
                db.protection.update()
                .where(db.protection.c.venue_id == venue.venue_id)
                .values(reasons=reasons, announced=True)
            )
            announced += 1
        uow.commit()
    return announced


STATUS_TOPIC = "gas.device-status-changed.v1"


def device_statuses(database: Database, _settings: object = None) -> int:
    """Announce each device going offline, reporting a fault or coming back.

    Runs every few seconds, so a fault a device reports reaches the regulators well within
    the 100 s GB 16808 allows. A device never heard from is recorded silently: the liveness
    sweep covers venues that were never protected.
    """
    now = utcnow()
    query = sa.select(db.devices, db.venues.c.name, db.venues.c.agency_id, db.venues.c.town)
    query = query.join(db.venues, db.venues.c.venue_id == db.devices.c.venue_id)
    with database.read() as conn:  # most sweeps find nothing new: no write lock for them
        rows = conn.execute(query).all()
    moves = []
    for d in rows:
        status = device_status(
            DeviceStatus(d.device_id, DeviceKind(d.kind), as_utc(d.last_seen), d.fault), now
        )
        if status != d.status:
            moves.append((d, status))
    if not moves:
        return 0
    changed = 0
    agencies: set[str] = set()
    with database.unit_of_work() as uow:
        for d, status in moves:
            silent = not d.status and status != "fault"
            moved = uow.conn.execute(
                db.devices.update()
                .where(db.devices.c.device_id == d.device_id, db.devices.c.status == d.status)
                .values(status=status, status_changed_at=None if silent else now)
            )
            if silent or moved.rowcount == 0:  # another sweep got there first
                continue
            msg = gas_events_pb2.DeviceStatusChanged(
                device_id=d.device_id, kind=d.kind, venue_id=d.venue_id, venue_name=d.name,
                agency_id=d.agency_id, town=d.town, status=status, previous=d.status,
                fault=d.fault,
            )  # fmt: skip
            msg.changed_at.FromDatetime(now)
            uow.add_event(
                build_event(
                    topic=STATUS_TOPIC, aggregate_id=d.device_id, payload=msg, producer="gas"
                )
            )
            changed += 1
            agencies.add(d.agency_id)
        uow.commit()
    database.wakeups.announce(handlers.CHANGES_CHANNEL, sorted(agencies))
    return changed


def device_changes(
    database: Database, *, agency_id: str, town: str | None, venue_id: str | None,
    changed_after: datetime | None,
) -> list:  # fmt: skip
    q = (
        sa.select(db.devices, db.venues.c.name, db.venues.c.town)
        .join(db.venues, db.venues.c.venue_id == db.devices.c.venue_id)
        .where(db.venues.c.agency_id == agency_id, db.devices.c.status_changed_at.is_not(None))
    )
    if town:
        q = q.where(db.venues.c.town == town)
    if venue_id:
        q = q.where(db.devices.c.venue_id == venue_id)
    if changed_after is not None:
        q = q.where(db.devices.c.status_changed_at > changed_after)
    with database.read() as conn:
        return list(conn.execute(q.order_by(db.devices.c.status_changed_at.desc()).limit(500)))
