"""The walking skeleton, end to end: the embedded stack as `make run` starts it, driven over
HTTP as an officer's phone would, with the broker stopped in the middle."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from deploy.stack import Stack, free_ports

pytestmark = pytest.mark.e2e

ENTERPRISE = {
    "kind": "organization",
    "name": "常州某燃气餐饮有限公司",
    "credit_code": "914403001922038216",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("stack") / "var", free_ports())
    try:
        s.start(ready_timeout=120)
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=15) as client:
        yield client


def login(http: httpx.Client, stack: Stack, username: str) -> dict:
    r = http.post(
        "/v1/auth/login", json={"username": username, "password": stack.secrets["demo_password"]}
    )
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = http.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    return {"Authorization": f"Bearer {token}", "_me": me}


@pytest.fixture(scope="module")
def officer(http, stack):
    return login(http, stack, "officer1")


@pytest.fixture(scope="module")
def colleague_id(http, stack):
    return login(http, stack, "officer2")["_me"]["user_id"]


def auth(headers: dict) -> dict:
    return {k: v for k, v in headers.items() if not k.startswith("_")}


def case_body(colleague_id: str, **changes) -> dict:
    body = {
        "client_case_id": str(uuid.uuid4()),
        "domain": "gas",
        "title": "餐饮场所燃气报警装置检查",
        "party": ENTERPRISE,
        "co_officer_ids": [colleague_id],
        "device_time": "2026-11-28T09:30:00+08:00",
        "location": {"latitude": 31.81, "longitude": 119.97, "accuracy_m": 8},
    }
    return {**body, **changes}


def review_sees(stack: Stack, case_ids: list[str], timeout_s: float = 60) -> dict[str, int]:
    """How many rows the review service holds for each case, once all have arrived."""
    deadline = time.monotonic() + timeout_s
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        with sqlite3.connect(stack.var / "review.db") as conn:
            counts = {
                cid: conn.execute(
                    "SELECT count(*) FROM known_cases WHERE case_id = ?", (cid,)
                ).fetchone()[0]
                for cid in case_ids
            }
        if all(counts.values()):
            return counts
        time.sleep(0.3)
    return counts


def test_readyz_reports_every_service(http):
    r = http.get("/readyz")
    assert r.status_code == 200
    assert set(r.json()["checks"]) >= {
        "records",
        "review",
        "disclosure",
        "gas",
        "overload",
        "database",
    }


def test_officer_opens_a_case_that_review_receives_once(http, stack, officer, colleague_id):
    body = case_body(colleague_id)
    r = http.post("/v1/cases", json=body, headers=auth(officer))
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["stage"] == "inspection"
    assert r.headers["location"] == f"/v1/cases/{case['case_id']}"
    assert {o["officer_id"] for o in case["officers"]} == {officer["_me"]["user_id"], colleague_id}

    again = http.get(f"/v1/cases/{case['case_id']}", headers=auth(officer))
    assert again.status_code == 200
    assert again.json()["title"] == body["title"]

    assert review_sees(stack, [case["case_id"]]) == {case["case_id"]: 1}


def test_a_retried_open_returns_the_same_case(http, officer, colleague_id):
    body = case_body(colleague_id)
    first = http.post("/v1/cases", json=body, headers=auth(officer))
    retry = http.post("/v1/cases", json=body, headers=auth(officer))
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.json()["case_id"] == first.json()["case_id"]


def test_bad_input_gets_a_problem_and_stores_nothing(http, officer, colleague_id):
    before = http.get("/v1/cases", params={"page_size": 200}, headers=auth(officer)).json()
    bad_party = {**ENTERPRISE, "credit_code": "914403001922038217"}
    r = http.post("/v1/cases", json=case_body(colleague_id, party=bad_party), headers=auth(officer))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "统一社会信用代码" in r.json()["detail"]  # the phone reads Chinese by default
    after = http.get("/v1/cases", params={"page_size": 200}, headers=auth(officer)).json()
    assert len(after["cases"]) == len(before["cases"])


def test_cases_need_a_login(http, colleague_id):
    r = http.post("/v1/cases", json=case_body(colleague_id))
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_broker_down_for_20_seconds_loses_no_event(http, stack, officer, colleague_id):
    stack.kafka.stop()
    opened = []
    try:
        down_since = time.monotonic()
        while time.monotonic() - down_since < 20:
            r = http.post("/v1/cases", json=case_body(colleague_id), headers=auth(officer))
            assert r.status_code == 201, r.text  # the phone never notices the broker
            opened.append(r.json()["case_id"])
            time.sleep(2)
    finally:
        stack.kafka.start()
        stack.kafka.wait_ready(timeout=60)
    assert len(opened) >= 8
    assert review_sees(stack, opened, timeout_s=90) == dict.fromkeys(opened, 1)


def test_a_killed_broker_is_restarted_by_the_stack_and_loses_no_event(
    http, stack, officer, colleague_id
):
    stack.kafka.kill()  # kill -9, as a crash would
    r = http.post("/v1/cases", json=case_body(colleague_id), headers=auth(officer))
    assert r.status_code == 201, r.text
    stack.check_children()  # what `make run` does every second
    assert stack.kafka.is_running()
    assert review_sees(stack, [r.json()["case_id"]], timeout_s=90) == {r.json()["case_id"]: 1}


def test_each_process_exposes_its_metrics(http, stack, officer, colleague_id):
    r = http.post("/v1/cases", json=case_body(colleague_id), headers=auth(officer))
    assert r.status_code == 201
    assert review_sees(stack, [r.json()["case_id"]])  # the event went all the way through
    records = httpx.get(f"http://127.0.0.1:{stack.ports['records-metrics']}/metrics").text
    assert 'grpc_server_requests_total{code="OK",method="/enforcement.records.v1.' in records
    assert 'outbox_published_total{service="records"}' in records
    review = httpx.get(f"http://127.0.0.1:{stack.ports['review-metrics']}/metrics").text
    assert 'consumer_messages_total{consumer="review"' in review
    gateway = http.get("/metrics").text
    assert 'http_requests_total{method="POST",route="/v1/cases",status="201"}' in gateway


def test_a_seeded_device_signs_its_requests(http, stack):
    import json

    from gateway.security.device_signing import signed_headers

    secret = json.loads((stack.var / "demo-devices.json").read_text())["gas-valve-0001"]["secret"]
    headers = signed_headers("gas-valve-0001", secret, "GET", "/v1/devices/me", b"")
    r = http.get("/v1/devices/me", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["kind"] == "shutoff_valve"
    replay = http.get("/v1/devices/me", headers=headers)
    assert replay.status_code == 401 and replay.json()["type"].endswith("replayed-nonce")
    forged = signed_headers("gas-valve-0001", "not-the-secret", "GET", "/v1/devices/me", b"")
    assert http.get("/v1/devices/me", headers=forged).status_code == 401


def test_every_route_is_documented(http):
    spec = http.get("/openapi/all.json").json()
    paths = spec["paths"]
    for path in ("/v1/auth/login", "/v1/cases", "/v1/cases/{case_id}", "/readyz", "/healthz"):
        assert path in paths
    for path, operations in paths.items():
        for method, op in operations.items():
            assert op.get("operationId"), f"{method} {path} has no operationId"
            assert op.get("summary"), f"{method} {path} has no summary"


def test_make_run_twice_finds_the_first_runs_data(tmp_path: Path):
    """`python -m deploy.stack run` (what `make run` calls), stopped with Ctrl-C, twice."""
    import subprocess

    var = tmp_path / "var"

    def run_once(action):
        proc = subprocess.Popen(
            [sys.executable, "-m", "deploy.stack", "run", "--var", str(var), "--free-ports"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # as a script's background job starts it: SIGINT ignored, Ctrl-C must still stop it
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
        url = None
        lines = []
        try:
            for line in proc.stdout:
                lines.append(line)
                if "Gateway:" in line:
                    url = line.split()[1]
                if "Ctrl-C stops everything" in line:
                    break
            assert url, "".join(lines)
            with httpx.Client(base_url=url, timeout=15) as client:
                assert client.get("/readyz").status_code == 200
                return action(client)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                out, _ = proc.communicate(timeout=90)
            except subprocess.TimeoutExpired:
                pytest.fail("Ctrl-C did not stop the stack within 90 s:\n" + _hung(proc, var))
            assert proc.returncode == 0, "".join(lines) + out

    password = None

    def first(client):
        nonlocal password
        import json

        password = json.loads((var / "secrets.json").read_text())["demo_password"]
        token = client.post(
            "/v1/auth/login", json={"username": "officer1", "password": password}
        ).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        colleague = client.post(
            "/v1/auth/login", json={"username": "officer2", "password": password}
        ).json()
        colleague_id = client.get(
            "/v1/auth/me", headers={"Authorization": f"Bearer {colleague['access_token']}"}
        ).json()["user_id"]
        r = client.post("/v1/cases", json=case_body(colleague_id), headers=headers)
        assert r.status_code == 201, r.text
        return r.json()["case_id"]

    case_id = run_once(first)

    def second(client):
        token = client.post(
            "/v1/auth/login", json={"username": "officer1", "password": password}
        ).json()
        r = client.get(
            f"/v1/cases/{case_id}", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
        assert r.status_code == 200, r.text

    run_once(second)


def _hung(proc, var: Path) -> str:
    """What a stack that ignored Ctrl-C was doing (py-spy), then it and its children killed."""
    import shutil
    import subprocess

    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    dump = subprocess.run(
        [spy, "dump", "--pid", str(proc.pid)], capture_output=True, text=True, timeout=60
    )
    proc.kill()
    out, _ = proc.communicate(timeout=10)
    # Its children run in their own sessions; each names var/ in its command line or settings.
    for pid_dir in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            seen = (pid_dir / "cmdline").read_bytes() + (pid_dir / "environ").read_bytes()
            if str(var).encode() in seen:
                os.kill(int(pid_dir.name), signal.SIGKILL)
    return f"{out}\n--- py-spy dump\n{dump.stdout}{dump.stderr}"
