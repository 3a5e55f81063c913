"""A small device client: signed HTTP posts and MQTT (connect, publish, commands, acks).

http = HttpDevice(httpx.Client(base_url=gateway), "sensor-01", secret)
http.post("/v1/hazard-sources/readings", {"readings": [{"seq": 1, "value": 1.2}]})

mqtt = MqttDevice("127.0.0.1", 1883, "valve-01", secret)
mqtt.connect()                      # username = id, password = signed CONNECT token
mqtt.publish("events", {...})       # QoS 1 on devices/valve-01/up/events, signed
mqtt.commands.get(timeout=5)        # what arrived on devices/valve-01/cmd (QoS 1)

A broker's PUBACK only means the broker holds the message, in memory with amqtt; what must
never be lost goes through `Reliable`, which keeps each item until the platform says on
devices/<id>/ack that it is STORED, and publishes again what is unconfirmed (devices.protocol):

link = Reliable(MqttDevice(...), "readings").start()
link.send([{"seq": 7, "value": 1.2}, ...])
link.wait_stored(timeout=30)        # True once the platform stored everything sent
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
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
    """One device's MQTT connection (paho-mqtt, its own network thread). After the first
    CONNECT it reconnects by itself, each time with a fresh signed token (a token's nonce
    is single-use)."""

    def __init__(
        self, host: str, port: int, device_id: str, secret: str, *, keepalive: int = 30
    ) -> None:
        self.host, self.port = host, port
        self.device_id = device_id
        self.secret = secret
        self.keepalive = keepalive
        self.commands: queue.Queue[dict[str, Any]] = queue.Queue()
        self.acks: queue.Queue[dict[str, Any]] = queue.Queue()  # acks no handler took
        self.ack_handlers: dict[str, Callable[[dict[str, Any]], None]] = {}  # kind -> handler
        self.connect_handlers: list[Callable[[], None]] = []  # after every (re)connect
        self._connected = threading.Event()
        self._result: Any = None
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=device_id, clean_session=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_connect_fail = self._fresh_token
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=1, max_delay=8)

    def _fresh_token(self, *_args) -> None:
        self.client.username_pw_set(self.device_id, protocol.connect_password(self.secret))

    def _on_connect(self, client, _userdata, _flags, reason_code, _props) -> None:
        self._result = reason_code
        if not reason_code.is_failure:
            own = self.device_id
            client.subscribe([(protocol.command_topic(own), 1), (protocol.ack_topic(own), 1)])
            for handler in self.connect_handlers:
                handler()
        else:
            self._fresh_token()
        self._connected.set()

    def _on_disconnect(self, _client, _userdata, _flags, _reason_code, _props) -> None:
        self._fresh_token()  # the next automatic reconnect signs anew

    @property
    def is_connected(self) -> bool:
        return self.client.is_connected()

    def _on_message(self, _client, _userdata, msg) -> None:
        try:
            body = json.loads(msg.payload)
        except ValueError:
            return
        if msg.topic == protocol.ack_topic(self.device_id) and isinstance(body, dict):
            handler = self.ack_handlers.get(str(body.get("kind")))
            if handler is not None:
                handler(body)
            else:
                self.acks.put(body)
            return
        self.commands.put(body)

    def connect(self, timeout: float = 10.0) -> MqttDevice:
        """Connect with a fresh signed CONNECT token; raises MqttRefused when refused."""
        self._fresh_token()
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


# -- delivery until stored -------------------------------------------------------------------


def seq_ranges(seqs: list[int]) -> list[list[int]]:
    """[[first, last], ...] of the sorted distinct seqs (the acks' compact form)."""
    ranges: list[list[int]] = []
    for s in sorted(set(seqs)):
        if ranges and ranges[-1][1] == s - 1:
            ranges[-1][1] = s
        else:
            ranges.append([s, s])
    return ranges


def _in_ranges(value: Any) -> set[int]:
    seqs: set[int] = set()
    for pair in value if isinstance(value, list) else []:
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, int) for x in pair):
            if 0 <= pair[1] - pair[0] <= 100_000:
                seqs.update(range(pair[0], pair[1] + 1))
    return seqs


class Unconfirmed:
    """What a device has sent and the platform has not yet said is stored: the bookkeeping of
    `Reliable`, without the network (the caller passes the clock).

    `linked` (readings): each batch names the seq just before its first (`after`), the
    platform answers with `stored_up_to` and takes nothing over a hole (`gap`); then
    everything unconfirmed is due again at once. Otherwise (gas events) the platform names
    the seq ranges it stored. Anything unconfirmed is due again `resend_after_s` after it was
    last sent, twice as long after each further try (at most `max_resend_s`, so a backlog
    does not flood a platform that is away), and at once after a reconnect or a gap answer
    (the platform is back: new readings draw a gap answer at once)."""

    def __init__(
        self,
        key: str,
        *,
        linked: bool,
        resend_after_s: float = 10.0,
        max_resend_s: float = 60.0,
        max_batch: int = 500,
        min_gap_resend_s: float = 1.0,
    ) -> None:
        self.key = key  # the list's name in a body: "readings", "events"
        self.linked = linked
        self.resend_after_s = resend_after_s
        self.max_resend_s = max_resend_s
        self.max_batch = max_batch
        self.min_gap_resend_s = min_gap_resend_s
        self.items: dict[int, dict[str, Any]] = {}  # seq -> item, in seq order
        self.sent_at: dict[int, float] = {}  # seq -> when last published
        self.tries: dict[int, int] = {}  # seq -> publishes since the last reconnect or gap
        self.base: int | None = None  # linked: the seq confirmed just before the first item
        self.last_seq: int | None = None
        self.sends = 0  # items published, resends included
        self.resends = 0

    def __len__(self) -> int:
        return len(self.items)

    def add(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            seq = item["seq"]
            if self.last_seq is not None and seq <= self.last_seq:
                raise ValueError(f"seq {seq} is not above {self.last_seq}")
            self.items[seq] = item
            self.last_seq = seq

    def due(self, now: float) -> list[dict[str, Any]]:
        """The bodies to publish now (marked as sent at `now`): every item never sent or
        unconfirmed for `resend_after_s`, in seq order, at most `max_batch` a body."""
        bodies: list[dict[str, Any]] = []
        batch: list[dict[str, Any]] = []
        before = self.base
        batch_after: int | None = None

        def flush() -> None:
            if batch:
                body: dict[str, Any] = {self.key: list(batch)}
                if self.linked and batch_after is not None:
                    body["after"] = batch_after
                bodies.append(body)
                batch.clear()

        for seq, item in self.items.items():
            sent = self.sent_at.get(seq)
            if sent is None or now - sent >= self.wait_s(seq):
                if not batch:
                    batch_after = before
                batch.append(item)
                if sent is not None:
                    self.resends += 1
                self.sent_at[seq] = now
                self.tries[seq] = self.tries.get(seq, 0) + 1
                if len(batch) >= self.max_batch:
                    flush()
            else:
                flush()  # a batch holds consecutive items only
            before = seq
        flush()
        self.sends += sum(len(b[self.key]) for b in bodies)
        return bodies

    def wait_s(self, seq: int) -> float:
        """How long an item sent is left unconfirmed before it goes again."""
        tries = self.tries.get(seq, 1)
        return min(self.resend_after_s * 2 ** min(tries - 1, 16), self.max_resend_s)

    def all_due(self) -> None:
        """A reconnect: what was in flight may be gone with the old connection or broker."""
        self.sent_at.clear()
        self.tries.clear()

    def confirm(self, ack: dict[str, Any], now: float) -> list[int]:
        """Apply an ack from devices/<id>/ack; returns the seqs it confirmed (or refused)."""
        done = {s for s in self.items if s in _in_ranges(ack.get("stored"))}
        done |= {s for s in self.items if s in _in_ranges(ack.get("refused"))}
        up_to = ack.get("stored_up_to")
        if self.linked and isinstance(up_to, int):
            done |= {s for s in self.items if s <= up_to}
            if self.base is None or up_to > self.base:
                self.base = up_to
        if self.linked and ack.get("gap") is True:
            # The platform misses a reading before a batch: all unconfirmed are due again,
            # from the first one (only those not sent a moment ago, as several in-flight
            # batches each draw a gap answer).
            for seq, sent in list(self.sent_at.items()):
                if now - sent >= self.min_gap_resend_s:
                    del self.sent_at[seq]
                    self.tries.pop(seq, None)
            # The platform holds less than it once confirmed (its data restored from
            # before): go on from what it has, as the gap answer to our own latest `after`.
            if ack.get("after") == self.base and (up_to is None or up_to < (self.base or 0)):
                self.base = up_to if isinstance(up_to, int) else None
        for seq in sorted(done):
            del self.items[seq]
            self.sent_at.pop(seq, None)
            self.tries.pop(seq, None)
        return sorted(done)


class Reliable:
    """Delivery until stored over one MqttDevice: `send` keeps the items in an `Unconfirmed`,
    publishes what is due (at once, after `resend_after_s`, after every reconnect), and drops
    them as the ack topic confirms them. `on_stored(seqs)` is told what was confirmed."""

    def __init__(
        self,
        device: MqttDevice,
        kind: str = "readings",
        *,
        resend_after_s: float = 10.0,
        tick_s: float = 0.5,
        on_stored: Callable[[list[int]], None] | None = None,
    ) -> None:
        self.device = device
        self.kind = kind
        self.pending = Unconfirmed(kind, linked=kind == "readings", resend_after_s=resend_after_s)
        self.tick_s = tick_s
        self.on_stored = on_stored
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._up = False  # the first CONNECT went through; paho reconnects by itself after
        self._thread = threading.Thread(
            target=self._run, name=f"reliable-{device.device_id}", daemon=True
        )
        device.ack_handlers[kind] = self._on_ack
        device.connect_handlers.append(self._on_connect)

    def start(self) -> Reliable:
        """Connect (now if the broker answers, else from the background thread) and keep
        publishing what is due."""
        self._connect()
        self._thread.start()
        return self

    def _connect(self) -> None:
        try:
            self.device.connect(timeout=5)
            self._up = True
        except (OSError, MqttRefused):
            pass

    def send(self, items: list[dict[str, Any]]) -> None:
        with self._lock:
            self.pending.add(items)
        self.flush()

    def flush(self) -> None:
        """Publish what is due now (nothing while disconnected: it stays due)."""
        if not self.device.is_connected:
            return
        with self._lock:
            bodies = self.pending.due(time.monotonic())
        for body in bodies:
            self.device.publish(self.kind, body, wait=False)

    def _on_connect(self) -> None:
        with self._lock:
            self.pending.all_due()

    def _on_ack(self, ack: dict[str, Any]) -> None:
        with self._lock:
            done = self.pending.confirm(ack, time.monotonic())
            self._changed.notify_all()
        if done and self.on_stored is not None:
            self.on_stored(done)
        if ack.get("gap"):
            self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            if not self._up:
                self._connect()
            try:
                self.flush()
            except (OSError, ValueError, RuntimeError):
                pass  # the connection went; the reconnect makes everything due again

    def unconfirmed(self) -> int:
        with self._lock:
            return len(self.pending)

    def wait_stored(self, timeout: float) -> bool:
        """True once every item sent is confirmed stored (False after `timeout` s)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.pending.items:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 1.0))
        return True

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self.device.close()
