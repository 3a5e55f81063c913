"""The MQTT broker's checks (not in the public document). The embedded broker (amqtt,
deploy/mqtt_broker.py) and Mosquitto with mosquitto-go-auth's HTTP backend (production,
deploy/mosquitto/) ask the gateway:

- `POST /internal/mqtt/auth` {username, password, clientid}: does the CONNECT hold? A device's
  password is a signed token (devices.protocol.connect_password), checked like a signed HTTP
  request (same secrets, clock window and nonces); the bridge logs in with its own secret.
- `POST /internal/mqtt/superuser` {username}: only the bridge.
- `POST /internal/mqtt/acl` {username, topic, clientid, acc}: a device publishes (acc 2) only
  under devices/<its id>/up/ and reads or subscribes (acc 1, 4) only devices/<its id>/cmd
  and devices/<its id>/ack (what the platform has stored).

200 means yes, 403 no. The broker proves itself with the broker token, in the
X-Broker-Token header or (for brokers that cannot set a header) the `token` query parameter.
"""

from __future__ import annotations

import asyncio
import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from devices.protocol import CONNECT_TARGET, connect_headers, may_publish, may_subscribe
from gateway.deps import State
from gateway.problems import ProblemError
from gateway.security.device_signing import DeviceCredentials

router = APIRouter(prefix="/internal/mqtt", include_in_schema=False)


def _answer(allowed: bool) -> Response:
    return Response(status_code=200 if allowed else 403)


class ConnectIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(default="", max_length=200)
    clientid: str = Field(default="", max_length=200)


class AclIn(BaseModel):
    username: str = Field(max_length=64)
    topic: str = Field(max_length=300)
    clientid: str = Field(default="", max_length=200)
    acc: int = Field(ge=1, le=4)  # 1 read, 2 write, 4 subscribe (mosquitto-go-auth)


def _broker_only(request: Request, state: State) -> None:
    expected = state.settings.mqtt_broker_token.get_secret_value()
    given = request.headers.get("x-broker-token") or request.query_params.get("token", "")
    if not expected or not hmac.compare_digest(given, expected):
        raise ProblemError(status=404, type="not-found", title="Not found", detail="not found")


def _is_bridge(state: State, username: str, password: str | None = None) -> bool:
    s = state.settings
    if username != s.mqtt_bridge_username:
        return False
    if password is None:
        return True
    secret = s.mqtt_bridge_password.get_secret_value()
    return bool(secret) and hmac.compare_digest(password, secret)


@router.post("/auth")
async def mqtt_auth(body: ConnectIn, request: Request, state: State) -> Response:
    _broker_only(request, state)
    if body.username == state.settings.mqtt_bridge_username:
        return _answer(_is_bridge(state, body.username, body.password))
    try:
        await asyncio.to_thread(
            DeviceCredentials(state.db).verify,
            method="CONNECT",
            path=CONNECT_TARGET,
            headers=connect_headers(body.username, body.password),
            body=b"",
            window_s=state.settings.device_signature_window_s,
        )
    except ProblemError:
        return _answer(False)
    return _answer(True)


@router.post("/superuser")
async def mqtt_superuser(body: ConnectIn, request: Request, state: State) -> Response:
    _broker_only(request, state)
    return _answer(_is_bridge(state, body.username))


@router.post("/acl")
async def mqtt_acl(body: AclIn, request: Request, state: State) -> Response:
    _broker_only(request, state)
    if _is_bridge(state, body.username):
        return _answer(True)
    allowed = (
        may_publish(body.username, body.topic)
        if body.acc == 2
        else may_subscribe(body.username, body.topic)
    )
    return _answer(allowed)
