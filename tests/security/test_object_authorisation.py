"""OWASP API1:2023 Broken Object Level Authorization, and API3 Broken Object Property Level
Authorization: staff of another agency, or of another town where the role is town-bound,
neither see nor touch a case, a review, a gas alarm, a weighing or an inspection task; a
refused write leaves the object as it was; a caller cannot set whom a write belongs to."""

from __future__ import annotations

import time

import pytest

from gateway.security.device_signing import signed_headers
from tests.security.conftest import (
    ORGANISATION,
    cid,
    device_secrets,
    is_problem,
    sha256,
    signed_post,
    wait_for,
)

pytestmark = pytest.mark.e2e


def snapshot(officer, case_id: str) -> tuple:
    """What a refused write must not change: the case's version and its record."""
    case = officer.get(f"/v1/cases/{case_id}").json()
    timeline = officer.get(f"/v1/cases/{case_id}/timeline").json()
    return case["version"], case["stage"], [e["entry_hash"] for e in timeline["entries"]]


def case_writes(case_id: str) -> list[tuple[str, dict]]:
    """Every officer write on a case, each with a body the service would otherwise accept."""
    base = f"/v1/cases/{case_id}"
    data = b"evidence"
    return [
        (f"{base}/transitions", {"to": "filing", "client_entry_id": cid()}),
        (f"{base}/entries", {"client_entry_id": cid(), "kind": "note", "payload": {"t": "x"}}),
        (
            f"{base}/evidence-slots",
            {
                "client_slot_id": cid(),
                "sha256": sha256(data),
                "size": len(data),
                "media_type": "image/jpeg",
            },
        ),
        (
            f"{base}/penalty-proposals",
            {
                "client_entry_id": cid(),
                "kinds": ["warning"],
                "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
                "facts": "越权提出处罚",
            },
        ),
        (f"{base}/decision", {"client_entry_id": cid(), "decision_text": "越权决定"}),
        (f"{base}/revocation", {"client_entry_id": cid(), "reason": "越权", "basis": "litigation"}),
    ]


# -- cases -------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["wj-officer", "wj-supervisor", "wj-admin", "lht-supervisor"])
def test_a_case_is_invisible_outside_the_agency_or_the_supervised_town(username, login, case):
    caller = login(username)
    for path in (f"/v1/cases/{case['case_id']}", f"/v1/cases/{case['case_id']}/timeline"):
        r = caller.get(path)
        assert is_problem(r, 404, "not-found"), (path, r.text)
        assert case["title"] not in r.text
    listed = caller.get("/v1/cases", params={"page_size": 200}).json()["cases"]
    assert case["case_id"] not in {c["case_id"] for c in listed}


def test_a_town_supervisor_cannot_ask_for_another_towns_cases(login):
    r = login("lht-supervisor").get("/v1/cases", params={"town": "薛家镇"})
    assert is_problem(r, 403, "forbidden")


def test_an_officer_of_another_agency_cannot_write_to_a_case(login, officer, case):
    intruder = login("wj-officer")
    before = snapshot(officer, case["case_id"])
    for path, body in case_writes(case["case_id"]):
        r = intruder.post(path, body)
        assert is_problem(r, 404, "not-found"), (path, r.status_code, r.text)
    assert snapshot(officer, case["case_id"]) == before


def test_an_officer_of_the_agency_who_is_not_on_the_case_cannot_write_to_it(login, officer, case):
    outsider = login("officer3")
    before = snapshot(officer, case["case_id"])
    for path, body in case_writes(case["case_id"]):
        r = outsider.post(path, body)
        assert r.status_code in (403, 404), (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert snapshot(officer, case["case_id"]) == before


def test_the_log_proves_nothing_about_another_agencys_entry(other_officer, case):
    r = other_officer.get(f"/v1/log/entries/{case['note_entry_id']}/inclusion-proof")
    assert is_problem(r, 404), r.text
    assert "现场检查" not in r.text


def test_sync_brings_an_officer_nothing_of_another_agency(other_officer, case):
    page = other_officer.get("/v1/sync", params={"limit": 1000}).json()
    assert case["case_id"] not in {c["case_id"] for c in page["cases"]}
    assert case["case_id"] not in {e["case_id"] for e in page["entries"]}


# -- API3: the caller cannot say whom a write belongs to --------------------------------------


def test_agency_and_author_of_a_case_come_from_the_token_not_the_body(officer, colleague):
    body = {
        "client_case_id": cid(),
        "domain": "gas",
        "title": "字段越权",
        "party": ORGANISATION,
        "co_officer_ids": [colleague.user_id],
        "agency_id": "wujin-yjj",
        "opened_by": "u-admin",
        "officers": [{"officer_id": "u-admin", "name": "x", "certificate_no": "1"}],
        "stage": "decision",
        "decision_no": "伪造〔2026〕1号",
    }
    r = officer.post("/v1/cases", body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["agency_id"] == "xinbei-yjj" and made["opened_by"] == officer.user_id
    assert made["stage"] == "inspection" and made["decision_no"] is None
    assert {o["officer_id"] for o in made["officers"]} == {officer.user_id, colleague.user_id}


def test_a_write_naming_its_own_actor_is_refused(officer, case):
    before = snapshot(officer, case["case_id"])
    note = {
        "client_entry_id": cid(),
        "kind": "note",
        "payload": {"text": "x"},
        "actor_id": "u-admin",
        "agency_id": "wujin-yjj",
    }
    r = officer.post(f"/v1/cases/{case['case_id']}/entries", note)
    assert is_problem(r, 422, "invalid-request")
    assert snapshot(officer, case["case_id"]) == before


def test_a_colleague_of_another_agency_cannot_be_named_on_a_case(officer, other_officer):
    body = {
        "client_case_id": cid(),
        "domain": "gas",
        "title": "跨机构同行",
        "party": ORGANISATION,
        "co_officer_ids": [other_officer.user_id],
    }
    r = officer.post("/v1/cases", body)
    assert is_problem(r, 422, "invalid-request")
    retry = officer.post("/v1/cases", {**body, "co_officer_ids": ["u-officer2"]})
    assert retry.status_code == 201  # the refused call stored nothing under that client id


CHECKLIST = (
    "subject", "powers", "facts", "evidence", "procedure",
    "legal-basis", "discretion", "documents", "criminal-referral",
)  # fmt: skip


# -- legal review ------------------------------------------------------------------------------


def test_a_reviewer_of_another_agency_cannot_read_or_decide_a_review(login, review):
    intruder = login("wj-reviewer")
    reviewer = login("reviewer")
    rid = review["review_id"]
    assert is_problem(intruder.get(f"/v1/reviews/{rid}"), 404)
    checklist = [{"item": item, "passed": True} for item in CHECKLIST]
    outcome = intruder.post(
        f"/v1/reviews/{rid}/outcome",
        {"outcome": "approved", "checklist": checklist, "opinion": "越权同意"},
    )
    assert outcome.status_code in (403, 404), outcome.text
    extension = intruder.post(f"/v1/reviews/{rid}/extension", {"reason": "越权延期"})
    assert extension.status_code in (403, 404), extension.text
    assert review["review_id"] not in {
        t["review_id"] for t in intruder.get("/v1/reviews/mine").json()["tasks"]
    }
    after = reviewer.get(f"/v1/reviews/{rid}").json()["task"]
    assert (after["status"], after["opinion"], after["extended"]) == (
        review["status"],
        review["opinion"],
        review["extended"],
    )


def test_a_supervisor_of_another_agency_does_not_see_the_review_queue(login, review):
    tasks = login("wj-supervisor").get("/v1/reviews").json()["tasks"]
    assert review["review_id"] not in {t["review_id"] for t in tasks}


# -- gas alarms and the tasks they make ----------------------------------------------------------


def test_an_officer_of_another_agency_cannot_see_or_acknowledge_a_gas_alarm(
    officer, other_officer, gas_alarm
):
    listed = other_officer.get("/v1/gas/alarms", params={"active_only": False}).json()
    assert gas_alarm["alarm_id"] not in {a["alarm_id"] for a in listed.get("alarms", [])}
    r = other_officer.post(f"/v1/gas/alarms/{gas_alarm['alarm_id']}/acknowledge")
    assert is_problem(r, 404), r.text
    mine = officer.get("/v1/gas/alarms", params={"active_only": False}).json()["alarms"]
    alarm = next(a for a in mine if a["alarm_id"] == gas_alarm["alarm_id"])
    assert not alarm.get("acknowledged") and not alarm.get("acknowledged_by")


def test_an_officer_of_another_town_does_not_see_the_alarm(login, gas_alarm):
    listed = login("officer3").get("/v1/gas/alarms", params={"active_only": False}).json()
    assert gas_alarm["alarm_id"] not in {a["alarm_id"] for a in listed.get("alarms", [])}


@pytest.fixture(scope="module")
def longhutang_alarm(http, stack, login) -> dict:
    """An alarm at 龙虎塘小厨 (龙虎塘街道), for the town test to spoil without harm."""
    base = int(time.time() * 1000) * 100 + 77
    events = [{"seq": base + i, "type": "reading", "lel": 35} for i in range(3)]
    r = signed_post(http, stack, "gas-det-0002", "/v1/gas/device-events", {"events": events})
    assert r.status_code == 200, r.text

    def raised():
        alarms = login("officer3").get("/v1/gas/alarms").json()["alarms"]
        return next((a for a in alarms if a["venue_id"] == "venue-longhutang-002"), None)

    return wait_for("the 龙虎塘 alarm", raised)


def test_an_officer_of_another_town_cannot_acknowledge_an_alarm(officer, longhutang_alarm):
    r = officer.post(f"/v1/gas/alarms/{longhutang_alarm['alarm_id']}/acknowledge")
    assert r.status_code in (403, 404), r.text


def test_an_inspection_task_of_another_agency_can_be_neither_seen_nor_taken(
    officer, other_officer, gas_alarm
):
    def task():
        tasks = officer.get("/v1/tasks").json()["tasks"]
        return next((t for t in tasks if t["source_ref"] == gas_alarm["alarm_id"]), None)

    mine = wait_for("the alarm's inspection task", task)
    theirs = other_officer.get("/v1/tasks").json()["tasks"]
    assert mine["task_id"] not in {t["task_id"] for t in theirs}
    taken = other_officer.post(
        "/v1/cases",
        {
            "client_case_id": cid(),
            "domain": "gas",
            "title": mine["title"],
            "party": ORGANISATION,
            "co_officer_ids": ["u-wj-officer2"],
            "task_id": mine["task_id"],
        },
    )
    assert is_problem(taken, 404), taken.text
    still = next(
        t for t in officer.get("/v1/tasks").json()["tasks"] if t["task_id"] == mine["task_id"]
    )
    assert still["status"] == "open" and still["case_id"] is None


# -- overload ----------------------------------------------------------------------------------


def test_an_officer_of_another_agency_cannot_touch_a_weighing_or_its_inspection(
    officer, other_officer, weighing
):
    photo = {"sha256": sha256(b"photo"), "size": 5, "media_type": "image/jpeg"}
    r = other_officer.post(f"/v1/overload/weighings/{weighing['weighing_id']}/photos", photo)
    assert is_problem(r, 404), r.text
    if weighing["inspection"]:
        inspection_id = weighing["inspection"]["inspection_id"]
        step = other_officer.post(
            f"/v1/overload/inspections/{inspection_id}/steps", {"to": "released"}
        )
        assert step.status_code in (403, 404, 422), step.text
        assert step.status_code != 200
    # The weighing's own agency still can.
    own = officer.post(f"/v1/overload/weighings/{weighing['weighing_id']}/photos", photo)
    assert own.status_code == 201, own.text


# -- device credentials and registers ------------------------------------------------------------


def test_an_admin_of_another_agency_cannot_rotate_or_revoke_a_device(login, http, stack):
    intruder = login("wj-admin")
    for path in (
        "/v1/devices/gas-det-0001/credentials",
        "/v1/devices/gas-det-0001/credentials/rotate",
        "/v1/devices/gas-det-0001/credentials/revoke",
    ):
        r = intruder.get(path) if path.endswith("credentials") else intruder.post(path)
        assert is_problem(r, 404), (path, r.text)
        assert "secret" not in r.json() or r.json().get("secret") is None
    # The device's own secret still works: nothing was rotated or revoked.
    secret = device_secrets(stack)["gas-det-0001"]["secret"]
    headers = signed_headers("gas-det-0001", secret, "GET", "/v1/devices/me", b"")
    assert http.get("/v1/devices/me", headers=headers).status_code == 200


# Each test attacks rows made for it, so a regression spoils nothing else.


@pytest.fixture
def venue(login) -> str:
    venue_id = f"sec-venue-{cid()[:8]}"
    r = login("admin").put(f"/v1/gas/venues/{venue_id}", {"name": "安全测试面馆", "town": "薛家镇"})
    assert r.status_code == 200, r.text
    return venue_id


def test_an_admin_of_another_agency_cannot_take_over_a_venue(login, venue):
    r = login("wj-admin").put(f"/v1/gas/venues/{venue}", {"name": "接管", "town": "湖塘镇"})
    assert r.status_code in (403, 404, 409), r.text


def test_an_admin_of_another_agency_cannot_put_a_device_into_its_venue(login, venue):
    r = login("wj-admin").put(
        f"/v1/gas/devices/wj-det-{cid()[:8]}", {"venue_id": venue, "kind": "gas_detector"}
    )
    assert r.status_code in (403, 404), r.text


def test_an_admin_of_another_agency_cannot_move_its_valve(login, venue):
    valve = f"sec-valve-{cid()[:8]}"
    admin, intruder = login("admin"), login("wj-admin")
    body = {"venue_id": venue, "kind": "shutoff_valve"}
    assert admin.put(f"/v1/gas/devices/{valve}", body).status_code == 200
    theirs = f"wj-venue-{cid()[:8]}"
    assert (
        intruder.put(f"/v1/gas/venues/{theirs}", {"name": "x", "town": "湖塘镇"}).status_code == 200
    )
    r = intruder.put(f"/v1/gas/devices/{valve}", {**body, "venue_id": theirs})
    assert r.status_code in (403, 404), r.text


def test_an_admin_of_another_agency_cannot_take_over_a_weigh_station(login):
    station_id = f"sec-station-{cid()[:8]}"
    station = {
        "name": "安全测试检测站",
        "kind": "fixed",
        "town": "罗溪镇",
        "scale": {"kind": "static", "accuracy_class": "III"},
    }
    assert login("admin").put(f"/v1/overload/stations/{station_id}", station).status_code == 200
    # A class 10 scale would let heavier trucks pass as within the scale's error.
    widened = {**station, "name": "接管", "scale": {"kind": "wim", "accuracy_class": "10"}}
    r = login("wj-admin").put(f"/v1/overload/stations/{station_id}", widened)
    assert r.status_code in (403, 404, 409), r.text
