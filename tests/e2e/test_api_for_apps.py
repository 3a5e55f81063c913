"""The API as the officer app and the desk console will use it (issue 21, items 7-12), on
the embedded stack as `make run` starts it: a small OpenAPI document, the lookups a form
needs, answers that say what happened with numbers as numbers, and no public record with an
empty required field.

The platform and its callers are the security suite's (a second agency, a town-bound
supervisor), reused as they are.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import sync_playwright

from devices.client import HttpDevice
from gateway.examples import EXAMPLE_FILE
from gateway.openapi import PARTS
from tests.security import conftest as platform
from tests.security.conftest import (
    ORGANISATION,
    cid,
    investigate,
    is_problem,
    open_case,
    signed_post,
    wait_for,
    write,
)

# The security suite's platform and callers, as fixtures of this module.
stack = platform.stack
http = platform.http
public = platform.public
login = platform.login
officer = platform.officer
colleague = platform.colleague
other_officer = platform.other_officer

pytestmark = pytest.mark.e2e

CHECKLIST = [
    {"item": k, "passed": True}
    for k in (
        "subject", "powers", "facts", "evidence", "procedure",
        "legal-basis", "discretion", "documents", "criminal-referral",
    )
]  # fmt: skip
MAJOR_PROPOSAL = {
    "kinds": ["fine"],
    "fine_yuan": 150000,
    "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
    "facts": "燃气泄漏报警装置未按标准安装",
    "discretion": {"benchmark_id": "aq-99-safety-equipment", "circumstance": "serious"},
}
NO_LEGAL_REPRESENTATIVE = {k: v for k, v in ORGANISATION.items() if k != "legal_representative"}


def approved_case(officer, colleague, login, **case) -> tuple[dict, dict]:
    """A case whose major proposal the legal reviewer approved; (case, proposal answer)."""
    opened = open_case(officer, colleague, **case)
    path = f"/v1/cases/{opened['case_id']}"
    investigate(officer, opened["case_id"])
    proposed = write(
        officer, f"{path}/penalty-proposals", {"client_entry_id": cid(), **MAJOR_PROPOSAL}
    )
    reviewer = login("reviewer")

    def queued():
        tasks = reviewer.get("/v1/reviews/mine").json()["tasks"]
        return next((t for t in tasks if t["case_id"] == opened["case_id"]), None)

    task = wait_for("the review task", queued)
    write(
        reviewer,
        f"/v1/reviews/{task['review_id']}/outcome",
        {"outcome": "approved", "checklist": CHECKLIST, "opinion": "经审核，同意"},
        expect=200,
    )
    wait_for(
        "records hearing the approval",
        lambda: officer.get(path).json()["review_status"] == "approved",
    )
    return opened, proposed


# -- 8: the OpenAPI document ------------------------------------------------------------------


def test_the_openapi_document_is_small_and_writes_each_error_answer_once(http):
    for url, _title, _tags in PARTS.values():
        part = http.get(url)
        assert part.status_code == 200
        assert len(part.content) < 150_000, f"{url} is {len(part.content)} bytes"
    r = http.get("/openapi.json")
    doc = r.json()
    assert doc["components"]["schemas"]["Problem"]["title"] == "Problem"
    inline = [
        (path, method, status)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        for status, answer in op["responses"].items()
        if "application/problem+json" in answer.get("content", {})
        and "$ref" not in answer["content"]["application/problem+json"]["schema"]
    ]
    assert inline == []
    assert doc["paths"]["/v1/cases"]["post"]["responses"]["404"] == {
        "$ref": "#/components/responses/NotFound"
    }


# -- 10: lookups ------------------------------------------------------------------------------


def test_an_officer_finds_a_co_officer_of_the_own_agency_by_name(officer, other_officer, login):
    found = officer.get("/v1/officers", params={"q": "李"}).json()["officers"]
    assert [o["officer_id"] for o in found] == ["u-officer2"]
    assert found[0]["name"] == "李娜" and found[0]["certificate_no"] == "32041120002"
    in_town = officer.get("/v1/officers", params={"town": "龙虎塘街道"}).json()["officers"]
    assert [o["officer_id"] for o in in_town] == ["u-officer3"]
    # Another district's officer sees their own colleagues only.
    theirs = other_officer.get("/v1/officers").json()["officers"]
    assert {o["officer_id"] for o in theirs} == {"u-wj-officer", "u-wj-officer2"}
    # A supervisor bound to a town sees that town's officers and no other town.
    supervisor = login("lht-supervisor")
    assert {o["town"] for o in supervisor.get("/v1/officers").json()["officers"]} == {"龙虎塘街道"}
    assert is_problem(supervisor.get("/v1/officers", params={"town": "薛家镇"}), 403)


def test_the_discretion_benchmarks_of_a_domain_fill_a_proposal(officer):
    gas = officer.get("/v1/benchmarks", params={"domain": "gas"}).json()["benchmarks"]
    by_id = {b["benchmark_id"]: b for b in gas}
    assert "aq-99-safety-equipment" in by_id and "jt62-43-overlimit" not in by_id
    bench = by_id["aq-99-safety-equipment"]
    assert bench["violation_type"] == "safety-equipment-missing"
    assert bench["legal_max_yuan"] == 200000
    assert {b["circumstance"] for b in bench["bands"]} == {"minor", "ordinary", "serious"}
    road = officer.get("/v1/benchmarks", params={"domain": "road-transport"}).json()
    assert "jt62-43-overlimit" in {b["benchmark_id"] for b in road["benchmarks"]}
    assert is_problem(officer.get("/v1/benchmarks", params={"domain": "nonsense"}), 422)


def test_next_stages_name_what_each_needs_and_the_refusal_names_notice(
    officer, colleague, other_officer, login
):
    opened = open_case(officer, colleague)
    path = f"/v1/cases/{opened['case_id']}"
    first = officer.get(f"{path}/next-stages").json()["next_stages"]
    assert {s["stage"]: s["ready"] for s in first} == {
        "filing": True,
        "no_penalty": True,
        "withdrawn": True,
    }
    assert first[0]["call"] == f"POST {path}/transitions"
    assert is_problem(other_officer.get(f"{path}/next-stages"), 404)

    approved, _ = approved_case(officer, colleague, login)
    path = f"/v1/cases/{approved['case_id']}"
    stages = {s["stage"]: s for s in officer.get(f"{path}/next-stages").json()["next_stages"]}
    assert stages["notice"]["ready"] and stages["notice"]["needs"] == []
    assert "decision" not in stages
    refused = officer.post(
        f"{path}/decision", {"client_entry_id": cid(), "decision_text": "罚款十五万元"}
    )
    assert is_problem(refused, 409)
    body = refused.json()
    assert "move to notice first" in body["detail"]
    assert "notice" in body["allowed_stages"]
    assert any(s["stage"] == "notice" and s["ready"] for s in body["next_stages"])


def test_an_officer_downloads_a_case_evidence_file_as_an_attachment(
    officer, colleague, other_officer
):
    opened = open_case(officer, colleague)
    path = f"/v1/cases/{opened['case_id']}"
    photo = os.urandom(2048)
    digest = hashlib.sha256(photo).hexdigest()
    slot = write(
        officer,
        f"{path}/evidence-slots",
        {
            "client_slot_id": cid(),
            "sha256": digest,
            "size": len(photo),
            "media_type": "image/jpeg",
            "filename": "现场照片.jpg",
        },
    )
    assert httpx.put(slot["put_url"], content=photo).status_code == 200
    write(officer, f"{path}/evidence-slots/{slot['slot_id']}/confirm", {"caption": "现场"})

    link = officer.get(f"{path}/evidence/{digest}/download")
    assert link.status_code == 200, link.text
    answer = link.json()
    assert answer["sha256"] == digest and answer["size"] == len(photo)
    fetched = httpx.get(answer["url"])
    assert fetched.status_code == 200 and fetched.content == photo
    disposition = fetched.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert is_problem(other_officer.get(f"{path}/evidence/{digest}/download"), 404)
    assert is_problem(officer.get(f"{path}/evidence/{'0' * 64}/download"), 404)


# -- 11: answers say what happened, numbers as numbers ----------------------------------------


def test_a_proposal_says_it_is_major_why_and_by_when_and_amounts_stay_numbers(
    officer, colleague, login
):
    opened = open_case(officer, colleague)
    investigate(officer, opened["case_id"])
    proposed = write(
        officer,
        f"/v1/cases/{opened['case_id']}/penalty-proposals",
        {"client_entry_id": cid(), **MAJOR_PROPOSAL},
    )
    assessment = proposed["assessment"]
    assert assessment["major"] is True
    assert any("100,000" in r for r in assessment["reasons"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", assessment["review_due_date"])
    assert assessment["deadline_working_days"] == 7
    assert assessment["placement"]["finding"] == "within-band"
    assert proposed["proposal"]["fine_yuan"] == 150000
    reviewer = login("reviewer")

    def queued():
        tasks = reviewer.get("/v1/reviews/mine").json()["tasks"]
        return next((t for t in tasks if t["case_id"] == opened["case_id"]), None)

    task = wait_for("the review task", queued)
    assert task["proposal"]["fine_yuan"] == 150000  # a number, as it was sent
    assert task["due_date"] == assessment["review_due_date"]


def test_overload_answers_carry_numbers_not_text(officer, login):
    weighed = write(
        officer,
        "/v1/overload/weighings",
        {
            "client_weighing_id": cid(),
            "station_id": "station-g312-km45",
            "plate": "苏D7S002",
            "vehicle": {"kind": "combination", "axles": 6},
            "gross_t": "60.5",
        },
    )
    verdict = weighed["verdict"]
    assert verdict["limit_t"] == 49 and isinstance(verdict["measured_t"], int | float)
    assert isinstance(verdict["fine_yuan"], int)
    stats = login("supervisor").get("/v1/overload/statistics").json()
    assert stats["days"] and all(isinstance(d["weighed"], int) for d in stats["days"])


# -- 12: nothing required is published empty -------------------------------------------------


def test_a_decision_captures_what_the_public_record_needs_and_publishes_no_blank(
    officer, colleague, login, public
):
    opened, _ = approved_case(officer, colleague, login, party=NO_LEGAL_REPRESENTATIVE)
    path = f"/v1/cases/{opened['case_id']}"
    write(officer, f"{path}/transitions", {"to": "notice", "client_entry_id": cid()})
    decision = {"client_entry_id": cid(), "decision_text": "罚款人民币拾伍万元整"}
    refused = officer.post(f"{path}/decision", decision)
    assert is_problem(refused, 422)
    assert "legal_representative (法定代表人)" in refused.json()["detail"]

    decided = write(officer, f"{path}/decision", {**decision, "legal_representative": "周建国"})
    decision_no = decided["case"]["decision_no"]
    assert decided["entry"]["payload"]["completed"] == {"legal_representative": "周建国"}

    def published():
        found = public.get("/v1/public/disclosures", params={"decision_no": decision_no})
        return next(iter(found.json()["disclosures"]), None)

    record = wait_for("the publication", published)
    assert record["legal_representative"] == "周建国"
    assert record["violation_type"] and record["authority_credit_code"]
    assert record["fine_10k_yuan"] == 15
    required = (
        "party_name", "credit_code", "legal_representative", "decision_no", "violation_type",
        "facts", "legal_basis", "penalty_category", "penalty_content", "authority",
        "authority_credit_code", "data_source",
    )  # fmt: skip
    assert [f for f in required if str(record[f]).strip() in ("", "—")] == []
    withheld = officer.get("/v1/disclosures/withheld").json()["withheld"]
    assert opened["case_id"] not in {w["case_id"] for w in withheld}


# -- 7: the browsable API without internet ----------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"


def test_docs_render_and_log_in_with_the_network_blocked(stack):
    """/docs on a Chromium that may reach nothing but the gateway: Swagger UI comes from the
    gateway itself, and "Authorize" logs in through the password form."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's Chromium")
    blocked: list[str] = []

    def only_localhost(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            context.route("**/*", only_localhost)
            page = context.new_page()
            page.goto(f"{stack.gateway_url}/docs")
            page.wait_for_selector("text=Field enforcement platform API", timeout=30_000)
            page.wait_for_selector("#operations-cases-openCase", timeout=30_000)
            page.click("button.authorize")
            page.fill("#oauth_username", "officer1")
            page.fill("#oauth_password", stack.secrets["demo_password"])
            page.click(".auth-container:has(#oauth_username) button.authorize")
            page.wait_for_selector(".auth-container:has-text('Logout')", timeout=30_000)
            page.click("button.btn-done")
            page.click("#operations-cases-openCase .opblock-summary")
            page.wait_for_selector("#operations-cases-openCase .opblock-description-wrapper")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "api-docs.png"), full_page=False)
            box = page.locator("#operations-cases-openCase").bounding_box()
            assert box is not None
            page.screenshot(  # the description and the zh-CN example body, not every answer
                path=str(SCREENSHOTS / "api-docs-open-case.png"),
                full_page=True,
                clip={"x": box["x"], "y": box["y"], "width": box["width"], "height": 720},
            )
        finally:
            browser.close()
    assert blocked == []


# -- 7: every documented request example works as it stands ----------------------------------


def test_every_request_example_of_the_document_is_accepted(http, stack, officer, colleague, login):
    """Each example body of /openapi.json, posted as it is to its route by the role the route
    is for, with path ids taken from objects made here: no 4xx. Only the bodies that hold a
    caller's own secret (NOT_AS_WRITTEN) get it filled in, and the date of service, which
    must not come before the document just issued."""
    doc = http.get("/openapi/all.json").json()
    examples = {
        op["operationId"]: (method, path, op["requestBody"]["content"]["application/json"])
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if "example" in op.get("requestBody", {}).get("content", {}).get("application/json", {})
    }
    tried: set[str] = set()
    admin, supervisor, reviewer = login("admin"), login("supervisor"), login("reviewer")

    def send(operation_id: str, caller=None, body=None, **ids) -> dict:
        method, template, media = examples[operation_id]
        path = template.format(**ids)
        payload = media["example"] if body is None else body
        if caller is None:
            r = http.request(method, path, json=payload)
        else:
            r = caller.http.request(method, path, json=payload, headers=caller.headers)
        assert r.status_code < 400, f"{operation_id}: {r.status_code} {r.text}"
        tried.add(operation_id)
        return r.json() if r.content else {}

    # Logging in: the example's password is a placeholder for the demo password.
    password = stack.secrets["demo_password"]
    pair = send("login", body={**examples["login"][2]["example"], "password": password})
    send("refreshToken", body={"refresh_token": pair["refresh_token"]})

    # A case from inspection to revocation, each step the example of its route.
    case_id = send("openCase", officer)["case_id"]
    send("transitionCase", officer, case_id=case_id)
    investigation = {"to": "investigation", "client_entry_id": cid()}
    write(officer, f"/v1/cases/{case_id}/transitions", investigation)
    send("appendEntry", officer, case_id=case_id)
    slot = send("requestEvidenceSlot", officer, case_id=case_id)
    assert httpx.put(slot["put_url"], content=EXAMPLE_FILE).status_code == 200
    send("confirmEvidence", officer, case_id=case_id, slot_id=slot["slot_id"])
    proposed = send("proposePenalty", officer, case_id=case_id)
    assert proposed["assessment"]["major"] is False
    wait_for(
        "the review's not-required answer",
        lambda: officer.get(f"/v1/cases/{case_id}").json()["review_status"] == "not-required",
    )
    write(officer, f"/v1/cases/{case_id}/transitions", {"to": "notice", "client_entry_id": cid()})
    send("decidePenalty", officer, case_id=case_id)
    send("revokePenalty", officer, case_id=case_id)
    # Its documents: an order, served and signed; the revoked (withdrawn) case's file.
    document = send("issueDocument", officer, case_id=case_id)
    # The example's date of service (送达) is fixed; the document was issued just now, and a
    # service cannot come before its document: the time is the one thing filled in.
    served = {**examples["recordService"][2]["example"], "served_at": document["issued_at"]}
    send("recordService", officer, body=served, document_id=document["document_id"])
    send("addSignature", officer, document_id=document["document_id"])
    send("assembleCaseFile", officer, case_id=case_id)

    # A major proposal in the reviewer's queue: extend its deadline, then approve it.
    major = open_case(officer, colleague)
    investigate(officer, major["case_id"])
    write(
        officer,
        f"/v1/cases/{major['case_id']}/penalty-proposals",
        {"client_entry_id": cid(), **MAJOR_PROPOSAL},
    )

    def queued():
        tasks = reviewer.get("/v1/reviews/mine").json()["tasks"]
        return next((t for t in tasks if t["case_id"] == major["case_id"]), None)

    review_id = wait_for("the review task", queued)["review_id"]
    send("assignReview", supervisor, review_id=review_id)
    send("extendReview", reviewer, review_id=review_id)
    # Referred to the collective meeting (集体讨论), it is decided with the meeting's record.
    send("referReviewToMeeting", reviewer, review_id=review_id)
    meeting = {"held_on": "2026-11-30", "participants": ["张局长", "李副局长", "王科长"],
               "minutes": "经集体讨论，同意法制审核意见。"}  # fmt: skip
    decided = send(
        "completeReview", reviewer, review_id=review_id,
        body={**examples["completeReview"][2]["example"], "meeting": meeting},
    )  # fmt: skip
    assert decided["meeting"]["participants"] == meeting["participants"]
    send("recordConflict", supervisor)

    # Overload: a roadside weighing over the limit (confirmed by the two officers on site), its
    # photo, the unloading.
    weighed = send("postRoadsideWeighing", officer)
    photo = send("requestWeighingPhotoSlot", officer, weighing_id=weighed["weighing_id"])
    assert photo["put_url"]
    send(
        "advanceInspection",
        officer,
        inspection_id=weighed["inspection"]["inspection_id"],
    )
    send("putStation", admin, station_id="station-example-01")

    # The weigh station and a gas detector post signed, as devices do.
    station = signed_post(
        http, stack, "wim-station-01", "/v1/stations/weighings",
        examples["postStationWeighing"][2]["example"],
    )  # fmt: skip
    assert station.status_code < 400, station.text
    tried.add("postStationWeighing")
    station_photo = signed_post(
        http, stack, "wim-station-01",
        f"/v1/stations/weighings/{station.json()['weighing_id']}/photos",
        examples["requestStationPhotoSlot"][2]["example"],
    )  # fmt: skip
    assert station_photo.status_code < 400, station_photo.text
    tried.add("requestStationPhotoSlot")
    gas = signed_post(
        http, stack, "gas-det-0001", "/v1/gas/device-events",
        examples["postGasDeviceEvents"][2]["example"],
    )  # fmt: skip
    assert gas.status_code < 400, gas.text
    tried.add("postGasDeviceEvents")

    # The agency's admin: a venue, a detector and its credentials, an account.
    send("putGasVenue", admin, venue_id="venue-example-01")
    send("putGasDevice", admin, device_id="gas-det-example-01")
    send("provisionDevice", admin, device_id="gas-det-example-01")
    user = send("createUser", admin)
    send("changeUser", admin, user_id=user["user_id"])

    # The new account changes its password: the example's current one is a placeholder.
    own = user["temporary_password"]
    token = http.post("/v1/auth/login", json={"username": "officer9", "password": own})
    r = http.post(
        "/v1/auth/password",
        json={**examples["changeOwnPassword"][2]["example"], "current_password": own},
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert r.status_code < 400, r.text
    tried.add("changeOwnPassword")

    # A referral exists only after a confirmed 超载 the agency may not fine: the example is
    # checked as a valid body (the id is unknown, so 404 and not 422).
    method, template, media = examples["acknowledgeOverloadReferral"]
    r = officer.http.request(
        method, template.format(referral_id="ref-unknown"), json=media["example"],
        headers=officer.headers,
    )  # fmt: skip
    assert r.status_code == 404, r.text
    tried.add("acknowledgeOverloadReferral")
    send("enterCalendarYear", admin)

    # Hazard sources: a unit and its sensor, the sensor's secret, signed readings, an alarm
    # handled (消警) after an excursion.
    send("putHazardUnit", admin, unit_id="cl-tank-example-01")
    send("putHazardSensor", admin, sensor_id="cl-pt-example-01")
    issued = admin.http.post(
        "/v1/devices/cl-pt-example-01/credentials",
        json={"kind": "hazard_sensor", "owner_id": "cl-tank-example-01"},
        headers=admin.headers,
    )
    assert issued.status_code == 201, issued.text
    sensor = HttpDevice(http, "cl-pt-example-01", issued.json()["secret"])
    r = sensor.post("/v1/hazard-sources/readings", examples["postHazardReadings"][2]["example"])
    assert r.status_code < 400, r.text
    tried.add("postHazardReadings")
    excursion = {"readings": [{"seq": 3, "value": 1.7}, {"seq": 4, "value": 1.75}]}
    assert sensor.post("/v1/hazard-sources/readings", excursion).json()["alarms"] >= 1
    alarms = officer.get("/v1/hazard-sources/alarms", params={"unit_id": "cl-tank-example-01"})
    send("handleHazardAlarm", officer, alarm_id=alarms.json()["alarms"][0]["alarm_id"])
    # Hazards: a public report verified into a hazard; another hazard from registration to
    # closure; an overdue order's warning; the enterprise's one-time link.
    send("submitHazardReport")
    what = examples["submitHazardReport"][2]["example"]["what"]
    reports = officer.get("/v1/hazard-reports").json()["reports"]
    report_id = next(r["report_id"] for r in reports if r["what"] == what)
    reported = send("verifyHazardReport", officer, report_id=report_id)["hazard_id"]
    registered = send("registerHazard", officer)
    hazard_id = registered["hazard"]["hazard_id"]
    # The example's photo id is a placeholder: the one just declared is renewed.
    photo_ids = [s["photo_id"] for s in registered["photo_uploads"]]
    renewed = send(
        "renewHazardPhotoUploads", officer, {"photo_ids": photo_ids}, hazard_id=hazard_id
    )
    assert [s["photo_id"] for s in renewed["photo_uploads"]] == photo_ids
    send("gradeHazard", officer, hazard_id=hazard_id)
    send("superviseHazard", supervisor, hazard_id=hazard_id)
    send("orderRectification", officer, hazard_id=hazard_id)
    send("reportRectification", officer, hazard_id=hazard_id)
    send("reinspectHazard", officer, hazard_id=hazard_id)
    send("reviewSupervisedHazard", supervisor, hazard_id=hazard_id)
    order = {**examples["orderRectification"][2]["example"], "deadline_working_days": 3,
             "issued_on": (date.today() - timedelta(days=25)).isoformat()}  # fmt: skip
    write(officer, f"/v1/hazards/{reported}/order", order, expect=200)
    send("escalateHazard", officer, hazard_id=reported)
    token = write(officer, f"/v1/hazards/{reported}/rectification-link", {})["token"]
    send("reportRectificationByLink", token=token)
    # No fine was decided for the report's hazard yet: the reward's bodies are checked as
    # valid (409 for the state, not 422).
    for operation_id in ("computeReportReward", "payReportReward"):
        method, template, media = examples[operation_id]
        r = officer.http.request(
            method, template.format(report_id=report_id), json=media["example"],
            headers=(supervisor if operation_id == "payReportReward" else officer).headers,
        )  # fmt: skip
        assert r.status_code == 409, r.text
        tried.add(operation_id)

    assert set(examples) - tried == set()
