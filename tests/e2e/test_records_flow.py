"""A case's whole record, end to end on the embedded stack: stages, evidence through the
presigned URL, a major penalty through legal review (reviewer approves over HTTP, the answer
reaches records over Kafka), the decision event, proofs, the verify command, and a records
crash in the middle of an officer's work."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition
from playwright.sync_api import sync_playwright

from deploy.stack import Stack, free_ports
from enforcement.overload.v1 import overload_events_pb2
from enforcement.records.v1 import records_pb2
from gateway.security.device_signing import signed_headers
from services.chassis.events import parse_envelope, unpack
from services.records.domain import merkle
from services.records.domain.treehead import TreeHead, verify_tree_head

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
# Screenshots the browser check keeps, for a person to look at.
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("records-stack") / "var", free_ports())
    try:
        s.start(ready_timeout=120)
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=20) as client:
        yield client


def login(http, stack, username) -> tuple[dict, str]:
    r = http.post(
        "/v1/auth/login", json={"username": username, "password": stack.secrets["demo_password"]}
    )
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return headers, http.get("/v1/auth/me", headers=headers).json()["user_id"]


def cid() -> str:
    return str(uuid.uuid4())


def post(http, path, headers, body, expect=201):
    r = http.post(path, json=body, headers=headers)
    assert r.status_code == expect, r.text
    return r.json()


def wait_for_review_task(http, reviewer: dict, case_id: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        r = http.get("/v1/reviews/mine", headers=reviewer)
        assert r.status_code == 200, r.text
        found = [t for t in r.json()["tasks"] if t["case_id"] == case_id]
        if found:
            return found[0]
        assert time.monotonic() < deadline, "the proposal never reached the reviewer"
        time.sleep(0.5)


def wait_for_disclosure(http, decision_no: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        r = http.get("/v1/public/disclosures", params={"decision_no": decision_no})
        assert r.status_code == 200, r.text
        if r.json()["disclosures"]:
            return r.json()["disclosures"][0]
        assert time.monotonic() < deadline, "the decision was never published"
        time.sleep(0.5)


def look_at_the_public_page(stack: Stack, decision_no: str) -> None:
    """Search and open the record as a citizen would, on a phone-sized Chromium."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's Chromium")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(
                viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN"
            )
            page.goto(f"{stack.gateway_url}/public")
            page.fill("input[name=q]", "化工")
            page.click("button[type=submit]")
            page.wait_for_selector(f"text={decision_no}")
            page.screenshot(path=str(ARTIFACTS / "public-search.png"), full_page=True)
            page.locator("article", has_text=decision_no).locator("a").first.click()
            page.wait_for_selector("text=罚款金额(万元)")
            assert decision_no in page.content()
            page.screenshot(path=str(ARTIFACTS / "public-detail.png"), full_page=True)
        finally:
            browser.close()


def decided_events(stack: Stack, case_id: str, timeout_s: float = 60) -> list:
    consumer = KafkaConsumer(bootstrap_servers=stack.kafka.bootstrap, enable_auto_commit=False)
    topic = "records.penalty-decided.v1"
    consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
    consumer.seek_to_beginning()
    found = []
    deadline = time.monotonic() + timeout_s
    while not found and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            for m in batch:
                event = unpack(parse_envelope(m.value), records_pb2.PenaltyDecided)
                if event.case.case_id == case_id:
                    found.append(event)
    consumer.close()
    return found


def test_an_officer_runs_a_case_to_decision_and_anyone_can_check_its_record(http, stack):
    officer, _ = login(http, stack, "officer1")
    _, colleague = login(http, stack, "officer2")
    case = post(
        http,
        "/v1/cases",
        officer,
        {
            "client_case_id": cid(),
            "domain": "hazardous-chemicals",
            "title": "危化品仓库现场检查",
            "party": {
                "kind": "organization",
                "name": "常州某化工有限公司",
                "credit_code": "914403001922038216",
                "legal_representative": "周建国",
            },
            "co_officer_ids": [colleague],
        },
    )
    path = f"/v1/cases/{case['case_id']}"
    filed = post(http, f"{path}/transitions", officer, {"to": "filing", "client_entry_id": cid()})
    assert "新北应急立〔" in filed["case"]["case_no"]
    post(http, f"{path}/transitions", officer, {"to": "investigation", "client_entry_id": cid()})
    step = post(
        http,
        f"{path}/entries",
        officer,
        {"client_entry_id": cid(), "kind": "step", "payload": {"act": "sampling"}},
    )["entry"]
    timeline = http.get(f"{path}/timeline", headers=officer).json()
    assert [f["entry_id"] for f in timeline["recording_flags"]] == [step["entry_id"]]

    # The phone uploads the sampling video straight to S3, then confirms.
    video = os.urandom(300_000)
    slot = post(
        http,
        f"{path}/evidence-slots",
        officer,
        {
            "client_slot_id": cid(),
            "sha256": hashlib.sha256(video).hexdigest(),
            "size": len(video),
            "media_type": "video/mp4",
            "filename": "sampling.mp4",
        },
    )
    assert httpx.put(slot["put_url"], content=video).status_code == 200
    attached = post(
        http,
        f"{path}/evidence-slots/{slot['slot_id']}/confirm",
        officer,
        {
            "client_entry_id": cid(),
            "caption": "抽样全程录像",
            "relates_to_entry_id": step["entry_id"],
        },
    )["entry"]
    assert attached["evidence"][0]["sha256"] == hashlib.sha256(video).hexdigest()
    assert http.get(f"{path}/timeline", headers=officer).json()["recording_flags"] == []

    proposed = post(
        http,
        f"{path}/penalty-proposals",
        officer,
        {
            "client_entry_id": cid(),
            "kinds": ["fine"],
            "fine_yuan": 200000,
            "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
            "facts": "燃气泄漏报警装置未按标准安装",
            "discretion": {"benchmark_id": "aq-99-safety-equipment", "circumstance": "serious"},
        },
    )
    assert proposed["case"]["review_status"] == "pending"
    decision = {"client_entry_id": cid(), "decision_text": "罚款二十万元"}
    refused = http.post(f"{path}/decision", json=decision, headers=officer)
    assert refused.status_code == 409 and "legal review" in refused.json()["detail"]

    # The legal reviewer finds the major proposal in the queue and approves it.
    reviewer, _ = login(http, stack, "reviewer")
    task = wait_for_review_task(http, reviewer, case["case_id"])
    assert task["major"] and any("100,000" in r for r in task["reasons"])
    assert task["placement"]["finding"] == "within-band"
    detail = http.get(f"/v1/reviews/{task['review_id']}", headers=reviewer).json()
    assert [e["kind"] for e in detail["timeline"]][-1] == "proposal"
    checklist = [
        {"item": k, "passed": True}
        for k in (
            "subject", "powers", "facts", "evidence", "procedure",
            "legal-basis", "discretion", "documents", "criminal-referral",
        )
    ]  # fmt: skip
    approved = post(
        http,
        f"/v1/reviews/{task['review_id']}/outcome",
        reviewer,
        {"outcome": "approved", "checklist": checklist, "opinion": "经审核, 同意处罚"},
        expect=200,
    )
    assert approved["status"] == "approved"
    deadline = time.monotonic() + 60
    while http.get(path, headers=officer).json().get("review_status") != "approved":
        assert time.monotonic() < deadline, "records never heard the review's answer"
        time.sleep(0.5)
    post(http, f"{path}/transitions", officer, {"to": "notice", "client_entry_id": cid()})
    decided = post(http, f"{path}/decision", officer, decision)
    assert "新北应急罚〔" in decided["case"]["decision_no"]
    events = decided_events(stack, case["case_id"])
    assert len(events) == 1 and events[0].proposal.fine_yuan == 200000
    assert events[0].decision_no == decided["case"]["decision_no"]

    # The decision reaches the public disclosure within seconds, redacted, and shows on the
    # public page in a real browser.
    public = wait_for_disclosure(http, decided["case"]["decision_no"])
    assert public["party_name"] == "常州某化工有限公司" and public["fine_10k_yuan"] == 20
    look_at_the_public_page(stack, decided["case"]["decision_no"])

    # Anyone holding the log's public key can check an entry against a signed tree head.
    proof = http.get(
        f"/v1/log/entries/{attached['entry_id']}/inclusion-proof", headers=officer
    ).json()
    head = proof["tree_head"]
    signed = TreeHead(
        head["tree_size"],
        head["root_hash"],
        head["timestamp_ms"],
        head["signature"],
        head["key_id"],
    )
    assert verify_tree_head(signed, head["public_key"])
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        proof["entry"]["leaf_index"],
        head["tree_size"],
        [bytes.fromhex(p) for p in proof["audit_path"]],
        bytes.fromhex(head["root_hash"]),
    )

    # Anyone, without logging in, may keep the current head; the verifier checks against it.
    public = http.get("/v1/public/log/tree-head")
    assert public.status_code == 200, public.text
    kept = public.json()
    assert kept["public_key"] == head["public_key"] and kept["tree_size"] >= head["tree_size"]
    witness = stack.var / "witnessed-heads.json"
    witness.write_text(json.dumps([kept, head]))

    # The verify command over the live service's database and object store.
    env = {**stack._service_env("records")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.records.verify",
            "--case",
            case["case_id"],
            "--witness",
            str(witness),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 evidence objects" in done.stdout
    assert "2 witnessed heads" in done.stdout


def test_a_write_during_a_records_crash_is_kept_once_after_the_retry(http, stack):
    officer, _ = login(http, stack, "officer1")
    _, colleague = login(http, stack, "officer2")
    case = post(
        http,
        "/v1/cases",
        officer,
        {
            "client_case_id": cid(),
            "domain": "gas",
            "title": "餐饮场所燃气检查",
            "party": {"kind": "person", "name": "王五", "id_number": "11010519491231002X"},
            "co_officer_ids": [colleague],
        },
    )
    note = {"client_entry_id": cid(), "kind": "note", "payload": {"text": "燃气报警器未安装"}}
    path = f"/v1/cases/{case['case_id']}/entries"
    records = stack.children["records"].proc
    os.kill(records.pid, signal.SIGKILL)
    records.wait(10)
    down = http.post(path, json=note, headers=officer)
    assert down.status_code in (502, 503, 504)
    assert down.headers["content-type"].startswith("application/problem+json")
    stack.check_children(restart=True)
    deadline = time.monotonic() + 60
    while True:
        r = http.post(path, json=note, headers=officer)
        if r.status_code in (200, 201):
            break
        assert time.monotonic() < deadline, r.text
        time.sleep(0.5)
    again = http.post(path, json=note, headers=officer)
    assert (
        again.status_code == 200
        and again.json()["entry"]["entry_id"] == r.json()["entry"]["entry_id"]
    )
    timeline = http.get(f"/v1/cases/{case['case_id']}/timeline", headers=officer).json()
    assert [e["kind"] for e in timeline["entries"]] == ["opened", "note"]


def events_of(stack: Stack, topic: str, message, keep, timeout_s: float = 60, want: int = 1):
    """Events of `topic` (read from the start) that `keep` selects, once `want` arrived."""
    consumer = KafkaConsumer(bootstrap_servers=stack.kafka.bootstrap, enable_auto_commit=False)
    consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
    consumer.seek_to_beginning()
    found = []
    deadline = time.monotonic() + timeout_s
    while len(found) < want and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            for m in batch:
                event = unpack(parse_envelope(m.value), message)
                if keep(event):
                    found.append(event)
    consumer.close()
    return found


def test_a_hundred_tonne_truck_becomes_the_four_cases_of_yi_chao_si_fa(http, stack):
    """Pre-check -> intercepted -> the station's static scale -> two officers confirm ->
    Kafka -> records opens three filed cases with proposals and a supervision task ->
    Kafka -> review: the driver's fine is major (a task for the reviewer), the carrier's and
    the loading source's are answered "not required" with where they sit in the benchmark."""
    officer, officer_id = login(http, stack, "officer1")
    _, colleague = login(http, stack, "officer2")
    admin, _ = login(http, stack, "admin")
    reviewer, _ = login(http, stack, "reviewer")
    plate = "苏D9X123"
    parties = {
        "rated_load_t": "35",
        "curb_mass_t": "15",
        "cargo": "砂石",
        "driver": {"name": "赵六", "id_number": "11010519491231002X"},
        "carrier": {"name": "常州某运输有限公司", "credit_code": "914403001922038216"},
        "loading_source": {"name": "某砂石场", "credit_code": "91110108551385082Q"},
    }
    vehicle = {"kind": "combination", "axles": 6}
    # A weigh-in-motion pre-check point ahead of the station (不停车预检).
    r = http.put(
        "/v1/overload/stations/precheck-g312-km40",
        json={
            "name": "G312 K40 不停车预检点",
            "kind": "wim",
            "town": "罗溪镇",
            "scale": {"kind": "wim", "accuracy_class": "5", "verified_on": time.strftime("%F")},
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    pre = post(
        http,
        "/v1/overload/weighings",
        officer,
        {"client_weighing_id": cid(), "station_id": "precheck-g312-km40", "plate": plate,
         "vehicle": vehicle, "gross_t": "101.2", **parties},
    )  # fmt: skip
    assert pre["verdict"]["suspicion_only"] and pre["inspection"]["status"] == "suspected"
    steps = f"/v1/overload/inspections/{pre['inspection']['inspection_id']}/steps"
    assert post(http, steps, officer, {"to": "intercepted"}, 200)["status"] == "intercepted"

    # The station's static scale posts the reading, signed.
    secret = json.loads((stack.var / "demo-devices.json").read_text())["wim-station-01"]["secret"]
    raw = json.dumps(
        {"client_weighing_id": cid(), "plate": plate, "vehicle": vehicle, "gross_t": "102",
         **parties},
        ensure_ascii=False,
    ).encode()  # fmt: skip
    headers = signed_headers("wim-station-01", secret, "POST", "/v1/stations/weighings", raw)
    r = http.post(
        "/v1/stations/weighings",
        content=raw,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    static = r.json()
    # 102 t - 0.06 t scale error - 49 t = 52.94 t over: 52 full tonnes (the default reading).
    assert static["verdict"]["hundred_tonne_king"] and static["verdict"]["fine_yuan"] == 26000
    assert static["inspection"]["inspection_id"] == pre["inspection"]["inspection_id"]
    assert static["inspection"]["status"] == "weighed"  # waits for the officers on site
    confirmed = post(http, steps, officer, {"to": "confirmed", "co_officer_ids": [colleague]}, 200)
    assert confirmed["status"] == "confirmed" and confirmed["hundred_tonne_king"]

    [announced] = events_of(
        stack,
        "overload.violation-confirmed.v1",
        overload_events_pb2.ViolationConfirmed,
        lambda e: e.weighing_id == static["weighing_id"],
    )
    assert [o.officer_id for o in announced.officers] == [officer_id, colleague]
    # 超载 after the scale's error: 102 - 0.06 - 15 = 86.94 t carried on a rated 35 t.
    assert announced.fine_yuan == 26000 and announced.overload_percent == "148.40"
    # The road authority refers the 超载 fine and the driver's points to the traffic police.
    [sent] = announced.referrals
    assert sent.to_power == "traffic-police" and list(announced.agency_powers) == ["road-authority"]

    deadline = time.monotonic() + 60
    while True:
        listed = http.get("/v1/cases", headers=officer, params={"mine": "true"}).json()["cases"]
        cases = {
            c["source_ref"].rpartition(":")[2]: c
            for c in listed
            if c["source_ref"].startswith(static["weighing_id"])
        }
        if len(cases) == 3:
            break
        assert time.monotonic() < deadline, f"the cases never arrived: {cases}"
        time.sleep(0.5)
    assert sorted(cases) == ["carrier", "driver", "loading-source"]
    for case in cases.values():
        assert case["stage"] == "review" and case["domain"] == "road-transport"
        assert case["case_no"].startswith("新北应急立〔") and "百吨王" in case["title"]
        assert case["source_topic"] == "overload.violation-confirmed.v1"
        assert [o["officer_id"] for o in case["officers"]] == [officer_id, colleague]
        assert all(o["certificate_no"] for o in case["officers"])
    assert cases["driver"]["party"]["kind"] == "person"
    timeline = http.get(f"/v1/cases/{cases['driver']['case_id']}/timeline", headers=officer)
    kinds = [e["kind"] for e in timeline.json()["entries"]]
    assert kinds == [
        "opened", "transition", "transition", "document", "step", "document", "proposal"
    ]  # fmt: skip
    referral = timeline.json()["entries"][5]["payload"]
    assert (
        referral["document"] == "案件移送函(抄告)" and referral["referral_id"] == sent.referral_id
    )
    assert referral["to_agency"] == "公安机关交通管理部门"
    proposal = timeline.json()["entries"][-1]["payload"]
    assert proposal["fine_yuan"] == 26000  # Art. 43 only: Art. 92 is the traffic police's
    assert not any("第九十二条" in b for b in proposal["legal_basis"])
    assert proposal["discretion"]["benchmark_id"] == "jt62-43-overlimit"

    # The supervision notice (抄告) stays a task, without a penalty.
    tasks = http.get("/v1/tasks", headers=officer).json()["tasks"]
    [notice] = [t for t in tasks if t["details"].get("weighing_id") == static["weighing_id"]]
    assert notice["details"]["role"] == "supervision-notice"

    proposed = events_of(
        stack,
        "records.penalty-proposed.v1",
        records_pb2.PenaltyProposed,
        lambda e: e.case.source_ref.startswith(static["weighing_id"]),
        want=3,
    )
    assert sorted(p.proposal.fine_yuan for p in proposed) == [25000, 25000, 26000]

    # The referral is tracked: staff record the traffic police's receipt, and it reaches the
    # driver's case record over Kafka.
    listed = http.get("/v1/overload/referrals", headers=officer).json()["referrals"]
    [mine] = [x for x in listed if x["referral_id"] == sent.referral_id]
    assert mine["status"] == "sent" and not mine.get("overdue")
    ack = post(
        http,
        f"/v1/overload/referrals/{sent.referral_id}/acknowledgement",
        officer,
        {"reference": "新公交(2026)第88号"},
        200,
    )
    assert ack["status"] == "acknowledged"
    deadline = time.monotonic() + 60
    while True:
        entries = http.get(
            f"/v1/cases/{cases['driver']['case_id']}/timeline", headers=officer
        ).json()["entries"]
        receipts = [e for e in entries if e["payload"].get("document") == "案件移送回执"]
        if receipts:
            break
        assert time.monotonic() < deadline, "the receipt never reached the case record"
        time.sleep(0.5)
    assert receipts[0]["payload"]["acknowledgement_ref"] == "新公交(2026)第88号"

    # Review: 26,000 yuan for a person is major (over 10,000) and waits for the reviewer.
    task = wait_for_review_task(http, reviewer, cases["driver"]["case_id"])
    assert task["major"] and task["status"] == "assigned"
    assert any("fine over 10,000 yuan for a person" in r for r in task["reasons"])
    assert task["placement"]["finding"] == "within-band"
    # 25,000 yuan for an organisation is not major: answered at once, with its placement.
    for role in ("carrier", "loading-source"):
        case_id = cases[role]["case_id"]
        deadline = time.monotonic() + 60
        while True:
            case = http.get(f"/v1/cases/{case_id}", headers=officer).json()
            if case["review_status"] == "not-required":
                break
            assert time.monotonic() < deadline, f"no review answer for the {role}: {case}"
            time.sleep(0.5)
        entries = http.get(f"/v1/cases/{case_id}/timeline", headers=officer).json()["entries"]
        [answer] = [e["payload"] for e in entries if e["kind"] == "review-outcome"]
        assert any("within the serious band 20,001-30,000" in r for r in answer["reasons"])


def test_a_gas_leak_closes_the_valve_and_reaches_the_regulator(http, stack):
    """Signed detector readings -> alarm -> close command to the valve -> acknowledged ->
    an urgent inspection task in records; prints how long the command took to be ready."""
    devices = json.loads((stack.var / "demo-devices.json").read_text())

    def post(device_id: str, events: list[dict]):
        raw = json.dumps({"events": events}).encode()
        headers = signed_headers(
            device_id, devices[device_id]["secret"], "POST", "/v1/gas/device-events", raw
        )
        r = http.post(
            "/v1/gas/device-events", content=raw,
            headers={**headers, "Content-Type": "application/json"},
        )  # fmt: skip
        assert r.status_code == 200, r.text
        return r.json()

    base = int(time.time() * 1000)
    leak_at = time.monotonic()
    post(
        "gas-det-0001",
        [
            {"seq": base, "type": "reading", "lel": 24},
            {"seq": base + 1, "type": "reading", "lel": 31},
        ],
    )
    resent = post("gas-det-0001", [{"seq": base + 1, "type": "reading", "lel": 31}])
    assert resent["duplicates"] == 1
    commands = post("gas-valve-0001", [{"seq": base, "type": "heartbeat"}])["commands"]
    ready_s = time.monotonic() - leak_at
    assert [c["action"] for c in commands] == ["close"]
    print(f"\nleak reading -> close command ready for the valve: {ready_s * 1000:.0f} ms")
    post(
        "gas-valve-0001",
        [
            {
                "seq": base + 1,
                "type": "valve",
                "valve_state": "closed",
                "command_id": commands[0]["command_id"],
            }
        ],
    )
    officer, _ = login(http, stack, "officer1")
    alarms = http.get("/v1/gas/alarms", headers=officer).json()["alarms"]
    mine = [a for a in alarms if a["venue_id"] == "venue-xuejia-001"]
    assert mine and mine[0]["level"] == 1 and not mine[0].get("critical", False)
    acked = http.post(f"/v1/gas/alarms/{mine[0]['alarm_id']}/acknowledge", headers=officer)
    assert acked.status_code == 200 and acked.json()["acknowledged"]
    deadline = time.monotonic() + 60
    while True:
        tasks = http.get("/v1/tasks", headers=officer).json()["tasks"]
        urgent = [t for t in tasks if t["source_ref"] == mine[0]["alarm_id"]]
        if urgent:
            break
        assert time.monotonic() < deadline, "the alarm never reached records"
        time.sleep(0.5)
    assert urgent[0]["priority"] == "urgent" and "老街面馆" in urgent[0]["title"]
