"""Gas use cases: the registry, device events in, alarms, close commands, escalation."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import uuid_utils

from enforcement.gas.v1 import gas_events_pb2, gas_pb2
from services.chassis.db import Database, UnitOfWork, as_utc
from services.chassis.events import build_event, utcnow
from services.gas import db
from services.gas.domain.alarms import (
    AlarmState,
    Change,
    Level,
    Thresholds,
    acknowledge,
    on_device_alarm,
    on_reading,
)
from services.gas.domain.liveness import DeviceKind, DeviceStatus, device_status
from services.gas.domain.valves import (
    CloseCommand,
    CommandStatus,
    ValvePolicy,
    ValveState,
    delivered,
    due_for_delivery,
    needs_escalation,
    valve_report,
)

SERVICE = "gas"
TOPIC_ALARM = "gas.alarm-raised.v1"
EVENT_TYPES = ("heartbeat", "reading", "alarm", "fault", "valve", "tamper")
FAULTS = ("", "line-open", "line-short", "power", "battery", "sensor")
MAX_SKEW = timedelta(minutes=10)
MAX_BATCH = 500


# Announced after a commit that issued close commands, with the valves' ids: every gas
# replica wakes the valves waiting on its long-poll at once (services/chassis/wakeups.py).
COMMANDS_CHANNEL = "gas_commands"
# Announced with agency ids after an alarm or a device status changed: live streams of that
# agency, held by any gas replica, look again at once.
CHANGES_CHANNEL = "gas_changes"


class NotFound(LookupError):
    pass


class InvalidEvent(ValueError):
    pass


# -- registry --------------------------------------------------------------------------------


def upsert_venue(database: Database, v: gas_pb2.Venue) -> gas_pb2.Venue:
    if not v.venue_id or not v.name or not v.agency_id or not v.town:
        raise InvalidEvent("a venue needs an id, a name, an agency and a town/street")
    t = Thresholds(v.first_lel or 25.0, v.second_lel or 50.0, v.sustain or 2)
    with database.unit_of_work() as uow:
        existing = db.one(uow.conn, db.venues, "venue_id", v.venue_id, lock=True)
        if existing is not None and existing.agency_id != v.agency_id:
            raise NotFound(f"venue {v.venue_id} is not one of your agency's")
        db.upsert(
            uow.conn, db.venues, "venue_id", venue_id=v.venue_id, name=v.name,
            credit_code=v.credit_code, address=v.address, agency_id=v.agency_id, town=v.town,
            contact=v.contact, first_lel=t.first_lel, second_lel=t.second_lel, sustain=t.sustain,
        )  # fmt: skip
        uow.commit()
    return v


def upsert_device(database: Database, d: gas_pb2.Device, agency_id: str = "") -> gas_pb2.Device:
    """Register or move a device; with `agency_id`, both its venue and any venue it is moved
    from must be that agency's (an admin cannot pull another agency's valve)."""
    try:
        DeviceKind(d.kind)
    except ValueError as exc:
        raise InvalidEvent("kind is gas_detector, shutoff_valve or controller") from exc
    with database.unit_of_work() as uow:
        venue = db.one(uow.conn, db.venues, "venue_id", d.venue_id)
        if venue is None or (agency_id and venue.agency_id != agency_id):
            raise NotFound(f"venue {d.venue_id} is not registered")
        existing = db.one(uow.conn, db.devices, "device_id", d.device_id, lock=True)
        if existing is not None and agency_id:
            old = db.one(uow.conn, db.venues, "venue_id", existing.venue_id)
            if old is not None and old.agency_id != agency_id:
                raise NotFound(f"device {d.device_id} is not one of your agency's")
        db.upsert(
            uow.conn, db.devices, "device_id", device_id=d.device_id, venue_id=d.venue_id,
            kind=d.kind, model=d.model, serial=d.serial,
            installed_on=_date(d.installed_on), last_inspected_on=_date(d.last_inspected_on),
            last_seen=existing.last_seen if existing else None,
            fault=existing.fault if existing else "",
            valve_state=existing.valve_state if existing else "open",
        )  # fmt: skip
        uow.commit()
    return d


def get_device(database: Database, device_id: str, agency_id: str):
    """A registered device whose venue is `agency_id`'s; NotFound for any other (an agency
    issues credentials only for its own devices, and learns nothing of another's)."""
    with database.read() as conn:
        device = db.one(conn, db.devices, "device_id", device_id)
        venue = db.one(conn, db.venues, "venue_id", device.venue_id) if device else None
    if device is None or venue is None or not agency_id or venue.agency_id != agency_id:
        raise NotFound(f"device {device_id} is not registered at a venue of your agency")
    return device


def venue_state(database: Database, venue_id: str, agency_id: str, town: str | None = None):
    """A venue of `agency_id` (and of `town` when given) with its devices and each valve's
    open close commands; NotFound for any other, as for an alarm outside the caller's list."""
    with database.read() as conn:
        venue = db.one(conn, db.venues, "venue_id", venue_id)
        if venue is None or venue.agency_id != agency_id or (town and venue.town != town):
            raise NotFound("venue not found")
        devices = db.devices_of(conn, venue_id)
        open_commands = {
            d.device_id: len(db.open_commands(conn, d.device_id))
            for d in devices
            if d.kind == DeviceKind.valve.value
        }
    return venue, devices, open_commands


def _owned(conn: sa.Connection, device, device_id: str, agency_id: str | None):
    """The device's venue, checked against the agency of the credentials that signed the
    request (`None`: a trusted in-process caller such as the simulator's own tests)."""
    if device is None:
        raise NotFound(f"device {device_id} is not registered")
    venue = db.one(conn, db.venues, "venue_id", device.venue_id)
    if agency_id is not None and (not agency_id or venue.agency_id != agency_id):
        raise NotFound(f"device {device_id} is not registered with your agency")
    return venue


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


# -- device events ---------------------------------------------------------------------------


def _validate(events, now: datetime) -> None:
    if not 1 <= len(events) <= MAX_BATCH:
        raise InvalidEvent(f"a batch holds 1 to {MAX_BATCH} events")
    seqs = [e.seq for e in events]
    if len(set(seqs)) != len(seqs) or min(seqs) < 0:
        raise InvalidEvent("each event has its own non-negative seq")
    for e in events:
        if e.type not in EVENT_TYPES:
            raise InvalidEvent(f"unknown event type {e.type!r}; one of: {', '.join(EVENT_TYPES)}")
        if e.HasField("device_time"):
            skew = abs(e.device_time.ToDatetime(tzinfo=UTC) - now)
            if skew > MAX_SKEW:
                raise InvalidEvent("device_time is more than 10 minutes off; check the clock")
        if e.type in ("reading", "alarm") and not 0 <= e.lel <= 100:
            raise InvalidEvent("lel is a percentage of the lower explosive limit, 0 to 100")
        if e.type == "alarm" and e.level not in (1, 2):
            raise InvalidEvent("an alarm has level 1 or 2")
        if e.type == "fault" and e.fault not in FAULTS:
            raise InvalidEvent(f"fault is one of: {', '.join(f or '(cleared)' for f in FAULTS)}")
        if e.type == "valve" and e.valve_state not in ("open", "closed"):
            raise InvalidEvent("valve_state is open or closed")


def _state_of(row) -> AlarmState:
    if row is None:
        return AlarmState()
    s = dict(row.state)
    s["level"] = Level(s["level"])
    s["sources"] = tuple(s["sources"])
    for k in ("raised_at", "updated_at"):
        s[k] = datetime.fromisoformat(s[k]) if s[k] else None
    return AlarmState(**s)


def _state_json(state: AlarmState) -> dict:
    d = asdict(state)
    d["level"] = int(state.level)
    d["sources"] = list(state.sources)
    for k in ("raised_at", "updated_at"):
        d[k] = d[k].isoformat() if d[k] else None
    return d


def ingest(
    database: Database,
    device_id: str,
    events,
    policy: ValvePolicy | None = None,
    agency_id: str | None = None,
) -> tuple[int, int, list]:
    """Store a device's batch (durable before the answer) and apply the alarm rules.

    `agency_id` is the agency whose credentials signed the batch: a device registered at
    another agency's venue is refused before anything is stored."""
    policy = policy or ValvePolicy()
    now = utcnow()
    _validate(events, now)
    with _one_writer(database), database.unit_of_work() as uow:
        device = db.one(uow.conn, db.devices, "device_id", device_id, lock=True)
        venue = _owned(uow.conn, device, device_id, agency_id)
        seen = _seen(uow.conn, device_id, [e.seq for e in events])
        fresh = sorted((e for e in events if e.seq not in seen), key=lambda x: x.seq)
        if fresh:
            _insert_events(uow.conn, device_id, fresh, now)
        thresholds = Thresholds(venue.first_lel, venue.second_lel, venue.sustain)
        alarm = db.active_alarm(uow.conn, venue.venue_id)
        state = _state_of(alarm)
        if alarm is None and _may_raise(fresh, thresholds):
            state = _recent_streaks(uow.conn, venue.venue_id, thresholds, before=now)
        changes: list[Change] = []
        fault, valve_state = device.fault, device.valve_state
        for e in fresh:
            if e.type == "reading":
                state, change = on_reading(state, e.lel, thresholds, device_id=device_id, at=now)
                changes.append(change)
            elif e.type == "alarm":
                state, change = on_device_alarm(
                    state, Level(e.level), device_id=device_id, at=now, lel=e.lel
                )
                changes.append(change)
            elif e.type == "fault":
                fault = e.fault
            elif e.type == "tamper":
                fault = "tamper"
            elif e.type == "valve":
                valve_state = valve_report(
                    ValveState(valve_state), ValveState(e.valve_state), manual=e.manual
                ).value
                if valve_state == "closed":
                    _acknowledge_commands(uow, device_id, now)
        if fresh:
            last_seen = max(filter(None, (as_utc(device.last_seen), now)))
            uow.conn.execute(
                db.devices.update()
                .where(db.devices.c.device_id == device_id)
                .values(last_seen=last_seen, fault=fault, valve_state=valve_state)
            )
        issued = _store_alarm(uow, venue, alarm, state, changes, now)
        commands = _deliver(uow, device, policy, now)
        uow.commit()
    if issued:
        database.wakeups.announce(COMMANDS_CHANNEL, issued)
    if any(c is not Change.unchanged for c in changes):
        database.wakeups.announce(CHANGES_CHANNEL, [venue.agency_id])
    return len(fresh), len(events) - len(fresh), commands


# SQLite's busy handler sleeps up to 100 ms between tries, so batches queueing on BEGIN
# IMMEDIATE left the write lock idle most of the time; a lock queues them and wakes the next
# one at once. PostgreSQL locks the device row instead.
_SQLITE_INGEST = threading.Lock()


def _one_writer(database: Database) -> contextlib.AbstractContextManager:
    if database.engine.dialect.name == "sqlite":
        return _SQLITE_INGEST
    return contextlib.nullcontext()


def _seen(conn: sa.Connection, device_id: str, seqs: list[int]) -> set[int]:
    """The seqs of this batch already stored (a resent batch), in one query."""
    c = db.device_events.c
    query = sa.select(c.seq).where(c.device_id == device_id, c.seq.in_(seqs))
    return set(conn.execute(query).scalars())


def _insert_events(conn: sa.Connection, device_id: str, events, now: datetime) -> None:
    rows = [
        {
            "device_id": device_id, "seq": e.seq, "type": e.type,
            "body": {"lel": e.lel, "level": e.level, "fault": e.fault,
                     "valve_state": e.valve_state, "manual": e.manual,
                     "command_id": e.command_id},
            "device_time": (
                e.device_time.ToDatetime(tzinfo=UTC) if e.HasField("device_time") else None
            ),
            "received_at": now,
        }
        for e in events
    ]  # fmt: skip
    conn.execute(db.device_events.insert(), rows)  # one executemany


def _may_raise(events, t: Thresholds) -> bool:
    return t.sustain > 1 and any(e.type == "reading" and e.lel >= t.first_lel for e in events)


def _recent_streaks(
    conn: sa.Connection, venue_id: str, t: Thresholds, *, before: datetime
) -> AlarmState:
    """Without an active alarm no state is stored, yet a leak reported one reading per post
    must still count: rebuild the streaks from the venue's last `sustain - 1` readings."""
    keep = t.sustain - 1
    c = db.device_events.c
    recent = []
    for d in db.devices_of(conn, venue_id):
        if d.kind == DeviceKind.valve.value:
            continue
        rows = conn.execute(
            sa.select(c.received_at, c.seq, c.body)
            .where(c.device_id == d.device_id, c.type == "reading", c.received_at < before)
            .order_by(c.seq.desc())
            .limit(keep)
        ).all()
        recent += [(as_utc(r.received_at), r.seq, float(r.body["lel"])) for r in rows]
    recent.sort(reverse=True)
    state = AlarmState()
    for at, _, lel in reversed(recent[:keep]):  # fewer than `sustain`: nothing is raised here
        state, _ = on_reading(state, lel, t, device_id="", at=at)
    return state


def _acknowledge_commands(uow: UnitOfWork, valve_id: str, now: datetime) -> None:
    """A valve reporting closed satisfies every close command it has open, whichever one its
    report names: each alarm of the venue has its own command."""
    query = db.commands.update().where(
        db.commands.c.valve_id == valve_id, db.commands.c.status.in_(("pending", "delivered"))
    )
    uow.conn.execute(query.values(status=CommandStatus.acknowledged.value, acknowledged_at=now))


def _store_alarm(
    uow: UnitOfWork, venue, alarm, state: AlarmState, changes, now: datetime
) -> list[str]:
    """Store the alarm's new state; returns the valves that got a new close command."""
    issued: list[str] = []
    if not changes or all(c is Change.unchanged for c in changes):
        return issued
    if alarm is None and not state.active:
        return issued
    alarm_id = alarm.alarm_id if alarm is not None else str(uuid_utils.uuid7())
    values = dict(state=_state_json(state), active=state.active, updated_at=now)
    if alarm is None:
        uow.conn.execute(
            db.alarms.insert().values(
                alarm_id=alarm_id, venue_id=venue.venue_id, critical=False,
                raised_at=state.raised_at or now, **values,
            )
        )  # fmt: skip
    else:
        uow.conn.execute(
            db.alarms.update().where(db.alarms.c.alarm_id == alarm_id).values(**values)
        )
    if Change.raised in changes or Change.escalated in changes:
        for valve in db.devices_of(uow.conn, venue.venue_id):
            if valve.kind != DeviceKind.valve.value:
                continue
            # One open command per alarm: an escalation reuses it, a new alarm gets its own
            # even while an earlier alarm's command is unanswered (each may escalate).
            if any(c.alarm_id == alarm_id for c in db.open_commands(uow.conn, valve.device_id)):
                continue
            uow.conn.execute(
                db.commands.insert().values(
                    command_id=str(uuid_utils.uuid7()), valve_id=valve.device_id,
                    venue_id=venue.venue_id, alarm_id=alarm_id, issued_at=now,
                    status=CommandStatus.pending.value, deliveries=0,
                )
            )  # fmt: skip
            issued.append(valve.device_id)
        uow.add_event(
            _alarm_event(
                alarm_id, venue, state, "level-2" if state.level is Level.second else "level-1", now
            )
        )
    return issued


def _alarm_event(alarm_id: str, venue, state: AlarmState, level: str, now: datetime):
    msg = gas_events_pb2.AlarmRaised(
        alarm_id=alarm_id, venue_id=venue.venue_id, venue_name=venue.name,
        venue_credit_code=venue.credit_code, agency_id=venue.agency_id, town=venue.town,
        address=venue.address, level=level, max_lel_percent=state.peak_lel,
    )  # fmt: skip
    msg.raised_at.FromDatetime(now)
    return build_event(
        topic=TOPIC_ALARM, aggregate_id=venue.venue_id, payload=msg, producer=SERVICE
    )


def _deliver(uow: UnitOfWork, device, policy: ValvePolicy, now: datetime) -> list:
    """The valve's commands to hand over now, marked delivered."""
    if device.kind != DeviceKind.valve.value:
        return []
    out = []
    for row in db.open_commands(uow.conn, device.device_id):
        cmd = CloseCommand(
            row.command_id, row.valve_id, as_utc(row.issued_at), CommandStatus(row.status),
            as_utc(row.delivered_at), row.deliveries,
        )  # fmt: skip
        if not due_for_delivery(cmd, now, policy):
            continue
        cmd = delivered(cmd, now)
        uow.conn.execute(
            db.commands.update()
            .where(db.commands.c.command_id == cmd.command_id)
            .values(status=cmd.status.value, delivered_at=now, deliveries=cmd.deliveries)
        )
        out.append(cmd)
    return out


def escalate(
    database: Database, _settings: object = None, policy: ValvePolicy | None = None
) -> int:
    """A valve that did not confirm closing in time makes its alarm critical (once)."""
    policy = policy or ValvePolicy()
    now = utcnow()
    n = 0
    agencies: set[str] = set()
    with database.unit_of_work() as uow:
        rows = uow.conn.execute(
            sa.select(db.commands).where(db.commands.c.status.in_(("pending", "delivered")))
        ).all()
        for row in rows:
            cmd = CloseCommand(
                row.command_id, row.valve_id, as_utc(row.issued_at), CommandStatus(row.status)
            )
            if not needs_escalation(cmd, now, policy):
                continue
            alarm = db.one(uow.conn, db.alarms, "alarm_id", row.alarm_id, lock=True)
            if alarm is None or alarm.critical:
                continue
            uow.conn.execute(
                db.alarms.update()
                .where(db.alarms.c.alarm_id == alarm.alarm_id)
                .values(critical=True, updated_at=now)
            )
            venue = db.one(uow.conn, db.venues, "venue_id", alarm.venue_id)
            uow.add_event(_alarm_event(alarm.alarm_id, venue, _state_of(alarm), "critical", now))
            agencies.add(venue.agency_id)
            n += 1
        uow.commit()
    database.wakeups.announce(CHANGES_CHANNEL, sorted(agencies))
    return n


def venue_devices(
    database: Database, *, agency_id: str, town: str | None, venue_id: str | None
) -> list[tuple]:
    """The agency's venues (one town's, or one venue's) with their devices and the valves'
    newest close commands: (venue, [(device, status)], commands) per venue, by town then
    name. The status is the liveness rule's now (online, offline, fault; "" never heard from),
    not the one the last sweep announced."""
    if not agency_id:
        raise InvalidEvent("agency_id is required")
    q = sa.select(db.venues).where(db.venues.c.agency_id == agency_id)
    if town:
        q = q.where(db.venues.c.town == town)
    if venue_id:
        q = q.where(db.venues.c.venue_id == venue_id)
    with database.read() as conn:
        venues = list(conn.execute(q.order_by(db.venues.c.town, db.venues.c.name).limit(2000)))
        ids = [v.venue_id for v in venues]
        devices: dict[str, list] = {i: [] for i in ids}
        commands: dict[str, list] = {i: [] for i in ids}
        for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
            for d in conn.execute(
                sa.select(db.devices)
                .where(db.devices.c.venue_id.in_(chunk))
                .order_by(db.devices.c.kind, db.devices.c.device_id)
            ):
                devices[d.venue_id].append(d)
            for c in conn.execute(
                sa.select(db.commands)
                .where(db.commands.c.venue_id.in_(chunk))
                .order_by(db.commands.c.issued_at.desc())
            ):
                if len(commands[c.venue_id]) < 20:
                    commands[c.venue_id].append(c)
    now = utcnow()

    def status(d) -> str:
        if d.last_seen is None:
            return ""
        seen = DeviceStatus(d.device_id, DeviceKind(d.kind), as_utc(d.last_seen), d.fault)
        return device_status(seen, now)

    return [
        (v, [(d, status(d)) for d in devices[v.venue_id]], commands[v.venue_id]) for v in venues
    ]


# -- alarms for people -----------------------------------------------------------------------


def list_alarms(
    database: Database,
    *,
    agency_id: str,
    town: str | None,
    active_only: bool,
    venue_id: str | None = None,
    updated_after: datetime | None = None,
):
    q = (
        sa.select(db.alarms, db.venues.c.name, db.venues.c.town)
        .join(db.venues, db.venues.c.venue_id == db.alarms.c.venue_id)
        .where(db.venues.c.agency_id == agency_id)
    )
    if town:
        q = q.where(db.venues.c.town == town)
    if venue_id:
        q = q.where(db.alarms.c.venue_id == venue_id)
    if updated_after is not None:
        q = q.where(db.alarms.c.updated_at > updated_after)
    if active_only:
        q = q.where(db.alarms.c.active.is_(True))
    with database.read() as conn:
        return list(conn.execute(q.order_by(db.alarms.c.updated_at.desc()).limit(500)))


def acknowledge_alarm(
    database: Database, *, alarm_id: str, agency_id: str, user_id: str, town: str | None = None
):
    with database.unit_of_work() as uow:
        alarm = db.one(uow.conn, db.alarms, "alarm_id", alarm_id, lock=True)
        venue = db.one(uow.conn, db.venues, "venue_id", alarm.venue_id) if alarm else None
        # An officer acknowledges what their own list shows: their agency, and their town.
        if alarm is None or venue.agency_id != agency_id or (town and venue.town != town):
            raise NotFound("alarm not found")
        state = acknowledge(_state_of(alarm))
        uow.conn.execute(
            db.alarms.update()
            .where(db.alarms.c.alarm_id == alarm_id)
            .values(state=_state_json(state), acknowledged_by=user_id, updated_at=utcnow())
        )
        uow.commit()
    database.wakeups.announce(CHANGES_CHANNEL, [agency_id])
    rows = [
        r
        for r in list_alarms(database, agency_id=agency_id, town=None, active_only=False)
        if r.alarm_id == alarm_id
    ]
    return rows[0]


def pending_commands(
    database: Database,
    device_id: str,
    policy: ValvePolicy | None = None,
    agency_id: str | None = None,
):
    """A valve's long-poll: its due close commands, marked delivered like in a post's answer.
    `agency_id` as for `ingest`: another agency's credentials never see a close command."""
    with database.read() as conn:  # the common case, nothing due, takes no write lock
        _owned(conn, db.one(conn, db.devices, "device_id", device_id), device_id, agency_id)
        if not db.open_commands(conn, device_id):
            return []
    with database.unit_of_work() as uow:
        device = db.one(uow.conn, db.devices, "device_id", device_id, lock=True)
        commands = _deliver(uow, device, policy or ValvePolicy(), utcnow())
        uow.commit()
    return commands
