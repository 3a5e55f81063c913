"""`python -m gateway.mqtt_bridge`: device messages from the MQTT broker into the services.

Each message a device publishes under `devices/<id>/up/<kind>` is a signed envelope
(devices.protocol); the bridge checks it exactly as the gateway checks a signed HTTP request
(same secrets, clock window and nonces) and hands the body to the same service call as the
HTTP route: `readings` of a hazard source sensor to RecordReadings, `events` of a gas device
to IngestEvents. The services store once (a sensor's seq high-water mark, a gas device's
(device, seq) key), so a message the broker delivers twice (QoS 1) has no second effect.

Once the service has committed a batch, the bridge tells the device on `devices/<id>/ack`
(QoS 1) what is stored: a sensor's `stored_up_to` (and `gap` when the batch came after a
reading the service does not have), a gas device's seq ranges. The device keeps every item
until then and publishes it again otherwise (devices.client.Reliable), so a broker that dies
with acknowledged messages in memory loses nothing; the broker's PUBACK is not the promise.
A correctly signed batch that can never be taken is answered with `refused`.

A gas valve's close commands go back on `devices/<id>/cmd` with QoS 1: the bridge holds the
gas service's command long-poll (PendingCommands) for each valve it has heard from, as the
HTTP long-poll does, and the valve acknowledges with a signed `valve` event (closed, with
the command id) on `devices/<id>/up/events`.

Scaling out is consumer-group style: with a broker that has shared subscriptions (Mosquitto,
EMQX: `GATEWAY_MQTT_SHARED_SUBSCRIPTION=bridge`) the broker balances devices' messages over
the bridges; without (the embedded amqtt), N bridges each take the devices whose id hashes to
their index (`GATEWAY_MQTT_BRIDGE_MEMBERS`, `GATEWAY_MQTT_BRIDGE_MEMBER`). One device's
messages are applied in order (one lane per device), so a seq is never overtaken.

Messages are taken in groups (group commit): a lane checks what has queued up with one read
of the credentials and one nonce transaction, and stores every group checked meanwhile with
one RecordReadingsMany call (one service transaction); each message keeps its own answer
and refusal, and a device's acks are exact (a stored answer followed by a later one of the
same sensor in the group is left out: `stored_up_to` only grows). The nonce rows are the
same as before, one per message, only written together.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import grpc
import paho.mqtt.client as mqtt
from pydantic import ValidationError

from devices.client import seq_ranges
from devices.protocol import ack_topic, command_topic, device_of_topic, open_publish
from enforcement.gas.v1 import gas_pb2
from enforcement.hazard_sources.v1 import hazard_sources_pb2 as pb
from gateway.clients import ServiceClients
from gateway.config import Settings
from gateway.problems import ProblemError
from gateway.routes.gas import GAS_KINDS, BatchIn
from gateway.routes.hazard_sources import (
    SENSOR_KIND,
    ReadingsIn,
    readings_answer,
    readings_request,
)
from gateway.security.device_signing import DeviceCredentials, DevicePrincipal
from services.chassis.db import Database

log = logging.getLogger("mqtt-bridge")
SUBSCRIPTION = "devices/+/up/#"
ALIVE = Path(tempfile.gettempdir()) / "mqtt-bridge.alive"
POLL_WAIT_S = 25.0
MAX_MANY, MAX_MANY_READINGS = 500, 20_000  # a RecordReadingsMany call's limits (the proto's)


@dataclass
class Counters:
    received: int = 0
    applied: int = 0
    refused: int = 0
    failed: int = 0
    commands_sent: int = 0
    acks_sent: int = 0
    latencies: list[float] = field(default_factory=list)


class Refused(ValueError):
    """A message that will never take effect (it is acknowledged and dropped)."""


# Service answers that another try cannot change.
PERMANENT = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ALREADY_EXISTS,
    grpc.StatusCode.UNAUTHENTICATED,
}


def chunks(reqs: list[pb.RecordReadingsRequest]) -> list[list[pb.RecordReadingsRequest]]:
    """Within the service's limits for one RecordReadingsMany call."""
    out: list[list[pb.RecordReadingsRequest]] = []
    readings = 0
    for req in reqs:
        if not out or len(out[-1]) >= MAX_MANY or readings + len(req.readings) > MAX_MANY_READINGS:
            out.append([])
            readings = 0
        out[-1].append(req)
        readings += len(req.readings)
    return out


def coalesce(acks: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """The acks of a group of messages, one fewer for each sensor's stored answer followed
    by another of the same sensor: `stored_up_to` only grows, so the later one confirms all
    the earlier one did. Gap and refused answers all go out."""
    out = []
    later: set[str] = set()  # devices with a stored answer further on
    for device_id, body in reversed(acks):
        if _plain(body):
            if device_id in later:
                continue
            later.add(device_id)
        out.append((device_id, body))
    return out[::-1]


def _plain(body: dict[str, Any]) -> bool:
    return body.get("kind") == "readings" and "stored_up_to" in body and not body.get("gap")


def member_of(device_id: str, members: int) -> int:
    """The bridge that takes this device when members split devices by id."""
    return zlib.crc32(device_id.encode()) % members


class Bridge:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clients: ServiceClients,
        *,
        workers: int = 2,
        group: int = 200,
        client_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.credentials = DeviceCredentials(database)
        self.clients = clients
        self.counters = Counters()
        self._workers = workers
        self._group = group  # messages a worker takes at once (one service transaction)
        self._queues: list[asyncio.Queue] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pollers: dict[str, asyncio.Task] = {}
        self._tasks: list[asyncio.Task] = []
        self._connected = asyncio.Event()
        member = settings.mqtt_bridge_member
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"bridge-{member}",
            clean_session=False,  # QoS 1 messages wait in the broker while the bridge restarts
            # PUBACK only once the message took effect (or was refused): a bridge that dies
            # with messages in hand gets them again from the broker.
            manual_ack=True,
        )
        self.client.username_pw_set(
            settings.mqtt_bridge_username, settings.mqtt_bridge_password.get_secret_value()
        )
        if settings.mqtt_tls_ca:
            self.client.tls_set(ca_certs=settings.mqtt_tls_ca)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.max_inflight_messages_set(100)
        # A restarted broker is tried again within seconds (paho's default backs off to 2
        # minutes); devices keep their readings meanwhile, but nothing flows.
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)

    # -- MQTT side (paho's network thread) -----------------------------------------------------

    def _subscription(self) -> str:
        group = self.settings.mqtt_shared_subscription
        return f"$share/{group}/{SUBSCRIPTION}" if group else SUBSCRIPTION

    def _on_connect(self, client, _userdata, _flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            log.error("the broker refused the bridge: %s", reason_code)
            return
        client.subscribe(self._subscription(), qos=1)
        log.info("connected to the broker; subscribing to %s", self._subscription())
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._connected.set)

    def _on_message(self, _client, _userdata, msg) -> None:
        device_id = device_of_topic(msg.topic)
        if device_id is None:
            self.client.ack(msg.mid, msg.qos)
            return
        members = self.settings.mqtt_bridge_members
        if not self.settings.mqtt_shared_subscription and members > 1:
            if member_of(device_id, members) != self.settings.mqtt_bridge_member:
                self.client.ack(msg.mid, msg.qos)  # another member's device
                return
        queue = self._queues[zlib.crc32(device_id.encode()) % len(self._queues)]
        assert self._loop is not None
        item = (device_id, msg.topic, bytes(msg.payload), time.perf_counter(), msg.mid, msg.qos)
        self._loop.call_soon_threadsafe(queue.put_nowait, item)

    # -- service side (the event loop) -------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queues = [asyncio.Queue() for _ in range(self._workers)]
        self._tasks = []
        for q in self._queues:
            # the check stage runs at most two groups ahead (memory, nonces written early)
            checked: asyncio.Queue = asyncio.Queue(maxsize=2)
            self._tasks.append(asyncio.create_task(self._check_stage(q, checked)))
            self._tasks.append(asyncio.create_task(self._store_stage(checked)))
        self.client.connect_async(self.settings.mqtt_host, self.settings.mqtt_port, keepalive=30)
        self.client.loop_start()
        await asyncio.wait_for(self._connected.wait(), timeout=30)
        log.info("bridge subscribed to %s", self._subscription())

    async def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
        for task in [*self._tasks, *self._pollers.values()]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._pollers.values(), return_exceptions=True)

    async def _check_stage(self, queue: asyncio.Queue, checked: asyncio.Queue) -> None:
        """A lane's first stage: what has queued up (at most `group` messages) is checked
        together, one nonce transaction, while the second stage stores the group before."""
        while True:
            items = [await queue.get()]
            while len(items) < self._group and not queue.empty():
                items.append(queue.get_nowait())
            self.counters.received += len(items)
            await checked.put((items, await self._again_while_transient(self.check_many, items)))

    async def _store_stage(self, checked: asyncio.Queue) -> None:
        """The second stage: every group checked meanwhile, in one service transaction (a
        group commit: the longer a call takes, the more the next one carries). Both stages
        take their lane's messages in order, so a device's messages stay in order."""
        while True:
            items, results = await checked.get()
            while len(items) < MAX_MANY and not checked.empty():
                more, more_results = checked.get_nowait()
                items, results = items + more, results + more_results
            await self._store(items, results)

    async def _handle(self, items: list[tuple]) -> None:
        """Both stages for one group."""
        self.counters.received += len(items)
        await self._store(items, await self._again_while_transient(self.check_many, items))

    async def _store(self, items: list[tuple], checked: list[Any]) -> None:
        readings: list[tuple[int, DevicePrincipal, ReadingsIn, pb.RecordReadingsRequest]] = []
        outcomes: dict[int, Any] = {}
        for i, (_device_id, topic, _payload, _received, _mid, _qos) in enumerate(items):
            done = checked[i]
            if isinstance(done, Exception):  # not signed by the device: nothing to tell it
                self._count_refused(topic, done)
                continue
            device, kind, body = done
            if kind == "readings" and device.kind == SENSOR_KIND:
                try:
                    batch = ReadingsIn.model_validate_json(body)
                except ValidationError as exc:
                    outcomes[i] = exc
                    continue
                readings.append((i, device, batch, readings_request(device, batch)))
            else:  # gas events, and what a device may not publish: one at a time
                try:
                    outcomes[i] = await self._again_while_transient(self.deliver, *done)
                except (ProblemError, ValueError, ValidationError, Refused) as exc:
                    outcomes[i] = exc
        for (i, *_), outcome in zip(
            readings, await self._record_many([r[3] for r in readings]), strict=True
        ):
            outcomes[i] = outcome
        acks: list[tuple[str, dict[str, Any]]] = []
        after = {i: batch.after for i, _device, batch, _req in readings}
        for i, outcome in sorted(outcomes.items()):
            device, kind, body = checked[i]
            topic = items[i][1]
            if isinstance(outcome, Exception):
                reason = self._count_refused(topic, outcome)
                refused = self._refused_body(kind, body, reason)
                if refused is not None:  # signed by the device: tell it to stop sending it
                    acks.append((device.device_id, refused))
                continue
            self.counters.applied += 1
            self.counters.latencies.append(time.perf_counter() - items[i][3])
            if kind == "readings":
                acks.append(
                    (
                        device.device_id,
                        {"kind": kind, "after": after[i], **readings_answer(outcome)},
                    )
                )
            else:
                seqs = [e["seq"] for e in json.loads(body)[kind]]
                acks.append((device.device_id, {"kind": kind, "stored": seq_ranges(seqs)}))
        for device_id, body in coalesce(acks):
            self._ack(device_id, body)
        for _device_id, _topic, _payload, _received, mid, qos in items:
            self.client.ack(mid, qos)  # PUBACK once the message took effect or was refused

    def _count_refused(self, topic: str, exc: Exception) -> str:
        self.counters.refused += 1
        reason = str(getattr(exc, "type", "") or exc)[:200]
        log.info("refused a message on %s: %s", topic, reason)
        return reason

    async def _record_many(self, reqs: list[pb.RecordReadingsRequest]) -> list[Any]:
        """Sensors' batches in as few service transactions as the service's limits allow;
        each answered alone (its RecordReadingsResponse, or Refused)."""
        out: list[Any] = []
        for chunk in chunks(reqs):
            try:
                reply = await self._again_while_transient(
                    self.clients.hazard_sources.RecordReadingsMany,
                    pb.RecordReadingsManyRequest(batches=chunk),
                )
            except Refused:
                # The call as a whole refused (a service without it, limits): each batch
                # on its own, so one batch never costs the others.
                out.extend([await self._record_one(r) for r in chunk])
                continue
            for o in reply.outcomes:
                if o.HasField("stored"):
                    out.append(o.stored)
                else:
                    out.append(Refused(f"{o.refused.code}: {o.refused.detail}"))
        return out

    async def _record_one(self, req: pb.RecordReadingsRequest) -> Any:
        try:
            return await self._again_while_transient(
                self.clients.hazard_sources.RecordReadings, req
            )
        except Refused as exc:
            return exc

    async def _again_while_transient(self, step, *args):
        """A service or the database away: the same step again, so the device's messages
        keep their order; a refusal ends it."""
        while True:
            try:
                return await step(*args)
            except grpc.aio.AioRpcError as exc:
                if exc.code() in PERMANENT or exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                    raise Refused(f"{exc.code().name}: {exc.details()}") from exc
                failure = exc.code().name
            except (ProblemError, ValueError, ValidationError, Refused):
                raise
            except Exception as exc:  # e.g. the gateway database locked or away
                failure = repr(exc)
            self.counters.failed += 1
            log.warning("a device message waits (%s); again in 1 s", failure)
            await asyncio.sleep(1.0)

    def _ack(self, device_id: str, body: dict[str, Any]) -> None:
        self.client.publish(ack_topic(device_id), json.dumps(body), qos=1)
        self.counters.acks_sent += 1

    @staticmethod
    def _refused_body(kind: str, body: bytes, reason: str) -> dict[str, Any] | None:
        try:
            items = json.loads(body)[kind]
            seqs = [i["seq"] for i in items if isinstance(i, dict) and isinstance(i["seq"], int)]
        except (ValueError, KeyError, TypeError):
            return None  # nothing the device could match
        return {"kind": kind, "refused": seq_ranges(seqs), "reason": reason} if seqs else None

    async def check(self, device_id: str, topic: str, payload: bytes):
        """The signature, clock window and nonce, as for a signed HTTP request."""
        headers, body = open_publish(device_id, payload)
        device: DevicePrincipal = await asyncio.to_thread(
            self.credentials.verify,
            method="PUBLISH",
            path=topic,
            headers=headers,
            body=body,
            window_s=self.settings.device_signature_window_s,
        )
        return device, topic.rsplit("/", 1)[-1], body

    async def check_many(self, items: list[tuple]) -> list[Any]:
        """`check` for many messages with one read of the credentials and one nonce
        transaction; each (device, kind, body), or the exception that refused it."""
        opened: list[Any] = []
        requests = []
        for device_id, topic, payload, *_ in items:
            try:
                headers, body = open_publish(device_id, payload)
            except ValueError as exc:
                opened.append(exc)
                continue
            opened.append((topic, body))
            requests.append(("PUBLISH", topic, headers, body))
        verified = iter(
            await asyncio.to_thread(
                self.credentials.verify_many,
                requests,
                window_s=self.settings.device_signature_window_s,
            )
        )
        out: list[Any] = []
        for o in opened:
            if isinstance(o, Exception):
                out.append(o)
                continue
            device = next(verified)
            topic, body = o
            out.append(
                device
                if isinstance(device, Exception)
                else (device, topic.rsplit("/", 1)[-1], body)
            )
        return out

    async def deliver(self, device: DevicePrincipal, kind: str, body: bytes) -> Any:
        """The HTTP route's service call."""
        if kind == "readings" and device.kind == SENSOR_KIND:
            batch = ReadingsIn.model_validate_json(body)
            return await self.clients.hazard_sources.RecordReadings(readings_request(device, batch))
        if kind == "events" and device.kind in GAS_KINDS:
            return await self._gas_events(device, BatchIn.model_validate_json(body))
        raise Refused(f"{device.kind} does not publish {kind}")

    async def apply(self, device_id: str, topic: str, payload: bytes) -> Any:
        """Check one signed message and hand it to its service (the HTTP route's call)."""
        return await self.deliver(*await self.check(device_id, topic, payload))

    async def _gas_events(self, device: DevicePrincipal, batch: BatchIn) -> Any:
        events = []
        for e in batch.events:
            pb = gas_pb2.DeviceEvent(
                seq=e.seq, type=e.type, lel=e.lel, level=e.level, fault=e.fault,
                valve_state=e.valve_state, manual=e.manual, command_id=e.command_id,
            )  # fmt: skip
            if e.device_time is not None:
                pb.device_time.FromDatetime(e.device_time)
            events.append(pb)
        reply = await self.clients.gas.IngestEvents(
            gas_pb2.IngestEventsRequest(
                device_id=device.device_id, events=events, agency_id=device.agency_id
            )
        )
        if device.kind == "shutoff_valve":
            self._send_commands(device.device_id, reply.commands)
            if device.device_id not in self._pollers:
                self._pollers[device.device_id] = asyncio.create_task(self._poll(device))
        return reply

    async def _poll(self, valve: DevicePrincipal) -> None:
        """The valve's command long-poll, held by the bridge for as long as it runs."""
        while True:
            try:
                reply = await self.clients.gas.PendingCommands(
                    gas_pb2.PendingCommandsRequest(
                        device_id=valve.device_id,
                        wait_seconds=POLL_WAIT_S,
                        agency_id=valve.agency_id,
                    ),
                    timeout=POLL_WAIT_S + 10,
                )
                self._send_commands(valve.device_id, reply.commands)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("command poll of %s failed; again in 2 s", valve.device_id)
                await asyncio.sleep(2)

    def _send_commands(self, valve_id: str, commands) -> None:
        if not commands:
            return
        body = {
            "commands": [
                {
                    "command_id": c.command_id,
                    "action": c.action,
                    "issued_at": c.issued_at.ToDatetime(tzinfo=UTC).isoformat(),
                }
                for c in commands
            ]
        }
        self.client.publish(command_topic(valve_id), json.dumps(body), qos=1)
        self.counters.commands_sent += len(commands)


async def serve(settings: Settings) -> None:
    database = Database.from_url(settings.database_url)
    clients = ServiceClients(
        settings.service_addrs(), settings.grpc_timeout_s, settings.service_token_signer()
    )
    bridge = Bridge(settings, database, clients)
    await bridge.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        if bridge.client.is_connected():
            ALIVE.touch()  # the container's health check reads its age (--probe)
        try:
            await asyncio.wait_for(stop.wait(), timeout=10)
        except TimeoutError:
            pass
    await bridge.stop()
    await clients.close()
    database.dispose()


def probe() -> int:
    """0 when the bridge was connected to the broker within the last minute."""
    try:
        return 0 if time.time() - ALIVE.stat().st_mtime < 60 else 1
    except OSError:
        return 1


def main() -> None:
    from services.chassis.logs import configure_logging

    if sys.argv[1:] == ["--probe"]:
        sys.exit(probe())
    settings = Settings()
    configure_logging("mqtt-bridge", settings.log_level, json=settings.log_json)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
