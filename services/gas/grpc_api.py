"""GasService over gRPC: proto <-> handlers, nothing more."""

from __future__ import annotations

from datetime import UTC

import grpc

from enforcement.gas.v1 import gas_pb2, gas_pb2_grpc
from services.chassis.db import Database, as_utc
from services.chassis.grpc_server import blocking_caller
from services.gas import coverage, handlers, protection

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


class GasServicer(gas_pb2_grpc.GasServiceServicer):
    def __init__(self, database: Database) -> None:
        self._db = database

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
            context, handlers.ingest, self._db, request.device_id, list(request.events)
        )
        reply = gas_pb2.IngestEventsResponse(accepted=accepted, duplicates=duplicates)
        reply.commands.extend(_command_pb(c) for c in commands)
        return reply

    async def ListAlarms(self, request, context):
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
        return gas_pb2.ListAlarmsResponse(alarms=[alarm_to_pb(r) for r in rows])

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
        commands = await _call(context, handlers.pending_commands, self._db, request.device_id)
        return gas_pb2.PendingCommandsResponse(commands=[_command_pb(c) for c in commands])

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
                device_id=r.device_id, kind=r.kind, venue_id=r.venue_id, venue_name=r.name,
                town=r.town, status=r.status, fault=r.fault,
            )  # fmt: skip
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


def servicers(database: Database, _settings: object) -> list:
    return [(gas_pb2_grpc.add_GasServiceServicer_to_server, GasServicer(database))]
