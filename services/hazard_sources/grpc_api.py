"""HazardSourcesService over gRPC: proto <-> handlers, nothing more."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import grpc

from enforcement.hazard_sources.v1 import hazard_sources_pb2 as pb
from enforcement.hazard_sources.v1 import hazard_sources_pb2_grpc
from services.chassis.db import Database, as_utc
from services.chassis.grpc_server import blocking_caller
from services.hazard_sources import handlers, trends
from services.hazard_sources.domain.grading import Holding, UnknownChemical, critical_for

_CODES = [
    (handlers.NotFound, grpc.StatusCode.NOT_FOUND),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
]
_call = blocking_caller(_CODES)


def _ts(field: Any, value: datetime | str | None) -> None:
    if value is None:
        return
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    field.FromDatetime(as_utc(value))


def unit_pb(row: Any) -> pb.Unit:
    return pb.Unit(
        unit_id=row.unit_id, enterprise_id=row.enterprise_id,
        enterprise_name=row.enterprise_name, agency_id=row.agency_id, town=row.town,
        kind=row.kind, name=row.name,
        holdings=[
            pb.Holding(chemical=h["chemical"], max_t=float(h["max_t"]), category=h["category"])
            for h in row.holdings
        ],
        people_within_500m=row.people_within_500m,
        chain=[pb.Person(**p) for p in row.chain],
    )  # fmt: skip


def figures_pb(row: Any) -> list[pb.HoldingFigures]:
    """Each holding's q, Q, q/Q and β by the tables in force (what the grading summed)."""
    out = []
    for h in row.holdings:
        q = Decimal(str(h["max_t"]))
        try:
            c = critical_for(Holding(h["chemical"], q, h["category"]))
        except UnknownChemical:  # a table row withdrawn since: shown without figures
            out.append(pb.HoldingFigures(chemical=h["chemical"], q_t=float(q)))
            continue
        ratio = q / c.critical_t
        out.append(
            pb.HoldingFigures(
                chemical=h["chemical"], name_zh=c.name_zh, key=c.key, source=c.source,
                q_t=float(q), critical_t=float(c.critical_t), ratio=float(ratio),
                beta=float(c.beta), weighted=float(c.beta * ratio),
            )
        )  # fmt: skip
    return out


def grading_pb(g: dict[str, Any]) -> pb.Grading:
    out = pb.Grading(
        major=g["major"], grade=g["grade"], grade_level=g["grade_level"], s=float(g["s"]),
        r=float(g["r"]), alpha=float(g["alpha"]), rules_version=g["rules_version"],
        reason=g["reason"],
    )  # fmt: skip
    _ts(out.graded_at, g["graded_at"])
    return out


def sensor_pb(row: Any) -> pb.Sensor:
    limits = {k: v for k, v in row.limits.items() if v is not None}
    out = pb.Sensor(
        sensor_id=row.sensor_id, unit_id=row.unit_id, quantity=row.quantity,
        unit_of_measure=row.unit_of_measure, **limits,
    )  # fmt: skip
    if row.last_value is not None:
        out.last_value = row.last_value
    _ts(out.last_at, row.last_at)
    state = row.state or {}
    out.zone = state.get("zone", "normal")
    out.rate_alarm = bool(state.get("rate_active"))
    out.stale_alarm = bool(state.get("stale_active"))
    return out


def unit_summary_pb(row: dict[str, Any]) -> pb.UnitSummary:
    u = row["unit"]
    out = pb.UnitSummary(
        unit_id=u.unit_id, enterprise_id=u.enterprise_id, enterprise_name=u.enterprise_name,
        town=u.town, kind=u.kind, name=u.name, grading=grading_pb(u.grading),
        open_alarms=row["open_alarms"], active_alarms=row["active_alarms"],
        sensors=row["sensors"],
    )  # fmt: skip
    _ts(out.last_reading_at, row["last_reading_at"])
    return out


def alarm_pb(row: Any) -> pb.Alarm:
    out = pb.Alarm(
        alarm_id=row.alarm_id, unit_id=row.unit_id, unit_name=row.name,
        enterprise_name=row.enterprise_name, town=row.town, sensor_id=row.sensor_id,
        kind=row.kind, level=row.level, active=row.active, open=row.open,
        value=row.value or 0.0, step=row.step,
        acknowledged_by=row.acknowledged_by or "", handled_by=row.handled_by or "",
        handled_reason=row.handled_reason or "",
    )  # fmt: skip
    for n in row.notified:
        note = out.notified.add(role=n["role"], name=n["name"], phone=n["phone"], step=n["step"])
        _ts(note.at, n["at"])
    _ts(out.raised_at, row.raised_at)
    _ts(out.updated_at, row.updated_at)
    _ts(out.acknowledged_at, row.acknowledged_at)
    _ts(out.handled_at, row.handled_at)
    return out


def recorded_pb(done: handlers.Recorded) -> pb.RecordReadingsResponse:
    return pb.RecordReadingsResponse(
        accepted=done.accepted,
        duplicates=done.duplicates,
        alarms=done.alarms,
        stored_up_to=done.stored_up_to,
        gap=done.gap,
    )


class HazardSourcesServicer(hazard_sources_pb2_grpc.HazardSourcesServiceServicer):
    def __init__(self, database: Database, settings: Any) -> None:
        self._db = database
        self._settings = settings

    async def UpsertUnit(self, request, context):
        row, regraded = await _call(context, handlers.upsert_unit, self._db, request.unit)
        return pb.UpsertUnitResponse(
            unit=unit_pb(row), grading=grading_pb(row.grading), regraded=regraded
        )

    async def GetUnit(self, request, context):
        unit, history, sensors = await _call(
            context, handlers.get_unit, self._db, request.unit_id, request.agency_id, request.town
        )
        return pb.GetUnitResponse(
            unit=unit_pb(unit),
            grading=grading_pb(unit.grading),
            history=[grading_pb(h.grading) for h in history],
            sensors=[sensor_pb(s) for s in sensors],
            figures=figures_pb(unit),
        )

    async def ListUnits(self, request, context):
        rows = await _call(context, handlers.list_units, self._db, request.agency_id, request.town)
        return pb.ListUnitsResponse(units=[unit_summary_pb(r) for r in rows])

    async def UpsertSensor(self, request, context):
        row = await _call(
            context, handlers.upsert_sensor, self._db, request.sensor, request.agency_id
        )
        return pb.UpsertSensorResponse(sensor=sensor_pb(row))

    async def RecordReadings(self, request, context):
        done = await _call(context, handlers.record_readings, self._db, request)
        return recorded_pb(done)

    async def RecordReadingsMany(self, request, context):
        outcomes = await _call(context, handlers.record_many, self._db, list(request.batches))
        reply = pb.RecordReadingsManyResponse()
        for done in outcomes:
            if isinstance(done, handlers.Recorded):
                reply.outcomes.add(stored=recorded_pb(done))
            else:  # refused alone, with the code RecordReadings would give it
                code = next(code for types, code in _CODES if isinstance(done, types))
                reply.outcomes.add(refused=pb.ReadingsRefusal(code=code.name, detail=str(done)))
        return reply

    async def ListAlarms(self, request, context):
        rows = await _call(
            context,
            handlers.list_alarms,
            self._db,
            request.agency_id,
            request.unit_id,
            request.open_only,
            request.town,
        )
        return pb.ListAlarmsResponse(alarms=[alarm_pb(r) for r in rows])

    async def AcknowledgeAlarm(self, request, context):
        row = await _call(
            context,
            handlers.acknowledge,
            self._db,
            request.alarm_id,
            request.agency_id,
            request.user_id,
        )
        return pb.AlarmResponse(alarm=alarm_pb(row))

    async def HandleAlarm(self, request, context):
        row = await _call(
            context,
            handlers.handle,
            self._db,
            request.alarm_id,
            request.agency_id,
            request.user_id,
            request.reason,
        )
        return pb.AlarmResponse(alarm=alarm_pb(row))

    async def GetTrend(self, request, context):
        def start_end():
            end = request.end.ToDatetime(tzinfo=UTC) if request.HasField("end") else None
            start = request.start.ToDatetime(tzinfo=UTC) if request.HasField("start") else None
            return start, end

        start, end = start_end()
        result = await _call(
            context,
            trends.trend,
            self._db,
            self._settings,
            request.unit_id,
            request.agency_id,
            start,
            end,
            request.buckets or 96,
            request.town,
        )
        _unit, sensors, alarms, points = result
        reply = pb.GetTrendResponse(
            sensors=[sensor_pb(s) for s in sensors], alarms=[alarm_pb(a) for a in alarms]
        )
        for p in points:
            point = reply.points.add(
                sensor_id=p["sensor_id"], min=p["min"], max=p["max"], avg=p["avg"],
                count=p["count"],
            )  # fmt: skip
            _ts(point.at, p["at"])
        return reply


def servicers(database: Database, settings: Any) -> list:
    trends.install(settings)
    return [
        (
            hazard_sources_pb2_grpc.add_HazardSourcesServiceServicer_to_server,
            HazardSourcesServicer(database, settings),
        )
    ]
