"""Restaurant gas alarms and shut-off valves: signed devices, officers, admins."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from enforcement.gas.v1 import gas_pb2
from gateway.deps import Officer, State, require_roles, too_many
from gateway.fields import IsoAwareDateTime, IsoDate
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, RATE_LIMITED_RESPONSES, ProblemError
from gateway.protobuf import message_dict
from gateway.security.device_signing import DevicePrincipal, verify_device_request
from gateway.security.principals import Principal, Role

router = APIRouter(tags=["gas"])

GAS_KINDS = ("gas_detector", "shutoff_valve", "controller")
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Watcher = Annotated[Principal, Depends(require_roles(Role.officer, Role.supervisor, Role.admin))]
AlarmReader = Annotated[
    Principal,
    Depends(require_roles(Role.officer, Role.supervisor, Role.admin, Role.venue_owner)),
]


def _scope(principal: Principal) -> dict:
    """Regulators see their town/street (or the whole agency); an owner only their venue."""
    if principal.has_role(Role.officer, Role.supervisor, Role.admin):
        return {"agency_id": principal.agency_id, "town": principal.town or ""}
    if not principal.venue_id:
        raise ProblemError(
            status=403, type="forbidden", title="No venue",
            detail="this venue owner account is not bound to a venue",
        )  # fmt: skip
    return {"agency_id": principal.agency_id, "venue_id": principal.venue_id}


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
    seq: int = Field(ge=0, le=2**63 - 1, description="the device's own counter; a resend reuses it")
    type: Literal["heartbeat", "reading", "alarm", "fault", "valve", "tamper"]
    device_time: IsoAwareDateTime | None = None
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
    """A gas detector or shut-off valve posts a batch of events (readings, alarms, faults, valve
    states), signed with its HMAC secret (see docs/api.md). A resent batch is stored once;
    the answer carries any close command for the venue's valves."""
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
        gas_pb2.IngestEventsRequest(
            device_id=device.device_id, events=events, agency_id=device.agency_id
        ),
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
    summary="Gas alarms of your town/street (regulators) or your venue (owners), newest first",
)
async def list_alarms(principal: AlarmReader, state: State, active_only: bool = True) -> dict:
    """Gas alarms (燃气报警) newest first: a regulator sees the alarms of their town/street, a
    venue owner those of their own venue."""
    reply = await _gas(
        state.clients.gas.ListAlarms,
        gas_pb2.ListAlarmsRequest(active_only=active_only, **_scope(principal)),
    )
    return {"alarms": message_dict(reply).get("alarms", [])}


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
    """Acknowledge an active alarm; who and when are kept, and escalation stops."""
    reply = await _gas(
        state.clients.gas.AcknowledgeAlarm,
        gas_pb2.AcknowledgeAlarmRequest(
            alarm_id=alarm_id,
            agency_id=principal.agency_id,
            user_id=principal.user_id,
            town=principal.town or "",
        ),
    )
    return message_dict(reply.alarm)


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
    installed_on: IsoDate | None = None
    last_inspected_on: IsoDate | None = None


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
    """Register or change a venue (a restaurant) and its alarm thresholds in % LEL, for the
    agency's admins."""
    venue = gas_pb2.Venue(venue_id=venue_id, agency_id=principal.agency_id, **body.model_dump())
    reply = await _gas(state.clients.gas.UpsertVenue, gas_pb2.UpsertVenueRequest(venue=venue))
    return message_dict(reply.venue)


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
    """Register or change a detector or valve of a venue, for the agency's admins; its signing
    secret is issued by `POST /v1/devices/{device_id}/credentials`."""
    device = gas_pb2.Device(
        device_id=device_id,
        venue_id=body.venue_id,
        kind=body.kind,
        model=body.model,
        serial=body.serial,
        installed_on=body.installed_on.isoformat() if body.installed_on else "",
        last_inspected_on=body.last_inspected_on.isoformat() if body.last_inspected_on else "",
    )
    reply = await _gas(
        state.clients.gas.UpsertDevice,
        gas_pb2.UpsertDeviceRequest(device=device, agency_id=principal.agency_id),
    )
    return message_dict(reply.device)


@router.get(
    "/v1/gas/venues",
    operation_id="listGasVenues",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Venues with their detectors and valves, state and last seen (owners: their own)",
)
async def list_venues(
    principal: AlarmReader,
    state: State,
    town: Annotated[str | None, Query(max_length=64, description="only this town/street")] = None,
) -> dict:
    """The registered venues with each detector's and valve's state (online, offline, fault;
    the valve open or closed), when it was last heard from, and the valves' newest close
    commands with their acknowledgement: the admins' register, a regulator's town/street, a
    venue owner's own venue only."""
    scope = _scope(principal)
    if town:
        if scope.get("town") not in ("", town) or "venue_id" in scope:
            raise ProblemError(
                status=403, type="forbidden", title="Outside your jurisdiction",
                detail=f"you supervise {scope.get('town') or 'your venue'} only",
            )  # fmt: skip
        scope["town"] = town
    reply = await _gas(state.clients.gas.ListVenueDevices, gas_pb2.ListVenueDevicesRequest(**scope))
    return message_dict(reply)


@router.get(
    "/v1/gas/venues/{venue_id}",
    operation_id="getGasVenueState",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="A venue's detectors and valves now, and why unprotected",
)
async def get_venue_state(
    venue_id: Annotated[str, PathParam(max_length=64)], principal: Watcher, state: State
) -> dict:
    """Each detector and valve online, offline or faulty, each valve open or closed with its
    open close commands, and the gaps (`gap_labels` in zh-CN)."""
    reply = await _gas(
        state.clients.gas.GetVenueState,
        gas_pb2.GetVenueStateRequest(
            venue_id=venue_id, agency_id=principal.agency_id, town=principal.town or ""
        ),
    )
    out = message_dict(reply)
    out["gap_labels"] = {g: GAP_LABELS.get(g, g) for g in reply.gaps}
    return out


def _stamp(ts) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)


# A write that began before a newer one may commit after it: look back this far each poll
# and let the seen-set drop what was already sent.
LOOKBACK = timedelta(seconds=10)


@router.get(
    "/v1/gas/alarms/stream",
    operation_id="streamGasAlarms",
    responses={
        200: {"content": {"text/event-stream": {}}},
        **PROBLEM_RESPONSES,
        **RATE_LIMITED_RESPONSES,
    },
    summary="Server-Sent Events: alarms and device changes of your town/street or venue, live",
)
async def stream_alarms(
    request: Request,
    principal: AlarmReader,
    state: State,
    max_seconds: Annotated[float, Query(gt=0, le=3600)] = 600,
) -> StreamingResponse:
    """`alarm` events when an alarm is raised, escalated, acknowledged or cleared; `device`
    events when a detector or valve goes offline, reports a fault or comes back. The gas
    service wakes the stream on a change (else it looks again after a second); a browser's
    EventSource reconnects by itself after `max_seconds`.
    A user holds at most `GATEWAY_LIVE_STREAMS_PER_USER` streams at once; one more is a 429."""
    scope = _scope(principal)
    slots = state.streams
    slot = (
        await asyncio.to_thread(slots.take, principal.user_id, hold_s=max_seconds + 60)
        if slots
        else None
    )
    if slots is not None and slot is None:
        raise too_many(
            STREAM_RETRY_S,
            f"you already have {slots.limit} live streams open; close one (or wait for it to end)",
        )
    return _event_stream(
        request, state, scope, max_seconds, principal,
        release=(lambda: slots.give_back(principal.user_id, slot)) if slots else None,
    )  # fmt: skip


STREAM_RETRY_S = 10


def _event_stream(
    request: Request,
    state: State,
    scope: dict,
    max_seconds: float,
    principal: Principal | None = None,
    release=None,
) -> StreamingResponse:
    gas = state.clients.gas

    def still_allowed() -> bool:
        # A deactivated or changed account's stream ends; reconnecting then answers 401.
        if principal is None:
            return True
        try:
            state.accounts.check(principal)
        except ProblemError:
            return False
        return True

    async def events():
        try:
            async for event in _events():
                yield event
        finally:  # the client left, the stream ended or it failed: the slot is free again
            if release is not None:
                release()  # not awaited: a cancelled stream must still give its slot back

    async def _events():
        seen: dict[str, str] = {}
        cursor: datetime | None = None
        started = asyncio.get_running_loop().time()
        yield "retry: 2000\n\n"
        while asyncio.get_running_loop().time() - started < max_seconds:
            if await request.is_disconnected() or not await asyncio.to_thread(still_allowed):
                return
            alarms_req = gas_pb2.ListAlarmsRequest(**scope)
            changes_req = gas_pb2.ListDeviceChangesRequest(**scope)
            if cursor is not None:
                alarms_req.updated_after.FromDatetime(cursor - LOOKBACK)
                changes_req.changed_after.FromDatetime(cursor - LOOKBACK)
                # The gas service holds the call until a change of the agency on any of its
                # replicas (or a second passes), so news arrives at once, not at the next poll.
                alarms_req.wait_seconds = 1.0
            asked = asyncio.get_running_loop().time()
            alarms = await _gas(gas.ListAlarms, alarms_req)
            changes = await _gas(gas.ListDeviceChanges, changes_req)
            found = [("alarm", a.alarm_id, a.updated_at, a) for a in reversed(alarms.alarms)]
            found += [("device", c.device_id, c.changed_at, c) for c in reversed(changes.changes)]
            for kind, key, ts, msg in found:
                stamp = ts.ToJsonString()
                if seen.get(f"{kind}:{key}") == stamp:
                    continue
                seen[f"{kind}:{key}"] = stamp
                # On connecting, only active alarms are news; the rest is for the list routes.
                if cursor is None and not (kind == "alarm" and msg.active):
                    continue
                body = json.dumps(message_dict(msg), ensure_ascii=False)
                yield f"id: {key}:{stamp}\nevent: {kind}\ndata: {body}\n\n"
            stamps = [_stamp(ts) for _, _, ts, _ in found]
            cursor = max([cursor or datetime.now(UTC), *stamps])
            # A look a second, or a quarter second after a change (a gas that cannot wait
            # answers at once, never woken: still one look a second).
            pause = 0.25 if alarms.woken else 1.0
            await asyncio.sleep(max(0.0, pause - (asyncio.get_running_loop().time() - asked)))

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/v1/gas/commands",
    operation_id="pollGasCommands",
    response_model=BatchOut,
    responses=PROBLEM_RESPONSES,
    summary="A valve's long-poll (HMAC-signed): answers as soon as a close command is due",
)
async def poll_commands(
    device: GasDevice,
    state: State,
    wait: Annotated[float, Query(ge=0, le=55, description="seconds to hold the request")] = 25,
) -> BatchOut:
    """Between posts a valve holds this request open; it returns at once with the commands
    due, or empty after `wait` seconds, and the valve asks again."""
    # The gas service holds the call and answers the moment a command is issued.
    reply = await call_service(
        "gas",
        state.clients.gas.PendingCommands,
        gas_pb2.PendingCommandsRequest(
            device_id=device.device_id, wait_seconds=wait, agency_id=device.agency_id
        ),
        timeout=wait + 10,
    )
    return BatchOut(
        accepted=0,
        duplicates=0,
        commands=[
            CommandOut(command_id=c.command_id, action=c.action, issued_at=_stamp(c.issued_at))
            for c in reply.commands
        ],
    )


GAP_LABELS = {
    "no-detector": "未安装报警器",
    "no-valve": "未安装切断阀",
    "detector-offline": "报警器离线",
    "valve-offline": "切断阀离线",
    "detector-fault": "报警器故障",
    "valve-fault": "切断阀故障",
}


@router.get(
    "/v1/gas/coverage",
    operation_id="getGasCoverage",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Protected and unprotected venues per town/street and for the district, and why",
)
async def get_coverage(principal: Watcher, state: State) -> dict:
    """How many venues are protected (a working detector and valve) and which are not and why,
    per town/street and for the district."""
    reply = await _gas(
        state.clients.gas.GetCoverage,
        gas_pb2.GetCoverageRequest(agency_id=principal.agency_id, town=principal.town or ""),
    )
    out = message_dict(reply)
    out["gap_labels"] = GAP_LABELS
    return out


def coverage_svg(coverage: dict, width: int = 720) -> str:
    """A bar per town/street: protected in green, unprotected split by the first gap."""
    towns = coverage.get("towns", [])
    row, top, left = 28, 40, 120
    height = top + row * max(len(towns), 1) + 50
    widest = max([int(t.get("registered", 0)) for t in towns] + [1])
    scale = (width - left - 60) / widest
    colours = {
        "protected": "#16a34a",
        "no-detector": "#7f1d1d",
        "no-valve": "#b91c1c",
        "detector-offline": "#f97316",
        "valve-offline": "#fb923c",
        "detector-fault": "#a855f7",
        "valve-fault": "#c084fc",
    }
    d = coverage.get("district", {})
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<text x="8" y="20" font-size="15">燃气报警覆盖 全区 {int(d.get("registered", 0))} 家, '
        f"已防护 {int(d.get('protected', 0))} 家, 未防护 {int(d.get('unprotected', 0))} 家</text>",
    ]
    for i, t in enumerate(towns):
        y = top + i * row
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(t["town"])}</text>'
        )
        x = float(left)
        # Gaps overlap (a venue can miss both); bars split the unprotected count by share.
        gaps = {k: int(v) for k, v in t.get("gaps", {}).items()}
        unprotected = int(t.get("unprotected", 0))
        total_gaps = sum(gaps.values()) or 1
        segments = [("protected", int(t.get("protected", 0)))] + [
            (k, unprotected * v / total_gaps) for k, v in sorted(gaps.items())
        ]
        for key, count in segments:
            w = count * scale
            if w <= 0:
                continue
            label = "已防护" if key == "protected" else GAP_LABELS.get(key, key)
            fill = colours.get(key, "#666")
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="20" fill="{fill}">'
                f"<title>{escape(t['town'])} {label}: {count:g}</title></rect>"
            )
            x += w
        share = f"{int(t.get('protected', 0))}/{int(t.get('registered', 0))}"
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}">{share}</text>')
    y = height - 20
    for i, (key, colour) in enumerate(colours.items()):
        x = 8 + i * 100
        label = "已防护" if key == "protected" else GAP_LABELS[key]
        parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y + 9}">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


@router.get(
    "/v1/gas/coverage.svg",
    operation_id="gasCoverageChart",
    responses={200: {"content": {"image/svg+xml": {}}}, **PROBLEM_RESPONSES},
    summary="The coverage as a chart: protected and unprotected venues per town/street",
)
async def coverage_chart(principal: Watcher, state: State) -> Response:
    """The gas coverage as an SVG chart: protected and unprotected venues per town/street."""
    return Response(coverage_svg(await get_coverage(principal, state)), media_type="image/svg+xml")
