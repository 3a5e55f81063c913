"""Load scenarios: the people and devices that use the platform, weighted like real traffic.

- officers log in, list their inspection tasks and take some up, open cases and move them
  to investigation, add steps and notes, upload small photos through the presigned slot,
  propose penalties (some major), decide once the legal review cleared them, and sync;
- legal reviewers work their queue: open a task with its timeline, approve or return it;
- gas venues (a detector and a shut-off valve each) post signed heartbeats and readings in
  batches, poll for close commands, and now and then leak: the alarm-raising reading, the
  close command the valve fetches, its acknowledgement, ventilation and reopening by hand;
- weigh stations post signed weighings, a few over the limit, and now and then resend one;
- public readers search the disclosures and open pages.

Who they are comes from the fleet file in `LOAD_FLEET` (`python -m loadtest.fleet` makes
it; `make load` does it all). `LOAD_PACE` scales the waits between tasks (0.1: ten times the
traffic per user). Request names start with the user kind, so the quitting listener can
judge each kind against loadtest/thresholds.py; it sets the exit code.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, events, task
from locust.exception import StopUser
from locust.runners import WorkerRunner
from locust.stats import RequestStats, StatsEntry

from devices.gas_simulator import (
    COMMANDS_PATH,
    batch_body,
    heartbeat,
    leak_ramp,
    reading,
    signed_headers,
    valve_report,
)
from devices.gas_simulator import PATH as GAS_EVENTS_PATH
from loadtest import thresholds

FLEET: dict = {}
_turn = {kind: itertools.count() for kind in ("officers", "reviewers", "venues", "stations")}

# Credit codes with valid check digits (GB 32100-2015); parties are made up.
CREDIT_CODES = ("914403001922038216", "91110108551385082Q")
PARTIES = (
    "常州某燃气餐饮有限公司",
    "常州某化工有限公司",
    "常州某物流有限公司",
    "常州某建材有限公司",
)
ACTS = ("inspection", "sampling", "seal-up", "interview", "rectification-check", "notification")
CHECKLIST = (
    "subject", "powers", "facts", "evidence", "procedure",
    "legal-basis", "discretion", "documents", "criminal-referral",
)  # fmt: skip
CASE_DOMAINS = ("gas", "hazardous-chemicals", "industry-trade", "construction", "fire")
SEARCH_WORDS = ("", "餐饮", "化工", "有限公司", "物流", "燃气")


PACE = {"factor": 1.0}
DEVICE_RETRIES = 3  # a device sends a post again this often after a connection error


@events.init.add_listener
def _load_fleet(environment, **_kwargs) -> None:
    path = os.environ.get("LOAD_FLEET")
    if not path:
        raise SystemExit("set LOAD_FLEET to the file `python -m loadtest.fleet` wrote")
    FLEET.update(json.loads(Path(path).read_text(encoding="utf-8")))
    # LOAD_PACE=0.2 waits a fifth as long between tasks: five times the traffic per user.
    PACE["factor"] = float(os.environ.get("LOAD_PACE", "1"))


def paced(low: float, high: float):
    """Seconds between a user's tasks, scaled by LOAD_PACE."""
    return lambda _user: random.uniform(low, high) * PACE["factor"]


def take(kind: str) -> dict:
    """The next member of the fleet, in turn: users share members only when there are more
    users than members."""
    members = FLEET[kind]
    return members[next(_turn[kind]) % len(members)]


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def client_id() -> str:
    return str(uuid.uuid4())


class Client(FastHttpUser):
    """A user whose requests are named after its kind and checked against expected codes."""

    abstract = True
    kind = ""

    def call(self, method: str, path: str, label: str | None = None, ok=(200,), **kwargs):
        """The response when its status is one of `ok`, else None (a failure in the stats)."""
        name = f"{self.kind}: {label or path}"
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as r:
            if r.status_code in ok:
                r.success()
                return r
            r.failure(f"{r.status_code}: {(r.text or '')[:300]}")
            return None

    def call_device(
        self, method: str, path: str, label: str, sign, ok=(200,), resent_ok=(), **kwargs
    ):
        """A device's request (`sign()` gives its headers): after a connection error, sent
        again as firmware does, the same body signed anew (gas events keep their sequence
        numbers and are stored once; a weighing its client id). Each attempt lost that way is
        counted under `retry: <name>`, not as a failure; only the last one fails the request."""
        name = f"{self.kind}: {label}"
        for attempt in range(DEVICE_RETRIES + 1):
            with self.client.request(
                method, path, name=name, headers=sign(), catch_response=True, **kwargs
            ) as r:
                if r.status_code == 0 and attempt < DEVICE_RETRIES:  # no answer at all
                    r.request_meta["name"] = f"retry: {name}"
                    r.success()
                    retry = True
                else:
                    retry = False
                    if r.status_code in ok or (attempt and r.status_code in resent_ok):
                        r.success()
                        return r
                    r.failure(f"{r.status_code}: {(r.text or '')[:300]}")
                    return None
            if retry:
                time.sleep(0.05 * (attempt + 1))
        return None

    def flow(self, label: str, started: float, problem: str | None = None) -> None:
        """Report a multi-request flow (e.g. leak to close command) as one timed entry."""
        self.environment.events.request.fire(
            request_type="FLOW",
            name=f"{self.kind}: {label}",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=RuntimeError(problem) if problem else None,
            context={},
        )


class Person(Client):
    abstract = True
    fleet_kind = ""

    def on_start(self) -> None:
        self.me = take(self.fleet_kind)
        self.token_until = 0.0
        self.token = ""

    def auth(self, **extra: str) -> dict[str, str]:
        # Log in again shortly before the access token expires (long runs).
        if time.monotonic() > self.token_until:
            r = self.call(
                "POST",
                "/v1/auth/login",
                json={"username": self.me["username"], "password": self.me["password"]},
            )
            if r is None:
                raise StopUser()
            answer = r.json()
            self.token = answer["access_token"]
            self.token_until = time.monotonic() + answer["expires_in"] - 60
        return {"Authorization": f"Bearer {self.token}", **extra}


class Officer(Person):
    """A field officer's phone."""

    kind, fleet_kind = "officer", "officers"
    weight = 5
    wait_time = paced(1, 4)
    max_active_cases = 6

    def on_start(self) -> None:
        super().on_start()
        colleagues = [
            o["user_id"]
            for o in FLEET["officers"]
            if o["town"] == self.me["town"] and o["user_id"] != self.me["user_id"]
        ]
        self.colleagues = colleagues or ["u-officer2"]
        self.cases: dict[str, dict] = {}  # case id -> what the phone knows of it
        self.cursor = 0
        self.auth()

    def _where(self) -> dict:
        return {
            "device_time": now_iso(),
            "location": {
                "latitude": 31.8 + random.random() / 10,
                "longitude": 119.9 + random.random() / 10,
                "accuracy_m": 8,
            },
        }

    def _pick(self, *, stage: str = "investigation", **want) -> tuple[str, dict] | None:
        found = [
            (cid, c)
            for cid, c in self.cases.items()
            if c["stage"] == stage and all(c.get(k) == v for k, v in want.items())
        ]
        return random.choice(found) if found else None

    def _transition(self, case_id: str, to: str) -> bool:
        r = self.call(
            "POST",
            f"/v1/cases/{case_id}/transitions",
            f"/v1/cases/{{id}}/transitions [{to}]",
            ok=(201,),
            json={"to": to, "client_entry_id": client_id(), **self._where()},
            headers=self.auth(),
        )
        if r is not None:
            self.cases[case_id]["stage"] = to
        return r is not None

    def _open(self, party: dict, domain: str, title: str, task_id: str | None = None) -> None:
        body = {
            "client_case_id": client_id(),
            "domain": domain,
            "title": title,
            "party": party,
            "co_officer_ids": [random.choice(self.colleagues)],
            **self._where(),
        }
        label = "/v1/cases [open]"
        ok: tuple[int, ...] = (201,)
        if task_id:
            body["task_id"] = task_id
            label, ok = "/v1/cases [open from task]", (201, 409)  # 409: a colleague took it
        r = self.call(
            "POST",
            "/v1/cases",
            label,
            ok=ok,
            json=body,
            headers=self.auth(**{"Idempotency-Key": body["client_case_id"]}),
        )
        if r is None or r.status_code != 201:
            return
        case_id = r.json()["case_id"]
        self.cases[case_id] = {"stage": "inspection", "steps": [], "evidence": 0, "proposed": 0}
        for stage in ("filing", "investigation"):
            if not self._transition(case_id, stage):
                return

    @task(2)
    def open_case(self) -> None:
        if len(self.cases) >= self.max_active_cases:
            return self.add_step()
        party = {
            "kind": "organization",
            "name": random.choice(PARTIES),
            "credit_code": random.choice(CREDIT_CODES),
        }
        self._open(party, random.choice(CASE_DOMAINS), "安全生产执法检查")

    @task(2)
    def list_tasks(self) -> None:
        """Inspection tasks from gas alarms and overload violations; take one up now and then."""
        r = self.call("GET", "/v1/tasks", headers=self.auth())
        if r is None or len(self.cases) >= self.max_active_cases or random.random() > 0.3:
            return
        mine = [t for t in r.json()["tasks"] if t["town"] == self.me["town"]]
        if not mine:
            return
        t = mine[0]  # urgent first
        party = t.get("party") or {}
        self._open(
            {
                "kind": "person" if "PERSON" in str(party.get("kind", "")) else "organization",
                "name": party.get("name") or t["title"][:100],
                "credit_code": party.get("credit_code") or CREDIT_CODES[0],
                "id_number": party.get("id_number", ""),
            },
            t["domain"] if t["domain"] in (*CASE_DOMAINS, "road-transport") else "other",
            t["title"][:200],
            task_id=t["task_id"],
        )

    @task(2)
    def list_cases(self) -> None:
        self.call("GET", "/v1/cases?page_size=20", "/v1/cases [list]", headers=self.auth())

    @task(3)
    def add_step(self) -> None:
        picked = self._pick()
        if picked is None:
            return
        case_id, case = picked
        r = self.call(
            "POST",
            f"/v1/cases/{case_id}/entries",
            "/v1/cases/{id}/entries [step]",
            ok=(201,),
            json={
                "client_entry_id": client_id(),
                "kind": "step",
                "payload": {"act": random.choice(ACTS), "description": "现场检查燃气报警装置"},
                **self._where(),
            },
            headers=self.auth(),
        )
        if r is not None:
            case["steps"].append(r.json()["entry"]["entry_id"])

    @task(1)
    def add_note(self) -> None:
        picked = self._pick()
        if picked is None:
            return
        self.call(
            "POST",
            f"/v1/cases/{picked[0]}/entries",
            "/v1/cases/{id}/entries [note]",
            ok=(201,),
            json={
                "client_entry_id": client_id(),
                "kind": "note",
                "payload": {"text": "当事人现场陈述: 报警器已于上月检修"},
                **self._where(),
            },
            headers=self.auth(),
        )

    @task(3)
    def upload_evidence(self) -> None:
        """A photo of the act: slot, PUT straight to S3, confirm (the SHA-256 is checked)."""
        found = [
            (i, c) for i, c in self.cases.items() if c["stage"] == "investigation" and c["steps"]
        ]
        if not found:
            return
        case_id, case = random.choice(found)
        photo = os.urandom(random.randint(20_000, 150_000))
        r = self.call(
            "POST",
            f"/v1/cases/{case_id}/evidence-slots",
            "/v1/cases/{id}/evidence-slots",
            ok=(201,),
            json={
                "client_slot_id": client_id(),
                "sha256": hashlib.sha256(photo).hexdigest(),
                "size": len(photo),
                "media_type": "image/jpeg",
                "filename": "scene.jpg",
            },
            headers=self.auth(),
        )
        if r is None:
            return
        slot = r.json()
        if self.call("PUT", slot["put_url"], "S3 PUT [evidence]", data=photo) is None:
            return
        r = self.call(
            "POST",
            f"/v1/cases/{case_id}/evidence-slots/{slot['slot_id']}/confirm",
            "/v1/cases/{id}/evidence-slots/{slot}/confirm",
            ok=(201,),
            json={
                "client_entry_id": client_id(),
                "caption": "现场照片",
                "relates_to_entry_id": case["steps"][-1],
                **self._where(),
            },
            headers=self.auth(),
        )
        if r is not None:
            case["evidence"] += 1

    @task(1)
    def read_timeline(self) -> None:
        if self.cases:
            case_id = random.choice(list(self.cases))
            self.call(
                "GET", f"/v1/cases/{case_id}/timeline", "/v1/cases/{id}/timeline",
                headers=self.auth(),
            )  # fmt: skip

    @task(2)
    def propose(self) -> None:
        """Propose a penalty: about a third are major (over 100,000 yuan for a company)."""
        found = [
            (cid, c)
            for cid, c in self.cases.items()
            if c["stage"] == "investigation" and c["evidence"] and not c["proposed"]
        ]
        if not found:
            return
        case_id, case = random.choice(found)
        major = random.random() < 0.35
        r = self.call(
            "POST",
            f"/v1/cases/{case_id}/penalty-proposals",
            "/v1/cases/{id}/penalty-proposals",
            ok=(201,),
            json={
                "client_entry_id": client_id(),
                "kinds": ["fine"],
                "fine_yuan": 150_000 if major else 10_000,
                "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
                "facts": "燃气泄漏报警装置未按国家标准安装使用",
                "discretion": {
                    "benchmark_id": "aq-99-safety-equipment",
                    "violation_type": "safety-equipment-missing",
                    "circumstance": "serious" if major else "minor",
                },
                **self._where(),
            },
            headers=self.auth(),
        )
        if r is not None:
            case["proposed"] += 1
            case["stage"] = "review"

    @task(3)
    def follow_up(self) -> None:
        """A proposed case: decide once the review cleared it; investigate more if returned."""
        picked = self._pick(stage="review")
        if picked is None:
            return
        case_id, case = picked
        r = self.call("GET", f"/v1/cases/{case_id}", "/v1/cases/{id}", headers=self.auth())
        if r is None:
            return
        status = r.json().get("review_status")
        if status in ("approved", "not-required"):
            if not self._transition(case_id, "notice"):
                return
            decided = self.call(
                "POST",
                f"/v1/cases/{case_id}/decision",
                "/v1/cases/{id}/decision",
                ok=(201,),
                json={
                    "client_entry_id": client_id(),
                    "decision_text": "依据《中华人民共和国安全生产法》第九十九条, 处以罚款",
                    "legal_representative": "张建国",  # 双公示 needs it; the parties lack it
                    **self._where(),
                },
                headers=self.auth(),
            )
            if decided is not None:
                del self.cases[case_id]  # off the phone's working list
        elif status in ("returned", "rejected") and self._transition(case_id, "investigation"):
            case["proposed"] = 0 if case["proposed"] < 2 else case["proposed"]

    @task(1)
    def sync(self) -> None:
        """An offline phone catching up: pages of entries since its cursor."""
        for _ in range(5):
            r = self.call(
                "GET", f"/v1/sync?cursor={self.cursor}&limit=200", "/v1/sync",
                headers=self.auth(),
            )  # fmt: skip
            if r is None:
                return
            page = r.json()
            self.cursor = page["next_cursor"]
            if not page["more"]:
                return


class LegalReviewer(Person):
    """A legal reviewer (法制审核) working the queue at a desk."""

    kind, fleet_kind = "reviewer", "reviewers"
    weight = 1
    wait_time = paced(2, 6)

    def on_start(self) -> None:
        super().on_start()
        self.auth()

    @task(4)
    def work_queue(self) -> None:
        r = self.call("GET", "/v1/reviews/mine", "/v1/reviews/mine", headers=self.auth())
        if r is None:
            return
        waiting = [t for t in r.json()["tasks"] if t["status"] in ("assigned", "waiting")]
        if not waiting:
            return
        review_id = waiting[0]["review_id"]
        detail = self.call(
            "GET", f"/v1/reviews/{review_id}", "/v1/reviews/{id}", headers=self.auth()
        )
        if detail is not None:
            approve = random.random() < 0.85
            checklist = [{"item": k, "passed": True} for k in CHECKLIST]
            if not approve:
                checklist[3] = {"item": "evidence", "passed": False, "comment": "缺少现场照片"}
            self.call(
                "POST",
                f"/v1/reviews/{review_id}/outcome",
                "/v1/reviews/{id}/outcome",
                json={
                    "outcome": "approved" if approve else "returned",
                    "checklist": checklist,
                    "opinion": "经审核, 同意处罚" if approve else "建议补充证据后重新提交",
                },
                headers=self.auth(),
            )

    @task(1)
    def history(self) -> None:
        self.call(
            "GET", "/v1/reviews/mine?open_only=false", "/v1/reviews/mine [all]",
            headers=self.auth(),
        )  # fmt: skip


class GasVenue(Client):
    """A restaurant's gas detector and emergency shut-off valve (燃气报警器, 紧急切断阀)."""

    kind = "gas-device"
    weight = 8
    wait_time = paced(1, 3)

    def on_start(self) -> None:
        self.venue = take("venues")
        self.detector, self.valve = self.venue["detector"], self.venue["valve"]
        # Device counters start from the clock, so a rerun on the same stack is new events.
        start = time.time_ns() // 1000
        self.seqs = {d["device_id"]: itertools.count(start) for d in (self.detector, self.valve)}
        self.unacked: list[str] = []

    def seq(self, device: dict) -> int:
        return next(self.seqs[device["device_id"]])

    def post(self, device: dict, events_: list[dict], label: str):
        body = batch_body(events_)
        r = self.call_device(
            "POST",
            GAS_EVENTS_PATH,
            label,
            lambda: signed_headers(device["device_id"], device["secret"], body),
            data=body,
        )
        if r is not None and device is self.valve:
            for c in r.json()["commands"]:
                if c["action"] == "close" and c["command_id"] not in self.unacked:
                    self.unacked.append(c["command_id"])
        return r

    def poll(self, wait: float, label: str):
        target = f"{COMMANDS_PATH}?wait={wait:g}"  # signed with its query string, as sent

        def sign() -> dict[str, str]:
            headers = signed_headers(
                self.valve["device_id"], self.valve["secret"], b"", method="GET", path=target
            )
            del headers["Content-Type"]
            return headers

        return self.call_device("GET", target, label, sign)

    def valve_batch(self) -> list[dict]:
        at = datetime.now(UTC)
        events_ = [heartbeat(self.seq(self.valve), at)]
        events_ += [valve_report(self.seq(self.valve), "closed", c, at=at) for c in self.unacked]
        return events_

    @task(20)
    def detector_reports(self) -> None:
        at = datetime.now(UTC)
        events_ = [heartbeat(self.seq(self.detector), at)] + [
            reading(self.seq(self.detector), random.uniform(0, 5), at) for _ in range(3)
        ]
        self.post(self.detector, events_, "/v1/gas/device-events [detector]")

    @task(10)
    def valve_reports(self) -> None:
        answering = list(self.unacked)
        if self.post(self.valve, self.valve_batch(), "/v1/gas/device-events [valve]") is not None:
            self.unacked = [c for c in self.unacked if c not in answering]

    @task(6)
    def valve_polls(self) -> None:
        # A real valve holds this open for 25 s; wait=0 measures one look without parking
        # the simulated user.
        r = self.poll(0, "/v1/gas/commands [poll]")
        if r is not None:
            self.unacked += [c["command_id"] for c in r.json()["commands"]]

    @task(1)
    def leak(self) -> None:
        """Gas builds up; the alarm-raising reading must put a close command in the valve's
        hands within 3 s; the valve closes, the kitchen is aired, the valve opened by hand."""
        ramp = leak_ramp(self.venue["first_lel"], self.venue["sustain"])
        for lel in ramp[:-1]:
            at = datetime.now(UTC)
            label = "/v1/gas/device-events [leak]"
            if self.post(self.detector, [reading(self.seq(self.detector), lel, at)], label) is None:
                return
        started = time.perf_counter()
        label = "/v1/gas/device-events [leak]"
        alarm = [reading(self.seq(self.detector), ramp[-1], datetime.now(UTC))]
        if self.post(self.detector, alarm, label) is None:
            return self.flow("leak -> close command", started, "the alarm reading was refused")
        r = self.poll(5, "/v1/gas/commands [leak]")
        commands = [c["command_id"] for c in r.json()["commands"]] if r is not None else []
        if not commands:
            return self.flow("leak -> close command", started, "no close command within 5 s")
        self.flow("leak -> close command", started)
        self.unacked += [c for c in commands if c not in self.unacked]
        self.valve_reports()
        at = datetime.now(UTC)
        self.post(
            self.detector,
            [reading(self.seq(self.detector), 0.0, at)],
            "/v1/gas/device-events [aired]",
        )
        opened = [valve_report(self.seq(self.valve), "open", manual=True, at=at)]
        self.post(self.valve, opened, "/v1/gas/device-events [reopened by hand]")


class WeighStation(Client):
    """A weigh station (超限检测站) reporting every truck that crosses its scale."""

    kind = "weigh-station"
    weight = 2
    wait_time = paced(1, 3)
    # (vehicle, gross mass limit in t) from 62号令 Art. 3
    VEHICLES = (
        ({"kind": "truck", "axles": 2}, 18),
        ({"kind": "truck", "axles": 3}, 25),
        ({"kind": "combination", "axles": 5}, 43),
        ({"kind": "combination", "axles": 6}, 49),
    )
    PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

    def on_start(self) -> None:
        self.station = take("stations")

    def weighing(self) -> dict:
        vehicle, limit = random.choice(self.VEHICLES)
        roll = random.random()
        if roll < 0.01:
            gross = random.uniform(95, 110)  # 百吨王
        elif roll < 0.08:
            gross = limit + random.uniform(2, 15)
        else:
            gross = limit * random.uniform(0.45, 0.97)
        return {
            "client_weighing_id": client_id(),
            "plate": "苏D" + "".join(random.choices(self.PLATE_CHARS, k=5)),
            "vehicle": vehicle,
            "gross_t": f"{gross:.2f}",
            "cargo": random.choice(("砂石", "钢材", "水泥", "煤炭")),
            "driver": {"name": "赵六"},
            "carrier": {"name": "常州某运输有限公司", "credit_code": CREDIT_CODES[0]},
            "loading_source": {"name": "某砂石场", "credit_code": CREDIT_CODES[1]},
            "weighed_at": now_iso(),
        }

    def send(self, body: bytes, label: str, ok: tuple[int, ...]) -> None:
        path = "/v1/stations/weighings"
        station = self.station

        def sign() -> dict[str, str]:
            return signed_headers(station["device_id"], station["secret"], body, path=path)

        # A resend after a lost connection may find the first one stored: 200 then.
        self.call_device("POST", path, label, sign, ok=ok, resent_ok=(200,), data=body)

    @task
    def weigh(self) -> None:
        body = json.dumps(self.weighing(), ensure_ascii=False).encode()
        self.send(body, "/v1/stations/weighings", (201,))
        if random.random() < 0.05:  # the answer was lost on the station's line: it resends
            self.send(body, "/v1/stations/weighings [resend]", (200,))


class PublicReader(Client):
    """A citizen or journalist reading penalty disclosures (行政执法公示), no login."""

    kind = "public"
    weight = 4
    wait_time = paced(1, 4)

    def on_start(self) -> None:
        self.seen: list[str] = []
        self.next_cursor: str | None = None

    @task(3)
    def search_page(self) -> None:
        query = urlencode({"q": random.choice(SEARCH_WORDS)})
        self.call("GET", f"/public?{query}", "/public [search page]")

    @task(3)
    def search(self) -> None:
        query = urlencode({"q": random.choice(SEARCH_WORDS), "page_size": 20})
        r = self.call("GET", f"/v1/public/disclosures?{query}", "/v1/public/disclosures")
        if r is not None:
            page = r.json()
            self.seen = [d["disclosure_id"] for d in page["disclosures"]] or self.seen
            self.next_cursor = page["next_cursor"]

    @task(1)
    def next_page(self) -> None:
        if self.next_cursor:
            query = urlencode({"cursor": self.next_cursor})
            self.call("GET", f"/v1/public/disclosures?{query}", "/v1/public/disclosures [next]")

    @task(2)
    def detail_page(self) -> None:
        if self.seen:
            d = random.choice(self.seen)
            self.call("GET", f"/public/disclosures/{d}", "/public/disclosures/{id} [page]")

    @task(1)
    def detail(self) -> None:
        if self.seen:
            d = random.choice(self.seen)
            self.call("GET", f"/v1/public/disclosures/{d}", "/v1/public/disclosures/{id}")

    @task(1)
    def feed(self) -> None:
        self.call("GET", "/v1/public/disclosures.atom")


REPORTED = ("仓库堆放大量液化气钢瓶", "工地脚手架无防护网", "饭店后厨燃气管老化")


class PublicReporter(Client):
    """A citizen reporting a safety problem (举报) from a phone, no login: the page, the report
    with a photo uploaded to its presigned URL, then the status by tracking code. A device that
    reports past its daily cap is answered 429, which is the expected refusal."""

    kind = "reporter"
    weight = 1
    wait_time = paced(2, 6)

    def on_start(self) -> None:
        self.device = client_id()
        self.codes: list[str] = []

    @task(1)
    def page(self) -> None:
        self.call("GET", "/report", "/report [page]")

    @task(2)
    def report(self) -> None:
        photo = f"举报照片 {uuid.uuid4()}".encode()
        body = {
            "what": random.choice(REPORTED),
            "where": f"薛家镇富民路{random.randint(1, 200)}号",
            "town": "薛家镇",
            "phone": random.choice(("", "13800000000")),
            "photos": [{"sha256": hashlib.sha256(photo).hexdigest(), "size": len(photo),
                        "media_type": "image/jpeg"}],
        }  # fmt: skip
        r = self.call("POST", "/v1/public/hazard-reports", ok=(201, 429), json=body,
                      headers={"X-Device-ID": self.device})  # fmt: skip
        if r is None or r.status_code != 201:
            return
        answer = r.json()
        self.codes.append(answer["tracking_code"])
        url = answer["photo_uploads"][0]["put_url"]
        self.call("PUT", url, "S3 [report photo]", data=photo)

    @task(3)
    def status(self) -> None:
        if self.codes:
            code = random.choice(self.codes)
            self.call(
                "GET", f"/v1/public/hazard-reports/{code}", "/v1/public/hazard-reports/{code}"
            )

    @task(1)
    def majors(self) -> None:
        self.call("GET", "/v1/public/hazards/major")


# -- the verdict ------------------------------------------------------------------------------


def _row(kind: str, name: str, e: StatsEntry) -> dict:
    p50, p95, p99 = (int(e.get_response_time_percentile(p) or 0) for p in (0.5, 0.95, 0.99))
    values = (kind, name, e.num_requests, e.num_failures, f"{e.total_rps:.2f}", p50, p95, p99)
    return dict(zip(thresholds.COLUMNS, (*values, int(e.max_response_time or 0)), strict=True))


def summarise(stats: RequestStats) -> list[dict]:
    """One row per request name, one per user kind (Name `ALL`) and one for the run."""
    kinds: dict[str, StatsEntry] = {}
    named = []
    for entry in stats.entries.values():
        kind = entry.name.split(":", 1)[0]
        kinds.setdefault(kind, StatsEntry(stats, kind, "")).extend(entry)
        named.append(_row(kind, entry.name, entry))
    return [
        _row(thresholds.ALL, thresholds.ALL, stats.total),
        *(_row(k, thresholds.ALL, e) for k, e in sorted(kinds.items())),
        *sorted(named, key=lambda r: (r["Kind"], r["Name"])),
    ]


@events.quitting.add_listener
def _judge(environment, **_kwargs) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    rows = summarise(environment.stats)
    prefix = getattr(environment.parsed_options, "csv_prefix", None)
    if prefix:
        with Path(f"{prefix}_kinds.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=thresholds.COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    problems = thresholds.check_rows(rows)
    crashed = sum(e["count"] for e in environment.runner.exceptions.values())
    if crashed:
        problems.append(f"{crashed} exceptions in the scenarios (see the HTML report)")
    print("\n[load] per user kind:")
    head = ("kind", "requests", "failed", "req/s", "p50", "p95", "p99")
    print("  {:<14} {:>8} {:>6} {:>7} {:>6} {:>6} {:>6}".format(*head))
    for row in rows:
        if row["Name"] == thresholds.ALL:
            print(
                f"  {row['Kind']:<14} {row['Requests']:>8} {row['Failures']:>6} "
                f"{row['Requests/s']:>7} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
            )
    for problem in problems:
        print(f"[load] FAIL {problem}")
    print("[load] " + (f"{len(problems)} limit(s) missed" if problems else "thresholds met"))
    environment.process_exit_code = 1 if problems else 0
