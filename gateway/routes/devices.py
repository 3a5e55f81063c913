"""Signed device requests. Gas devices and weigh stations post their data in their own
services' routes; these let an installer check a device's credentials and clock, and an
agency's admins issue, rotate and revoke device secrets.

Whose device is it? The registries decide, not the credentials: a gas device is its venue's
agency's (the gas service's register), a weigh station's device is its station's agency's
(the overload service's). An admin is issued credentials only for a device their own agency
registered, so an id can never be claimed ahead of its owner; credentials another agency
holds for a device registered here (issued before this rule) are taken over by the owner's
admin when they issue theirs. Device ids stay one namespace: an id a device of another agency
is registered under answers 409, choose another. The gas and overload services check the
credentials' agency against the device's on every event and weighing as well.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from enforcement.gas.v1 import gas_pb2
from enforcement.hazard_sources.v1 import hazard_sources_pb2
from enforcement.overload.v1 import overload_pb2
from gateway.deps import State, require_roles
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, ProblemError
from gateway.security.device_signing import (
    DeviceCredentials,
    DevicePrincipal,
    verify_device_request,
)
from gateway.security.principals import Principal, Role
from services.chassis.db import as_utc

router = APIRouter(prefix="/v1/devices", tags=["devices"])


async def signed_device(request: Request, state: State) -> DevicePrincipal:
    return await verify_device_request(
        request, state.db, window_s=state.settings.device_signature_window_s
    )


SignedDevice = Annotated[DevicePrincipal, Depends(signed_device)]


class DeviceIdentity(BaseModel):
    device_id: str
    kind: str
    owner_id: str
    server_time: datetime
    clock_skew_s: int


@router.get(
    "/me",
    operation_id="deviceWhoAmI",
    response_model=DeviceIdentity,
    responses=PROBLEM_RESPONSES,
    summary="Check a device's signature and clock (HMAC-signed, see docs/api.md)",
)
async def device_me(device: SignedDevice, request: Request) -> DeviceIdentity:
    """A device checks its signature and clock against the gateway: the answer names the device
    and the server time, or says what is wrong with the signature."""
    now = datetime.now(UTC)
    return DeviceIdentity(
        device_id=device.device_id,
        kind=device.kind,
        owner_id=device.owner_id,
        server_time=now,
        clock_skew_s=int(request.headers["x-timestamp"]) - int(now.timestamp()),
    )


# -- credentials, for the agency's admins -----------------------------------------------------

Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
DeviceId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]


class CredentialsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["gas_detector", "shutoff_valve", "controller", "weigh_station", "hazard_sensor"]
    owner_id: str = Field(
        default="",
        max_length=64,
        description="the weigh station it serves (required for weigh_station), the hazard "
        "source unit of a hazard_sensor (required); for gas devices the venue it is "
        "registered at (PUT /v1/gas/devices), which is taken if empty",
    )


class CredentialsOut(BaseModel):
    device_id: str
    kind: str
    owner_id: str
    status: str
    created_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None
    previous_valid_until: datetime | None = Field(
        default=None, description="after a rotation the old secret works until then"
    )
    secret: str | None = Field(
        default=None, description="only in the answer that issues it: install it on the device"
    )


def _out(row, secret: str | None = None) -> CredentialsOut:
    return CredentialsOut(
        device_id=row.device_id, kind=row.kind, owner_id=row.owner_id, status=row.status,
        created_at=as_utc(row.created_at), rotated_at=as_utc(row.rotated_at),
        revoked_at=as_utc(row.revoked_at), previous_valid_until=as_utc(row.previous_valid_until),
        secret=secret,
    )  # fmt: skip


def _not_found(device_id: str) -> ProblemError:
    return ProblemError(
        status=404, type="not-found", title="No such device",
        detail=f"no credentials for device {device_id} in your agency",
    )  # fmt: skip


def _mine(credentials: DeviceCredentials, device_id: str, principal: Principal):
    row = credentials.get(device_id)
    if row is None or row.agency_id != principal.agency_id:
        raise _not_found(device_id)
    return row


class CredentialsList(BaseModel):
    devices: list[CredentialsOut]


@router.get(
    "",
    operation_id="listDeviceCredentials",
    response_model=CredentialsList,
    responses=PROBLEM_RESPONSES,
    summary="Every device credential of your agency: status, rotation, revocation (admins)",
)
async def list_credentials(principal: Admin, state: State) -> CredentialsList:
    """The credentials the agency's admins issued: gas detectors, valves and controllers by
    venue, weigh stations by station, each active or revoked, with when it was issued,
    rotated or revoked. Never a secret; the registers are `GET /v1/gas/venues` and
    `GET /v1/overload/stations`."""
    rows = await asyncio.to_thread(DeviceCredentials(state.db).of_agency, principal.agency_id)
    return CredentialsList(devices=[_out(r) for r in rows])


@router.post(
    "/{device_id}/credentials",
    operation_id="provisionDevice",
    status_code=201,
    response_model=CredentialsOut,
    responses=PROBLEM_RESPONSES,
    summary="Issue a device its id and secret (admins; the secret is shown only here)",
)
async def provision(
    device_id: DeviceId, body: CredentialsIn, principal: Admin, state: State
) -> CredentialsOut:
    """Issue a device its id and HMAC secret, for the agency's admins. The secret is shown only
    in this answer; store it in the device."""
    owner_id = await _registered_owner(state, device_id, body, principal.agency_id)
    credentials = DeviceCredentials(state.db)
    existing = await asyncio.to_thread(credentials.get, device_id)
    if existing is not None and existing.agency_id == principal.agency_id:
        raise _exists(device_id, "it already has credentials; rotate them instead")
    if existing is not None and await _held_rightly(state, existing):
        raise _exists(device_id, "another agency's device has this id; choose another id")
    try:
        if existing is None:
            secret = await asyncio.to_thread(
                credentials.provision, device_id, body.kind, owner_id, principal.agency_id
            )
        else:  # held by an agency whose registry does not know it: the owner takes it back
            secret = await asyncio.to_thread(
                credentials.reissue, device_id, body.kind, owner_id, principal.agency_id
            )
    except IntegrityError as exc:  # issued in the meantime
        raise _exists(device_id, "it already has credentials; rotate them instead") from exc
    return _out(credentials.get(device_id), secret)


def _exists(device_id: str, why: str) -> ProblemError:
    return ProblemError(
        status=409, type="conflict", title="Device exists", detail=f"device {device_id}: {why}"
    )


async def _registered_owner(state, device_id: str, body: CredentialsIn, agency_id: str) -> str:
    """The venue or station the registry holds this device under, if it is `agency_id`'s
    (404 otherwise, as for anything of another agency)."""
    if body.kind == "weigh_station":
        if not body.owner_id:
            raise ProblemError(
                status=422, type="invalid-request", title="The request is not valid",
                detail="owner_id: the weigh station (PUT /v1/overload/stations) it serves",
            )  # fmt: skip
        await call_service(
            "overload",
            state.clients.overload.GetStation,
            overload_pb2.GetStationRequest(station_id=body.owner_id, agency_id=agency_id),
        )
        return body.owner_id
    if body.kind == "hazard_sensor":
        await _sensor_of_unit(state, device_id, body.owner_id, agency_id)
        return body.owner_id
    reply = await call_service(
        "gas",
        state.clients.gas.GetDevice,
        gas_pb2.GetDeviceRequest(device_id=device_id, agency_id=agency_id),
    )
    registered = reply.device
    if registered.kind != body.kind or body.owner_id not in ("", registered.venue_id):
        raise ProblemError(
            status=422, type="invalid-request", title="The request is not valid",
            detail=f"device {device_id} is registered as a {registered.kind} at venue "
            f"{registered.venue_id}",
        )  # fmt: skip
    return registered.venue_id


async def _sensor_of_unit(state, sensor_id: str, unit_id: str, agency_id: str) -> None:
    """404 unless the hazard sources registry holds this sensor at this unit of the agency."""
    if not unit_id:
        raise ProblemError(
            status=422, type="invalid-request", title="The request is not valid",
            detail="owner_id: the unit (PUT /v1/hazard-sources/units) the sensor watches",
        )  # fmt: skip
    reply = await call_service(
        "hazard_sources",
        state.clients.hazard_sources.GetUnit,
        hazard_sources_pb2.GetUnitRequest(unit_id=unit_id, agency_id=agency_id),
    )
    if sensor_id not in {s.sensor_id for s in reply.sensors}:
        raise ProblemError(
            status=422, type="invalid-request", title="The request is not valid",
            detail=f"sensor {sensor_id} is not registered at unit {unit_id}",
        )  # fmt: skip


async def _held_rightly(state, row) -> bool:
    """Do the registries confirm that the agency holding these credentials owns the device?"""
    if not row.agency_id:
        return False
    try:
        if row.kind == "hazard_sensor":
            await _sensor_of_unit(state, row.device_id, row.owner_id, row.agency_id)
        elif row.kind == "weigh_station":
            await call_service(
                "overload",
                state.clients.overload.GetStation,
                overload_pb2.GetStationRequest(station_id=row.owner_id, agency_id=row.agency_id),
            )
        else:
            await call_service(
                "gas",
                state.clients.gas.GetDevice,
                gas_pb2.GetDeviceRequest(device_id=row.device_id, agency_id=row.agency_id),
            )
    except ProblemError as problem:
        if problem.status == 404:
            return False
        raise
    return True


@router.get(
    "/{device_id}/credentials",
    operation_id="getDeviceCredentials",
    response_model=CredentialsOut,
    responses=PROBLEM_RESPONSES,
    summary="A device's credential status (admins; never the secret)",
)
async def get_credentials(device_id: DeviceId, principal: Admin, state: State) -> CredentialsOut:
    """A device's credential status (active, revoked, rotated and until when the old secret
    works), never the secret."""
    return _out(_mine(DeviceCredentials(state.db), device_id, principal))


@router.post(
    "/{device_id}/credentials/rotate",
    operation_id="rotateDeviceSecret",
    response_model=CredentialsOut,
    responses=PROBLEM_RESPONSES,
    summary="Issue a new secret; the old one keeps working for a grace period (admins)",
)
async def rotate(device_id: DeviceId, principal: Admin, state: State) -> CredentialsOut:
    """Issue a device a new secret; the old one keeps working for a grace period so the device
    can switch without losing events."""
    credentials = DeviceCredentials(state.db)
    row = _mine(credentials, device_id, principal)
    if row.status != "active":
        raise ProblemError(
            status=409, type="conflict", title="Device revoked",
            detail="a revoked device gets new credentials under a new id",
        )  # fmt: skip
    secret = await asyncio.to_thread(credentials.rotate, device_id)
    return _out(credentials.get(device_id), secret)


@router.post(
    "/{device_id}/credentials/revoke",
    operation_id="revokeDevice",
    response_model=CredentialsOut,
    responses=PROBLEM_RESPONSES,
    summary="Refuse the device from now on, e.g. when it is stolen or replaced (admins)",
)
async def revoke(device_id: DeviceId, principal: Admin, state: State) -> CredentialsOut:
    """Refuse the device from now on, e.g. when it was stolen or replaced."""
    credentials = DeviceCredentials(state.db)
    _mine(credentials, device_id, principal)
    await asyncio.to_thread(credentials.revoke, device_id)
    return _out(credentials.get(device_id))
