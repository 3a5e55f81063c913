"""Clients that behave like the real ones while processes are killed under them.

Phones run cases from inspection to decision, a legal reviewer works the queue, gas
detectors leak and valves close, a weigh station weighs. Every write is sent again after a
network error or a 5xx with the same client ids, Idempotency-Key and device seqs, until it
gets another answer; what was acknowledged (2xx) goes into the Ledger the checks compare the
databases with.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from devices.client import MqttDevice, Reliable
from gateway.security.device_signing import signed_headers

PROBLEM = "https://enforcement.example/problems/"
CHECKLIST = (
    "subject", "powers", "facts", "evidence", "procedure",
    "legal-basis", "discretion", "documents", "criminal-referral",
)  # fmt: skip


class GaveUp(RuntimeError):
    """The client's patience ran out (the platform never answered it)."""


class Unexpected(RuntimeError):
    """An answer a real app would not know what to do with: a bug somewhere."""


@dataclass
class Ledger:
    """What the platform acknowledged to the clients, and what the clients went through."""

    tag: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    cases: dict[str, str] = field(default_factory=dict)  # client_case_id -> case_id
    # client_entry_id -> (case_id, entry_id); the entry id is "" where the answer has none
    entries: dict[str, tuple[str, str]] = field(default_factory=dict)
    evidence: dict[str, tuple[str, str]] = field(default_factory=dict)  # slot -> (case, sha256)
    proposals: dict[str, str] = field(default_factory=dict)  # proposal_id -> case_id
    answered: dict[str, str] = field(default_factory=dict)  # case_id -> review status seen
    decided: dict[str, str] = field(default_factory=dict)  # case_id -> decision_no
    approved: set[str] = field(default_factory=set)  # review ids the reviewer approved
    device_events: dict[str, set[int]] = field(default_factory=dict)  # device -> seqs
    leaks: Counter = field(default_factory=Counter)  # venue -> leaks acknowledged
    closed: dict[str, set[str]] = field(default_factory=dict)  # valve -> command ids acked
    weighings: dict[str, str] = field(default_factory=dict)  # client_weighing_id -> id
    # MQTT sensor -> seqs the platform confirmed stored (its ack topic), and every seq sent
    mqtt_acked: dict[str, set[int]] = field(default_factory=dict)
    mqtt_sent: dict[str, set[int]] = field(default_factory=dict)
    hazards: dict[str, str] = field(default_factory=dict)  # hazard client_id -> hazard_id
    retries: Counter = field(default_factory=Counter)  # why a request was sent again
    problems: list[str] = field(default_factory=list)  # what a client could not finish
    # Device posts: (sent, answered, attempts) in monotonic time, for the gap while a gas
    # replica is down; leaks: (detector's leak answered, valve's close command received).
    device_posts: list[tuple[float, float, int]] = field(default_factory=list)
    close_waits: list[tuple[float, float]] = field(default_factory=list)

    def note_retry(self, why: str) -> None:
        with self.lock:
            self.retries[why] += 1

    def problem(self, what: str) -> None:
        with self.lock:
            self.problems.append(what)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "cases": len(self.cases),
                "entries": len(self.entries),
                "evidence": len(self.evidence),
                "proposals": len(self.proposals),
                "decided": len(self.decided),
                "approved": len(self.approved),
                "device events": sum(len(s) for s in self.device_events.values()),
                "leaks": sum(self.leaks.values()),
                "weighings": len(self.weighings),
                "mqtt readings": sum(len(s) for s in self.mqtt_acked.values()),
                "hazards": len(self.hazards),
                "retries": sum(self.retries.values()),
            }


class Client:
    """One app's HTTP connection with the apps' retry rules."""

    def __init__(self, base_url: str, ledger: Ledger, give_up_at: Callable[[], float]) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=httpx.Timeout(20.0, connect=3.0))
        self.ledger = ledger
        self.give_up_at = give_up_at  # monotonic time after which nothing is retried
        self.in_flight_patience_s = float(os.environ.get("FAULTS_IN_FLIGHT_PATIENCE_S", "20"))

    def close(self) -> None:
        self.http.close()

    def send(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        key: str | None = None,
        sign: Callable[[bytes], dict[str, str]] | None = None,
    ) -> httpx.Response:
        """Send until the answer is neither a network error nor a 5xx."""
        raw = content if content is not None else (
            json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        )  # fmt: skip
        base = dict(headers or {})
        if body is not None:
            base["Content-Type"] = "application/json"
        delay = 0.3
        in_flight_since: float | None = None
        while True:
            if time.monotonic() > self.give_up_at():
                raise GaveUp(f"{method} {url}: no answer before the end of the run")
            sent = dict(base)
            if key is not None:
                sent["Idempotency-Key"] = key
            if sign is not None:
                sent.update(sign(raw))  # a device signs every attempt with a new nonce
            try:
                r = self.http.request(method, url, content=raw or None, headers=sent)
            except httpx.TransportError as exc:
                self.ledger.note_retry(f"network error ({type(exc).__name__})")
            else:
                if r.status_code < 500 and not _in_flight(r):
                    return r
                if r.status_code >= 500:
                    self.ledger.note_retry(f"status {r.status_code}")
                else:
                    # The first request with this key died with a gateway; the app waits, then
                    # sends the same write (same client id) under a new key.
                    self.ledger.note_retry("409 idempotency key in flight")
                    in_flight_since = in_flight_since or time.monotonic()
                    if time.monotonic() - in_flight_since > self.in_flight_patience_s:
                        self.ledger.note_retry("new Idempotency-Key after a stuck one")
                        key, in_flight_since = f"{key}~", None
            time.sleep(delay + random.uniform(0, delay))
            delay = min(delay * 1.6, 3.0)


def _in_flight(r: httpx.Response) -> bool:
    return r.status_code == 409 and _problem_type(r) == "idempotency-key-in-flight"


def _problem_type(r: httpx.Response) -> str:
    try:
        return str(r.json().get("type", "")).removeprefix(PROBLEM)
    except ValueError:
        return ""


def expect(r: httpx.Response, *ok: int) -> dict:
    if r.status_code not in ok:
        raise Unexpected(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}")
    return r.json() if r.content else {}


def login(client: Client, username: str, password: str) -> tuple[dict[str, str], str]:
    r = client.send("POST", "/v1/auth/login", body={"username": username, "password": password})
    headers = {"Authorization": f"Bearer {expect(r, 200)['access_token']}"}
    me = expect(client.send("GET", "/v1/auth/me", headers=headers), 200)
    return headers, me["user_id"]


def pause(stop: threading.Event, low: float = 0.05, high: float = 0.25) -> None:
    stop.wait(random.uniform(low, high))


# -- officers' phones -----------------------------------------------------------------------


class Phone:
    """An officer's phone: cases from inspection to decision, one after another."""

    def __init__(
        self, client: Client, name: str, auth: dict[str, str], colleague: str, review_wait_s: float
    ) -> None:
        self.c, self.name, self.auth, self.colleague = client, name, auth, colleague
        self.ledger = client.ledger
        self.review_wait_s = review_wait_s
        self.ids = itertools.count(1)

    def _id(self, what: str) -> str:
        return f"{self.ledger.tag}-{self.name}-{what}-{next(self.ids)}"

    def run(self, stop: threading.Event) -> None:
        for n in itertools.count():
            if stop.is_set():
                return
            try:
                self.one_case(major=n % 3 == 0, stop=stop)
            except (GaveUp, Unexpected) as exc:
                self.ledger.problem(f"{self.name}: {exc}")
                return

    def write(self, path: str, body: dict, kind: str = "entry") -> dict:
        body = {"client_entry_id": self._id(kind), **body}
        r = self.c.send("POST", path, body=body, headers=self.auth, key=body["client_entry_id"])
        answer = expect(r, 200, 201)
        # A proposal is answered with the proposal, not its entry.
        entry = answer.get("entry") or {"case_id": answer["case"]["case_id"], "entry_id": ""}
        with self.ledger.lock:
            self.ledger.entries[body["client_entry_id"]] = (entry["case_id"], entry["entry_id"])
        return answer

    def one_case(self, *, major: bool, stop: threading.Event) -> None:
        client_case_id = self._id("case")
        opened = expect(
            self.c.send(
                "POST", "/v1/cases", headers=self.auth, key=client_case_id,
                body={
                    "client_case_id": client_case_id, "domain": "gas",
                    "title": "餐饮场所燃气安全检查",
                    "party": {"kind": "organization", "name": "常州某餐饮管理有限公司",
                              "credit_code": "914403001922038216",
                              "legal_representative": "周建国"},
                    "co_officer_ids": [self.colleague],
                },
            ),
            200, 201,
        )  # fmt: skip
        case_id = opened["case_id"]
        with self.ledger.lock:
            self.ledger.cases[client_case_id] = case_id
        path = f"/v1/cases/{case_id}"
        for stage in ("filing", "investigation"):
            self.write(f"{path}/transitions", {"to": stage}, "move")
            pause(stop)
        for text in ("燃气报警器未与切断阀联动", "现场负责人在场"):
            self.write(f"{path}/entries", {"kind": "note", "payload": {"text": text}}, "note")
            pause(stop)
        self.evidence(path, stop)
        fine, circumstance = (150_000, "serious") if major else (10_000, "minor")
        proposed = self.write(
            f"{path}/penalty-proposals",
            {
                "kinds": ["fine"], "fine_yuan": fine,
                "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
                "facts": "燃气泄漏报警装置未按标准安装",
                "discretion": {"benchmark_id": "aq-99-safety-equipment",
                               "violation_type": "safety-equipment-missing",
                               "circumstance": circumstance},
            },
            "proposal",
        )  # fmt: skip
        with self.ledger.lock:
            self.ledger.proposals[proposed["proposal"]["proposal_id"]] = case_id
        status = self.wait_for_review(path, stop)
        if status is None:
            return
        self.write(f"{path}/transitions", {"to": "notice"}, "move")
        decided = self.write(f"{path}/decision", {"decision_text": "罚款"}, "decision")
        with self.ledger.lock:
            self.ledger.decided[case_id] = decided["case"]["decision_no"]

    def evidence(self, path: str, stop: threading.Event) -> None:
        photo = os.urandom(random.randint(8_000, 60_000))
        sha = hashlib.sha256(photo).hexdigest()
        slot_body = {
            "client_slot_id": self._id("slot"), "sha256": sha, "size": len(photo),
            "media_type": "image/jpeg", "filename": "scene.jpg",
        }  # fmt: skip
        confirm = {"client_entry_id": self._id("evidence"), "caption": "现场照片"}
        for _ in range(20):
            slot = expect(
                self.c.send("POST", f"{path}/evidence-slots", body=slot_body, headers=self.auth),
                200, 201,
            )  # fmt: skip
            if slot["status"] != "attached":
                expect(self.c.send("PUT", slot["put_url"], content=photo), 200)
                r = self.c.send(
                    "POST", f"{path}/evidence-slots/{slot['slot_id']}/confirm",
                    body=confirm, headers=self.auth, key=confirm["client_entry_id"],
                )  # fmt: skip
                if r.status_code == 409 and _problem_type(r) == "not-allowed-now":
                    # The store lost or never got the upload: ask again, upload again.
                    self.ledger.note_retry("evidence uploaded again")
                    pause(stop, 0.5, 1.0)
                    continue
                entry = expect(r, 200, 201)["entry"]
            else:
                entry = slot["entry"]
            with self.ledger.lock:
                self.ledger.evidence[slot_body["client_slot_id"]] = (entry["case_id"], sha)
                self.ledger.entries[entry["client_entry_id"]] = (
                    entry["case_id"],
                    entry["entry_id"],
                )
            return
        raise Unexpected(f"evidence of {path} never attached")

    def wait_for_review(self, path: str, stop: threading.Event) -> str | None:
        deadline = time.monotonic() + self.review_wait_s
        while time.monotonic() < deadline:
            case = expect(self.c.send("GET", path, headers=self.auth), 200)
            status = case.get("review_status")
            if status in ("approved", "not-required"):
                with self.ledger.lock:
                    self.ledger.answered[case["case_id"]] = status
                return status
            if status in ("returned", "rejected"):
                raise Unexpected(f"{path}: review answered {status}")
            stop.wait(1.0)
        self.ledger.problem(f"{self.name}: no review answer for {path} in {self.review_wait_s} s")
        return None


class Reviewer:
    """The legal reviewer approves every major proposal in the queue."""

    def __init__(self, client: Client, auth: dict[str, str]) -> None:
        self.c, self.auth, self.ledger = client, auth, client.ledger

    def run(self, stop: threading.Event, until_idle: threading.Event) -> None:
        while True:
            try:
                tasks = expect(self.c.send("GET", "/v1/reviews/mine", headers=self.auth), 200)
                waiting = [t for t in tasks["tasks"] if t["status"] == "assigned"]
                for task in waiting:
                    self.approve(task["review_id"])
            except (GaveUp, Unexpected) as exc:
                self.ledger.problem(f"reviewer: {exc}")
                return
            if not waiting and until_idle.is_set():
                return
            stop.wait(1.0)

    def approve(self, review_id: str) -> None:
        r = self.c.send(
            "POST", f"/v1/reviews/{review_id}/outcome", headers=self.auth,
            key=f"{self.ledger.tag}-outcome-{review_id}",
            body={"outcome": "approved", "opinion": "经审核, 同意处罚",
                  "checklist": [{"item": k, "passed": True} for k in CHECKLIST]},
        )  # fmt: skip
        if r.status_code == 409:
            # Approved by the first attempt, whose answer was lost with a key made anew.
            detail = expect(self.c.send("GET", f"/v1/reviews/{review_id}", headers=self.auth), 200)
            if detail["task"]["status"] != "approved":
                raise Unexpected(f"review {review_id}: {r.text[:300]}")
        else:
            expect(r, 200)
        with self.ledger.lock:
            self.ledger.approved.add(review_id)


# -- devices ----------------------------------------------------------------------------------


class Device:
    """A signed device with its own event counter (a resend reuses the seqs)."""

    def __init__(self, client: Client, device_id: str, secret: str) -> None:
        self.c, self.device_id, self.secret = client, device_id, secret
        self.seqs = itertools.count(int(time.time() * 1000))

    def post(self, path: str, body: dict) -> dict:
        attempts = [0]

        def sign(raw: bytes) -> dict[str, str]:
            attempts[0] += 1
            return signed_headers(self.device_id, self.secret, "POST", path, raw)

        sent = time.monotonic()
        r = self.c.send("POST", path, body=body, sign=sign)
        answer = expect(r, 200, 201)
        with self.c.ledger.lock:
            self.c.ledger.device_posts.append((sent, time.monotonic(), attempts[0]))
        return answer

    def events(self, *events: dict) -> dict:
        batch = [{"seq": next(self.seqs), **e} for e in events]
        answer = self.post("/v1/gas/device-events", {"events": batch})
        with self.c.ledger.lock:
            self.c.ledger.device_events.setdefault(self.device_id, set()).update(
                e["seq"] for e in batch
            )
        return answer


class GasVenue:
    """A kitchen: one detector and its valves. Gas leaks, valves close, the leak is cleared,
    the valves are reopened by hand; again and again."""

    def __init__(self, venue_id: str, detector: Device, valves: list[Device], wait_s: float):
        self.venue_id, self.detector, self.valves = venue_id, detector, valves
        self.ledger = detector.c.ledger
        self.wait_s = wait_s

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                self.quiet(stop)
                self.leak(stop)
        except (GaveUp, Unexpected) as exc:
            self.ledger.problem(f"{self.venue_id}: {exc}")

    def quiet(self, stop: threading.Event) -> None:
        for _ in range(3):
            self.detector.events({"type": "heartbeat"}, {"type": "reading", "lel": 2})
            for valve in self.valves:
                valve.events({"type": "heartbeat"})
            pause(stop, 0.3, 0.8)

    def leak(self, stop: threading.Event) -> None:
        self.detector.events({"type": "reading", "lel": 28}, {"type": "reading", "lel": 31})
        leaked = time.monotonic()
        with self.ledger.lock:
            self.ledger.leaks[self.venue_id] += 1
        for valve in self.valves:
            self.close(valve, leaked)
        self.detector.events({"type": "reading", "lel": 3})  # cleared
        for valve in self.valves:
            valve.events({"type": "valve", "valve_state": "open", "manual": True})
        pause(stop)

    def close(self, valve: Device, leaked: float = 0.0) -> None:
        """Heartbeats until the close command comes, then report closed with its id."""
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            commands = valve.events({"type": "heartbeat"})["commands"]
            if commands:
                if leaked:
                    with self.ledger.lock:
                        self.ledger.close_waits.append((leaked, time.monotonic()))
                valve.events(
                    *({"type": "valve", "valve_state": "closed", "command_id": c["command_id"]}
                      for c in commands)
                )  # fmt: skip
                with self.ledger.lock:
                    self.ledger.closed.setdefault(valve.device_id, set()).update(
                        c["command_id"] for c in commands
                    )
                return
            time.sleep(1.0)
        self.ledger.problem(f"{valve.device_id}: no close command within {self.wait_s} s")


class WeighStation:
    """A weigh station's trucks, all within the limit."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.ledger = device.c.ledger
        self.n = itertools.count(1)

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                self.weigh()
                pause(stop, 0.5, 1.5)
        except (GaveUp, Unexpected) as exc:
            self.ledger.problem(f"weigh station: {exc}")

    def weigh(self) -> None:
        n = next(self.n)
        client_id = f"{self.ledger.tag}-weighing-{n}-{uuid.uuid4().hex[:8]}"
        answer = self.device.post(
            "/v1/stations/weighings",
            {
                "client_weighing_id": client_id, "plate": f"苏D{n % 100000:05d}",
                "vehicle": {"kind": "combination", "axles": 6},
                "gross_t": f"{random.uniform(30, 44):.1f}", "cargo": "钢材",
            },
        )  # fmt: skip
        with self.ledger.lock:
            self.ledger.weighings[client_id] = answer["weighing_id"]


class MqttSensor:
    """A hazard source sensor over MQTT: signed batches of readings, QoS 1, delivered until
    stored (devices.client.Reliable): it keeps each reading until the platform's ack topic
    says it is stored, and publishes it again after a timeout and after each reconnect. A
    reading counts as acknowledged only then; the broker's PUBACK is not the promise."""

    BATCH = 5

    def __init__(self, port: int, sensor_id: str, secret: str, ledger: Ledger) -> None:
        self.port, self.sensor_id, self.secret, self.ledger = port, sensor_id, secret, ledger
        self.patience_s = float(os.environ.get("FAULTS_MQTT_PATIENCE_S", "90"))

    def _stored(self, seqs: list[int]) -> None:
        with self.ledger.lock:
            self.ledger.mqtt_acked.setdefault(self.sensor_id, set()).update(seqs)

    def run(self, stop: threading.Event) -> None:
        device = MqttDevice("127.0.0.1", self.port, self.sensor_id, self.secret)
        link = Reliable(device, "readings", resend_after_s=5, on_stored=self._stored).start()
        seq = 1
        try:
            while not stop.is_set():
                seqs = list(range(seq, seq + self.BATCH))
                with self.ledger.lock:
                    self.ledger.mqtt_sent.setdefault(self.sensor_id, set()).update(seqs)
                link.send([{"seq": q, "value": 1.2 + (q % 7) / 100} for q in seqs])
                seq += self.BATCH
                pause(stop, 0.2, 0.5)
            # as firmware would: what is unconfirmed stays until it is stored
            if not link.wait_stored(self.patience_s):
                self.ledger.problem(
                    f"{self.sensor_id}: {link.unconfirmed()} readings not confirmed stored "
                    f"within {self.patience_s:.0f} s"
                )
        finally:
            resends = link.pending.resends
            if resends:
                self.ledger.note_retry(f"mqtt: {resends} readings published again")
            link.close()


class HazardDesk:
    """An officer registering hazards found on patrol (隐患挂号), each under its own client
    id, each a different kind so that none is a duplicate of another."""

    def __init__(self, client: Client, auth: dict[str, str]) -> None:
        self.c = client
        self.auth = auth
        self.ledger = client.ledger
        self.n = itertools.count(1)

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                self.register()
                pause(stop, 0.5, 1.5)
        except (GaveUp, Unexpected) as exc:
            self.ledger.problem(f"hazard desk: {exc}")

    def register(self) -> None:
        n = next(self.n)
        client_id = f"{self.ledger.tag}-hazard-{n}-{uuid.uuid4().hex[:8]}"
        r = self.c.send(
            "POST", "/v1/hazards", headers=self.auth, key=client_id,
            body={
                "client_id": client_id, "credit_code": "914403001922038216",
                "enterprise_name": "常州某化工有限公司", "sector": "industry-trade",
                "town": "薛家镇", "kind": f"巡查发现隐患 {client_id}",
                "location": "薛家镇富民路88号", "source": "patrol",
            },
        )  # fmt: skip
        answer = expect(r, 200, 201)
        with self.ledger.lock:
            self.ledger.hazards[client_id] = answer["hazard"]["hazard_id"]
