"""The officer app's hazard screens (隐患) in Debian's Chromium at 390x844, against the embedded
stack: a hazard registered on site without signal (enterprise by credit code, GPS, a photo),
sent once signal returns; rectification ordered with the 五落实; the enterprise reports through
its one-time link; a 复查 without signal fails it with findings and a photo; the enterprise
reports again; the second 复查 passes and the hazard is closed. The API is asked afterwards:
one hazard, each photo stored with the bytes the phone hashed."""

from __future__ import annotations

import hashlib
import io
import shutil
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from deploy.stack import Stack
from tests.e2e.webapp_support import REPO, WHERE, api_login, chromium, phone_page, stack_serving

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
ARTIFACTS = REPO / "var" / "test-artifacts"
DOCS_IMG = REPO / "docs" / "img"
expect.set_options(timeout=30_000)
CODE = "914403001922038216"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with stack_serving("officer", tmp_path_factory.mktemp("officer-hazards") / "var") as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, stack):
    with phone_page(browser, stack, PHONE) as p:
        yield p


def jpeg(path: Path, colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (640, 480), colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def shot(page: Page, name: str, *, docs: bool = True, full: bool = False) -> None:
    """A screenshot kept with the test artifacts and, for the docs, as docs/img/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{name} scrolls sideways by {wide} px"
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    if docs:
        shutil.copyfile(path, DOCS_IMG / f"{name}.png")


def log_in(page: Page, stack: Stack) -> None:
    page.goto("/app/")
    page.fill("input[name=username]", "officer1")
    page.fill("input[name=password]", stack.secrets["demo_password"])
    # The first sync keeps the sectors' checklists for registering offline.
    with page.expect_response("**/v1/hazards/checklists"):
        page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("tab", name="隐患")).to_be_visible()
    # The app shell must be cached before the network goes (polled: the CSP forbids eval).
    deadline = time.monotonic() + 60
    while not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        assert time.monotonic() < deadline, "the service worker never took the page"
        page.wait_for_timeout(200)


def hazards_of(stack: Stack, headers: dict, kind: str) -> list[dict]:
    r = httpx.get(f"{stack.gateway_url}/v1/hazards", headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return [h for h in r.json()["hazards"] if h["kind"] == kind]


def wait_for(what: str, fn, timeout_s: float = 90):
    deadline = time.monotonic() + timeout_s
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def detail(stack: Stack, headers: dict, hazard_id: str) -> dict:
    r = httpx.get(f"{stack.gateway_url}/v1/hazards/{hazard_id}", headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def stored(photo: dict) -> bytes:
    r = httpx.get(photo["url"], timeout=60)
    assert r.status_code == 200, (photo["object_key"], r.status_code)
    return r.content


def wait_synced(page: Page) -> None:
    page.goto("/app/queue")
    page.get_by_role("button", name="立即同步").click()
    expect(page.get_by_text("全部已上传")).to_be_visible(timeout=90_000)


def report_through_link(page: Page, stack: Stack, url: str, summary: str, photo: Path) -> None:
    """The enterprise's own phone: the one-time page, no login."""
    other = page.context.browser.new_context(
        viewport=PHONE, locale="zh-CN", base_url=stack.gateway_url
    )
    enterprise = other.new_page()
    enterprise.goto("/rectify/" + url.rsplit("/", 1)[1])
    expect(enterprise.locator("#hazard")).to_contain_text("新北应急隐患")
    enterprise.fill("textarea[name=summary]", summary)
    enterprise.set_input_files("input[name=photos]", str(photo))
    enterprise.get_by_role("button", name="提交整改报告").click()
    expect(enterprise.locator("#out")).to_contain_text("等待复查")
    other.close()


def test_a_hazard_registered_offline_is_rectified_reinspected_and_closed(page, stack, tmp_path):
    kind = f"粉尘除尘系统未接地 {uuid.uuid4().hex[:4]}"
    scene, fixed, refixed, found = (
        tmp_path / f"{n}.jpg" for n in ("scene", "fixed", "refix", "found")
    )
    scene_bytes = jpeg(scene, (200, 60, 40))
    fixed_bytes = jpeg(fixed, (40, 160, 60))
    jpeg(refixed, (40, 120, 200))
    found_bytes = jpeg(found, (220, 200, 40))
    officer = api_login(stack, "officer1")
    log_in(page, stack)

    # 1. Register on site without signal.
    page.get_by_role("tab", name="隐患").click()
    expect(page.get_by_role("tablist", name="筛选隐患")).to_be_visible()
    page.context.set_offline(True)
    page.locator(".van-floating-bubble").click()
    page.fill("input[name=credit_code]", CODE)
    page.fill("input[name=enterprise_name]", "常州某机械制造有限公司")
    page.locator("input[name=sector]").click()
    page.get_by_role("button", name="确认").click()  # the first sector: 工贸
    expect(page.locator("input[name=sector]")).to_have_value("工贸")
    expect(page.get_by_text("重大事故隐患判定（工贸企业重大事故隐患判定标准")).to_be_visible()
    page.fill("input[name=kind]", kind)
    page.fill("input[name=location]", "二号车间抛光工位")
    page.fill("textarea[name=description]", "除尘管道未设置防静电接地, 现场积尘较多")
    page.set_input_files("input[type=file]", str(scene))
    expect(page.get_by_role("img", name="现场照片 1")).to_be_visible()
    expect(page.get_by_text("31.84560, 119.96120，精度 ±12 米")).to_be_visible()
    shot(page, "officer-hazards-register", full=True)
    page.get_by_role("button", name="登记隐患").click()
    expect(page.get_by_text("待上传的隐患登记")).to_be_visible()
    expect(page.get_by_text(f"常州某机械制造有限公司：{kind}")).to_be_visible()
    shot(page, "officer-hazards-offline", docs=False)

    # Signal again: sent once, the photo with it.
    page.context.set_offline(False)
    wait_synced(page)
    (hazard,) = wait_for("the hazard", lambda: hazards_of(stack, officer, kind))
    hid = hazard["hazard_id"]
    view = detail(stack, officer, hid)
    assert view["status"] == "registered" and view["grade"] == "general"
    assert view["source"] == "inspection" and view["credit_code"] == CODE
    gps = view["findings"][0]["detail"]["gps"]
    assert gps["latitude"] == pytest.approx(WHERE["latitude"])
    (photo,) = view["photos"]
    assert photo["owner"] == "hazard"
    assert hashlib.sha256(stored(photo)).digest() == hashlib.sha256(scene_bytes).digest()

    # 2. The list: the new hazard under 全部 and 待整改, not under 待复查.
    page.get_by_role("tab", name="隐患").click()
    card = page.locator(".card", has_text=kind)
    expect(card).to_contain_text("未下达整改")
    page.get_by_role("tab", name="待复查 0").click()
    expect(card).to_be_hidden()
    page.get_by_role("tab", name="待整改").click()
    expect(card).to_be_visible()

    # 3. The 五落实 order, in working days.
    card.click()
    expect(page.get_by_text(view["hazard_no"], exact=True)).to_be_visible()
    page.get_by_role("button", name="下达整改（五落实）").click()
    page.fill("input[name=responsible_person]", "赵厂长")
    page.fill("textarea[name=measures]", "除尘管道加装防静电接地, 清理积尘")
    page.fill("input[name=funds_yuan]", "8000")
    page.fill("input[name=deadline_working_days]", "31")
    page.fill("textarea[name=contingency_plan]", "整改前停用抛光工位")
    page.get_by_role("button", name="下达整改", exact=True).click()
    expect(page.get_by_text("整改期限须为 1-30 个工作日")).to_be_visible()
    page.fill("input[name=deadline_working_days]", "10")
    page.get_by_role("button", name="下达整改", exact=True).click()
    expect(page.get_by_text("剩 10 个工作日")).to_be_visible()
    expect(page.get_by_text("整改要求（五落实）")).to_be_visible()

    # 4. The enterprise reports through its one-time link.
    page.get_by_role("button", name="生成企业整改链接").click()
    url = page.locator(".url").inner_text()
    assert "/rectify/" in url
    report_through_link(page, stack, url, "已加装防静电接地并清理积尘", fixed)
    page.reload()
    expect(page.get_by_text("企业通过链接报告")).to_be_visible()
    expect(page.get_by_text("待复查").first).to_be_visible()
    rect = page.get_by_role("img", name="整改照片 1")
    expect(rect).to_be_visible()
    wait_for("the photo shown", lambda: rect.evaluate("i => i.complete && i.naturalWidth > 0"), 60)
    shot(page, "officer-hazards-detail", full=True)
    (reported,) = [
        p for p in detail(stack, officer, hid)["photos"] if p["owner"] == "rectification"
    ]
    assert hashlib.sha256(stored(reported)).digest() == hashlib.sha256(fixed_bytes).digest()

    # 5. 复查 without signal: failed, with findings and a photo.
    page.context.set_offline(True)
    page.get_by_role("button", name="复查").click()
    page.get_by_role("radio", name="不合格").click()
    page.fill("textarea[name=opinion]", "接地线未与除尘器本体连接")
    page.set_input_files(".van-popup input[type=file]", str(found))
    expect(page.get_by_role("img", name="复查照片 1")).to_be_visible()
    shot(page, "officer-hazards-reinspect")
    page.get_by_role("button", name="复查不合格，退回整改").click()
    expect(page.get_by_text("有 1 条操作待上传")).to_be_visible()
    page.context.set_offline(False)
    wait_synced(page)
    view = wait_for(
        "the failed 复查",
        lambda: (v := detail(stack, officer, hid))["status"] == "rectifying" and v,
    )
    (again,) = [p for p in view["photos"] if p["owner"] == "reinspection"]
    assert hashlib.sha256(stored(again)).digest() == hashlib.sha256(found_bytes).digest()
    act = next(t for t in view["timeline"] if t["kind"] == "reinspected")
    assert act["passed"] is False and act["photo_ids"] == [again["photo_id"]]
    page.goto(f"/app/hazards/{hid}")
    expect(page.get_by_text("复查不合格：接地线未与除尘器本体连接")).to_be_visible()
    expect(page.get_by_role("img", name="复查照片 1")).to_be_visible()
    expect(page.get_by_text("整改中").first).to_be_visible()

    # 6. Reported again, 复查 passed: closed.
    r = httpx.post(f"{stack.gateway_url}/v1/hazards/{hid}/rectification-link", headers=officer)
    assert r.status_code == 201, r.text
    report_through_link(page, stack, r.json()["url"], "接地线已与除尘器本体可靠连接", refixed)
    page.goto(f"/app/hazards/{hid}")
    page.get_by_role("button", name="复查").click()
    page.fill("textarea[name=opinion]", "接地可靠, 积尘已清理, 复查合格")
    page.get_by_role("button", name="复查合格").click()
    expect(page.get_by_text("已销号").first).to_be_visible()
    expect(page.get_by_text("复查合格：接地可靠")).to_be_visible()
    view = detail(stack, officer, hid)
    assert view["status"] == "closed"
    assert [t["kind"] for t in view["timeline"]].count("rectification-reported") == 2
    assert len(hazards_of(stack, officer, kind)) == 1  # registered once, for all the retries

    # 7. The list with others: an overdue order first, a major one, the closed one last.
    def make(what: str, criteria: list[str], order: dict | None) -> None:
        r = httpx.post(
            f"{stack.gateway_url}/v1/hazards",
            headers=officer,
            json={
                "client_id": f"e2e-{uuid.uuid4()}",
                "credit_code": CODE,
                "enterprise_name": "常州某五金制品有限公司",
                "sector": "industry-trade",
                "town": "薛家镇",
                "kind": what,
                "location": "三号车间",
                "criteria": criteria,
            },
            timeout=60,
        )
        assert r.status_code == 201, r.text
        if order:
            o = httpx.post(
                f"{stack.gateway_url}/v1/hazards/{r.json()['hazard']['hazard_id']}/order",
                headers=officer,
                json={
                    "responsible_person": "钱主任",
                    "measures": "按规范整改到位",
                    "funds_yuan": 5000,
                    "contingency_plan": "整改期间停用",
                    **order,
                },
                timeout=60,
            )
            assert o.status_code == 200, o.text

    back = (date.today() - timedelta(days=25)).isoformat()
    make("安全出口锁闭", [], {"deadline_working_days": 3, "issued_on": back})
    make("干式除尘系统未采取泄爆措施", ["gm-dust-3"], {"deadline_working_days": 40})
    page.goto("/app/hazards")
    cards = page.locator(".card")
    expect(cards.first).to_contain_text("安全出口锁闭")
    expect(cards.first).to_contain_text("逾期")
    expect(cards.last).to_contain_text("已销号")
    expect(page.get_by_role("tab", name="重大 1")).to_be_visible()
    shot(page, "officer-hazards-list")
    page.get_by_role("tab", name="逾期").click()
    expect(cards).to_have_count(1)
