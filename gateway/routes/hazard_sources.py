"""Major hazard sources (重大危险源, GB 18218-2018): units, sensors, signed readings, alarms,
trends and the console's chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from html import escape
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from enforcement.hazard_sources.v1 import hazard_sources_pb2 as pb
from gateway.deps import Officer, State, require_roles
from gateway.fields import IsoAwareDateTime
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, ProblemError
from gateway.protobuf import message_dict
from gateway.routes.cases import supervised_town
from gateway.security.device_signing import DevicePrincipal, verify_device_request
from gateway.security.principals import Principal, Role

router = APIRouter(tags=["hazard-sources"])

SENSOR_KIND = "hazard_sensor"
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Watcher = Annotated[Principal, Depends(require_roles(Role.officer, Role.supervisor, Role.admin))]
Id = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]


async def _hs(state, method_name: str, request, **kwargs):
    method = getattr(state.clients.hazard_sources, method_name)
    return await call_service("hazard_sources", method, request, **kwargs)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HoldingIn(Strict):
    chemical: str = Field(
        min_length=1, max_length=100, description="GB 18218 表1 name (e.g. 氯) or CAS number"
    )
    max_t: float = Field(ge=0, le=10_000_000, description="the most that can be present, t")
    category: str = Field(
        default="", max_length=8, description="表2 category (e.g. W2, J1) when not in 表1"
    )


class PersonIn(Strict):
    role: Literal["principal", "technical", "operational", "town"] = Field(
        description="principal 主要负责人, technical 技术负责人, operational 操作负责人, "
        "town 属地监管人员"
    )
    name: str = Field(min_length=1, max_length=50)
    phone: str = Field(default="", max_length=30)
    user_id: str = Field(default="", max_length=64)


class UnitIn(Strict):
    enterprise_id: str = Field(min_length=1, max_length=64, description="统一社会信用代码 or id")
    enterprise_name: str = Field(min_length=1, max_length=200)
    town: str = Field(min_length=1, max_length=64)
    kind: Literal["storage", "production"] = Field(description="储存单元 or 生产单元")
    name: str = Field(min_length=1, max_length=200)
    holdings: list[HoldingIn] = Field(min_length=1, max_length=100)
    people_within_500m: int = Field(ge=0, le=10_000_000)
    chain: list[PersonIn] = Field(min_length=3, max_length=20)


@router.put(
    "/v1/hazard-sources/units/{unit_id}",
    operation_id="putHazardUnit",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Register a unit with its chemicals and 包保 chain; it is identified and graded",
)
async def put_unit(unit_id: Id, body: UnitIn, principal: Admin, state: State) -> dict:
    """Register or change an enterprise's storage or production unit (储存单元/生产单元) with
    its chemicals, the people within 500 m and its 包保责任人. The answer carries the GB
    18218-2018 identification and grade; a change that moves them is recorded with why."""
    unit = pb.Unit(
        unit_id=unit_id,
        agency_id=principal.agency_id,
        enterprise_id=body.enterprise_id,
        enterprise_name=body.enterprise_name,
        town=body.town,
        kind=body.kind,
        name=body.name,
        holdings=[pb.Holding(**h.model_dump()) for h in body.holdings],
        people_within_500m=body.people_within_500m,
        chain=[pb.Person(**p.model_dump()) for p in body.chain],
    )
    reply = await _hs(state, "UpsertUnit", pb.UpsertUnitRequest(unit=unit))
    return message_dict(reply)


@router.get(
    "/v1/hazard-sources/units/{unit_id}",
    operation_id="getHazardUnit",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="A unit with its grade, its grading history and its sensors' latest values",
)
async def get_unit(unit_id: Id, principal: Watcher, state: State) -> dict:
    """A registered unit: its chemicals, grade (一级..四级) with R and α, every re-grading with
    its reason, and its sensors with their limits and latest values."""
    reply = await _hs(
        state,
        "GetUnit",
        pb.GetUnitRequest(
            unit_id=unit_id, agency_id=principal.agency_id, town=supervised_town(principal) or ""
        ),
    )
    return message_dict(reply)


@router.get(
    "/v1/hazard-sources/units",
    operation_id="listHazardUnits",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="The agency's major hazard sources: grade, R, open alarms, last reading",
)
async def list_units(principal: Watcher, state: State) -> dict:
    """Every registered unit of the agency (a supervisor bound to a town: that town's) with
    its enterprise, grade and R, its open (not yet 消警) and still active alarms and the time
    of its newest reading; most severe grade first, then most open alarms."""
    reply = await _hs(
        state,
        "ListUnits",
        pb.ListUnitsRequest(agency_id=principal.agency_id, town=supervised_town(principal) or ""),
    )
    return message_dict(reply)


class SensorIn(Strict):
    unit_id: str = Field(min_length=1, max_length=64)
    quantity: Literal["pressure", "level", "temperature", "gas"]
    unit_of_measure: str = Field(default="", max_length=16, description="MPa, m, ℃, %LEL, ppm")
    high: float | None = None
    high_high: float | None = None
    low: float | None = None
    low_low: float | None = None
    deadband: float = Field(default=0, ge=0)
    sustain: int = Field(default=1, ge=1, le=100)
    rate_per_min: float | None = Field(default=None, gt=0)
    stale_after_s: float = Field(default=300, gt=0, le=86400)


@router.put(
    "/v1/hazard-sources/sensors/{sensor_id}",
    operation_id="putHazardSensor",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Register a unit's sensor with its limits, deadband, sustain, rate and stale limit",
)
async def put_sensor(sensor_id: Id, body: SensorIn, principal: Admin, state: State) -> dict:
    """Register or change a sensor (pressure, level, temperature, gas) of a unit with its alarm
    limits (high, high-high, low, low-low), deadband, sustain count, rate-of-change limit and
    stale-data limit; its signing secret is issued apart (kind hazard_sensor)."""
    sensor = pb.Sensor(sensor_id=sensor_id, **body.model_dump(exclude_none=True))
    reply = await _hs(
        state,
        "UpsertSensor",
        pb.UpsertSensorRequest(sensor=sensor, agency_id=principal.agency_id),
    )
    return message_dict(reply.sensor)


class ReadingIn(Strict):
    seq: int = Field(ge=0, le=2**63 - 1, description="the sensor's own counter; a resend reuses it")
    value: float = Field(ge=-1e9, le=1e9)
    device_time: IsoAwareDateTime | None = None


class ReadingsIn(Strict):
    readings: list[ReadingIn] = Field(min_length=1, max_length=1000)
    after: int | None = Field(
        default=None,
        ge=0,
        le=2**63 - 1,
        description="the seq of the reading sent just before this batch (absent for the "
        "first): the batch is taken only once that reading is stored (`gap` otherwise), so "
        "a batch lost on the way is sent again rather than skipped",
    )


async def signed_sensor(request: Request, state: State) -> DevicePrincipal:
    device = await verify_device_request(
        request, state.db, window_s=state.settings.device_signature_window_s
    )
    if device.kind != SENSOR_KIND:
        raise ProblemError(
            status=403, type="forbidden", title="Not a hazard source sensor",
            detail="only hazard source sensors post readings here",
        )  # fmt: skip
    return device


def readings_request(device: DevicePrincipal, body: ReadingsIn) -> pb.RecordReadingsRequest:
    """The service request for a signed batch (the HTTP route and the MQTT bridge share it)."""
    req = pb.RecordReadingsRequest(
        sensor_id=device.device_id, agency_id=device.agency_id, unit_id=device.owner_id
    )
    if body.after is not None:
        req.after_seq = body.after
    for r in body.readings:
        reading = req.readings.add(seq=r.seq, value=r.value)
        if r.device_time is not None:
            reading.device_time.FromDatetime(r.device_time)
    return req


@router.post(
    "/v1/hazard-sources/readings",
    operation_id="postHazardReadings",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="A sensor posts a batch of readings (HMAC-signed; a resent reading is taken once)",
)
async def post_readings(
    body: ReadingsIn, device: Annotated[DevicePrincipal, Depends(signed_sensor)], state: State
) -> dict:
    """A hazard source sensor posts its readings, signed like the gas devices (docs/api.md).
    Readings are taken in seq order; one at or below the highest seq taken is a duplicate.
    The alarm rules run on each; the same readings over MQTT take the same path."""
    reply = await _hs(state, "RecordReadings", readings_request(device, body))
    return readings_answer(reply)


def readings_answer(reply: pb.RecordReadingsResponse) -> dict:
    """What a sensor is told (over HTTP, and on its MQTT ack topic): `stored_up_to` is the
    highest seq up to which every reading it sent is stored, null before the first."""
    return {
        "accepted": reply.accepted,
        "duplicates": reply.duplicates,
        "alarms": reply.alarms,
        "stored_up_to": reply.stored_up_to if reply.HasField("stored_up_to") else None,
        "gap": reply.gap,
    }


@router.get(
    "/v1/hazard-sources/alarms",
    operation_id="listHazardAlarms",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Sensor alarms of the agency's major hazard sources, newest first",
)
async def list_alarms(
    principal: Watcher,
    state: State,
    unit_id: Annotated[str, Query(max_length=64)] = "",
    open_only: bool = True,
) -> dict:
    """Sensor alarms (limit, rate, stale) newest first, with whom along the 包保 chain each has
    reached; open ones (not yet 消警) by default."""
    reply = await _hs(
        state,
        "ListAlarms",
        pb.ListAlarmsRequest(
            agency_id=principal.agency_id,
            unit_id=unit_id,
            open_only=open_only,
            town=supervised_town(principal) or "",
        ),
    )
    return message_dict(reply)


@router.post(
    "/v1/hazard-sources/alarms/{alarm_id}/acknowledge",
    operation_id="acknowledgeHazardAlarm",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Acknowledge a sensor alarm (who and when are kept; escalation goes on until 消警)",
)
async def acknowledge(alarm_id: Id, principal: Officer, state: State) -> dict:
    """Acknowledge a sensor alarm: who and when are kept. Escalation along the chain stops only
    when the alarm is handled with a written reason (消警)."""
    reply = await _hs(
        state,
        "AcknowledgeAlarm",
        pb.AcknowledgeAlarmRequest(
            alarm_id=alarm_id, agency_id=principal.agency_id, user_id=principal.user_id
        ),
    )
    return message_dict(reply.alarm)


class HandleIn(Strict):
    reason: str = Field(min_length=4, max_length=500, description="消警 reason, in writing")


@router.post(
    "/v1/hazard-sources/alarms/{alarm_id}/handle",
    operation_id="handleHazardAlarm",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Handle a sensor alarm with a written reason (消警); its escalation stops",
)
async def handle(alarm_id: Id, body: HandleIn, principal: Officer, state: State) -> dict:
    """Close a sensor alarm with a written reason (消警): who, when and why are kept, and the
    alarm goes no further along the 包保 chain."""
    reply = await _hs(
        state,
        "HandleAlarm",
        pb.HandleAlarmRequest(
            alarm_id=alarm_id,
            agency_id=principal.agency_id,
            user_id=principal.user_id,
            reason=body.reason,
        ),
    )
    return message_dict(reply.alarm)


async def _trend(
    unit_id: str, principal: Principal, state: State, start, end, buckets: int
) -> pb.GetTrendResponse:
    req = pb.GetTrendRequest(
        unit_id=unit_id,
        agency_id=principal.agency_id,
        buckets=buckets,
        town=supervised_town(principal) or "",
    )
    if start is not None:
        req.start.FromDatetime(start)
    if end is not None:
        req.end.FromDatetime(end)
    return await _hs(state, "GetTrend", req, timeout=30)


Start = Annotated[IsoAwareDateTime | None, Query(description="default: 24 hours before end")]
End = Annotated[IsoAwareDateTime | None, Query(description="default: now")]
Buckets = Annotated[int, Query(ge=1, le=1000, description="time buckets in the span")]


@router.get(
    "/v1/hazard-sources/units/{unit_id}/trend",
    operation_id="getHazardTrend",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="A unit's readings bucketed in time (min, max, average) with limits and alarms",
)
async def get_trend(
    unit_id: Id,
    principal: Watcher,
    state: State,
    start: Start = None,
    end: End = None,
    buckets: Buckets = 96,
) -> dict:
    """A unit's raw readings (Parquet in S3, read with DuckDB) in time buckets per sensor, with
    each sensor's limits and the alarms of the span: what the console's chart draws."""
    return message_dict(await _trend(unit_id, principal, state, start, end, buckets))


@router.get(
    "/v1/hazard-sources/units/{unit_id}/chart.svg",
    operation_id="getHazardChart",
    responses={**PROBLEM_RESPONSES, 200: {"content": {"image/svg+xml": {}}}},
    summary="An SVG chart of a unit's readings with its limits and alarms, for the console",
)
async def get_chart(
    unit_id: Id,
    principal: Watcher,
    state: State,
    start: Start = None,
    end: End = None,
    buckets: Buckets = 96,
) -> Response:
    """The console's chart of a unit's readings: one panel per sensor, the bucket averages as a
    line with the min-max band, the limits as dashed lines and the alarms as marks."""
    trend = await _trend(unit_id, principal, state, start, end, buckets)
    return Response(chart_svg(trend), media_type="image/svg+xml")


QUANTITY_ZH = {"pressure": "压力", "level": "液位", "temperature": "温度", "gas": "气体浓度"}
CHINA = timezone(timedelta(hours=8))


def chart_svg(trend: pb.GetTrendResponse, width: int = 720, panel: int = 180) -> str:
    """One panel per sensor: average line, min-max band, dashed limits, red alarm marks."""
    sensors = list(trend.sensors)
    height = max(1, len(sensors)) * panel + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">'
    ]
    if not sensors:
        out.append('<text x="10" y="20">该单元尚无传感器</text></svg>')
        return "".join(out)
    times = [p.at.ToDatetime(tzinfo=UTC).timestamp() for p in trend.points]
    alarm_times = [a.raised_at.ToDatetime(tzinfo=UTC).timestamp() for a in trend.alarms]
    t0 = min(times + alarm_times, default=datetime.now(UTC).timestamp() - 3600)
    t1 = max(times + alarm_times, default=t0 + 3600)
    t1 = t1 if t1 > t0 else t0 + 1
    left, right = 60, width - 10
    for i, s in enumerate(sensors):
        top = i * panel + 10
        bottom = top + panel - 30
        points = [p for p in trend.points if p.sensor_id == s.sensor_id]
        limits = {
            name: getattr(s, name)
            for name in ("high_high", "high", "low", "low_low")
            if s.HasField(name)
        }
        values = [p.min for p in points] + [p.max for p in points] + list(limits.values())
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        if hi == lo:
            hi = lo + 1

        def x(t: float) -> float:
            return left + (right - left) * (t - t0) / (t1 - t0)

        def y(v: float, lo=lo, hi=hi, top=top, bottom=bottom) -> float:
            return bottom - (bottom - top) * (v - lo) / (hi - lo)

        quantity = QUANTITY_ZH.get(s.quantity, s.quantity)
        label = escape(f"{s.sensor_id} {quantity} ({s.unit_of_measure})")
        out.append(f'<text x="{left + 4}" y="{top + 14}">{label}</text>')
        for t, anchor in ((t0, "start"), (t1, "end")):
            when = datetime.fromtimestamp(t, CHINA).strftime("%m-%d %H:%M")
            tx = left if anchor == "start" else right
            out.append(f'<text x="{tx}" y="{bottom + 14}" text-anchor="{anchor}">{when}</text>')
        out.append(
            f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
            'fill="none" stroke="#ccc"/>'
        )
        for name, v in limits.items():
            colour = "#d9001b" if name in ("high_high", "low_low") else "#e6a23c"
            out.append(
                f'<line x1="{left}" x2="{right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                f'stroke="{colour}" stroke-dasharray="4 3"><title>{name} {v:g}</title></line>'
            )
            out.append(f'<text x="2" y="{y(v) + 4:.1f}" fill="{colour}">{v:g}</text>')
        if points:
            band = " ".join(
                f"{x(p.at.ToDatetime(tzinfo=UTC).timestamp()):.1f},{y(p.max):.1f}" for p in points
            )
            band += " " + " ".join(
                f"{x(p.at.ToDatetime(tzinfo=UTC).timestamp()):.1f},{y(p.min):.1f}"
                for p in reversed(points)
            )
            out.append(f'<polygon points="{band}" fill="#409eff" fill-opacity="0.15"/>')
            line = " ".join(
                f"{x(p.at.ToDatetime(tzinfo=UTC).timestamp()):.1f},{y(p.avg):.1f}" for p in points
            )
            out.append(f'<polyline points="{line}" fill="none" stroke="#409eff"/>')
        for a in trend.alarms:
            if a.sensor_id != s.sensor_id:
                continue
            ax = x(a.raised_at.ToDatetime(tzinfo=UTC).timestamp())
            out.append(
                f'<circle cx="{ax:.1f}" cy="{bottom - 4}" r="4" fill="#d9001b">'
                f"<title>{escape(a.kind)} {escape(a.level)}</title></circle>"
            )
    out.append("</svg>")
    return "".join(out)
