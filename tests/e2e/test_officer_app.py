"""The officers' phone app (web/officer) in Debian's Chromium at a phone's size, against the
embedded stack: a case worked offline (a note, a real JPEG, a penalty proposal), the page
reloaded while offline, then synced; and the same with the gateway killed in the middle of
the sync. Afterwards the API must hold the case, its entries and the verified photo once."""

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
from playwright.sync_api import Page, Route, expect

from deploy.stack import Stack
from gateway.security.device_signing import signed_headers
from tests.e2e.webapp_support import REPO, WHERE, api_login, chromium, phone_page, stack_serving

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO / "var" / "test-artifacts"
PHONE = {"width": 360, "height": 640}
# A loaded 2-core machine answers a login (argon2) in seconds, not milliseconds.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with stack_serving("officer", tmp_path_factory.mktemp("officer-app") / "var") as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, stack):
    with phone_page(browser, stack, PHONE) as p:
        yield p


def jpeg(path: Path) -> bytes:
    image = Image.new("RGB", (640, 480), (200, 60, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # Every screen fits a 360 px wide phone: nothing scrolls sideways.
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"app-{name} scrolls sideways by {wide} px"
    page.screenshot(path=str(ARTIFACTS / f"app-{name}.png"))


def log_in(page: Page, stack: Stack) -> None:
    page.goto("/app/")
    page.fill("input[name=username]", "officer1")
    page.fill("input[name=password]", stack.secrets["demo_password"])
    shot(page, "login")
    # The first sync after the login keeps the case lifecycle for offering stage moves offline.
    with page.expect_response("**/v1/lifecycle"):
        page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("新建检查案件").first).to_be_visible()
    # The app shell must be cached before the network goes.
    # (polled from here: the app's CSP forbids the eval a page-side wait would use)
    deadline = time.monotonic() + 30
    while not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        assert time.monotonic() < deadline, "the service worker never took the page"
        page.wait_for_timeout(200)


def work_a_case_offline(page: Page, title: str, photo: Path) -> None:
    page.context.set_offline(True)
    page.get_by_role("button", name="新建检查案件").first.click()
    page.fill("input[name=title]", title)
    page.fill("input[name=credit_code]", "914403001922038216")
    page.fill("input[name=party_name]", "常州某餐饮有限公司")
    page.fill("input[name=legal_representative]", "王强")
    co = page.locator("input[name=co_officer]")
    if co.get_attribute("readonly") is not None:
        co.click()
        page.get_by_text("李娜").click()
    else:
        co.fill("u-officer2")
    shot(page, "new-case")
    page.get_by_role("button", name="开始检查").click()
    expect(page.get_by_text("尚未上传").first).to_be_visible()

    page.get_by_text("记录", exact=True).first.click()
    page.fill("textarea[name=text]", "后厨燃气报警器未接入紧急切断阀")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("后厨燃气报警器")).to_be_hidden()
    expect(page.locator(".van-cell", has_text="待上传").filter(has_text="记录")).to_be_visible()
    page.set_input_files("input[type=file]", str(photo))
    expect(page.get_by_text(f"证据：{photo.name}")).to_be_visible()
    for stage in ("立案", "调查取证"):
        page.locator(".van-grid-item", has_text="下一步").click()
        page.get_by_role("button", name=stage).click()
        expect(page.get_by_text(f"转到「{stage}」", exact=True)).to_be_visible()
    page.get_by_text("处罚建议", exact=True).first.click()
    page.fill("input[name=fine_yuan]", "150000")
    page.fill("textarea[name=legal_basis]", "《中华人民共和国安全生产法》第九十九条")
    page.fill("textarea[name=facts]", "未按规定安装使用燃气泄漏报警和紧急切断装置")
    page.get_by_role("button", name="提交处罚建议").click()
    expect(page.get_by_role("button", name="提交处罚建议")).to_be_hidden()
    expect(page.get_by_text("处罚建议：罚款 150000 元")).to_be_visible()
    shot(page, "case-offline")

    # A reload while offline: the shell comes from the service worker, the work from IndexedDB.
    page.reload()
    expect(page.get_by_text(title).first).to_be_visible()
    page.goto("/app/queue")
    expect(page.get_by_text("待上传（6）")).to_be_visible()
    shot(page, "queue-offline")


def case_by_title(stack: Stack, headers: dict, title: str, timeout_s: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        r = httpx.get(f"{stack.gateway_url}/v1/cases", params={"mine": "true"}, headers=headers)
        assert r.status_code == 200, r.text
        found = [c for c in r.json()["cases"] if c["title"] == title]
        if found and found[0]["stage"] == "review":
            return found
        assert time.monotonic() < deadline, f"the case never reached review: {found}"
        time.sleep(0.5)


def check_stored_once(stack: Stack, title: str, photo_bytes: bytes) -> None:
    officer = api_login(stack, "officer1")
    cases = case_by_title(stack, officer, title)
    assert len(cases) == 1, cases
    r = httpx.get(f"{stack.gateway_url}/v1/cases/{cases[0]['case_id']}/timeline", headers=officer)
    assert r.status_code == 200, r.text
    kinds = [e["kind"] for e in r.json()["entries"]]
    assert kinds.count("opened") == 1
    assert kinds.count("note") == 1
    assert kinds.count("evidence") == 1
    assert kinds.count("proposal") == 1
    evidence = next(e for e in r.json()["entries"] if e["kind"] == "evidence")
    assert evidence["evidence"][0]["sha256"] == hashlib.sha256(photo_bytes).hexdigest()
    assert evidence["location"]["latitude"] == pytest.approx(WHERE["latitude"])
    note = next(e for e in r.json()["entries"] if e["kind"] == "note")
    assert note["device_time"] is not None and note["payload"]["app_version"]


def wait_until_synced(page: Page) -> None:
    page.goto("/app/queue")
    expect(page.get_by_text("全部已上传")).to_be_visible(timeout=60_000)


def test_a_case_worked_offline_reaches_the_record_once(page, stack, tmp_path):
    photo = tmp_path / "kitchen.jpg"
    photo_bytes = jpeg(photo)
    title = f"燃气检查 {uuid.uuid4().hex[:6]}"
    log_in(page, stack)
    shot(page, "tasks")
    work_a_case_offline(page, title, photo)
    page.context.set_offline(False)
    page.get_by_role("button", name="立即同步").click()
    wait_until_synced(page)
    shot(page, "queue-synced")
    check_stored_once(stack, title, photo_bytes)
    page.goto("/app/cases")
    page.get_by_text(title).first.click()
    expect(page.get_by_text("法制审核中").first).to_be_visible(timeout=30_000)
    shot(page, "case")
    refuse_then_correct_a_note(page)
    page.goto("/app/me")
    expect(page.get_by_text("32041120001")).to_be_visible()
    expect(page.get_by_text("常州市新北区应急管理局")).to_be_visible()  # the agency by name
    shot(page, "me")
    # Locked and back: the login carries the device cookie the first login answered.
    page.get_by_role("button", name="锁定").click()
    page.get_by_role("button", name="确认").click()
    page.fill("input[name=username]", "officer1")
    page.fill("input[name=password]", stack.secrets["demo_password"])
    with page.expect_request("**/v1/auth/login") as login:
        page.get_by_role("button", name="登录").click()
    assert json.loads(login.value.post_data or "{}").get("device_cookie")
    expect(page.get_by_text("新建检查案件").first).to_be_visible()


def refuse_then_correct_a_note(page: Page) -> None:
    """A note the gateway refuses (422: a pasted NUL character) is shown with why, corrected
    and sent again."""
    page.get_by_text("记录", exact=True).first.click()
    page.fill("textarea[name=text]", "同上\u0000")
    page.get_by_role("button", name="保存").click()
    # Saving waits for a GPS fix before the write is queued: leave only once it is.
    expect(page.locator("textarea[name=text]")).to_be_hidden()
    page.goto("/app/queue")
    expect(page.get_by_text("文本含有 NUL 字符")).to_be_visible()
    shot(page, "queue-refused")
    page.get_by_role("button", name="修改后重发").click()
    page.fill("textarea[name='edit-payload.text']", "复查：报警器已接入切断阀")
    shot(page, "queue-edit")
    page.get_by_role("button", name="重新发送").click()
    expect(page.get_by_text("全部已上传")).to_be_visible(timeout=30_000)


def test_a_gateway_killed_in_the_middle_of_the_sync_loses_and_doubles_nothing(
    page, stack, tmp_path
):
    photo = tmp_path / "valve.jpg"
    photo_bytes = jpeg(photo)
    title = f"燃气复查 {uuid.uuid4().hex[:6]}"
    log_in(page, stack)
    work_a_case_offline(page, title, photo)

    killed = []

    def store_then_die(route: Route) -> None:
        # The proposal reaches the gateway and is stored; the gateway dies before the phone
        # hears the answer. Retries while it is down find nobody there.
        if killed:
            route.abort("connectionrefused")
            return
        route.fetch()
        gateway = stack.children["gateway"]
        gateway.proc.kill()
        gateway.proc.wait(10)
        killed.append(True)
        route.abort("connectionreset")

    page.route("**/penalty-proposals", store_then_die)
    page.context.set_offline(False)
    page.get_by_role("button", name="立即同步").click()
    deadline = time.monotonic() + 60
    while not killed:
        assert time.monotonic() < deadline, "the sync never reached the proposal"
        page.wait_for_timeout(200)
    page.unroute("**/penalty-proposals")
    expect(page.get_by_text("未能连上服务器")).to_be_visible(timeout=30_000)

    stack.children["gateway"].start()
    stack.wait_ready(60)
    page.get_by_role("button", name="立即同步").click()
    wait_until_synced(page)
    check_stored_once(stack, title, photo_bytes)


def test_the_case_lifecycle_is_published_for_moves_offline(stack):
    r = httpx.get(f"{stack.gateway_url}/v1/lifecycle", headers=api_login(stack, "officer1"))
    assert r.status_code == 200, r.text
    stages = {s["stage"]: s for s in r.json()["stages"]}
    assert stages["inspection"]["next"] == ["filing", "no_penalty", "withdrawn"]
    assert stages["review"]["via"] == "POST /v1/cases/{id}/penalty-proposals"
    assert stages["decision"]["via"] == "POST /v1/cases/{id}/decision"
    assert stages["archived"]["next"] == []


def gas_leak(stack: Stack, device_id: str, lel: float = 31) -> None:
    """Two readings over the first threshold from a seeded detector: an alarm."""
    devices = json.loads((stack.var / "demo-devices.json").read_text())
    base = int(time.time() * 1000)
    events = [
        {"seq": base, "type": "reading", "lel": lel - 5},
        {"seq": base + 1, "type": "reading", "lel": lel},
    ]
    raw = json.dumps({"events": events}).encode()
    headers = signed_headers(
        device_id, devices[device_id]["secret"], "POST", "/v1/gas/device-events", raw
    )
    r = httpx.post(
        f"{stack.gateway_url}/v1/gas/device-events",
        content=raw,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text


def test_a_town_officer_sees_a_gas_alarm_arrive_live_and_acknowledges_it(page, stack):
    log_in(page, stack)
    page.goto("/app/gas")
    expect(page.get_by_text("实时接收中")).to_be_visible()
    gas_leak(stack, "gas-det-0001")  # 老街面馆, 薛家镇: officer1's town
    alarm = page.get_by_role("group", name=re.compile("燃气报警：老街面馆"))
    expect(alarm).to_be_visible()  # over the stream, without a reload
    expect(page.locator(".van-tabbar-item", has_text="报警")).to_be_visible()
    shot(page, "gas")
    alarm.get_by_role("button", name="确认报警：老街面馆").click()
    expect(alarm.get_by_text("已确认，处置中")).to_be_visible()
    officer = api_login(stack, "officer1")
    r = httpx.get(f"{stack.gateway_url}/v1/gas/alarms", headers=officer)
    found = [a for a in r.json()["alarms"] if a["venue_name"] == "老街面馆" and a["active"]]
    assert found and found[0]["acknowledged"] and found[0]["acknowledged_by"] == "u-officer1"
    alarm.get_by_role("button", name="查看设备与阀门：老街面馆").click()
    expect(page.get_by_text("紧急切断阀").first).to_be_visible()
    expect(page.get_by_text("可燃气体报警器").first).to_be_visible()
    shot(page, "gas-venue")


def test_a_road_officer_confirms_an_overload_with_a_colleague(page, stack, tmp_path):
    officer2 = api_login(stack, "officer2")
    plate = f"苏D{uuid.uuid4().int % 100000:05d}"
    r = httpx.post(
        f"{stack.gateway_url}/v1/overload/weighings",
        headers=officer2,
        json={
            "client_weighing_id": f"e2e-{uuid.uuid4()}",
            "station_id": "station-g312-km45",
            "plate": plate,
            "vehicle": {"kind": "combination", "axles": 6},
            "gross_t": 60.5,
            "cargo": "砂石",
            "carrier": {"name": "常州某运输有限公司", "credit_code": "914403001922038216"},
        },
    )
    assert r.status_code == 201, r.text
    weighed = r.json()
    assert weighed["inspection"]["status"] == "weighed"  # one officer alone cannot confirm
    photo = jpeg(tmp_path / "scale.jpg")
    digest = hashlib.sha256(photo).hexdigest()
    slot = httpx.post(
        f"{stack.gateway_url}/v1/overload/weighings/{weighed['weighing_id']}/photos",
        headers=officer2,
        json={"sha256": digest, "size": len(photo), "media_type": "image/jpeg"},
    ).json()
    assert httpx.put(slot["put_url"], content=photo).status_code == 200
    confirmed = httpx.post(
        f"{stack.gateway_url}/v1/overload/photos/{slot['photo_id']}/confirm", headers=officer2
    )
    assert confirmed.status_code == 200, confirmed.text

    log_in(page, stack)
    page.get_by_text("超限检测确认").click()
    expect(page.get_by_text(plate)).to_be_visible()
    shot(page, "overload")
    page.get_by_text(plate).click()
    expect(page.get_by_text("静态复检超限，待两名执法人员确认")).to_be_visible()
    photo_img = page.get_by_role("img", name=f"{plate} 称重照片 1")
    expect(photo_img).to_be_visible()
    expect(photo_img).to_have_js_property("naturalWidth", 640)  # the checked photo itself
    # The rules applied, in Chinese: the service's description of a version is English.
    expect(page.get_by_text("适用规则")).to_be_visible()
    expect(
        page.get_by_text("交通运输部令2016年第62号 + GB 1589-2016（第2版", exact=False)
    ).to_be_visible()
    expect(page.get_by_text("every item of", exact=False)).to_have_count(0)
    page.locator("input[name=co_officer]").click()
    page.get_by_role("button", name=re.compile("李娜")).click()
    shot(page, "inspection")
    page.get_by_role("button", name="两人确认超限").click()
    expect(page.get_by_text("超限已确认").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("李娜（执法证 32041120002）", exact=False)).to_be_visible()
    shot(page, "inspection-confirmed")
    r = httpx.get(
        f"{stack.gateway_url}/v1/overload/inspections/{weighed['inspection']['inspection_id']}",
        headers=officer2,
    )
    assert r.status_code == 200, r.text
    file = r.json()
    assert file["summary"]["inspection"]["status"] == "confirmed"
    assert {o["officer_id"] for o in file["confirmed_by"]} == {"u-officer1", "u-officer2"}
