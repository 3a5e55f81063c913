"""The embedded MQTT broker: `python -m deploy.mqtt_broker` (amqtt, from PyPI), on loopback.

Field devices connect with their own credential: username = the device id, password = a
signed CONNECT token (devices.protocol.connect_password), checked by the gateway
(`POST /internal/mqtt/auth`, the same check as a signed HTTP request). The bridge connects
with its own username and secret. The ACL: a device publishes only under
`devices/<its id>/up/...` and subscribes only to `devices/<its id>/cmd` and
`devices/<its id>/ack`; the bridge may do anything. amqtt keeps messages in memory only: a
PUBACK from it is no promise, the devices keep their readings until the ack topic says they
are stored (docs/hazard-sources.md, "Delivery guarantee"). Production runs Mosquitto with
the same rules (deploy/mosquitto/).

Settings (env prefix MQTT_): PORT, HOST, GATEWAY_URL, BROKER_TOKEN, BRIDGE_USERNAME,
BRIDGE_PASSWORD.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from dataclasses import dataclass

import httpx
from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from devices.protocol import may_publish, may_subscribe

log = logging.getLogger("mqtt-broker")


class BrokerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MQTT_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = 1883
    gateway_url: str = "http://127.0.0.1:8000"
    broker_token: SecretStr = SecretStr("")
    bridge_username: str = "bridge"
    bridge_password: SecretStr = SecretStr("")
    max_qos: int = 1


def _is_bridge(session: Session | None, username: str) -> bool:
    return bool(session and session.username == username and username)


class DeviceAuthPlugin(BaseAuthPlugin):
    """CONNECT: the bridge by its secret, a device by the gateway's check of its token."""

    @dataclass
    class Config:
        gateway_url: str = ""
        broker_token: str = ""
        bridge_username: str = "bridge"
        bridge_password: str = ""

    def __init__(self, context) -> None:
        super().__init__(context)
        self._http = httpx.AsyncClient(base_url=self.config.gateway_url, timeout=5)

    async def authenticate(self, *, session: Session) -> bool:
        username, password = session.username or "", session.password or ""
        if isinstance(password, bytes):
            password = password.decode("utf-8", "replace")
        cfg = self.config
        if username == cfg.bridge_username:
            return bool(cfg.bridge_password) and hmac.compare_digest(password, cfg.bridge_password)
        if not username or not password:
            return False
        try:
            r = await self._http.post(
                "/internal/mqtt/auth",
                json={"username": username, "password": password, "clientid": session.client_id},
                headers={"X-Broker-Token": cfg.broker_token},
            )
        except httpx.HTTPError:
            log.warning("the gateway did not answer the CONNECT check of %s", username)
            return False
        return r.status_code == 200

    async def close(self) -> None:
        await self._http.aclose()


class DeviceTopicPlugin(BaseTopicPlugin):
    """The ACL (see the module docstring)."""

    @dataclass
    class Config:
        bridge_username: str = "bridge"

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action=None
    ) -> bool:
        if session is None or not topic:
            return False
        username = session.username or ""
        if _is_bridge(session, self.config.bridge_username):
            return True
        if action == Action.PUBLISH:
            return may_publish(username, topic)
        # SUBSCRIBE, and RECEIVE of what a subscription matched
        return may_subscribe(username, topic)


def broker_config(s: BrokerSettings) -> dict:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{s.host}:{s.port}"}},
        "plugins": {
            "deploy.mqtt_broker.DeviceAuthPlugin": {
                "gateway_url": s.gateway_url,
                "broker_token": s.broker_token.get_secret_value(),
                "bridge_username": s.bridge_username,
                "bridge_password": s.bridge_password.get_secret_value(),
            },
            "deploy.mqtt_broker.DeviceTopicPlugin": {"bridge_username": s.bridge_username},
        },
    }


async def serve(settings: BrokerSettings) -> None:
    broker = Broker(broker_config(settings))
    await broker.start()
    log.info("MQTT broker on %s:%s", settings.host, settings.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await broker.shutdown()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("amqtt", "transitions"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(serve(BrokerSettings()))


if __name__ == "__main__":
    main()
