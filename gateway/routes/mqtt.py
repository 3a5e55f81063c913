"""The MQTT broker's CONNECT check (not in the public document): the broker (amqtt embedded,
Mosquitto with an HTTP auth backend in production) asks whether a device's username and
password hold; the check is the signed-request check (devices.protocol, same secrets, clock
window and nonces), with the broker's own token on the call."""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from devices.protocol import CONNECT_TARGET, connect_headers
from gateway.deps import State
from gateway.problems import ProblemError
from gateway.security.device_signing import DeviceCredentials

router = APIRouter()


class ConnectIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)
    client_id: str = Field(default="", max_length=200)


@router.post("/internal/mqtt/auth", include_in_schema=False)
async def mqtt_auth(body: ConnectIn, request: Request, state: State) -> Response:
    expected = state.settings.mqtt_broker_token.get_secret_value()
    given = request.headers.get("x-broker-token", "")
    if not expected or not hmac.compare_digest(given, expected):
        raise ProblemError(status=404, type="not-found", title="Not found", detail="not found")
    await asyncio.to_thread(
        DeviceCredentials(state.db).verify,
        method="CONNECT",
        path=CONNECT_TARGET,
        headers=connect_headers(body.username, body.password),
        body=b"",
        window_s=state.settings.device_signature_window_s,
    )
    return Response(status_code=200)
