"""Signed device requests. Gas devices and weigh stations post their data in their own
services' routes; these let an installer check a device's credentials and clock, and an
agency's admins issue, rotate and revoke device secrets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError

from gateway.deps import State, require_roles
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

    kind: Literal["gas_detector", "shutoff_valve", "controller", "weigh_station"]
    owner_id: str = Field(
        min_length=1, max_length=64, description="the venue (gas) or weigh station it serves"
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
    credentials = DeviceCredentials(state.db)
    try:
        secret = await asyncio.to_thread(
            credentials.provision, device_id, body.kind, body.owner_id, principal.agency_id
        )
    except IntegrityError as exc:
        raise ProblemError(
            status=409, type="conflict", title="Device exists",
            detail=f"device {device_id} already has credentials; rotate them instead",
        ) from exc  # fmt: skip
    return _out(credentials.get(device_id), secret)


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
