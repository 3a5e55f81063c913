"""Coverage for supervisors: which venues are protected right now, per town/street, and why
the others are not. Computed live from the registry; the liveness sweep's grace period does
not apply here."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from services.chassis.db import Database, as_utc
from services.chassis.events import utcnow
from services.gas import db
from services.gas.domain.liveness import DeviceKind, DeviceStatus, gaps
from services.gas.protection import INSPECTION_EVERY

MAX_LISTED = 1000


@dataclass
class TownCoverage:
    town: str
    registered: int = 0
    protected: int = 0
    unprotected: int = 0
    inspection_overdue: int = 0
    gaps: Counter = field(default_factory=Counter)

    def add(self, venue_gaps: list[str], overdue: bool) -> None:
        self.registered += 1
        if venue_gaps:
            self.unprotected += 1
            self.gaps.update(venue_gaps)
        else:
            self.protected += 1
        self.inspection_overdue += overdue


@dataclass
class Coverage:
    district: TownCoverage
    towns: list[TownCoverage]
    unprotected: list[tuple[str, str, str, list[str]]]  # venue id, name, town, gaps
    computed_at: datetime


def coverage(database: Database, *, agency_id: str, town: str | None = None) -> Coverage:
    now = utcnow()
    venue_q = sa.select(db.venues.c.venue_id, db.venues.c.name, db.venues.c.town).where(
        db.venues.c.agency_id == agency_id
    )
    if town:
        venue_q = venue_q.where(db.venues.c.town == town)
    with database.read() as conn:
        venues = conn.execute(venue_q.order_by(db.venues.c.town, db.venues.c.name)).all()
        device_rows = conn.execute(
            sa.select(db.devices).where(db.devices.c.venue_id.in_(venue_q.with_only_columns(
                db.venues.c.venue_id
            )))
        ).all()  # fmt: skip
    by_venue: dict[str, list] = defaultdict(list)
    for d in device_rows:
        by_venue[d.venue_id].append(d)
    district = TownCoverage("")
    towns: dict[str, TownCoverage] = {}
    listed = []
    for v in venues:
        devices = by_venue[v.venue_id]
        statuses = [
            DeviceStatus(d.device_id, DeviceKind(d.kind), as_utc(d.last_seen), d.fault)
            for d in devices
        ]
        venue_gaps = [g.value for g in gaps(statuses, now)]
        overdue = any(
            d.kind == DeviceKind.detector.value
            and d.last_inspected_on is not None
            and now.date() - d.last_inspected_on > INSPECTION_EVERY
            for d in devices
        )
        district.add(venue_gaps, overdue)
        towns.setdefault(v.town, TownCoverage(v.town)).add(venue_gaps, overdue)
        if venue_gaps and len(listed) < MAX_LISTED:
            listed.append((v.venue_id, v.name, v.town, venue_gaps))
    return Coverage(district, sorted(towns.values(), key=lambda t: t.town), listed, now)
