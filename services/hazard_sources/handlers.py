"""Hazard sources use cases: register and grade units, sensors, readings in, alarms out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import uuid_utils

from enforcement.hazard_sources.v1 import hazard_sources_events_pb2
from enforcement.hazard_sources.v1 import hazard_sources_pb2 as pb
from services.chassis.db import Database, UnitOfWork, as_utc
from services.chassis.events import build_event, utcnow
from services.hazard_sources import db
from services.hazard_sources.domain import monitoring
from services.hazard_sources.domain.grading import (
    Assessment,
    Grade,
    Holding,
    UnknownChemical,
    assess,
)
from services.hazard_sources.domain.monitoring import (
    CHAIN_ROLES,
    AlarmChange,
    Change,
    Limits,
    SensorState,
    Zone,
)

log = logging.getLogger(__name__)

SERVICE = "hazard_sources"
TOPIC_ALARM = "hazard_sources.alarm-raised.v1"
MAX_BATCH = 1000
MAX_SKEW = timedelta(minutes=10)
KINDS = ("storage", "production")  # 储存单元, 生产单元
QUANTITIES = ("pressure", "level", "temperature", "gas")

# Called after a commit with the accepted readings [(sensor_id, unit_id, seq, value, at)]:
# the Parquet writer batches them to S3 (raw readings never sit in this database).
READING_SINKS: list[Callable[[list[tuple[str, str, int, float, datetime]]], None]] = []


class NotFound(LookupError):
    pass


class Invalid(ValueError):
    pass


# -- units and grading -----------------------------------------------------------------------


def _grading_dict(a: Assessment, reason: str, at: datetime) -> dict[str, Any]:
    return {
        "major": a.major,
        "grade": a.grade.zh,
        "grade_level": int(a.grade),
        "s": str(a.s),
        "weighted": str(a.weighted),
        "alpha": str(a.alpha),
        "r": str(a.r),
        "rules_version": a.rules_version,
        "reason": reason,
        "graded_at": at.isoformat(),
    }


def _assessment_of(g: dict[str, Any] | None) -> Assessment | None:
    if not g:
        return None
    return Assessment(
        s=Decimal(g["s"]),
        weighted=Decimal(g["weighted"]),
        alpha=Decimal(g["alpha"]),
        r=Decimal(g["r"]),
        major=g["major"],
        grade=Grade(g["grade_level"]),
        rules_version=g["rules_version"],
    )


def upsert_unit(database: Database, u: pb.Unit) -> tuple[Any, bool]:
    """Register or change a unit; grade it again and record why when the grading moved."""
    if not (u.unit_id and u.enterprise_id and u.enterprise_name and u.agency_id and u.town):
        raise Invalid("a unit needs an id, an enterprise (id and name), an agency and a town")
    if u.kind not in KINDS:
        raise Invalid("kind is storage (储存单元) or production (生产单元)")
    if not u.holdings:
        raise Invalid("a unit lists the chemicals it holds")
    if u.people_within_500m < 0:
        raise Invalid("people within 500 m is zero or more")
    roles = {p.role for p in u.chain}
    if not {"principal", "technical", "operational"} <= roles or not roles <= set(CHAIN_ROLES):
        raise Invalid("the 包保 chain names 主要负责人, 技术负责人 and 操作负责人 (town optional)")
    holdings = [Holding(h.chemical, Decimal(str(h.max_t)), h.category) for h in u.holdings]
    try:
        a = assess(holdings, u.people_within_500m)
    except UnknownChemical as exc:
        raise Invalid(f"{exc}: not in GB 18218 表1; give its 表2 category (e.g. W2, J1)") from exc
    now = utcnow()
    with database.unit_of_work() as uow:
        existing = db.one(uow.conn, db.units, "unit_id", u.unit_id, lock=True)
        if existing is not None and existing.agency_id != u.agency_id:
            raise NotFound(f"unit {u.unit_id} is not one of your agency's")
        before = _assessment_of(existing.grading) if existing is not None else None
        regraded = before is None or (before.r, before.s, before.rules_version) != (
            a.r,
            a.s,
            a.rules_version,
        )
        grading = _grading_dict(a, a.reason_against(before), now) if regraded else existing.grading
        values = dict(
            unit_id=u.unit_id,
            enterprise_id=u.enterprise_id,
            enterprise_name=u.enterprise_name,
            agency_id=u.agency_id,
            town=u.town,
            kind=u.kind,
            name=u.name or u.unit_id,
            holdings=[
                {"chemical": h.chemical, "max_t": str(h.max_t), "category": h.category}
                for h in holdings
            ],
            people_within_500m=u.people_within_500m,
            chain=[
                {"role": p.role, "name": p.name, "phone": p.phone, "user_id": p.user_id}
                for p in u.chain
            ],
            grading=grading,
        )
        if existing is None:
            uow.conn.execute(db.units.insert().values(**values))
        else:
            uow.conn.execute(
                db.units.update().where(db.units.c.unit_id == u.unit_id).values(**values)
            )
        if regraded:
            uow.conn.execute(
                db.gradings.insert().values(unit_id=u.unit_id, grading=grading, graded_at=now)
            )
        uow.commit()
    return get_unit(database, u.unit_id, u.agency_id)[0], regraded


def get_unit(
    database: Database, unit_id: str, agency_id: str, town: str = ""
) -> tuple[Any, list, list]:
    """A unit with its gradings and sensors; another agency's, or outside `town` when one is
    given (a town-bound supervisor), is not found."""
    with database.read() as conn:
        unit = db.one(conn, db.units, "unit_id", unit_id)
        if (
            unit is None
            or (agency_id and unit.agency_id != agency_id)
            or (town and unit.town != town)
        ):
            raise NotFound(f"no unit {unit_id}")
        history = list(
            conn.execute(
                sa.select(db.gradings)
                .where(db.gradings.c.unit_id == unit_id)
                .order_by(db.gradings.c.id)
            )
        )
        sensors = list(
            conn.execute(
                sa.select(db.sensors)
                .where(db.sensors.c.unit_id == unit_id)
                .order_by(db.sensors.c.sensor_id)
            )
        )
    return unit, history, sensors


def list_units(database: Database, agency_id: str, town: str) -> list[dict[str, Any]]:
    """The agency's units (of `town` when given) with their grading, open and active alarm
    counts and the newest reading of their sensors; most severe first (grade, then alarms)."""
    if not agency_id:
        raise Invalid("an agency is needed")
    q = sa.select(db.units).where(db.units.c.agency_id == agency_id)
    if town:
        q = q.where(db.units.c.town == town)
    alarms_q = (
        sa.select(
            db.alarms.c.unit_id,
            sa.func.count().label("open_alarms"),
            sa.func.sum(sa.case((db.alarms.c.active.is_(True), 1), else_=0)).label("active"),
        )
        .join(db.units, db.units.c.unit_id == db.alarms.c.unit_id)
        .where(db.units.c.agency_id == agency_id, db.alarms.c.open.is_(True))
        .group_by(db.alarms.c.unit_id)
    )
    sensors_q = (
        sa.select(
            db.sensors.c.unit_id,
            sa.func.count().label("sensors"),
            sa.func.max(db.sensors.c.last_at).label("last_at"),
        )
        .join(db.units, db.units.c.unit_id == db.sensors.c.unit_id)
        .where(db.units.c.agency_id == agency_id)
        .group_by(db.sensors.c.unit_id)
    )
    with database.read() as conn:
        units = list(conn.execute(q))
        open_of = {r.unit_id: (r.open_alarms, int(r.active or 0)) for r in conn.execute(alarms_q)}
        sensors_of = {r.unit_id: (r.sensors, r.last_at) for r in conn.execute(sensors_q)}
    out = []
    for u in units:
        open_n, active_n = open_of.get(u.unit_id, (0, 0))
        sensors_n, last_at = sensors_of.get(u.unit_id, (0, None))
        out.append(
            {"unit": u, "open_alarms": open_n, "active_alarms": active_n, "sensors": sensors_n,
             "last_reading_at": as_utc(last_at) if last_at else None}
        )  # fmt: skip

    def level(row: dict[str, Any]) -> int:
        return row["unit"].grading.get("grade_level") or 99  # not major: last

    out.sort(key=lambda r: (level(r), -r["open_alarms"], r["unit"].enterprise_name, r["unit"].name))
    return out


# -- sensors ---------------------------------------------------------------------------------


def limits_of(s: pb.Sensor) -> Limits:
    def opt(name: str) -> float | None:
        return getattr(s, name) if s.HasField(name) else None

    return Limits(
        high=opt("high"),
        high_high=opt("high_high"),
        low=opt("low"),
        low_low=opt("low_low"),
        deadband=s.deadband,
        sustain=s.sustain or 1,
        rate_per_min=opt("rate_per_min"),
        stale_after_s=s.stale_after_s or 300.0,
    )


def upsert_sensor(database: Database, s: pb.Sensor, agency_id: str) -> Any:
    if not s.sensor_id or not s.unit_id:
        raise Invalid("a sensor needs an id and its unit")
    if s.quantity not in QUANTITIES:
        raise Invalid(f"quantity is one of {', '.join(QUANTITIES)}")
    limits = limits_of(s)  # raises ValueError on bad limits
    now = utcnow()
    with database.unit_of_work() as uow:
        unit = db.one(uow.conn, db.units, "unit_id", s.unit_id)
        if unit is None or (agency_id and unit.agency_id != agency_id):
            raise NotFound(f"no unit {s.unit_id}")
        existing = db.one(uow.conn, db.sensors, "sensor_id", s.sensor_id, lock=True)
        if existing is not None and existing.unit_id != s.unit_id:
            raise Invalid(f"sensor {s.sensor_id} belongs to another unit")
        values = dict(
            sensor_id=s.sensor_id,
            unit_id=s.unit_id,
            quantity=s.quantity,
            unit_of_measure=s.unit_of_measure,
            limits=asdict(limits),
        )
        if existing is None:
            uow.conn.execute(
                db.sensors.insert().values(
                    **values,
                    state=_state_json(SensorState()),
                    watched_since=now,
                    stale_due_at=monitoring.stale_due(limits, SensorState(), now),
                )
            )
        else:
            since = as_utc(existing.watched_since)
            due = monitoring.stale_due(limits, _state_of(existing.state), since)
            uow.conn.execute(
                db.sensors.update()
                .where(db.sensors.c.sensor_id == s.sensor_id)
                .values(**values, stale_due_at=due)
            )
        uow.commit()
    with database.read() as conn:
        return db.one(conn, db.sensors, "sensor_id", s.sensor_id)


def _state_json(st: SensorState) -> dict[str, Any]:
    d = asdict(st)
    for k in ("last_at", "changed_at"):
        d[k] = d[k].isoformat() if d[k] else None
    d["zone"], d["pending"] = st.zone.value, st.pending.value
    return d


def _state_of(d: dict[str, Any]) -> SensorState:
    return SensorState(
        zone=Zone(d["zone"]),
        pending=Zone(d["pending"]),
        streak=d["streak"],
        rate_active=d["rate_active"],
        rate_streak=d["rate_streak"],
        rate_sign=d["rate_sign"],
        stale_active=d["stale_active"],
        last_value=d["last_value"],
        last_at=datetime.fromisoformat(d["last_at"]) if d["last_at"] else None,
        changed_at=datetime.fromisoformat(d["changed_at"]) if d["changed_at"] else None,
    )


# -- readings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    accepted: int
    duplicates: int
    alarms: int
    stored_up_to: int | None  # every reading of the sensor up to this seq is stored
    gap: bool = False  # the reading before the batch (after_seq) is not stored: none taken


MAX_MANY = 500  # batches in one RecordReadingsMany call
MAX_MANY_READINGS = 20_000  # readings in one call: one transaction stays short


def _check(req: pb.RecordReadingsRequest) -> None:
    if len(req.readings) > MAX_BATCH:
        raise Invalid(f"at most {MAX_BATCH} readings a batch")
    if req.HasField("after_seq") and any(r.seq <= req.after_seq for r in req.readings):
        raise Invalid("after_seq must lie below every reading of the batch")


def record_readings(database: Database, req: pb.RecordReadingsRequest) -> Recorded:
    """Apply a sensor's readings in seq order; a seq at or below the highest taken is a
    duplicate (a resend) and has no effect. A batch that names the reading before it
    (`after_seq`) is taken only when that one is stored, so a batch lost on the way is sent
    again rather than skipped over by the high-water mark."""
    _check(req)
    (done,) = record_many(database, [req])
    if isinstance(done, Exception):
        raise done
    return done


@dataclass
class _Taking:
    """One sensor's state while a transaction takes its batches."""

    sensor: Any
    unit: Any
    limits: Limits
    state: SensorState
    last_seq: int | None
    taken: int = 0


def record_many(
    database: Database, reqs: list[pb.RecordReadingsRequest]
) -> list[Recorded | Invalid | NotFound]:
    """Many sensors' batches in one transaction, one commit: each batch is answered exactly as
    `record_readings` would answer it after the batches before it. A batch refused (Invalid,
    NotFound) is refused before anything of it is written, and the others are taken; any
    other failure rolls back all of them (the caller sends them again)."""
    if len(reqs) > MAX_MANY or sum(len(r.readings) for r in reqs) > MAX_MANY_READINGS:
        raise Invalid(f"at most {MAX_MANY} batches and {MAX_MANY_READINGS} readings a call")
    out: list[Recorded | Invalid | NotFound | None] = [None] * len(reqs)
    for i, req in enumerate(reqs):
        try:
            _check(req)
        except Invalid as exc:
            out[i] = exc
    ids = sorted({r.sensor_id for i, r in enumerate(reqs) if out[i] is None})
    now = utcnow()
    accepted: list[tuple[str, str, int, float, datetime]] = []
    with database.unit_of_work() as uow:
        c = db.sensors.c
        # locked in one order, so two transactions over the same sensors cannot deadlock
        rows = uow.conn.execute(
            sa.select(db.sensors)
            .where(c.sensor_id.in_(ids))
            .order_by(c.sensor_id)
            .with_for_update()
        ).all()
        sensors = {row.sensor_id: row for row in rows}
        unit_ids = sorted({row.unit_id for row in rows})
        units = {
            u.unit_id: u
            for u in uow.conn.execute(sa.select(db.units).where(db.units.c.unit_id.in_(unit_ids)))
        }
        taking: dict[str, _Taking] = {}
        for i, req in enumerate(reqs):
            if out[i] is not None:
                continue
            sensor = sensors.get(req.sensor_id)
            unit = units.get(sensor.unit_id) if sensor is not None else None
            if (
                unit is None
                or (req.agency_id and unit.agency_id != req.agency_id)
                or (req.unit_id and req.unit_id != sensor.unit_id)
            ):
                out[i] = NotFound(f"no sensor {req.sensor_id}")
                continue
            t = taking.get(sensor.sensor_id)
            if t is None:
                t = taking[sensor.sensor_id] = _Taking(
                    sensor, unit, Limits(**sensor.limits), _state_of(sensor.state), sensor.last_seq
                )
            out[i] = _take(uow, t, req, now, accepted)
        for t in taking.values():
            if t.taken:
                uow.conn.execute(
                    db.sensors.update()
                    .where(c.sensor_id == t.sensor.sensor_id)
                    .values(
                        state=_state_json(t.state),
                        readings_taken=c.readings_taken + t.taken,
                        last_seq=t.last_seq,
                        last_value=t.state.last_value,
                        last_at=t.state.last_at,
                        stale_due_at=monitoring.stale_due(
                            t.limits, t.state, as_utc(t.sensor.watched_since)
                        ),
                    )
                )
        uow.commit()
    if accepted:
        for sink in READING_SINKS:
            try:
                sink(accepted)
            except Exception:  # the sink's own retry holds what it could not write
                log.exception("reading sink failed")
    return out  # type: ignore[return-value]


def _take(
    uow: UnitOfWork,
    t: _Taking,
    req: pb.RecordReadingsRequest,
    now: datetime,
    accepted: list[tuple[str, str, int, float, datetime]],
) -> Recorded:
    """One batch of one sensor, after what this transaction already took of it."""
    if req.HasField("after_seq") and (t.last_seq is None or t.last_seq < req.after_seq):
        return Recorded(0, 0, 0, t.last_seq, gap=True)
    duplicates = changes_n = taken = 0
    for r in sorted(req.readings, key=lambda r: r.seq):
        if t.last_seq is not None and r.seq <= t.last_seq:
            duplicates += 1
            continue
        at = r.device_time.ToDatetime(tzinfo=UTC) if r.HasField("device_time") else now
        if abs(at - now) > MAX_SKEW:
            at = now  # a device clock far off is not trusted for the rules
        if t.state.last_at is not None and at <= t.state.last_at:
            at = t.state.last_at + timedelta(microseconds=1)
        t.state, changes = monitoring.on_reading(t.limits, t.state, r.value, at)
        for change in changes:
            _apply_change(uow, t.unit, t.sensor, change, now)
            changes_n += 1
        t.last_seq = r.seq
        taken += 1
        accepted.append((t.sensor.sensor_id, t.unit.unit_id, r.seq, r.value, at))
    t.taken += taken
    return Recorded(taken, duplicates, changes_n, t.last_seq)


def _chain(unit: Any) -> list[dict[str, str]]:
    order = {role: i for i, role in enumerate(CHAIN_ROLES)}
    return sorted(unit.chain, key=lambda p: order.get(p["role"], 99))


def _notify(uow: UnitOfWork, unit: Any, alarm: dict[str, Any], step: int, now: datetime) -> None:
    """Reach everyone of `step` in the chain (the town step may name several officers) and
    announce it on the alarm topic."""
    role = CHAIN_ROLES[step - 1]
    people = [p for p in _chain(unit) if p["role"] == role] or [
        {"role": role, "name": "", "phone": ""}
    ]
    for p in people:
        alarm["notified"].append(
            {"role": role, "name": p["name"], "phone": p["phone"], "step": step,
             "at": now.isoformat()}
        )  # fmt: skip
        msg = hazard_sources_events_pb2.SensorAlarmRaised(
            alarm_id=alarm["alarm_id"], unit_id=unit.unit_id, unit_name=unit.name,
            enterprise_id=unit.enterprise_id, enterprise_name=unit.enterprise_name,
            agency_id=unit.agency_id, town=unit.town, sensor_id=alarm["sensor_id"],
            kind=alarm["kind"], level=alarm["level"], value=alarm["value"] or 0.0, step=step,
            role=role, person_name=p["name"], person_phone=p["phone"],
            grade=unit.grading.get("grade", ""),
        )  # fmt: skip
        msg.raised_at.FromDatetime(as_utc(alarm["raised_at"]))
        uow.add_event(
            build_event(topic=TOPIC_ALARM, aggregate_id=unit.unit_id, payload=msg, producer=SERVICE)
        )


def _apply_change(uow: UnitOfWork, unit: Any, sensor: Any, c: AlarmChange, now: datetime) -> None:
    """One alarm per sensor and kind while open: raised once (and the chain's first step
    told), then updated; the condition clearing does not close it, handling (消警) does."""
    row = db.open_alarm(uow.conn, sensor.sensor_id, c.kind.value)
    if c.change == Change.cleared:
        if row is not None:
            uow.conn.execute(
                db.alarms.update()
                .where(db.alarms.c.alarm_id == row.alarm_id)
                .values(active=False, updated_at=now)
            )
        return
    if row is not None:
        uow.conn.execute(
            db.alarms.update()
            .where(db.alarms.c.alarm_id == row.alarm_id)
            .values(level=c.level, active=True, value=c.value, updated_at=now)
        )
        return
    alarm = {
        "alarm_id": str(uuid_utils.uuid7()),
        "unit_id": unit.unit_id,
        "sensor_id": sensor.sensor_id,
        "kind": c.kind.value,
        "level": c.level,
        "active": True,
        "open": True,
        "value": c.value,
        "step": 1,
        "notified": [],
        "raised_at": now,
        "updated_at": now,
    }
    _notify(uow, unit, alarm, 1, now)
    uow.conn.execute(db.alarms.insert().values(**alarm))


# -- timers: stale sensors, escalation -------------------------------------------------------

SWEEP_BATCH = 1000  # sensors a sweep looks at; the rest wait for the next one


def due_sensors(now: datetime) -> sa.Select:
    """The sensors whose stale alarm may be due, locked against a batch of readings."""
    c = db.sensors.c
    return (
        sa.select(db.sensors)
        .where(c.stale_due_at.is_not(None), c.stale_due_at <= now)
        .order_by(c.stale_due_at)
        .limit(SWEEP_BATCH)
        .with_for_update()
    )


def sweep(database: Database, settings: Any = None, now: datetime | None = None) -> int:
    """Stale sensors raise their alarm; open alarms unhandled past the wait go one step
    further along the chain. Returns the number of alarms raised or escalated.

    Only sensors whose stale alarm is due are read (the index on stale_due_at), not every
    sensor of the district on every sweep."""
    now = now or utcnow()
    wait_s = getattr(settings, "escalate_after_s", 600.0)
    n = 0
    with database.unit_of_work() as uow:
        for sensor in uow.conn.execute(due_sensors(now)).all():
            limits = Limits(**sensor.limits)
            since = as_utc(sensor.watched_since)
            new, changes = monitoring.on_clock(limits, _state_of(sensor.state), now, since)
            if changes:
                unit = db.one(uow.conn, db.units, "unit_id", sensor.unit_id)
                for change in changes:
                    _apply_change(uow, unit, sensor, change, now)
                    n += 1
            uow.conn.execute(
                db.sensors.update()
                .where(db.sensors.c.sensor_id == sensor.sensor_id)
                .values(
                    state=_state_json(new), stale_due_at=monitoring.stale_due(limits, new, since)
                )
            )
        rows = uow.conn.execute(
            sa.select(db.alarms).where(
                db.alarms.c.open.is_(True), db.alarms.c.step < len(CHAIN_ROLES)
            )
        ).all()
        for row in rows:
            due = monitoring.escalation_step(as_utc(row.raised_at), now, wait_s)
            if due <= row.step:
                continue
            unit = db.one(uow.conn, db.units, "unit_id", row.unit_id)
            alarm = dict(row._mapping)
            alarm["notified"] = list(row.notified)
            for step in range(row.step + 1, due + 1):
                _notify(uow, unit, alarm, step, now)
            uow.conn.execute(
                db.alarms.update()
                .where(db.alarms.c.alarm_id == row.alarm_id)
                .values(step=due, notified=alarm["notified"], updated_at=now)
            )
            n += 1
        uow.commit()
    return n


# -- alarms for people -----------------------------------------------------------------------


def list_alarms(
    database: Database, agency_id: str, unit_id: str, open_only: bool, town: str = ""
) -> list[Any]:
    q = (
        sa.select(db.alarms, db.units.c.name, db.units.c.enterprise_name, db.units.c.town)
        .join(db.units, db.units.c.unit_id == db.alarms.c.unit_id)
        .order_by(db.alarms.c.raised_at.desc())
        .limit(500)
    )
    if agency_id:
        q = q.where(db.units.c.agency_id == agency_id)
    if unit_id:
        q = q.where(db.alarms.c.unit_id == unit_id)
    if town:
        q = q.where(db.units.c.town == town)
    if open_only:
        q = q.where(db.alarms.c.open.is_(True))
    with database.read() as conn:
        return list(conn.execute(q))


def _alarm_for(conn: sa.Connection, alarm_id: str, agency_id: str) -> Any:
    row = conn.execute(
        sa.select(db.alarms, db.units.c.agency_id)
        .join(db.units, db.units.c.unit_id == db.alarms.c.unit_id)
        .where(db.alarms.c.alarm_id == alarm_id)
        .with_for_update()
    ).first()
    if row is None or (agency_id and row.agency_id != agency_id):
        raise NotFound(f"no alarm {alarm_id}")
    return row


def acknowledge(database: Database, alarm_id: str, agency_id: str, user_id: str) -> Any:
    now = utcnow()
    with database.unit_of_work() as uow:
        row = _alarm_for(uow.conn, alarm_id, agency_id)
        if row.acknowledged_by is None:
            uow.conn.execute(
                db.alarms.update()
                .where(db.alarms.c.alarm_id == alarm_id)
                .values(acknowledged_by=user_id, acknowledged_at=now, updated_at=now)
            )
        uow.commit()
    return _one_alarm(database, alarm_id)


def handle(database: Database, alarm_id: str, agency_id: str, user_id: str, reason: str) -> Any:
    """消警: close the alarm with a written reason; escalation stops."""
    reason = reason.strip()
    if len(reason) < 4:
        raise Invalid("消警 needs a written reason (at least 4 characters)")
    now = utcnow()
    with database.unit_of_work() as uow:
        row = _alarm_for(uow.conn, alarm_id, agency_id)
        if row.open:
            uow.conn.execute(
                db.alarms.update()
                .where(db.alarms.c.alarm_id == alarm_id)
                .values(
                    open=False,
                    handled_by=user_id,
                    handled_reason=reason[:500],
                    handled_at=now,
                    acknowledged_by=row.acknowledged_by or user_id,
                    acknowledged_at=row.acknowledged_at or now,
                    updated_at=now,
                )
            )
        uow.commit()
    return _one_alarm(database, alarm_id)


def _one_alarm(database: Database, alarm_id: str) -> Any:
    with database.read() as conn:
        return conn.execute(
            sa.select(db.alarms, db.units.c.name, db.units.c.enterprise_name, db.units.c.town)
            .join(db.units, db.units.c.unit_id == db.alarms.c.unit_id)
            .where(db.alarms.c.alarm_id == alarm_id)
        ).first()
