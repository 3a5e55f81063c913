"""Signed device requests. Gas devices and weigh stations post their data in their own
services' routes; this one lets an installer check a device's credentials and clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from gateway.deps import State
from gateway.problems import PROBLEM_RESPONSES
from gateway.security.device_signing import DevicePrincipal, verify_device_request

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
    now = datetime.now(UTC)
    return DeviceIdentity(
        device_id=device.device_id,
        kind=device.kind,
        owner_id=device.owner_id,
        server_time=now,
        clock_skew_s=int(request.headers["x-timestamp"]) - int(now.timestamp()),
    )
