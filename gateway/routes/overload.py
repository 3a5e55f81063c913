"""Truck overload checks (超限超载): weigh stations (signed) and road enforcement officers."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Annotated, Literal
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from enforcement.overload.v1 import overload_events_pb2, overload_pb2
from gateway.deps import Officer, State, require_roles
from gateway.fields import IsoDate, IsoDateTime
from gateway.grpc_errors import call_service
from gateway.officers import certified_officers
from gateway.problems import PROBLEM_RESPONSES, ProblemError
from gateway.protobuf import message_dict
from gateway.routes.cases import supervised_town
from gateway.security.device_signing import DevicePrincipal, verify_device_request
from gateway.security.principals import Principal, Role

router = APIRouter(tags=["overload"])

Supervisor = Annotated[Principal, Depends(require_roles(Role.supervisor, Role.admin))]
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Mass = Annotated[Decimal, Field(gt=0, lt=300, max_digits=7, decimal_places=3)]
Metres = Annotated[Decimal, Field(gt=0, lt=40, max_digits=5, decimal_places=3)]


async def signed_station(request: Request, state: State) -> DevicePrincipal:
    device = await verify_device_request(
        request, state.db, window_s=state.settings.device_signature_window_s
    )
    if device.kind != "weigh_station":
        raise ProblemError(
            status=403, type="forbidden", title="Not a weigh station",
            detail="only weigh-station devices post weighings",
        )  # fmt: skip
    return device


Station = Annotated[DevicePrincipal, Depends(signed_station)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VehicleIn(Strict):
    kind: Literal["truck", "combination", "tractor", "farm_vehicle", "low_speed_truck"] = Field(
        description="tractor (拖拉机), farm_vehicle (农用车/三轮汽车) and low_speed_truck "
        "(低速货车) are limited by licensed_gross_t (62号令第三条第二款第(四)项)"
    )
    axles: int = Field(ge=1, le=20)
    single_drive_axle: bool = False
    single_tyre_non_drive: bool = False
    air_suspension_twin_drive: bool = False
    single_tyre_axles: int = Field(
        default=0, ge=0, le=12, description="non-drive axles with single tyres: -3 t each"
    )
    widened_tyre_axles: int = Field(
        default=0, ge=0, le=12, description="of those, with widened tyres to the national standard"
    )
    licensed_gross_t: Mass | None = Field(default=None, description="行驶证核定的总质量")
    special: Literal["refrigerated", "centre_axle_car_carrier", "special_purpose"] | None = None
    semi_trailer_spread_mm: int = Field(default=0, ge=0, le=20_000)


class AxleGroupIn(Strict):
    axles: int = Field(ge=1, le=3, description="a two-axle group counts as two axles")
    load_t: Mass | None = None
    single_tyres: bool = False
    drive: bool = False
    steer: bool = False
    spread_mm: int = Field(default=0, ge=0, le=5000, description="0: unknown")
    air_suspension: bool = False
    widened_tyres: bool = False


class PermitIn(Strict):
    """超限运输许可 for an indivisible load (不可解体物品)."""

    permit_no: str = Field(min_length=1, max_length=64)
    gross_t: Mass
    height_m: Metres | None = None
    width_m: Metres | None = None
    length_m: Metres | None = None


class PartyIn(Strict):
    name: str = Field(default="", max_length=200)
    credit_code: str = Field(default="", max_length=18)
    id_number: str = Field(default="", max_length=18)


class WeighingIn(Strict):
    client_weighing_id: str = Field(min_length=8, max_length=100)
    plate: str = Field(min_length=7, max_length=12)
    vehicle: VehicleIn
    gross_t: Mass
    axle_loads_t: list[Mass] = Field(
        default_factory=list,
        max_length=20,
        description="one load per axle, judged against GB 1589-2016; axle_groups describes them",
    )
    axle_groups: list[AxleGroupIn] = Field(default_factory=list, max_length=12)
    permit: PermitIn | None = None
    rated_load_t: Mass | None = None
    curb_mass_t: Mass | None = None
    height_m: Metres | None = None
    width_m: Metres | None = None
    length_m: Metres | None = None
    cargo: str = Field(default="", max_length=100)
    driver: PartyIn = Field(default_factory=PartyIn)
    carrier: PartyIn = Field(default_factory=PartyIn)
    loading_source: PartyIn = Field(default_factory=PartyIn, description="货运源头单位")
    weighed_at: IsoDateTime | None = None


class ScaleIn(Strict):
    kind: Literal["static", "wim"]
    accuracy_class: Literal["III", "2", "5", "10"]
    interval_kg: int = Field(default=20, ge=1, le=1000)
    verified_on: IsoDate | None = None


CoOfficers = Annotated[
    list[Annotated[str, Field(max_length=64)]],
    Field(
        default_factory=list,
        max_length=10,
        description="the other certified officers on site (执法证): confirming a static "
        "reading over the limit takes two or more",
    ),
]


class RoadsideWeighingIn(WeighingIn):
    station_id: str = Field(
        min_length=1, max_length=64, description="a registered station, or a mobile check's own id"
    )
    scale: ScaleIn | None = Field(
        default=None, description="the mobile scale; registered stations use theirs"
    )
    co_officer_ids: CoOfficers


class StationIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["fixed", "wim", "mobile"]
    town: str = Field(min_length=1, max_length=64)
    scale: ScaleIn


class StepIn(Strict):
    to: Literal["intercepted", "confirmed", "unloaded", "released"]
    co_officer_ids: CoOfficers


def _opt(value: Decimal | None) -> str:
    return str(value) if value is not None else ""


def _request(
    body: WeighingIn, *, station_id: str, agency_id: str, town: str, by: str, scale: ScaleIn | None
):
    vehicle = body.vehicle.model_dump()
    vehicle["licensed_gross_t"] = _opt(body.vehicle.licensed_gross_t)
    vehicle["special"] = body.vehicle.special or ""
    req = overload_pb2.RecordWeighingRequest(
        client_weighing_id=body.client_weighing_id,
        station_id=station_id,
        agency_id=agency_id,
        town=town,
        recorded_by=by,
        plate=body.plate,
        vehicle=overload_pb2.Vehicle(**vehicle),
        axle_groups=[
            overload_pb2.AxleGroup(**{**g.model_dump(), "load_t": _opt(g.load_t)})
            for g in body.axle_groups
        ],
        gross_t=str(body.gross_t),
        axle_loads_t=[str(a) for a in body.axle_loads_t],
        rated_load_t=_opt(body.rated_load_t),
        curb_mass_t=_opt(body.curb_mass_t),
        height_m=_opt(body.height_m),
        width_m=_opt(body.width_m),
        length_m=_opt(body.length_m),
        cargo=body.cargo,
        driver=overload_events_pb2.Party(**body.driver.model_dump()),
        carrier=overload_events_pb2.Party(**body.carrier.model_dump()),
        loading_source=overload_events_pb2.Party(**body.loading_source.model_dump()),
    )
    if body.permit is not None:
        req.permit.CopyFrom(
            overload_pb2.Permit(
                permit_no=body.permit.permit_no,
                gross_t=str(body.permit.gross_t),
                height_m=_opt(body.permit.height_m),
                width_m=_opt(body.permit.width_m),
                length_m=_opt(body.permit.length_m),
            )
        )
    if scale is not None:
        req.scale.CopyFrom(
            overload_pb2.ScaleInfo(
                kind=scale.kind,
                accuracy_class=scale.accuracy_class,
                interval_kg=scale.interval_kg,
                verified_on=scale.verified_on.isoformat() if scale.verified_on else "",
            )
        )
    if body.weighed_at is not None:
        req.weighed_at.FromDatetime(body.weighed_at)
    return req


async def _overload(call, request):
    return await call_service("overload", call, request)


class WeighingOut(BaseModel):
    weighing_id: str
    created: bool
    verdict: dict = Field(description="limit, measured, tolerance, over, article, fines, notes")
    inspection: dict | None


def _weighing_out(reply, response: Response) -> WeighingOut:
    if not reply.created:
        response.status_code = 200
    return WeighingOut(
        weighing_id=reply.weighing_id,
        created=reply.created,
        verdict=message_dict(reply.verdict),
        inspection=message_dict(reply.inspection) if reply.HasField("inspection") else None,
    )


@router.post(
    "/v1/stations/weighings",
    operation_id="postStationWeighing",
    status_code=201,
    response_model=WeighingOut,
    responses=PROBLEM_RESPONSES,
    summary="A weigh station posts a weighing (HMAC-signed; idempotent on client_weighing_id)",
)
async def station_weighing(
    body: WeighingIn, station: Station, state: State, response: Response
) -> WeighingOut:
    """A weigh station's scale posts a weighing, signed with the station's HMAC secret (see
    docs/api.md). The answer is the verdict by the 62号令 limits with the scale's error
    allowed; an over-limit truck opens an inspection."""
    req = _request(
        body, station_id=station.owner_id, agency_id="", town="", by=station.device_id, scale=None
    )
    req.device_agency_id = station.agency_id or "-"  # never "": the station must be theirs
    return _weighing_out(await _overload(state.clients.overload.RecordWeighing, req), response)


@router.post(
    "/v1/overload/weighings",
    operation_id="postRoadsideWeighing",
    status_code=201,
    response_model=WeighingOut,
    responses=PROBLEM_RESPONSES,
    summary="An officer enters a roadside or station weighing (idempotent on client_weighing_id)",
)
async def roadside_weighing(
    body: RoadsideWeighingIn, principal: Officer, state: State, response: Response
) -> WeighingOut:
    """An officer enters a weighing at a registered station or a mobile check, with the
    colleague on site. The answer is the verdict (limit, measured, tolerance, over, fines
    under 一超四罚) and, when over, the inspection that follows the truck."""
    req = _request(
        body,
        station_id=body.station_id,
        agency_id=principal.agency_id,
        town=principal.town or "",
        by=principal.user_id,
        scale=body.scale,
    )
    if body.co_officer_ids:
        req.officers.extend(
            await asyncio.to_thread(certified_officers, state, principal, body.co_officer_ids)
        )
    return _weighing_out(await _overload(state.clients.overload.RecordWeighing, req), response)


InspectionId = Annotated[str, PathParam(max_length=64)]


@router.get(
    "/v1/overload/inspections",
    operation_id="listInspections",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Your agency's truck inspections, those awaiting confirmation first",
)
async def list_inspections(principal: Officer, state: State, open_only: bool = True) -> dict:
    """The agency's truck inspections with their last verdict; `weighed` (to confirm) first."""
    reply = await _overload(
        state.clients.overload.ListInspections,
        overload_pb2.ListInspectionsRequest(agency_id=principal.agency_id, open_only=open_only),
    )
    return message_dict(reply)


@router.get(
    "/v1/overload/inspections/{inspection_id}",
    operation_id="getInspectionFile",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="One truck inspection: weighings, verdicts explained, photos",
)
async def get_inspection_file(
    inspection_id: Annotated[str, PathParam(max_length=64)], principal: Officer, state: State
) -> dict:
    """Each weighing, its verdict explained, its checked photos (10-minute links); confirmers."""
    reply = await _overload(
        state.clients.overload.GetInspectionFile,
        overload_pb2.GetInspectionFileRequest(
            inspection_id=inspection_id, agency_id=principal.agency_id
        ),
    )
    return message_dict(reply)


@router.post(
    "/v1/overload/inspections/{inspection_id}/steps",
    operation_id="advanceInspection",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Intercept, confirm (two officers on site), unloaded, release: the officers' steps",
)
async def advance_inspection(
    inspection_id: InspectionId, body: StepIn, principal: Officer, state: State
) -> dict:
    """The officers' steps with an overloaded truck: intercepted, confirmed on site (two
    certified officers: the cases of 一超四罚 are opened from it), unloaded, released."""
    officers = (
        await asyncio.to_thread(certified_officers, state, principal, body.co_officer_ids)
        if body.to == "confirmed"
        else []
    )
    reply = await _overload(
        state.clients.overload.AdvanceInspection,
        overload_pb2.AdvanceInspectionRequest(
            inspection_id=inspection_id,
            agency_id=principal.agency_id,
            to_status=body.to,
            actor_id=principal.user_id,
            officers=officers,
        ),
    )
    return message_dict(reply.inspection)


@router.get(
    "/v1/overload/statistics",
    operation_id="overloadStatistics",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Per station and day: weighed, suspected, confirmed, 百吨王; top carriers and sources",
)
async def overload_statistics(
    principal: Supervisor,
    state: State,
    date_from: IsoDate | None = None,
    date_to: IsoDate | None = None,
) -> dict:
    """Per station and day: trucks weighed, suspected, confirmed, 百吨王 (100-tonne trucks);
    with the carriers and loading sources most often found overloaded. Counts are numbers."""
    reply = await _overload(
        state.clients.overload.GetStatistics,
        overload_pb2.GetStatisticsRequest(
            agency_id=principal.agency_id,
            town=supervised_town(principal) or "",  # a town-bound supervisor: that town only
            date_from=date_from.isoformat() if date_from else "",
            date_to=date_to.isoformat() if date_to else "",
        ),
    )
    return message_dict(reply)


@router.get(
    "/v1/overload/repeat-offenders",
    operation_id="overloadRepeatOffenders",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Vehicles with more than 3 violations in 12 months; carriers and loading sources",
)
async def repeat_offenders(principal: Supervisor, state: State) -> dict:
    """Vehicles with more than 3 violations in 12 months, and the carriers and loading sources
    behind repeated violations: the lists that 一超四罚 acts on."""
    reply = await _overload(
        state.clients.overload.ListRepeatOffenders,
        overload_pb2.ListRepeatOffendersRequest(
            agency_id=principal.agency_id, town=supervised_town(principal) or ""
        ),
    )
    return message_dict(reply)


@router.put(
    "/v1/overload/stations/{station_id}",
    operation_id="putStation",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Register a station and its scale (admins)",
)
async def put_station(
    station_id: Annotated[str, PathParam(max_length=64)],
    body: StationIn,
    principal: Admin,
    state: State,
) -> dict:
    """Register or change a weigh station and its scale (kind, accuracy class, verification
    date) for the agency's admins; the station's device credentials are issued apart."""
    reply = await _overload(
        state.clients.overload.UpsertStation,
        overload_pb2.UpsertStationRequest(
            station=overload_pb2.Station(
                station_id=station_id,
                name=body.name,
                kind=body.kind,
                agency_id=principal.agency_id,
                town=body.town,
                scale=overload_pb2.ScaleInfo(
                    kind=body.scale.kind,
                    accuracy_class=body.scale.accuracy_class,
                    interval_kg=body.scale.interval_kg,
                    verified_on=body.scale.verified_on.isoformat()
                    if body.scale.verified_on
                    else "",
                ),
            )
        ),
    )
    return message_dict(reply.station)


@router.get(
    "/v1/overload/stations",
    operation_id="listStations",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="The agency's weigh stations and their scales (admins and supervisors)",
)
async def list_stations(principal: Supervisor, state: State) -> dict:
    """The weigh stations registered with the agency (a town-bound supervisor: their town's),
    each with its scale's kind, accuracy class, interval and last verification, by town."""
    reply = await _overload(
        state.clients.overload.ListStations,
        overload_pb2.ListStationsRequest(
            agency_id=principal.agency_id, town=supervised_town(principal) or ""
        ),
    )
    return message_dict(reply)


class PhotoSlotIn(Strict):
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    size: int = Field(gt=0, le=200 * 1024 * 1024)
    media_type: str = Field(pattern=r"^(image|video)/[a-z0-9.+-]{1,60}$")


class PhotoOut(BaseModel):
    photo_id: str
    status: str
    put_url: str | None = None
    object_key: str | None = None


WeighingId = Annotated[str, PathParam(max_length=64)]


async def _photo_slot(state, weighing_id: str, body: PhotoSlotIn, **owner: str) -> PhotoOut:
    """`owner`: an officer's agency_id, or a station camera's station_id."""
    reply = await _overload(
        state.clients.overload.RequestPhotoSlot,
        overload_pb2.RequestPhotoSlotRequest(
            weighing_id=weighing_id,
            sha256=body.sha256.lower(),
            size=body.size,
            media_type=body.media_type,
            **owner,
        ),
    )
    return PhotoOut(photo_id=reply.photo_id, status=reply.status, put_url=reply.put_url)


async def _confirm_photo(state, photo_id: str, **owner: str) -> PhotoOut:
    reply = await _overload(
        state.clients.overload.ConfirmPhoto,
        overload_pb2.ConfirmPhotoRequest(photo_id=photo_id, **owner),
    )
    return PhotoOut(photo_id=reply.photo_id, status=reply.status, object_key=reply.object_key)


@router.post(
    "/v1/overload/weighings/{weighing_id}/photos",
    operation_id="requestWeighingPhotoSlot",
    status_code=201,
    response_model=PhotoOut,
    responses=PROBLEM_RESPONSES,
    summary="A presigned upload for a photo of the truck or the scale reading",
)
async def photo_slot(
    weighing_id: WeighingId, body: PhotoSlotIn, principal: Officer, state: State
) -> PhotoOut:
    """A presigned upload for a photo of the truck, its plate or the scale reading, attached to
    the weighing once its SHA-256 is checked."""
    return await _photo_slot(state, weighing_id, body, agency_id=principal.agency_id)


@router.post(
    "/v1/stations/weighings/{weighing_id}/photos",
    operation_id="requestStationPhotoSlot",
    status_code=201,
    response_model=PhotoOut,
    responses=PROBLEM_RESPONSES,
    summary="A station's camera: a presigned upload for a photo of its own weighing (signed)",
)
async def station_photo_slot(
    weighing_id: WeighingId, body: PhotoSlotIn, station: Station, state: State
) -> PhotoOut:
    """A station's camera asks for a presigned upload for a photo of its own weighing (signed
    like the weighing)."""
    return await _photo_slot(
        state,
        weighing_id,
        body,
        station_id=station.owner_id,
        device_agency_id=station.agency_id or "-",
    )


@router.post(
    "/v1/stations/photos/{photo_id}/confirm",
    operation_id="confirmStationPhoto",
    response_model=PhotoOut,
    responses=PROBLEM_RESPONSES,
    summary="A station's camera, after the upload: the stored bytes are checked (signed)",
)
async def station_confirm_photo(
    photo_id: Annotated[str, PathParam(max_length=64)], station: Station, state: State
) -> PhotoOut:
    """A station's camera, after the upload: the stored bytes are checked against the declared
    SHA-256 before the photo joins the weighing (signed)."""
    return await _confirm_photo(
        state, photo_id, station_id=station.owner_id, device_agency_id=station.agency_id or "-"
    )


@router.post(
    "/v1/overload/photos/{photo_id}/confirm",
    operation_id="confirmWeighingPhoto",
    response_model=PhotoOut,
    responses=PROBLEM_RESPONSES,
    summary="After the upload: the stored bytes are checked against the declared SHA-256",
)
async def confirm_photo(
    photo_id: Annotated[str, PathParam(max_length=64)], principal: Officer, state: State
) -> PhotoOut:
    """After the upload: the stored bytes are checked against the declared SHA-256 before the
    photo joins the weighing."""
    return await _confirm_photo(state, photo_id, agency_id=principal.agency_id)


def statistics_svg(days: list[dict], width: int = 720, height: int = 300) -> str:
    """Bars per day: weighed, with the confirmed violations and 百吨王 over them."""
    totals: dict[str, dict[str, int]] = {}
    for d in days:
        t = totals.setdefault(d["day"], {"weighed": 0, "confirmed": 0, "kings": 0})
        t["weighed"] += int(d["weighed"])
        t["confirmed"] += int(d["confirmed"])
        t["kings"] += int(d["hundred_tonne_kings"])
    ordered = sorted(totals.items())
    top = max([t["weighed"] for _, t in ordered] + [1])
    left, bottom, plot_h = 48, height - 40, height - 80
    step = max(1, -(-len(ordered) // 10))  # at most ten day labels
    slot = (width - left - 32) / max(len(ordered), 1)
    bar = max(2.0, slot * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<text x="{left}" y="20" font-size="15">超限检测 每日称重与超限确认</text>',
        f'<line x1="{left}" y1="{bottom}" x2="{width - 16}" y2="{bottom}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{bottom - plot_h + 4}" text-anchor="end">{top}</text>',
        f'<text x="{left - 6}" y="{bottom + 4}" text-anchor="end">0</text>',
    ]
    for i, (day, t) in enumerate(ordered):
        x = left + i * slot + (slot - bar) / 2
        for key, colour in (("weighed", "#cbd5e1"), ("confirmed", "#dc2626"), ("kings", "#111827")):
            h = plot_h * t[key] / top
            parts.append(
                f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(day)} {key}: {t[key]}</title></rect>'
            )
        if i % step == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{bottom + 16}" text-anchor="middle">'
                f"{escape(day[5:])}</text>"
            )
    legend = (("#cbd5e1", "称重"), ("#dc2626", "超限确认"), ("#111827", "百吨王"))
    for i, (colour, label) in enumerate(legend):
        x = left + i * 110
        parts.append(f'<rect x="{x}" y="{height - 16}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 7}">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


@router.get(
    "/v1/overload/statistics.svg",
    operation_id="overloadStatisticsChart",
    responses={200: {"content": {"image/svg+xml": {}}}, **PROBLEM_RESPONSES},
    summary="The statistics as a chart: weighings, confirmed violations and 百吨王 per day",
)
async def overload_chart(
    principal: Supervisor,
    state: State,
    date_from: IsoDate | None = None,
    date_to: IsoDate | None = None,
) -> Response:
    """The overload statistics as an SVG chart (weighings, confirmed violations and 百吨王 per
    day), for the desk console and reports."""
    stats = await overload_statistics(principal, state, date_from, date_to)
    return Response(statistics_svg(stats.get("days", [])), media_type="image/svg+xml")


@router.get(
    "/v1/overload/reports",
    operation_id="listOverloadReports",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Art. 44 reports to the vehicle's home authority: due 7 working days after closing",
)
async def list_reports(principal: Officer, state: State, open_only: bool = True) -> dict:
    """Art. 44 reports (抄告) to the vehicle's home authority, due 7 working days after a case
    closed: which are due, overdue or sent."""
    reply = await _overload(
        state.clients.overload.ListReports,
        overload_pb2.ListReportsRequest(agency_id=principal.agency_id, open_only=open_only),
    )
    return message_dict(reply)


@router.post(
    "/v1/overload/reports/{report_id}/sent",
    operation_id="markOverloadReportSent",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Record that the Art. 44 report was sent",
)
async def mark_report_sent(
    report_id: Annotated[str, PathParam(max_length=64)], principal: Officer, state: State
) -> dict:
    """Record that an Art. 44 report was sent to the vehicle's home authority."""
    reply = await _overload(
        state.clients.overload.MarkReportSent,
        overload_pb2.MarkReportSentRequest(
            report_id=report_id, agency_id=principal.agency_id, actor_id=principal.user_id
        ),
    )
    return message_dict(reply.report)


@router.get(
    "/v1/overload/referrals",
    operation_id="listOverloadReferrals",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Referrals (抄告/移送) to the competent agency, e.g. 超载 to the traffic police; "
    "overdue ones are flagged",
)
async def list_referrals(principal: Officer, state: State, open_only: bool = True) -> dict:
    """What this agency sent to another that must act on the same truck (行政处罚法 Art. 29:
    one act, one fine): e.g. 超载 and the driver's points to the traffic police. Each carries
    the weighing, photos and facts, its status (sent, acknowledged) and `overdue` when no
    receipt came within the expected time."""
    reply = await _overload(
        state.clients.overload.ListReferrals,
        overload_pb2.ListReferralsRequest(agency_id=principal.agency_id, open_only=open_only),
    )
    return message_dict(reply)


class AcknowledgementIn(Strict):
    reference: str = Field(
        min_length=1, max_length=100, description="the recipient's receipt or case number"
    )
    acknowledged_on: IsoDate | None = None


@router.post(
    "/v1/overload/referrals/{referral_id}/acknowledgement",
    operation_id="acknowledgeOverloadReferral",
    response_model=dict,
    responses=PROBLEM_RESPONSES,
    summary="Record that the competent agency received the referral (回执)",
)
async def acknowledge_referral(
    referral_id: Annotated[str, PathParam(max_length=64)],
    body: AcknowledgementIn,
    principal: Officer,
    state: State,
) -> dict:
    """The competent agency's receipt (回执) of a referral, with its reference number; the
    acknowledgement is written into the driver's case record once."""
    reply = await _overload(
        state.clients.overload.AcknowledgeReferral,
        overload_pb2.AcknowledgeReferralRequest(
            referral_id=referral_id,
            agency_id=principal.agency_id,
            actor_id=principal.user_id,
            reference=body.reference,
            acknowledged_on=body.acknowledged_on.isoformat() if body.acknowledged_on else "",
        ),
    )
    return message_dict(reply.referral)
