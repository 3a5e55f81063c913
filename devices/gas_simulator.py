"""Simulated restaurant gas devices (燃气报警器, 紧急切断阀) for tests, `make bench` and load tests.

The pure pieces: the signer (the gateway's reference signer, as firmware signs), event
builders and the leak ramp. `Simulator` drives them over HTTP with httpx: it registers venues
and devices and has their secrets issued through the gateway's admin routes, posts signed
batches, acknowledges the close commands valves receive, and lets devices go silent.

Against a running `make run`: `python -m devices.gas_simulator --help`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from devices import protocol as device_signing

PATH = "/v1/gas/device-events"
COMMANDS_PATH = "/v1/gas/commands"  # a valve's long-poll between posts
DETECTOR, VALVE = "gas_detector", "shutoff_valve"
TOWNS = ("薛家镇", "龙虎塘街道")  # the demo agency's towns/streets

# -- signing (the device's side) -------------------------------------------------------------

# The reference signer of the device signing spec; firmware implements the same string.
canonical, sign = device_signing.canonical, device_signing.sign


def signed_headers(
    device_id: str,
    secret: str,
    body: bytes,
    *,
    method: str = "POST",
    path: str = PATH,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four signature headers plus the content type of a device's JSON post."""
    headers = device_signing.signed_headers(
        device_id, secret, method, path, body, now=now, nonce=nonce
    )
    return {**headers, "Content-Type": "application/json"}


# -- events ----------------------------------------------------------------------------------


def _event(seq: int, type_: str, at: datetime | None, **fields: object) -> dict:
    event: dict = {"seq": seq, "type": type_, **fields}
    if at is not None:
        event["device_time"] = at.isoformat()
    return event


def heartbeat(seq: int, at: datetime | None = None) -> dict:
    return _event(seq, "heartbeat", at)


def reading(seq: int, lel: float, at: datetime | None = None) -> dict:
    """A concentration reading in % of the lower explosive limit."""
    return _event(seq, "reading", at, lel=round(lel, 1))


def detector_alarm(seq: int, level: int, lel: float, at: datetime | None = None) -> dict:
    """The detector's own alarm (level 1 or 2): it counts at once, no sustain."""
    return _event(seq, "alarm", at, level=level, lel=round(lel, 1))


def fault(seq: int, kind: str, at: datetime | None = None) -> dict:
    """A fault (line-open, line-short, power, battery, sensor); "" clears it."""
    return _event(seq, "fault", at, fault=kind)


def valve_report(
    seq: int, state: str, command_id: str = "", manual: bool = False, at: datetime | None = None
) -> dict:
    """A valve's state; `closed` with a command id acknowledges that close command."""
    return _event(seq, "valve", at, valve_state=state, command_id=command_id, manual=manual)


def batch_body(events: Sequence[dict]) -> bytes:
    """The exact bytes that are posted and signed."""
    return json.dumps({"events": list(events)}, separators=(",", ":")).encode()


def leak_ramp(
    first_lel: float, sustain: int = 2, start: float = 4.0, step: float = 6.0
) -> list[float]:
    """Readings rising by `step` until `sustain` of them are at or over the first level; the
    last one is the reading that raises the alarm."""
    if step <= 0 or start >= first_lel:
        raise ValueError("a ramp starts below the first level and rises")
    ramp = []
    lel = start
    while lel < first_lel:
        ramp.append(lel)
        lel += step
    ramp += [min(lel + step * i, 100.0) for i in range(sustain)]
    return ramp


# -- the fleet -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimDevice:
    device_id: str
    kind: str
    venue_id: str
    secret: str


@dataclass(frozen=True)
class SimVenue:
    venue_id: str
    name: str
    town: str
    first_lel: float
    second_lel: float
    sustain: int
    detector: SimDevice
    valve: SimDevice

    @property
    def devices(self) -> tuple[SimDevice, SimDevice]:
        return self.detector, self.valve


@dataclass(frozen=True)
class Reply:
    device_id: str
    status: int
    accepted: int
    duplicates: int
    command_ids: tuple[str, ...]
    sent_at: float  # time.perf_counter() when the request left
    seconds: float
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class Leak:
    venue_id: str
    alarm_reading_sent_at: float  # perf_counter when the alarm-raising reading was posted
    command_ids: tuple[str, ...]
    command_ready_s: float  # that post -> the valve's answer carrying the close command
    acknowledged: bool


@dataclass
class Totals:
    requests: int = 0
    events: int = 0
    accepted: int = 0
    duplicates: int = 0
    errors: int = 0
    retries: int = 0  # posts sent again after a connection error
    latencies: list[float] = field(default_factory=list)


Provision = Callable[[str, str, str], Awaitable[str]]  # (device_id, kind, venue_id) -> secret


class Simulator:
    """Simulated devices posting to a gateway through `http` (an httpx.AsyncClient whose
    base_url is the gateway). One instance per event loop; not thread-safe."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        seq_start: int | None = None,
        rng: random.Random | None = None,
        device_time: bool = True,
        retries: int = 3,
    ) -> None:
        self.http = http
        self.retries = retries
        self.venues: dict[str, SimVenue] = {}
        self.silent: set[str] = set()
        self.totals = Totals()
        self.received: dict[str, list[str]] = {}  # device -> command ids, in order received
        self.unacked: dict[str, list[str]] = {}  # valve -> commands it has not answered yet
        self.closed: set[str] = set()  # valves that report closed
        self._rng = rng or random.Random(7)
        self._device_time = device_time
        # Each device's own counter; starting from the clock keeps reruns on one database new.
        self._seq_start = int(time.time() * 1_000_000) if seq_start is None else seq_start
        self._seqs: dict[str, itertools.count] = {}

    # registry

    async def login(self, username: str, password: str) -> dict[str, str]:
        r = await self.http.post(
            "/v1/auth/login", json={"username": username, "password": password}
        )
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def admin_provisioner(self, admin: dict[str, str]) -> Provision:
        """Secrets issued by `POST /v1/devices/{id}/credentials`; a device that already has
        some (a rerun) gets a new one by rotation."""

        async def provision(device_id: str, kind: str, venue_id: str) -> str:
            path = f"/v1/devices/{device_id}/credentials"
            r = await self.http.post(path, json={"kind": kind, "owner_id": venue_id}, headers=admin)
            if r.status_code == 409:
                r = await self.http.post(f"{path}/rotate", headers=admin)
            if r.status_code not in (200, 201):
                raise RuntimeError(f"POST {path}: {r.status_code} {r.text[:300]}")
            return r.json()["secret"]

        return provision

    async def register(
        self,
        admin: dict[str, str],
        count: int,
        provision: Provision | None = None,
        *,
        prefix: str = "sim",
        towns: Sequence[str] = TOWNS,
        first_lel: float = 20,
        second_lel: float = 40,
        sustain: int = 2,
        concurrency: int = 8,
    ) -> list[SimVenue]:
        """Register `count` venues with a detector and a valve each as the admin `admin`
        (headers), have the devices' secrets issued (by the admin routes unless `provision`
        says otherwise) and return the venues, town by town in turn."""
        provision = provision or self.admin_provisioner(admin)
        gate = asyncio.Semaphore(concurrency)

        async def put(path: str, body: dict) -> None:
            r = await self.http.put(path, json=body, headers=admin)
            if r.status_code != 200:
                raise RuntimeError(f"PUT {path}: {r.status_code} {r.text[:300]}")

        async def one(i: int) -> SimVenue:
            venue_id = f"{prefix}-venue-{i:04d}"
            town = towns[i % len(towns)]
            name = f"模拟餐馆 {i:04d}"
            async with gate:
                await put(
                    f"/v1/gas/venues/{venue_id}",
                    {
                        "name": name, "town": town, "address": f"{town}模拟路 {i} 号",
                        "first_lel": first_lel, "second_lel": second_lel, "sustain": sustain,
                    },
                )  # fmt: skip
                devices = []
                for kind, suffix in ((DETECTOR, "det"), (VALVE, "valve")):
                    device_id = f"{venue_id}-{suffix}"
                    await put(f"/v1/gas/devices/{device_id}", {"venue_id": venue_id, "kind": kind})
                    secret = await provision(device_id, kind, venue_id)
                    devices.append(SimDevice(device_id, kind, venue_id, secret))
            return SimVenue(venue_id, name, town, first_lel, second_lel, sustain, *devices)

        venues = await asyncio.gather(*(one(i) for i in range(count)))
        self.venues.update((v.venue_id, v) for v in venues)
        return list(venues)

    # posting

    def next_seq(self, device_id: str) -> int:
        counter = self._seqs.setdefault(device_id, itertools.count(self._seq_start))
        return next(counter)

    def _now(self) -> datetime | None:
        return datetime.now(UTC) if self._device_time else None

    async def post(self, device: SimDevice, events: Sequence[dict]) -> Reply:
        """Sign and post one batch; a valve remembers the close commands in the answer."""
        body = batch_body(events)
        sent_at = time.perf_counter()
        for attempt in itertools.count(1):
            # As firmware does after a reset: the same events and sequence numbers (stored
            # once), signed again with a new nonce.
            headers = signed_headers(device.device_id, device.secret, body)
            try:
                r = await self.http.post(PATH, content=body, headers=headers)
                break
            except httpx.TransportError:
                if attempt > self.retries:
                    raise
                self.totals.retries += 1
                await asyncio.sleep(0.05 * attempt)
        self.totals.events += len(events)
        return self._answer(device, r, sent_at)

    async def poll_commands(self, valve: SimDevice, wait: float = 25.0) -> Reply:
        """Hold the valve's long-poll open until a close command is due or `wait` s pass."""
        # The signature covers the query string exactly as sent.
        target = f"{COMMANDS_PATH}?wait={wait:g}"
        headers = signed_headers(valve.device_id, valve.secret, b"", method="GET", path=target)
        del headers["Content-Type"]
        sent_at = time.perf_counter()
        r = await self.http.get(target, headers=headers, timeout=wait + 30)
        return self._answer(valve, r, sent_at)

    def _answer(self, device: SimDevice, r: httpx.Response, sent_at: float) -> Reply:
        seconds = time.perf_counter() - sent_at
        t = self.totals
        t.requests += 1
        t.latencies.append(seconds)
        if r.status_code != 200:
            t.errors += 1
            return Reply(device.device_id, r.status_code, 0, 0, (), sent_at, seconds, r.text[:500])
        answer = r.json()
        ids = tuple(c["command_id"] for c in answer["commands"] if c["action"] == "close")
        t.accepted += answer["accepted"]
        t.duplicates += answer["duplicates"]
        if ids:
            self.received.setdefault(device.device_id, []).extend(ids)
            pending = self.unacked.setdefault(device.device_id, [])
            pending.extend(i for i in ids if i not in pending)
        return Reply(
            device.device_id, 200, answer["accepted"], answer["duplicates"], ids, sent_at, seconds
        )

    def detector_batch(self, venue: SimVenue, readings: int, ambient: float = 5.0) -> list[dict]:
        """A heartbeat and `readings` background readings (0 to `ambient` % LEL)."""
        d = venue.detector.device_id
        at = self._now()
        return [heartbeat(self.next_seq(d), at)] + [
            reading(self.next_seq(d), self._rng.uniform(0, ambient), at) for _ in range(readings)
        ]

    def valve_batch(self, venue: SimVenue) -> list[dict]:
        """A heartbeat, and `closed` for every close command received and not yet answered
        (the valve closed at once on receiving it)."""
        v = venue.valve.device_id
        at = self._now()
        events = [heartbeat(self.next_seq(v), at)]
        for command_id in self.unacked.get(v, []):
            events.append(valve_report(self.next_seq(v), "closed", command_id, at=at))
        return events

    async def _post_valve(self, venue: SimVenue) -> Reply:
        v = venue.valve.device_id
        answering = list(self.unacked.get(v, []))
        reply = await self.post(venue.valve, self.valve_batch(venue))
        if reply.ok and answering:
            self.closed.add(v)
            self.unacked[v] = [c for c in self.unacked[v] if c not in answering]
        return reply

    async def tick(
        self,
        venues: Iterable[SimVenue] | None = None,
        *,
        readings: int = 3,
        concurrency: int = 16,
    ) -> list[Reply]:
        """One post from every device that is not silent: detectors a heartbeat and readings,
        valves a heartbeat and their acknowledgements."""
        gate = asyncio.Semaphore(concurrency)

        async def one(venue: SimVenue, device: SimDevice) -> Reply:
            async with gate:
                if device.kind == VALVE:
                    return await self._post_valve(venue)
                return await self.post(device, self.detector_batch(venue, readings))

        jobs = [
            one(venue, device)
            for venue in (self.venues.values() if venues is None else venues)
            for device in venue.devices
            if device.device_id not in self.silent
        ]
        return list(await asyncio.gather(*jobs))

    async def leak(
        self, venue: SimVenue, *, valve: str = "post", ack: bool = True, timeout_s: float = 10.0
    ) -> Leak:
        """Gas builds up in `venue`: the detector posts the ramp one reading at a time. The
        valve learns of the close command either by posting right after the alarm-raising
        reading was answered (`valve="post"`; it also sees the alarm on its local line) or
        through the long-poll it holds open from before (`valve="long-poll"`). Then it
        acknowledges the command."""
        if valve not in ("post", "long-poll"):
            raise ValueError("valve is post or long-poll")
        ramp = leak_ramp(venue.first_lel, venue.sustain)
        d, v = venue.detector, venue.valve
        for lel in ramp[:-1]:
            await self._must(self.post(d, [reading(self.next_seq(d.device_id), lel, self._now())]))
        poll = (
            asyncio.create_task(self.poll_commands(v, wait=timeout_s))
            if valve == "long-poll"
            else None
        )
        alarm = await self._must(
            self.post(d, [reading(self.next_seq(d.device_id), ramp[-1], self._now())])
        )
        if poll is not None:
            answer = await self._must(poll)
        else:
            deadline = alarm.sent_at + timeout_s
            while True:
                answer = await self._must(
                    self.post(v, [heartbeat(self.next_seq(v.device_id), self._now())])
                )
                if answer.command_ids or time.perf_counter() > deadline:
                    break
                await asyncio.sleep(0.05)
        ready_s = answer.sent_at + answer.seconds - alarm.sent_at
        acknowledged = False
        if ack and answer.command_ids:
            acknowledged = (await self._post_valve(venue)).ok
        return Leak(venue.venue_id, alarm.sent_at, answer.command_ids, ready_s, acknowledged)

    async def ventilate(self, venue: SimVenue) -> Reply:
        """The leak is fixed: a clean reading clears the venue's alarm."""
        d = venue.detector
        return await self._must(self.post(d, [reading(self.next_seq(d.device_id), 0.0)]))

    @staticmethod
    async def _must(pending) -> Reply:
        reply = await pending
        if not reply.ok:
            raise RuntimeError(f"{reply.device_id}: {reply.status} {reply.problem}")
        return reply

    def silence(self, *device_ids: str) -> None:
        """These devices stop posting (power cut, broken line, unplugged)."""
        self.silent.update(device_ids)

    def resume(self, *device_ids: str) -> None:
        self.silent.difference_update(device_ids)


# -- command line ----------------------------------------------------------------------------


async def _run_cli(args: argparse.Namespace, password: str) -> None:
    async with httpx.AsyncClient(base_url=args.gateway, timeout=30) as http:
        sim = Simulator(http)
        admin = await sim.login(args.admin, password)
        venues = await sim.register(admin, args.venues, prefix=args.prefix)
        print(f"registered {len(venues)} venues, {2 * len(venues)} devices")
        sim.silence(*(v.valve.device_id for v in venues[: args.silent]))
        for n in range(args.rounds):
            started = time.perf_counter()
            replies = await sim.tick(readings=args.readings, concurrency=args.concurrency)
            took = time.perf_counter() - started
            bad = [r for r in replies if not r.ok]
            refused = f", {len(bad)} refused, e.g. {bad[0].status} {bad[0].problem}" if bad else ""
            print(f"round {n + 1}: {len(replies)} posts in {took:.2f} s{refused}")
            if n == args.leak_round and venues:
                leak = await sim.leak(venues[-1])
                print(
                    f"leak in {leak.venue_id}: close command ready for the valve "
                    f"{leak.command_ready_s * 1000:.0f} ms after the alarm reading was "
                    f"posted; acknowledged: {leak.acknowledged}"
                )
            await asyncio.sleep(max(0.0, args.interval - took))
        t = sim.totals
        print(
            f"{t.requests} posts, {t.accepted} events accepted, {t.duplicates} duplicates, "
            f"{t.errors} refused; silent valves: {args.silent}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devices.gas_simulator",
        description="Simulated gas detectors and shut-off valves against a running gateway "
        "(`make run`): registers venues, posts signed heartbeats and readings, leaks gas in "
        "one venue and acknowledges the close command.",
    )
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--var", default="var", help="the stack's data folder (secrets.json)")
    parser.add_argument("--admin", default="admin")
    parser.add_argument("--password", help="default: the demo password in VAR/secrets.json")
    parser.add_argument("--prefix", default="sim", help="venue ids are PREFIX-venue-NNNN")
    parser.add_argument("--venues", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between rounds")
    parser.add_argument("--readings", type=int, default=3, help="readings per detector post")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--leak-round", type=int, default=1, help="-1: no leak")
    parser.add_argument("--silent", type=int, default=1, help="valves that never post")
    args = parser.parse_args(argv)
    secrets_file = Path(args.var, "secrets.json")
    password = args.password or json.loads(secrets_file.read_text())["demo_password"]
    asyncio.run(_run_cli(args, password))


if __name__ == "__main__":
    main()
