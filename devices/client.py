"""A small device client: signed HTTP posts and MQTT (connect, publish, commands).

http = HttpDevice(httpx.Client(base_url=gateway), "sensor-01", secret)
http.post("/v1/hazard-sources/readings", {"readings": [{"seq": 1, "value": 1.2}]})

mqtt = MqttDevice("127.0.0.1", 1883, "valve-01", secret)
mqtt.connect()                      # username = id, password = signed CONNECT token
mqtt.publish("events", {...})       # QoS 1 on devices/valve-01/up/events, signed
mqtt.commands.get(timeout=5)        # what arrived on devices/valve-01/cmd (QoS 1)
"""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

import httpx
import paho.mqtt.client as mqtt

from devices import protocol


class HttpDevice:
    """Signs each request as firmware does (devices.protocol)."""

    def __init__(self, http: httpx.Client, device_id: str, secret: str) -> None:
        self.http = http
        self.device_id = device_id
        self.secret = secret

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = protocol.signed_headers(self.device_id, self.secret, "POST", path, raw)
        headers["Content-Type"] = "application/json"
        return self.http.post(path, content=raw, headers=headers)


class MqttRefused(ConnectionError):
    pass


class MqttDevice:
    """One device's MQTT connection (paho-mqtt, its own network thread)."""

    def __init__(
        self, host: str, port: int, device_id: str, secret: str, *, keepalive: int = 30
    ) -> None:
        self.host, self.port = host, port
        self.device_id = device_id
        self.secret = secret
        self.keepalive = keepalive
        self.commands: queue.Queue[dict[str, Any]] = queue.Queue()
        self._connected = threading.Event()
        self._result: Any = None
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=device_id, clean_session=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def _on_connect(self, client, _userdata, _flags, reason_code, _props) -> None:
        self._result = reason_code
        if not reason_code.is_failure:
            client.subscribe(protocol.command_topic(self.device_id), qos=1)
        self._connected.set()

    def _on_message(self, _client, _userdata, msg) -> None:
        try:
            self.commands.put(json.loads(msg.payload))
        except ValueError:
            pass

    def connect(self, timeout: float = 10.0) -> MqttDevice:
        """Connect with a fresh signed CONNECT token; raises MqttRefused when refused."""
        self.client.username_pw_set(self.device_id, protocol.connect_password(self.secret))
        self._connected.clear()
        self.client.connect(self.host, self.port, keepalive=self.keepalive)
        self.client.loop_start()
        if not self._connected.wait(timeout):
            self.close()
            raise MqttRefused(f"{self.device_id}: no CONNACK within {timeout} s")
        if self._result is None or self._result.is_failure:
            self.close()
            raise MqttRefused(f"{self.device_id}: {self._result}")
        return self

    def publish(self, kind: str, body: dict[str, Any], *, wait: bool = True) -> Any:
        """Sign and publish `body` on devices/<id>/up/<kind>, QoS 1 (the broker's PUBACK)."""
        topic = protocol.up_topic(self.device_id, kind)
        info = self.client.publish(topic, protocol.sign_publish(self.secret, topic, body), qos=1)
        if wait:
            info.wait_for_publish(timeout=10)
        return info

    def publish_raw(self, topic: str, payload: bytes) -> Any:
        """Publish anything anywhere (to try the broker's ACL)."""
        return self.client.publish(topic, payload, qos=1)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
