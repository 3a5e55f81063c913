"""Restaurant gas alarms and shut-off valves: signed devices, officers, admins."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import StreamingResponse
from google.protobuf.json_format import MessageToDict
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from enforcement.gas.v1 import gas_pb2
from gateway.deps import Officer, State, require_roles
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, ProblemError
from gateway.security.device_signing import DevicePrincipal, verify_device_request
from gateway.security.principals import Principal, Role

router = APIRouter(tags=["gas"])

GAS_KINDS = ("gas_detector", "shutoff_valve", "controller")
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Watcher = Annotated[Principal, Depends(require_roles(Role.officer, Role.supervisor, Role.admin))]


async def signed_gas_device(request: Request, state: State) -> DevicePrincipal:
    device = await verify_device_request(
        request, state.db, window_s=state.settings.device_signature_window_s
    )
    if device.kind not in GAS_KINDS:
        raise ProblemError(
            status=403, type="forbidden", title="Not a gas device",
            detail="only gas detectors, shut-off valves and controllers post gas events",
        )  # fmt: skip
    return device


GasDevice = Annotated[DevicePrincipal, Depends(signed_gas_device)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventIn(Strict):
    seq: int = Field(ge=0, description="the device's own counter; a resend reuses it")
    type: Literal["heartbeat", "reading", "alarm", "fault", "valve", "tamper"]
    device_time: AwareDatetime | None = None
    lel: float = Field(default=0, ge=0, le=100, description="% LEL")
    level: int = Field(default=0, ge=0, le=2)
    fault: Literal["", "line-open", "line-short", "power", "battery", "sensor"] = ""
    valve_state: Literal["", "open", "closed"] = ""
    manual: bool = False
    command_id: str = Field(default="", max_length=64)


class BatchIn(Strict):
    events: list[EventIn] = Field(min_length=1, max_length=500)


class CommandOut(BaseModel):
    command_id: str
    action: str
    issued_at: datetime


class BatchOut(BaseModel):
    accepted: int
    duplicates: int
    commands: list[CommandOut] = Field(description="for a valve: close commands to carry out")


async def _gas(method, request):
    return await call_service("gas", method, request)


@router.post(
    "/v1/gas/device-events",
    operation_id="postGasDeviceEvents",
    response_model=BatchOut,
    responses=PROBLEM_RESPONSES,
    summary="A gas device posts a batch of events (HMAC-signed; a resent batch is stored once)",
)
async def post_events(body: BatchIn, device: GasDevice, state: State) -> BatchOut:
    events = []
    for e in body.events:
        pb = gas_pb2.DeviceEvent(
            seq=e.seq, type=e.type, lel=e.lel, level=e.level, fault=e.fault,
            valve_state=e.valve_state, manual=e.manual, command_id=e.command_id,
        )  # fmt: skip
        if e.device_time is not None:
            pb.device_time.FromDatetime(e.device_time)
        events.append(pb)
    reply = await _gas(
        state.clients.gas.IngestEvents,
        gas_pb2.IngestEventsRequest(device_id=device.device_id, events=events),
    )
    return BatchOut(
        accepted=reply.accepted,
        duplicates=reply.duplicates,
        commands=[
            CommandOut(
                command_id=c.command_id,
                action=c.action,
                issued_at=c.issued_at.ToDatetime(tzinfo=UTC),
            )
            for c in reply.commands
        ],
    )


@router.get(
    "/v1/gas/alarms",
    operation_id="listGasAlarms",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Gas alarms of your agency (your town/street by default), newest first",
)
async def list_alarms(principal: Watcher, state: State, active_only: bool = True) -> dict:
    reply = await _gas(
        state.clients.gas.ListAlarms,
        gas_pb2.ListAlarmsRequest(
            agency_id=principal.agency_id, town=principal.town or "", active_only=active_only
        ),
    )
    return MessageToDict(reply, preserving_proto_field_name=True)


@router.post(
    "/v1/gas/alarms/{alarm_id}/acknowledge",
    operation_id="acknowledgeGasAlarm",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Acknowledge an active alarm (who and when are kept)",
)
async def acknowledge(
    alarm_id: Annotated[str, PathParam(max_length=64)], principal: Officer, state: State
) -> dict:
    reply = await _gas(
        state.clients.gas.AcknowledgeAlarm,
        gas_pb2.AcknowledgeAlarmRequest(
            alarm_id=alarm_id, agency_id=principal.agency_id, user_id=principal.user_id
        ),
    )
    return MessageToDict(reply.alarm, preserving_proto_field_name=True)


class VenueIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    credit_code: str = Field(default="", max_length=18)
    address: str = Field(default="", max_length=300)
    town: str = Field(min_length=1, max_length=64)
    contact: str = Field(default="", max_length=100)
    first_lel: float = Field(default=25, gt=0, le=100)
    second_lel: float = Field(default=50, gt=0, le=100)
    sustain: int = Field(default=2, ge=1, le=20)


class DeviceIn(Strict):
    venue_id: str = Field(min_length=1, max_length=64)
    kind: Literal["gas_detector", "shutoff_valve", "controller"]
    model: str = Field(default="", max_length=100)
    serial: str = Field(default="", max_length=100)
    installed_on: date | None = None
    last_inspected_on: date | None = None


@router.put(
    "/v1/gas/venues/{venue_id}",
    operation_id="putGasVenue",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Register a venue and its alarm thresholds (admins)",
)
async def put_venue(
    venue_id: Annotated[str, PathParam(max_length=64)],
    body: VenueIn,
    principal: Admin,
    state: State,
) -> dict:
    venue = gas_pb2.Venue(venue_id=venue_id, agency_id=principal.agency_id, **body.model_dump())
    reply = await _gas(state.clients.gas.UpsertVenue, gas_pb2.UpsertVenueRequest(venue=venue))
    return MessageToDict(reply.venue, preserving_proto_field_name=True)


@router.put(
    "/v1/gas/devices/{device_id}",
    operation_id="putGasDevice",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Register a device of a venue (admins; its signing secret is provisioned apart)",
)
async def put_device(
    device_id: Annotated[str, PathParam(max_length=64)],
    body: DeviceIn,
    principal: Admin,
    state: State,
) -> dict:
    device = gas_pb2.Device(
        device_id=device_id,
        venue_id=body.venue_id,
        kind=body.kind,
        model=body.model,
        serial=body.serial,
        installed_on=body.installed_on.isoformat() if body.installed_on else "",
        last_inspected_on=body.last_inspected_on.isoformat() if body.last_inspected_on else "",
    )
    reply = await _gas(state.clients.gas.UpsertDevice, gas_pb2.UpsertDeviceRequest(device=device))
    return MessageToDict(reply.device, preserving_proto_field_name=True)


@router.get(
    "/v1/gas/alarms/stream",
    operation_id="streamGasAlarms",
    responses={200: {"content": {"text/event-stream": {}}}, **PROBLEM_RESPONSES},
    summary="Server-Sent Events: each alarm of your town/street as it is raised or changes",
)
async def stream_alarms(
    request: Request,
    principal: Watcher,
    state: State,
    max_seconds: Annotated[float, Query(gt=0, le=3600)] = 600,
) -> StreamingResponse:
    """Checks the gas service every second; a browser's EventSource reconnects by itself
    when the stream ends after `max_seconds`."""
    list_request = gas_pb2.ListAlarmsRequest(
        agency_id=principal.agency_id, town=principal.town or "", active_only=False
    )

    async def events():
        seen: dict[str, str] = {}
        started = asyncio.get_running_loop().time()
        first = True
        yield "retry: 2000\n\n"
        while asyncio.get_running_loop().time() - started < max_seconds:
            if await request.is_disconnected():
                return
            reply = await _gas(state.clients.gas.ListAlarms, list_request)
            for alarm in reversed(reply.alarms):
                stamp = alarm.updated_at.ToJsonString()
                if seen.get(alarm.alarm_id) == stamp:
                    continue
                seen[alarm.alarm_id] = stamp
                if first and not alarm.active:
                    continue  # history is for the list route; the stream is for what happens
                body = json.dumps(
                    MessageToDict(alarm, preserving_proto_field_name=True), ensure_ascii=False
                )
                yield f"id: {alarm.alarm_id}:{stamp}\nevent: alarm\ndata: {body}\n\n"
            first = False
            await asyncio.sleep(1.0)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
