"""The liveness sweep: venues left unprotected past a grace period become an enforcement
matter (an inspection task in records), once per spell."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from enforcement.gas.v1 import gas_events_pb2
from services.chassis.db import Database, as_utc
from services.chassis.events import build_event, utcnow
from services.gas import db
from services.gas.domain.liveness import DeviceKind, DeviceStatus, unprotected_reasons

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
