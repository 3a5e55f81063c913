"""Hazards end to end on one embedded stack, each step checked through the API (issue 18):
a public report, verified into a major hazard, a missed deadline escalated 警示 → 约谈 → 督办
→ a records case, the enterprise a joint-punishment candidate, rectified through its
one-time link, re-inspected and closed after the supervising office's review, and the reward
computed from the fine the case imposed. Then a gas and an overload event, each delivered
twice, register one hazard each."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from kafka import KafkaProducer

from deploy.stack import Stack, free_ports
from enforcement.gas.v1 import gas_events_pb2
from enforcement.overload.v1 import overload_events_pb2
from services.chassis.events import build_event, utcnow
from services.chassis.workdays import china_date

pytestmark = pytest.mark.e2e

CODE = "914403001922038216"
PHOTO = "整改前照片: 罐区液化烃储罐未设注水措施".encode()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("HAZARDS_SWEEP_INTERVAL_S", "1")  # deadlines looked at every second here
    s = Stack(tmp_path_factory.mktemp("hazards-stack") / "var", free_ports())
    try:
        s.start(ready_timeout=150)
        yield s
    finally:
        s.stop()
        mp.undo()


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=20) as client:
        yield client


def login(http, stack, username) -> dict:
    r = http.post(
        "/v1/auth/login", json={"username": username, "password": stack.secrets["demo_password"]}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def ok(r: httpx.Response, status: int = 200) -> dict:
    assert r.status_code == status, r.text
    return r.json()


def wait_for(what: str, fn, timeout_s: float = 60):
    deadline = time.monotonic() + timeout_s
    while True:
        got = fn()
        if got:
            return got
        assert time.monotonic() < deadline, f"waited in vain for {what}"
        time.sleep(0.5)


def days_ago(n: int) -> str:
    return (china_date(utcnow()) - timedelta(days=n)).isoformat()


def photo() -> dict:
    return {
        "sha256": hashlib.sha256(PHOTO).hexdigest(),
        "size": len(PHOTO),
        "media_type": "image/jpeg",
    }


def test_a_public_report_becomes_a_major_hazard_escalated_to_a_case_then_closed(http, stack):
    # 1. A citizen reports, with a photo and a phone, and gets a tracking code.
    sent = ok(
        http.post(
            "/v1/public/hazard-reports",
            json={
                "what": "化工厂罐区液化烃储罐没有注水设施, 多次闻到异味",
                "where": "薛家镇富民路88号罐区",
                "town": "薛家镇",
                "enterprise_name": "常州某化工有限公司",
                "name": "张三",
                "phone": "13800000000",
                "photos": [photo()],
            },
        ),
        201,
    )
    code = sent["tracking_code"]
    assert httpx.put(sent["photo_uploads"][0]["put_url"], content=PHOTO).status_code == 200
    assert ok(http.get(f"/v1/public/hazard-reports/{code}"))["status"] == "received"
    assert "13800000000" not in (stack.logs / "gateway.log").read_text()

    # 2. An officer verifies it; only the handler sees who reported.
    officer = login(http, stack, "officer1")
    supervisor = login(http, stack, "supervisor")
    listed = ok(http.get("/v1/hazard-reports", headers=officer))["reports"]
    report = next(r for r in listed if r["what"].startswith("化工厂罐区"))
    assert "reporter" not in report and report["has_reporter_identity"]
    rid = report["report_id"]
    assert ok(http.get(f"/v1/hazard-reports/{rid}", headers=officer))["reporter"]["phone"] == (
        "13800000000"
    )
    verified = ok(
        http.post(
            f"/v1/hazard-reports/{rid}/verification",
            headers=officer,
            json={
                "valid": True,
                "opinion": "现场核查属实",
                "matter": "major-hazard",
                "hazard": {
                    "client_id": f"verify-{uuid.uuid4()}",
                    "credit_code": CODE,
                    "enterprise_name": "常州某化工有限公司",
                    "sector": "hazardous-chemicals",
                    "town": "薛家镇",
                    "kind": "全压力式液化烃储罐未设注水措施",
                    "location": "薛家镇富民路88号罐区",
                    "criteria": ["hc-6"],
                    "department": "区应急管理局危化科",
                },
            },
        )
    )
    assert verified["status"] == "verified" and verified["reward_eligible"] is True
    hid = verified["hazard_id"]

    # 3. It is a major hazard, by the criterion named; 挂牌督办 with the plan published.
    hazard = ok(http.get(f"/v1/hazards/{hid}", headers=officer))
    assert hazard["grade"] == "major" and "第(六)项" in hazard["grading"]["reason"]
    assert hazard["responsibility"]["department"] == "区应急管理局危化科"
    ok(
        http.post(
            f"/v1/hazards/{hid}/supervision",
            headers=supervisor,
            json={
                "office": "常州市新北区安全生产委员会办公室",
                "plan": "停用储罐, 增设注水设施后验收",
                "deadline_working_days": 5,
                "issued_on": days_ago(25),
            },
        )
    )
    public = ok(http.get("/v1/public/hazards/major"))["hazards"]
    assert any(h["hazard_no"] == hazard["hazard_no"] and "注水" in h["plan"] for h in public)
    assert "张三" not in str(public)

    # 4. The order was served weeks ago with 3 working days: the deadline slipped.
    ordered = ok(
        http.post(
            f"/v1/hazards/{hid}/order",
            headers=officer,
            json={
                "responsible_person": "王经理",
                "measures": "增设注水设施",
                "funds_yuan": 80000,
                "deadline_working_days": 3,
                "contingency_plan": "储罐停用, 专人巡查",
                "issued_on": days_ago(25),
            },
        )
    )
    assert ordered["overdue"] and ordered["step_due"] == "warning"
    overdue = ok(http.get("/v1/hazards/overdue", headers=officer))["hazards"]
    assert hid in [h["hazard_id"] for h in overdue]

    # 5. 警示, 约谈 with its minutes, 督办 notice (itself already past).
    def step(body: dict, status: int = 200) -> dict:
        return ok(http.post(f"/v1/hazards/{hid}/escalations", headers=officer, json=body), status)

    assert step({"step": "summons", "minutes": "x" * 30}, 422)  # out of order
    step({"step": "warning"})
    step({"step": "summons", "minutes": "企业负责人王经理到场约谈, 承诺三个工作日内完成整改"})
    step({"step": "notice", "deadline_working_days": 2, "issued_on": days_ago(20)})

    # 6. The case: records makes the task, an officer opens the case from it.
    step({"step": "case"})
    task = wait_for(
        "the records task",
        lambda: next(
            (
                t
                for t in ok(http.get("/v1/tasks", headers=officer))["tasks"]
                if t.get("source_ref") == hid or hazard["hazard_no"] in t["title"]
            ),
            None,
        ),
    )
    _, colleague = None, ok(http.get("/v1/auth/me", headers=login(http, stack, "officer2")))
    case = ok(
        http.post(
            "/v1/cases",
            headers=officer,
            json={
                "client_case_id": f"hz-{uuid.uuid4()}",
                "task_id": task["task_id"],
                "domain": "hazardous-chemicals",
                "title": task["title"][:200],
                "party": {
                    "kind": "organization",
                    "name": "常州某化工有限公司",
                    "credit_code": CODE,
                    "legal_representative": "周建国",
                },
                "co_officer_ids": [colleague["user_id"]],
            },
        ),
        201,
    )
    path = f"/v1/cases/{case['case_id']}"
    for stage in ("filing", "investigation"):
        ok(
            http.post(
                f"{path}/transitions",
                headers=officer,
                json={"to": stage, "client_entry_id": str(uuid.uuid4())},
            ),
            201,
        )
    ok(
        http.post(
            f"{path}/penalty-proposals",
            headers=officer,
            json={
                "client_entry_id": str(uuid.uuid4()),
                "kinds": ["fine"],
                "fine_yuan": 30000,
                "legal_basis": ["《中华人民共和国安全生产法》第一百零二条"],
                "facts": "经警示、约谈、督办, 逾期仍未消除重大事故隐患",
                "discretion": {
                    "benchmark_id": "aq-102-hidden-danger",
                    "violation_type": "hidden-danger-unrectified",
                    "circumstance": "ordinary",
                },
            },
        ),
        201,
    )
    wait_for(
        "the review's not-required answer",
        lambda: ok(http.get(path, headers=officer))["review_status"] == "not-required",
    )
    ok(
        http.post(
            f"{path}/transitions",
            headers=officer,
            json={"to": "notice", "client_entry_id": str(uuid.uuid4())},
        ),
        201,
    )
    ok(
        http.post(
            f"{path}/decision",
            headers=officer,
            json={
                "client_entry_id": str(uuid.uuid4()),
                "decision_text": "罚款人民币叁万元整",
                "legal_representative": "周建国",
            },
        ),
        201,
    )

    # 7. Past its 挂牌督办 deadline: disclosure lists the enterprise, with the reason.
    listed = wait_for(
        "the joint-punishment listing",
        lambda: [
            e
            for e in ok(http.get(f"/v1/joint-punishment/{CODE}", headers=officer)).get(
                "entries", []
            )
            if hazard["hazard_no"] in e.get("reason", "")
        ],
    )
    assert "挂牌督办" in listed[0]["reason"]

    # 8. Rectified through the one-time link, re-inspected, reviewed by the office, closed.
    link = ok(http.post(f"/v1/hazards/{hid}/rectification-link", headers=officer), 201)
    token = link["token"]
    assert ok(http.get(f"/v1/public/rectify/{token}"))["hazard_no"] == hazard["hazard_no"]
    assert http.get(f"/rectify/{token}").status_code == 200
    done = ok(
        http.post(
            f"/v1/public/rectify/{token}",
            json={"summary": "已增设注水设施并验收", "photos": [photo()]},
        )
    )
    assert httpx.put(done["photo_uploads"][0]["put_url"], content=PHOTO).status_code == 200
    assert (
        http.post(
            f"/v1/public/rectify/{token}", json={"summary": "再次提交", "photos": [photo()]}
        ).status_code
        == 404
    )
    again = ok(
        http.post(
            f"/v1/hazards/{hid}/reinspection",
            headers=officer,
            json={"passed": True, "opinion": "复查合格"},
        )
    )
    assert again["status"] == "awaiting-review"
    closed = ok(
        http.post(
            f"/v1/hazards/{hid}/supervision-review",
            headers=supervisor,
            json={"approved": True, "opinion": "同意销号"},
        )
    )
    assert closed["status"] == "closed"
    assert ok(http.get(f"/v1/public/hazard-reports/{code}"))["status"] == "closed"

    # 9. The reward: 15 % of the 30,000 yuan fine the case imposed; then its payment.
    wait_for(
        "the fine from the decision",
        lambda: ok(http.get(f"/v1/hazards/{hid}", headers=officer))["fine_yuan"] == 30000,
    )
    rewarded = ok(http.post(f"/v1/hazard-reports/{rid}/reward", headers=officer, json={}))
    assert rewarded["reward_yuan"] == 4500 and "15%" in rewarded["reward_rule"]
    ok(
        http.post(
            f"/v1/hazard-reports/{rid}/reward-payment",
            headers=supervisor,
            json={"voucher": "JL-2026-001"},
        )
    )
    status = ok(http.get(f"/v1/public/hazard-reports/{code}"))
    assert status["reward_yuan"] == 4500 and status["reward_paid"] is True

    # The views: the ledger, the stats.
    ledger = ok(http.get("/v1/hazards/ledger", params={"by": "enterprise"}, headers=officer))
    assert any(g["key"] == CODE and g["closed"] >= 1 for g in ledger["groups"])
    stats = ok(http.get("/v1/hazards/stats", headers=supervisor))
    assert any(s["key"] == "hazardous-chemicals" for s in stats["by_sector"])
    for name in ("gateway", "hazards"):
        assert "13800000000" not in (stack.logs / f"{name}.log").read_text()


def test_a_gas_and_an_overload_event_each_register_one_hazard(http, stack):
    producer = KafkaProducer(bootstrap_servers=stack.kafka.bootstrap)
    venue = gas_events_pb2.VenueUnprotected(
        venue_id=f"venue-{uuid.uuid4()}",
        venue_name="老街面馆e2e",
        venue_credit_code=CODE,
        agency_id="xinbei-yjj",
        town="薛家镇",
        address="薛家镇e2e路1号",
        reasons=["offline"],
    )
    venue.since.seconds = 1000
    gas = build_event(
        topic="gas.venue-unprotected.v1", aggregate_id=venue.venue_id, payload=venue, producer="e2e"
    )
    events = [("gas.venue-unprotected.v1", gas.payload)] * 2  # delivered twice
    source = f"砂石场e2e-{uuid.uuid4().hex[:6]}"
    for n in range(4):
        v = overload_events_pb2.ViolationConfirmed(
            weighing_id=f"w-{uuid.uuid4()}",
            agency_id="xinbei-yjj",
            town="罗溪镇",
            plate="苏D12345",
            loading_source=overload_events_pb2.Party(name=source, credit_code=CODE),
        )
        v.confirmed_at.FromDatetime(utcnow())
        e = build_event(
            topic="overload.violation-confirmed.v1",
            aggregate_id=v.weighing_id,
            payload=v,
            producer="e2e",
        )
        events += [("overload.violation-confirmed.v1", e.payload)] * (2 if n == 3 else 1)
    for topic, value in events:
        producer.send(topic, value=value, key=b"e2e")
    producer.flush()
    producer.close()
    officer = login(http, stack, "officer1")

    def mine(source_name: str):
        rows = ok(http.get("/v1/hazards", params={"source": source_name}, headers=officer))
        return rows["hazards"]

    gas_hazards = wait_for(
        "the gas hazard",
        lambda: [h for h in mine("gas-unprotected") if h["enterprise_name"] == "老街面馆e2e"],
    )
    officer3 = login(http, stack, "supervisor")
    loading = wait_for(
        "the loading-source hazard",
        lambda: [
            h
            for h in ok(
                http.get("/v1/hazards", params={"source": "loading-source"}, headers=officer3)
            )["hazards"]
            if h["enterprise_name"] == source
        ],
    )
    time.sleep(3)  # the redeliveries have had their chance
    assert len([h for h in mine("gas-unprotected") if h["enterprise_name"] == "老街面馆e2e"]) == 1
    detail = ok(http.get(f"/v1/hazards/{loading[0]['hazard_id']}", headers=officer3))
    assert len(loading) == 1 and [f["role"] for f in detail["findings"]] == ["registered", "linked"]
    assert gas_hazards[0]["sector"] == "town-gas"


def test_the_public_report_and_rectification_pages_work_on_a_phone(http, stack, tmp_path):
    """In Chromium at 360x640: a citizen reports with a photo and looks the report up by its
    code; an enterprise reports its rectification through its one-time link."""
    from playwright.sync_api import expect

    from tests.e2e.webapp_support import REPO, chromium

    shots = REPO / "var" / "test-artifacts"  # docs/img/hazards-*.png are copies of these
    shots.mkdir(parents=True, exist_ok=True)
    picture = tmp_path / "scene.png"
    picture.write_bytes((REPO / "docs" / "img" / "overload-chart.png").read_bytes())
    officer = login(http, stack, "officer1")
    hazard = ok(http.post("/v1/hazards", headers=officer, json={
        "client_id": f"page-{uuid.uuid4()}", "credit_code": CODE,
        "enterprise_name": "常州某餐饮管理有限公司", "sector": "town-gas", "town": "薛家镇",
        "kind": "燃气管道穿越卧室", "location": "薛家镇富民路12号",
    }), 201)["hazard"]  # fmt: skip
    ok(http.post(f"/v1/hazards/{hazard['hazard_id']}/order", headers=officer, json={
        "responsible_person": "李店长", "measures": "改管并加装报警器", "funds_yuan": 3000,
        "deadline_working_days": 5, "contingency_plan": "改管前停止使用燃气",
    }))  # fmt: skip
    token = ok(http.post(f"/v1/hazards/{hazard['hazard_id']}/rectification-link",
                         headers=officer), 201)["token"]  # fmt: skip
    with chromium() as browser:
        page = browser.new_context(
            viewport={"width": 360, "height": 640}, locale="zh-CN", base_url=stack.gateway_url
        ).new_page()
        page.goto("/report")
        page.fill("textarea[name=what]", "饭店后厨燃气管老化, 常闻到燃气味")
        page.fill("input[name=where]", "薛家镇富民路12号")
        page.fill("input[name=town]", "薛家镇")
        page.set_input_files("input[name=photos]", str(picture))
        page.fill("input[name=phone]", "13900000000")
        page.get_by_role("button", name="提交举报").click()
        expect(page.locator("#out")).to_contain_text("查询码", timeout=30_000)
        page.screenshot(path=str(shots / "hazards-report.png"), full_page=True)
        code = page.locator("#out").inner_text().split("查询码: ")[1].split(" ")[0]
        page.fill("input[name=code]", code)
        page.get_by_role("button", name="查询进度").click()
        expect(page.locator("#out")).to_contain_text("已受理")

        page.goto(f"/rectify/{token}")
        expect(page.locator("#hazard")).to_contain_text(hazard["hazard_no"])
        page.fill("textarea[name=summary]", "已改管, 加装可燃气体报警器")
        page.set_input_files("input[name=photos]", str(picture))
        page.screenshot(path=str(shots / "hazards-rectify.png"), full_page=True)
        page.get_by_role("button", name="提交整改报告").click()
        expect(page.locator("#out")).to_contain_text("等待复查", timeout=30_000)
    assert ok(http.get(f"/v1/hazards/{hazard['hazard_id']}", headers=officer))["status"] == (
        "reported"
    )
    reports = ok(http.get("/v1/hazard-reports", headers=officer))["reports"]
    mine = next(r for r in reports if r["what"].startswith("饭店后厨燃气管老化"))
    assert len(mine["photos"]) == 1 and "reporter" not in mine
