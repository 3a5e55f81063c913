"""The 2027 calendar end to end on the embedded stack, through the gateway.

A major penalty proposal is made on Monday 28 December 2026 (the services' clock starts there,
`<SERVICE>_CLOCK_START`). chinese-calendar knows no 2027, so its legal review deadline counts
only the statutory holidays of 2027 (1 January, 全国年节及纪念日放假办法 Art. 2) and comes out
provisional. An agency admin enters 2027 from the notice (an EXAMPLE arrangement, not the real
notice) through the API; the open review is recounted, no longer provisional, and the change is
written into the case's record.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from deploy.stack import SERVICES, Stack, free_ports
from tests.support.calendar_example import example_2027_body

pytestmark = pytest.mark.e2e

CLOCK_START = "2026-12-28T02:00:00+00:00"  # Monday 28 December 2026, 10:00 in China


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        for name in SERVICES:
            mp.setenv(f"{name.upper()}_CLOCK_START", CLOCK_START)
        s = Stack(tmp_path_factory.mktemp("calendar-stack") / "var", free_ports())
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


def post(http, path, headers, body, expect=201):
    r = http.post(path, json=body, headers=headers)
    assert r.status_code == expect, r.text
    return r.json()


def eventually(check, what: str, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


def test_a_review_opened_on_28_december_2026_is_recounted_when_2027_is_entered(http, stack):
    officer, _ = login(http, stack, "officer1")
    _, colleague = login(http, stack, "officer2")
    reviewer, _ = login(http, stack, "reviewer")
    supervisor, _ = login(http, stack, "supervisor")
    admin, _ = login(http, stack, "admin")

    # From 1 October the supervisors are warned that next year's notice is missing.
    state = http.get("/v1/calendar", headers=supervisor).json()
    assert state["today"] == "2026-12-28"
    assert "2027" in state["warning"]
    assert [(y["year"], y["source"]) for y in state["years"]] == [
        (2026, "package"),
        (2027, "statutory"),
    ]
    assert "2027" in http.get("/v1/reviews/stats", headers=supervisor).json()["calendar_warning"]

    case = post(
        http,
        "/v1/cases",
        officer,
        {
            "client_case_id": str(uuid.uuid4()),
            "domain": "hazardous-chemicals",
            "title": "危化品仓库现场检查",
            "party": {
                "kind": "organization",
                "name": "常州某化工有限公司",
                "credit_code": "914403001922038216",
            },
            "co_officer_ids": [colleague],
        },
    )
    path = f"/v1/cases/{case['case_id']}"
    for stage in ("filing", "investigation"):
        post(
            http,
            f"{path}/transitions",
            officer,
            {"to": stage, "client_entry_id": str(uuid.uuid4())},
        )
    post(
        http,
        f"{path}/penalty-proposals",
        officer,
        {
            "client_entry_id": str(uuid.uuid4()),
            "kinds": ["fine"],
            "fine_yuan": 200000,
            "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
            "facts": "燃气泄漏报警装置未按标准安装",
            "discretion": {"benchmark_id": "aq-99-safety-equipment", "circumstance": "serious"},
        },
    )

    def task():
        r = http.get("/v1/reviews/mine", headers=reviewer)
        assert r.status_code == 200, r.text
        return next((t for t in r.json()["tasks"] if t["case_id"] == case["case_id"]), None)

    before = eventually(task, "the proposal never reached the reviewer")
    # 29, 30, 31 December; 1 January 2027 is a statutory holiday; 4, 5, 6, 7 January.
    assert (before["due_date"], before["due_date_provisional"]) == ("2027-01-07", True)

    # Only an admin enters a year, and only a year that can be the notice.
    body = example_2027_body()
    assert http.post("/v1/calendar/years", json=body, headers=supervisor).status_code == 403
    wrong = http.post(
        "/v1/calendar/years", json={**body, "makeup_days": ["2027-02-01"]}, headers=admin
    )
    assert wrong.status_code == 422, wrong.text
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert "Saturday or Sunday" in wrong.text

    entered = post(http, "/v1/calendar/years", admin, body)
    assert entered["year"]["version"] == 1 and entered["recomputed"] >= 1
    assert entered["year"]["notice_no"] == body["notice_no"]

    after = task()
    assert (after["due_date"], after["due_date_provisional"]) == ("2027-01-07", False)

    def recorded():
        timeline = http.get(f"{path}/timeline", headers=officer).json()
        return [e for e in timeline["entries"] if e["kind"] == "deadline-recomputed"]

    [entry] = eventually(recorded, "records never wrote the recounted deadline")
    assert entry["payload"]["deadline"] == "legal-review"
    assert entry["payload"]["previous_provisional"] is True
    assert entry["payload"]["provisional"] is False
    assert entry["payload"]["due_date"] == "2027-01-07"
    assert entry["payload"]["calendar_year"] == 2027
    assert entry["payload"]["notice_no"] == body["notice_no"]

    state = http.get("/v1/calendar", headers=supervisor).json()
    assert state["warning"] == ""
    [y2027] = [y for y in state["years"] if y["year"] == 2027]
    assert y2027["source"] == "notice" and y2027["versions"][0]["entered_by"] == "u-admin"
    assert http.get("/v1/reviews/stats", headers=supervisor).json()["calendar_warning"] is None
