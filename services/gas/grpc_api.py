"""GasService over gRPC: proto <-> handlers, nothing more."""

from __future__ import annotations

import asyncio
from datetime import UTC

import grpc

from enforcement.gas.v1 import gas_pb2, gas_pb2_grpc
from services.chassis.db import Database, as_utc
from services.chassis.events import utcnow
from services.chassis.grpc_server import blocking_caller
from services.gas import coverage, handlers, protection
from services.gas.domain.liveness import DeviceKind, DeviceStatus, device_status, gaps

_CODES = [
    (handlers.NotFound, grpc.StatusCode.NOT_FOUND),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
]
_call = blocking_caller(_CODES)


def alarm_to_pb(row) -> gas_pb2.Alarm:
    state = row.state
    msg = gas_pb2.Alarm(
        alarm_id=row.alarm_id,
        venue_id=row.venue_id,
        venue_name=row.name,
        town=row.town,
        level=int(state["level"]),
        active=row.active,
        critical=row.critical,
        acknowledged=bool(state["acknowledged"]),
        acknowledged_by=row.acknowledged_by or "",
        peak_lel=float(state["peak_lel"]),
    )
    msg.raised_at.FromDatetime(as_utc(row.raised_at))
    msg.updated_at.FromDatetime(as_utc(row.updated_at))
    return msg


MAX_WAIT_S = 55.0
REDELIVERY_CHECK_S = 5.0  # ValvePolicy offers an unanswered command again after 5 s


class Bell:
    """Wakes waiters by key: valves' long-polls by valve id when a close command was issued,
    live streams by agency id when an alarm or device changed. Rings come from the wake-up
    listener's or a worker's thread, so they cross to the event loop. With several gas
    replicas a write on one rings the bells of every replica (services/chassis/wakeups.py:
    LISTEN/NOTIFY); `None` means "maybe missed": every waiter looks again."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def listen(self, valve_id: str) -> asyncio.Event:
        self._loop = asyncio.get_running_loop()
        event = asyncio.Event()
        self._waiting.setdefault(valve_id, set()).add(event)
        return event

    def forget(self, valve_id: str, event: asyncio.Event) -> None:
        waiting = self._waiting.get(valve_id)
        if waiting is not None:
            waiting.discard(event)
            if not waiting:
                del self._waiting[valve_id]

    def ring(self, valve_ids: list[str] | None) -> None:
        if self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._wake, valve_ids)
            except RuntimeError:  # that loop has closed (a server stopped); nobody waits there
                self._loop = None

    def _wake(self, valve_ids: list[str] | None) -> None:
        for valve_id in list(self._waiting) if valve_ids is None else valve_ids:
            for event in self._waiting.get(valve_id, ()):
                event.set()


MAX_STREAM_WAIT_S = 5.0


class GasServicer(gas_pb2_grpc.GasServiceServicer):
    def __init__(self, database: Database) -> None:
        self._db = database
        self._bell = Bell()
        database.wakeups.subscribe(handlers.COMMANDS_CHANNEL, self._bell.ring)
        # Keyed by agency: live streams wait here for an alarm or device change.
        self._changes = Bell()
        database.wakeups.subscribe(handlers.CHANGES_CHANNEL, self._changes.ring)

    async def UpsertVenue(self, request, context):
        venue = await _call(context, handlers.upsert_venue, self._db, request.venue)
        return gas_pb2.UpsertVenueResponse(venue=venue)

    async def UpsertDevice(self, request, context):
        device = await _call(
            context, handlers.upsert_device, self._db, request.device, request.agency_id
        )
        return gas_pb2.UpsertDeviceResponse(device=device)

    async def IngestEvents(self, request, context):
        accepted, duplicates, commands = await _call(
            context,
            handlers.ingest,
            self._db,
            request.device_id,
            list(request.events),
            agency_id=request.agency_id,  # "" from an old caller: refused
        )
        reply = gas_pb2.IngestEventsResponse(accepted=accepted, duplicates=duplicates)
        reply.commands.extend(_command_pb(c) for c in commands)
        return reply

    async def GetDevice(self, request, context):
        row = await _call(
            context, handlers.get_device, self._db, request.device_id, request.agency_id
        )
        return gas_pb2.GetDeviceResponse(
            device=gas_pb2.Device(
                device_id=row.device_id,
                venue_id=row.venue_id,
                kind=row.kind,
                model=row.model or "",
                serial=row.serial or "",
            )
        )

    async def ListVenueDevices(self, request, context):
        rows = await _call(
            context,
            handlers.venue_devices,
            self._db,
            agency_id=request.agency_id,
            town=request.town or None,
            venue_id=request.venue_id or None,
        )
        return gas_pb2.ListVenueDevicesResponse(
            venues=[_venue_devices_pb(v, d, c) for v, d, c in rows]
        )

    async def GetVenueState(self, request, context):
        venue, devices, open_commands = await _call(
            context,
            handlers.venue_state,
            self._db,
            request.venue_id,
            request.agency_id,
            request.town or None,
        )
        now = utcnow()
        statuses = [
            DeviceStatus(d.device_id, DeviceKind(d.kind), as_utc(d.last_seen), d.fault)
            for d in devices
        ]
        reply = gas_pb2.GetVenueStateResponse(
            venue=gas_pb2.Venue(
                venue_id=venue.venue_id,
                name=venue.name,
                credit_code=venue.credit_code,
                address=venue.address,
                agency_id=venue.agency_id,
                town=venue.town,
                contact=venue.contact,
                first_lel=venue.first_lel,
                second_lel=venue.second_lel,
                sustain=venue.sustain,
            ),
            gaps=[g.value for g in gaps(statuses, now)],
        )
        for d, s in zip(devices, statuses, strict=True):
            state = reply.devices.add(
                device_id=d.device_id,
                kind=d.kind,
                status=device_status(s, now),
                fault=d.fault,
                valve_state=d.valve_state if d.kind == DeviceKind.valve.value else "",
                open_commands=open_commands.get(d.device_id, 0),
                last_inspected_on=d.last_inspected_on.isoformat() if d.last_inspected_on else "",
            )
            if s.last_seen is not None:
                state.last_seen.FromDatetime(s.last_seen)
        reply.checked_at.FromDatetime(now)
        return reply

    async def ListAlarms(self, request, context):
        woken = False
        if request.wait_seconds > 0:
            # A live stream's wait: until a change of its agency on any replica, or the time.
            bell = self._changes.listen(request.agency_id)
            try:
                await asyncio.wait_for(bell.wait(), min(request.wait_seconds, MAX_STREAM_WAIT_S))
                woken = True
            except TimeoutError:
                pass
            finally:
                self._changes.forget(request.agency_id, bell)
        rows = await _call(
            context,
            handlers.list_alarms,
            self._db,
            agency_id=request.agency_id,
            town=request.town or None,
            active_only=request.active_only,
            venue_id=request.venue_id or None,
            updated_after=_after(request, "updated_after"),
        )
        return gas_pb2.ListAlarmsResponse(alarms=[alarm_to_pb(r) for r in rows], woken=woken)

    async def AcknowledgeAlarm(self, request, context):
        row = await _call(
            context,
            handlers.acknowledge_alarm,
            self._db,
            alarm_id=request.alarm_id,
            agency_id=request.agency_id,
            user_id=request.user_id,
            town=request.town or None,
        )
        return gas_pb2.AcknowledgeAlarmResponse(alarm=alarm_to_pb(row))

    async def PendingCommands(self, request, context):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(request.wait_seconds, 0.0), MAX_WAIT_S)
        while True:
            woken = self._bell.listen(request.device_id)
            try:
                commands = await _call(
                    context,
                    handlers.pending_commands,
                    self._db,
                    request.device_id,
                    agency_id=request.agency_id,
                )
            except BaseException:
                self._bell.forget(request.device_id, woken)
                raise
            left = deadline - loop.time()
            if commands or left <= 0:
                self._bell.forget(request.device_id, woken)
                return gas_pb2.PendingCommandsResponse(commands=[_command_pb(c) for c in commands])
            # Woken by a new command; otherwise look again when a delivered one is due anew.
            try:
                await asyncio.wait_for(woken.wait(), min(left, REDELIVERY_CHECK_S))
            except TimeoutError:
                pass
            finally:
                self._bell.forget(request.device_id, woken)

    async def ListDeviceChanges(self, request, context):
        rows = await _call(
            context,
            protection.device_changes,
            self._db,
            agency_id=request.agency_id,
            town=request.town or None,
            venue_id=request.venue_id or None,
            changed_after=_after(request, "changed_after"),
        )
        reply = gas_pb2.ListDeviceChangesResponse()
        for r in rows:
            change = reply.changes.add(
                device_id=r.device_id,
                kind=r.kind,
                venue_id=r.venue_id,
                venue_name=r.name,
                town=r.town,
                status=r.status,
                fault=r.fault,
            )
            change.changed_at.FromDatetime(as_utc(r.status_changed_at))
        return reply

    async def GetCoverage(self, request, context):
        result = await _call(
            context,
            coverage.coverage,
            self._db,
            agency_id=request.agency_id,
            town=request.town or None,
        )
        reply = gas_pb2.GetCoverageResponse(
            district=_town_pb(result.district),
            towns=[_town_pb(t) for t in result.towns],
            unprotected=[
                gas_pb2.UnprotectedVenue(venue_id=v, name=n, town=t, gaps=g)
                for v, n, t, g in result.unprotected
            ],
        )
        reply.computed_at.FromDatetime(result.computed_at)
        return reply


def _after(request, field: str):
    return getattr(request, field).ToDatetime(tzinfo=UTC) if request.HasField(field) else None


def _command_pb(cmd) -> gas_pb2.Command:
    out = gas_pb2.Command(command_id=cmd.command_id, action="close")
    out.issued_at.FromDatetime(cmd.issued_at)
    return out


def _town_pb(t: coverage.TownCoverage) -> gas_pb2.TownCoverage:
    return gas_pb2.TownCoverage(
        town=t.town, registered=t.registered, protected=t.protected, unprotected=t.unprotected,
        inspection_overdue=t.inspection_overdue, gaps=dict(t.gaps),
    )  # fmt: skip


def _venue_devices_pb(venue, devices, commands) -> gas_pb2.VenueDevices:
    out = gas_pb2.VenueDevices(
        venue=gas_pb2.Venue(
            venue_id=venue.venue_id, name=venue.name, credit_code=venue.credit_code,
            address=venue.address, agency_id=venue.agency_id, town=venue.town,
            contact=venue.contact, first_lel=venue.first_lel, second_lel=venue.second_lel,
            sustain=venue.sustain,
        )
    )  # fmt: skip
    for d, status in devices:
        state = out.devices.add(
            device=gas_pb2.Device(
                device_id=d.device_id, venue_id=d.venue_id, kind=d.kind, model=d.model,
                serial=d.serial,
                installed_on=d.installed_on.isoformat() if d.installed_on else "",
                last_inspected_on=d.last_inspected_on.isoformat() if d.last_inspected_on else "",
            ),
            status=status, fault=d.fault or "",
            valve_state=d.valve_state if d.kind == "shutoff_valve" else "",
        )  # fmt: skip
        if d.last_seen is not None:
            state.last_seen.FromDatetime(as_utc(d.last_seen))
    for c in commands:
        cmd = out.commands.add(
            command_id=c.command_id, valve_id=c.valve_id, alarm_id=c.alarm_id,
            status=c.status, deliveries=c.deliveries,
        )  # fmt: skip
        cmd.issued_at.FromDatetime(as_utc(c.issued_at))
        if c.acknowledged_at is not None:
            cmd.acknowledged_at.FromDatetime(as_utc(c.acknowledged_at))
    return out


def servicers(database: Database, _settings: object) -> list:
    return [(gas_pb2_grpc.add_GasServiceServicer_to_server, GasServicer(database))]
