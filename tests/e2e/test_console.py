"""The desk console (web/console) in Debian's Chromium against the embedded stack: a legal
reviewer opens a major penalty proposal made through the API, ticks the checklist item by
item, takes it to the collective meeting and approves it, and the API then says approved;
the other roles' screens open with their data, a supervisor follows the charts to their
lists and exports them, an admin issues a device secret from the device list. Screenshots
of each screen go to var/test-artifacts/console-*.png."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from deploy.stack import Stack
from gateway.security.device_signing import signed_headers
from tests.e2e.webapp_support import REPO, chromium, stack_serving

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO / "var" / "test-artifacts"
DESK = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}
CHECKLIST = (
    "subject", "powers", "facts", "evidence", "procedure",
    "legal-basis", "discretion", "documents", "criminal-referral",
)  # fmt: skip
# A loaded 2-core machine answers a login (argon2) in seconds, not milliseconds.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with stack_serving("console", tmp_path_factory.mktemp("console") / "var") as s:
        yield s


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def new_page(browser, stack: Stack, viewport: dict) -> Page:
    context = browser.new_context(
        viewport=viewport, device_scale_factor=1, locale="zh-CN", base_url=stack.gateway_url
    )
    return context.new_page()


def api_login(http, stack: Stack, username: str) -> dict:
    r = http.post(
        "/v1/auth/login", json={"username": username, "password": stack.secrets["demo_password"]}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def post(http, path: str, headers: dict, body: dict, expect_status: int = 201) -> dict:
    r = http.post(path, json=body, headers=headers)
    assert r.status_code == expect_status, r.text
    return r.json()


def cid() -> str:
    return str(uuid.uuid4())


def shot(page: Page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=full_page)


def log_in(page: Page, stack: Stack, username: str, name: str | None = None) -> None:
    page.goto("/console/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", stack.secrets["demo_password"])
    if name:
        shot(page, name)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name=re.compile("^退出"))).to_be_visible()


def a_major_proposal(http, stack: Stack, title: str) -> str:
    """An officer opens a case, files it, investigates with a photo and proposes a fine of
    150,000 yuan to an organisation (major: over 100,000). Returns the case id."""
    officer, case_id = an_investigated_case(http, stack, title)
    propose(http, officer, case_id, "未按规定安装使用燃气泄漏报警和紧急切断装置")
    return case_id


def a_decided_case(http, stack: Stack, title: str) -> str:
    """A minor case (a 5,000-yuan fine needs no legal review) decided: the disclosure service
    publishes it. Returns the case id."""
    officer, case_id = an_investigated_case(http, stack, title)
    path = f"/v1/cases/{case_id}"
    post(
        http,
        f"{path}/penalty-proposals",
        officer,
        {
            "client_entry_id": cid(), "kinds": ["warning", "fine"], "fine_yuan": 5000,
            "legal_basis": ["《中华人民共和国安全生产法》第九十九条第一项"],
            "facts": "餐饮经营场所未按国家标准安装可燃气体报警装置。",
            "discretion": {"benchmark_id": "aq-99-safety-equipment", "circumstance": "minor"},
        },
    )  # fmt: skip
    review_status(http, officer, case_id, "not-required")
    post(http, f"{path}/transitions", officer, {"to": "notice", "client_entry_id": cid()})
    post(
        http,
        f"{path}/decision",
        officer,
        {"client_entry_id": cid(), "decision_text": "给予警告，并处罚款人民币伍仟元整。",
         "legal_representative": "周建国"},
    )  # fmt: skip
    return case_id


def an_investigated_case(http, stack: Stack, title: str) -> tuple[dict, str]:
    """An officer's case, filed and under investigation with a note and a photo."""
    officer = api_login(http, stack, "officer1")
    case = post(
        http,
        "/v1/cases",
        officer,
        {
            "client_case_id": cid(),
            "domain": "gas",
            "title": title,
            "party": {
                "kind": "organization",
                "name": "常州某餐饮管理有限公司",
                "credit_code": "914403001922038216",
                "legal_representative": "周建国",
            },
            "co_officer_ids": ["u-officer2"],
        },
    )
    path = f"/v1/cases/{case['case_id']}"
    post(http, f"{path}/transitions", officer, {"to": "filing", "client_entry_id": cid()})
    post(http, f"{path}/transitions", officer, {"to": "investigation", "client_entry_id": cid()})
    post(
        http,
        f"{path}/entries",
        officer,
        {
            "client_entry_id": cid(),
            "kind": "note",
            "payload": {"text": "后厨燃气报警器未接入紧急切断阀"},
        },
    )
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 60, 40)).save(buffer, "JPEG", quality=80)
    photo = buffer.getvalue()
    slot = post(
        http,
        f"{path}/evidence-slots",
        officer,
        {
            "client_slot_id": cid(),
            "sha256": hashlib.sha256(photo).hexdigest(),
            "size": len(photo),
            "media_type": "image/jpeg",
            "filename": "kitchen.jpg",
        },
    )
    assert httpx.put(slot["put_url"], content=photo).status_code == 200
    post(
        http,
        f"{path}/evidence-slots/{slot['slot_id']}/confirm",
        officer,
        {"client_entry_id": cid(), "caption": "后厨燃气管道现场照片"},
    )
    return officer, case["case_id"]


def propose(http, officer: dict, case_id: str, facts: str) -> None:
    proposed = post(
        http,
        f"/v1/cases/{case_id}/penalty-proposals",
        officer,
        {
            "client_entry_id": cid(),
            "kinds": ["fine"],
            "fine_yuan": 150000,
            "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
            "facts": facts,
            "discretion": {"benchmark_id": "aq-99-safety-equipment", "circumstance": "serious"},
        },
    )
    assert proposed["case"]["review_status"] == "pending"


def review_of(http, reviewer: dict, case_id: str, round_: int = 1, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        r = http.get("/v1/reviews/mine", params={"open_only": "false"}, headers=reviewer)
        assert r.status_code == 200, r.text
        found = [t for t in r.json()["tasks"] if t["case_id"] == case_id and t["round"] == round_]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"round {round_} never reached the reviewer"
        time.sleep(0.5)


def settle(page: Page) -> None:
    """No loading mask left on the screen."""
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.el-loading-mask')]"
        ".some((e) => e.offsetParent !== null)"
    )


def review_status(http, officer: dict, case_id: str, want: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while http.get(f"/v1/cases/{case_id}", headers=officer).json()["review_status"] != want:
        assert time.monotonic() < deadline, f"records never heard the review's {want}"
        time.sleep(0.5)


def work_the_checklist(page: Page, failed: dict[str, str], outcome: str, opinion: str) -> None:
    for item in CHECKLIST:
        row = page.locator(f"tr[data-item='{item}']")
        if item in failed:
            row.get_by_text("不通过", exact=True).click()
            row.locator("input.el-input__inner").fill(failed[item])
        else:
            row.get_by_text("通过", exact=True).click()
    page.locator(".el-radio-button", has_text=re.compile(f"^{outcome}$")).click()
    page.fill("textarea[name=opinion]", opinion)


def test_a_reviewer_returns_then_approves_a_major_proposal(browser, http, stack):
    title = f"燃气安全检查 {uuid.uuid4().hex[:6]}"
    case_id = a_major_proposal(http, stack, title)
    reviewer = api_login(http, stack, "reviewer")
    officer = api_login(http, stack, "officer1")
    first = review_of(http, reviewer, case_id)  # also registers the reviewer, who gets it
    assert first["status"] == "assigned", first

    page = new_page(browser, stack, DESK)
    log_in(page, stack, "reviewer", "login")
    expect(page.get_by_text(title)).to_be_visible()
    expect(page.get_by_role("menuitem", name="法制审核")).to_be_visible()
    expect(page.get_by_role("menuitem", name="账号管理")).to_have_count(0)
    expect(page.locator(".el-table__row", has_text=title)).to_contain_text("个工作日")
    settle(page)
    shot(page, "review-queue")

    # Round 1: the evidence falls short; returned for correction.
    page.get_by_role("link", name=title).click()
    expect(page.get_by_text("审核清单")).to_be_visible()
    expect(page.get_by_text("对法人或其他组织罚款超过 100,000 元").first).to_be_visible()
    expect(page.locator("img[alt='kitchen.jpg']")).to_be_visible()
    # Officers by name and certificate, the party by its credit code, not by ids.
    expect(page.locator("[data-officers]")).to_contain_text("张伟（执法证号 32041120001）")
    expect(page.locator("[data-credit-code]")).to_have_text("914403001922038216")
    submit = page.get_by_role("button", name="提交审核意见")
    expect(submit).to_be_disabled()
    settle(page)
    shot(page, "review-file", full_page=True)
    work_the_checklist(
        page,
        {"evidence": "缺少报警装置未接入切断阀的检测记录"},
        "退回补正",
        "请补充检测记录后重新报送。",
    )
    expect(submit).to_be_enabled()
    submit.click()
    page.locator(".el-message-box").get_by_role("button", name="提交").click()
    expect(page.get_by_text("已退回").first).to_be_visible()
    returned = http.get(f"/v1/reviews/{first['review_id']}", headers=reviewer).json()["task"]
    assert returned["status"] == "returned"
    assert [i["item"] for i in returned["checklist"] if not i["passed"]] == ["evidence"]

    # The officer corrects and proposes again; round 2 reaches the same queue.
    review_status(http, officer, case_id, "returned")
    propose(http, officer, case_id, "未按规定安装使用燃气泄漏报警和紧急切断装置（附检测记录）")
    second = review_of(http, reviewer, case_id, round_=2)

    page.goto(f"/console/reviews/{second['review_id']}")
    expect(page.get_by_text("此前各轮审核")).to_be_visible()
    expect(page.get_by_text("缺少报警装置未接入切断阀的检测记录")).to_be_visible()
    # Once, by 3 working days, with a reason.
    page.get_by_role("button", name="申请延期（3 个工作日）").click()
    box = page.locator(".el-message-box")
    box.locator("input").fill("需调取燃气公司的检测记录")
    box.get_by_role("button", name="申请延期").click()
    expect(page.get_by_text("已延期：需调取燃气公司的检测记录")).to_be_visible()
    expect(page.get_by_role("button", name="申请延期（3 个工作日）")).to_have_count(0)
    extended = http.get(f"/v1/reviews/{second['review_id']}", headers=reviewer).json()["task"]
    assert extended["extended"] and extended["due_date"] > second["due_date"]
    # A dispute over the discretion goes to the collective meeting (集体讨论).
    page.get_by_role("button", name="提交集体讨论").click()
    box = page.locator(".el-message-box")
    box.locator("input").fill("对裁量幅度存在分歧")
    box.get_by_role("button", name="提交集体讨论").click()
    expect(page.get_by_text("已提交集体讨论：对裁量幅度存在分歧")).to_be_visible()
    opinion = "经审核，案件事实清楚，证据确凿，程序合法，裁量适当，同意处罚。"
    work_the_checklist(page, {}, "同意", opinion)
    expect(submit).to_be_disabled()  # the meeting's record is still missing
    page.locator(".el-date-editor input").fill(china_today(http, stack))
    page.keyboard.press("Enter")
    page.fill("input[name=participants]", "张局长、李副局长、王科长")
    page.fill("textarea[name=minutes]", "经集体讨论，裁量幅度适当，同意法制审核意见。")
    expect(submit).to_be_enabled()
    shot(page, "review-checklist", full_page=True)
    submit.click()
    page.locator(".el-message-box").get_by_role("button", name="提交").click()
    expect(page.get_by_text("已同意").first).to_be_visible()
    expect(submit).to_have_count(0)

    # The opinion (审核意见书) as the browser prints it.
    page.emulate_media(media="print")
    expect(page.get_by_text("重大行政执法决定法制审核意见书")).to_be_visible()
    shot(page, "review-opinion-print", full_page=True)
    page.context.close()

    done = http.get(f"/v1/reviews/{second['review_id']}", headers=reviewer).json()["task"]
    assert done["status"] == "approved"
    assert [i["item"] for i in done["checklist"]] == list(CHECKLIST)
    assert all(i["passed"] for i in done["checklist"])
    assert "同意处罚" in done["opinion"]
    assert done["meeting"]["participants"] == ["张局长", "李副局长", "王科长"]
    review_status(http, officer, case_id, "approved")


def china_today(http, stack: Stack) -> str:
    """Today in China, as the calendar answers it (supervisors may read it)."""
    r = http.get("/v1/calendar", headers=api_login(http, stack, "supervisor"))
    return r.json()["today"]


def gas_leak(http, stack: Stack, device_id: str, lel: float = 31) -> None:
    """Two readings over the first threshold from a seeded detector: an alarm."""
    base = int(time.time() * 1000)
    device_posts(
        http, stack, device_id,
        [{"seq": base, "type": "reading", "lel": lel - 5},
         {"seq": base + 1, "type": "reading", "lel": lel}],
    )  # fmt: skip


def valve_closes(http, stack: Stack, device_id: str) -> None:
    """The seeded valve answers its close command: closed (else the alarm turns critical)."""
    base = int(time.time() * 1000)
    device_posts(
        http, stack, device_id,
        [{"seq": base, "type": "heartbeat"},
         {"seq": base + 1, "type": "valve", "valve_state": "closed"}],
    )  # fmt: skip


def device_posts(http, stack: Stack, device_id: str, events: list[dict]) -> None:
    devices = json.loads((stack.var / "demo-devices.json").read_text())
    raw = json.dumps({"events": events}).encode()
    headers = signed_headers(
        device_id, devices[device_id]["secret"], "POST", "/v1/gas/device-events", raw
    )
    r = http.post(
        "/v1/gas/device-events",
        content=raw,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text


def test_an_owner_sees_their_alarm_and_nothing_of_another_venue(browser, http, stack):
    gas_leak(http, stack, "gas-det-0001")  # 老街面馆, the owner's venue
    valve_closes(http, stack, "gas-valve-0001")
    gas_leak(http, stack, "gas-det-0002", lel=55)  # another venue, in another town
    valve_closes(http, stack, "gas-valve-0002")
    page = new_page(browser, stack, PHONE)
    log_in(page, stack, "owner1")
    expect(page.get_by_text("正在报警").first).to_be_visible()
    expect(page.locator(".alarm")).to_have_count(1)
    expect(page.get_by_text("报警时怎么办")).to_be_visible()
    expect(page.locator(".el-menu")).to_have_count(0)
    # Their detector and valve with state and last seen; the other venue's are not there.
    expect(page.locator(".device", has_text="gas-det-0001")).to_contain_text("最后上报")
    expect(page.locator(".device", has_text="gas-valve-0001")).to_contain_text("阀门已关闭")
    expect(page.locator(".command").first).to_contain_text("阀门已确认关闭")
    expect(page.locator(".device", has_text="gas-det-0002")).to_have_count(0)
    settle(page)
    shot(page, "owner")
    shot(page, "owner-full", full_page=True)
    page.goto("/console/dashboard")  # a deep link to a screen the owner may not use
    expect(page).to_have_url(re.compile(r"/console/venue$"))
    page.context.close()


def test_a_supervisor_sees_an_alarm_live_and_follows_the_dashboard_to_its_list(
    browser, http, stack
):
    supervisor = api_login(http, stack, "supervisor")
    page = new_page(browser, stack, DESK)
    log_in(page, stack, "supervisor")
    expect(page.get_by_text("各环节案件")).to_be_visible()
    # No arrangement entered past the package's years (2026): the supervisor is told so.
    expect(page.get_by_text(re.compile(r"\d{4}年国务院节假日安排尚未录入"))).to_be_visible()
    expect(page.get_by_role("menuitem", name="法制审核")).to_have_count(0)
    expect(page.locator("canvas").first).to_be_visible()
    alarm = page.locator(".alarms .el-table__row", has_text="老街面馆")
    expect(alarm).to_contain_text("1 级")
    settle(page)
    # The detector reads more gas: the alarm escalates on the open page, without a reload.
    gas_leak(http, stack, "gas-det-0001", lel=60)
    expect(alarm).to_contain_text("2 级")
    shot(page, "dashboard", full_page=True)
    page.locator(".towns a").first.click()
    expect(page.get_by_role("heading", name="案件清单")).to_be_visible()
    expect(page.locator(".el-table__row").first).to_be_visible()
    settle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 CSV").click()
    assert "案件名称" in Path(download.value.path()).read_text(encoding="utf-8-sig")
    shot(page, "case-list")
    page.get_by_role("link", name="监管总览").click()
    page.get_by_role("link", name="全部审核任务").click()
    expect(page.get_by_role("heading", name="法制审核清单")).to_be_visible()
    expect(page.locator(".el-table__row", has_text="已同意").first).to_be_visible()
    settle(page)
    shot(page, "review-list")

    # Deadlines about to be missed: the alarms' inspection tasks are due within a working day.
    page.get_by_role("link", name="监管总览").click()
    page.get_by_role("link", name=re.compile(r"^全部 \d+ 项")).click()
    expect(page.get_by_role("heading", name="即将超期与已逾期事项")).to_be_visible()
    expect(page.locator(".deadlines .el-table__row", has_text="检查任务").first).to_be_visible()
    settle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 CSV").click()
    assert "剩余工作日" in Path(download.value.path()).read_text(encoding="utf-8-sig")
    shot(page, "deadline-list")

    # The share disclosed within 7 working days, and the decisions behind it.
    a_decided_case(http, stack, f"燃气安全检查 {uuid.uuid4().hex[:6]}")

    def published():
        r = http.get("/v1/stats/disclosure-timeliness", headers=supervisor)
        return r.status_code == 200 and r.json()["total"] >= 1

    wait_until(published, "the decision's publication")
    page.get_by_role("link", name="监管总览").click()
    expect(page.locator(".share .num")).to_have_text("100%")
    page.get_by_role("link", name="全部决定").click()
    expect(page.get_by_role("heading", name="处罚决定公示及时情况")).to_be_visible()
    expect(page.locator(".publications .el-table__row").first).to_contain_text("个工作日")
    settle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 CSV").click()
    assert "行政处罚决定书文号" in Path(download.value.path()).read_text(encoding="utf-8-sig")
    shot(page, "disclosure-list")
    page.context.close()


def wait_until(check, what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"{what} never came"
        time.sleep(0.5)


def test_an_admin_opens_an_account_and_issues_a_device_secret(browser, http, stack):
    page = new_page(browser, stack, DESK)
    log_in(page, stack, "admin")
    page.get_by_role("menuitem", name="账号管理").click()
    expect(page.get_by_text("officer1")).to_be_visible()
    page.get_by_role("button", name="开设账号").click()
    page.fill("input[name=new_username]", "officer9")
    page.fill("input[name=display_name]", "周敏")
    page.fill("input[name=town]", "薛家镇")
    page.fill("input[name=certificate_no]", "32041120009")
    page.locator(".el-dialog").get_by_role("button", name="开设").click()
    expect(page.get_by_text("的临时密码")).to_be_visible()
    settle(page)
    password = page.locator(".issued code").inner_text().strip()
    shot(page, "users")
    r = http.post("/v1/auth/login", json={"username": "officer9", "password": password})
    assert r.status_code == 200, r.text

    # The register decides whose a device is: it is placed at the agency's venue first.
    admin = {"Authorization": "Bearer " + http.post(
        "/v1/auth/login",
        json={"username": "admin", "password": stack.secrets["demo_password"]},
    ).json()["access_token"]}  # fmt: skip
    placed = http.put(
        "/v1/gas/devices/gas-det-0901",
        json={"venue_id": "venue-xuejia-001", "kind": "gas_detector", "model": "JT-BF-9000",
              "serial": "GD-2026-0901", "installed_on": "2026-05-20"},
        headers=admin,
    )  # fmt: skip
    assert placed.status_code < 300, placed.text
    # The device list: the venues' detectors and valves and the weigh station, with their
    # credentials; the new detector has none yet and gets its secret from its row.
    page.get_by_role("menuitem", name="设备与凭据").click()
    devices = page.locator(".devices")
    expect(devices.locator(".el-table__row", has_text="gas-valve-0001")).to_contain_text("有效")
    expect(devices.locator(".el-table__row", has_text="wim-station-01")).to_contain_text("有效")
    row = devices.locator(".el-table__row", has_text="gas-det-0901")
    expect(row).to_contain_text("未签发")
    row.get_by_role("button", name="签发凭据").click()
    secret = page.locator("[data-secret]").inner_text().strip()
    expect(row).to_contain_text("有效")
    settle(page)
    shot(page, "devices")
    headers = signed_headers("gas-det-0901", secret, "GET", "/v1/devices/me", b"")
    r = http.get("/v1/devices/me", headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["device_id"] == "gas-det-0901"

    page.get_by_role("menuitem", name="场所与检测站").click()
    expect(page.locator(".venues .el-table__row", has_text="老街面馆")).to_contain_text(
        "gas-det-0901"
    )
    settle(page)
    shot(page, "registers")
    page.get_by_role("menuitem", name="节假日安排").click()
    expect(page.locator(".years .el-table__row").first).to_be_visible()
    settle(page)
    shot(page, "calendar", full_page=True)
    page.get_by_role("menuitem", name="操作记录").click()
    expect(page.locator(".audit .el-table__row", has_text="签发设备凭据").first).to_contain_text(
        "系统管理员"
    )
    settle(page)
    shot(page, "audit")
    page.context.close()


def test_a_supervisor_sees_the_hazard_register_rates_and_what_is_overdue(browser, http, stack):
    officer = api_login(http, stack, "officer1")
    registered = post(http, "/v1/hazards", officer, {
        "client_id": cid(), "credit_code": "914403001922038216",
        "enterprise_name": "常州某化工有限公司", "sector": "hazardous-chemicals", "town": "薛家镇",
        "kind": "全压力式液化烃储罐未设注水措施", "location": "薛家镇富民路88号罐区",
        "criteria": ["hc-6"],
    })["hazard"]  # fmt: skip
    issued = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 20 * 86400))
    post(http, f"/v1/hazards/{registered['hazard_id']}/order", officer, {
        "responsible_person": "王经理", "measures": "增设注水设施", "funds_yuan": 80000,
        "deadline_working_days": 3, "contingency_plan": "储罐停用", "issued_on": issued,
    }, expect_status=200)  # fmt: skip
    for size, name in ((DESK, "hazards"), ({"width": 360, "height": 640}, "hazards-phone")):
        page = new_page(browser, stack, size)
        log_in(page, stack, "supervisor")
        page.goto("/console/hazards")
        expect(page.get_by_role("heading", name="隐患治理")).to_be_visible()
        row = page.locator(".el-table__row", has_text=registered["hazard_no"]).first
        expect(row).to_contain_text("警示")
        expect(page.locator("canvas").first).to_be_visible()
        settle(page)
        shot(page, name, full_page=True)
        page.context.close()
