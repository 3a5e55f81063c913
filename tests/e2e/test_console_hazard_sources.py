"""The console's 重大危险源 screens in Debian's Chromium against the embedded stack.

An admin registers a chlorine tank (re-graded once: 三级 → 二级 when more people live near)
and an LPG sphere through the API, with a pressure and a level sensor and their signing
secrets; the pressure sensor posts ten minutes of signed readings ending in an excursion over
its high limit, which raises an alarm. An officer opens the console: the list puts the tank
first with its grade and open alarm; the unit page shows the chemicals' figures, the grade
and why, the 包保 chain, the sensors' states, the alarm, a chart per sensor and its CSV. A new
alarm on the level sensor appears without reloading; the officer acknowledges the pressure
alarm and handles it (消警) with a reason, which the API then holds. A supervisor sees the
unit but no actions; a legal reviewer has no such menu. Screenshots go to
var/test-artifacts/console-hazard-sources-*.png (docs/img/ holds copies)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from deploy.stack import Stack
from devices.client import HttpDevice
from tests.e2e.webapp_support import REPO, chromium, stack_serving

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO / "var" / "test-artifacts"
DESK = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}
# A loaded 2-core machine answers a login (argon2) in seconds, not milliseconds; the pages
# poll every 15 s, so a new alarm may take that long and more to show.
expect.set_options(timeout=45_000)

CHAIN = [
    {"role": "principal", "name": "王建华", "phone": "13900000001"},
    {"role": "technical", "name": "李工", "phone": "13900000002"},
    {"role": "operational", "name": "赵班长", "phone": "13900000003"},
    {"role": "town", "name": "张伟", "phone": "0519-85000000", "user_id": "u-officer1"},
]
LPG = "液化石油气(含丙烷、丁烷及其混合物)"
TANK = "cl-tank-c1"
SPHERE = "lpg-sphere-c1"
REASON = "现场核实：储罐降温后压力已回落至1.2MPa，安全阀完好"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with stack_serving("console", tmp_path_factory.mktemp("console-hs") / "var") as s:
        yield s


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def login(http, stack: Stack, username: str) -> dict:
    r = http.post(
        "/v1/auth/login", json={"username": username, "password": stack.secrets["demo_password"]}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def ok(r: httpx.Response, status: int = 200) -> dict:
    assert r.status_code == status, r.text
    return r.json()


def unit_body(name: str, holdings: list[dict], people: int) -> dict:
    return {
        "enterprise_id": "91320411MA1XXXXXX1", "enterprise_name": "常州某化工有限公司",
        "town": "薛家镇", "kind": "storage", "name": name, "holdings": holdings,
        "people_within_500m": people, "chain": CHAIN,
    }  # fmt: skip


def readings(values: list[float], start_seq: int, first: datetime, every_s: float) -> dict:
    return {
        "readings": [
            {"seq": start_seq + i, "value": v,
             "device_time": (first + timedelta(seconds=i * every_s)).isoformat()}
            for i, v in enumerate(values)
        ]
    }  # fmt: skip


@pytest.fixture(scope="module")
def plant(http, stack):
    """The two units, graded; the tank's two sensors; ten minutes of pressure ending over H."""
    admin = login(http, stack, "admin")
    put = lambda path, body: ok(http.put(path, json=body, headers=admin))  # noqa: E731
    # 30 people within 500 m: α 1.2, R = 1.2 × 4 × 50/5 = 48, 三级; then 120: α 2.0, R 80, 二级
    put(
        f"/v1/hazard-sources/units/{TANK}",
        unit_body("液氯储罐区", [{"chemical": "氯", "max_t": 50}], 30),
    )
    tank = put(
        f"/v1/hazard-sources/units/{TANK}",
        unit_body("液氯储罐区", [{"chemical": "氯", "max_t": 50}], 120),
    )
    assert tank["grading"]["grade"] == "二级" and tank["regraded"]
    put(
        f"/v1/hazard-sources/units/{SPHERE}",
        unit_body("液化石油气球罐区", [{"chemical": LPG, "max_t": 400}], 10),
    )  # 400/50 × 1.5 × 1.0 = 12: 三级
    put(
        "/v1/hazard-sources/sensors/cl-pt-c1",
        {"unit_id": TANK, "quantity": "pressure", "unit_of_measure": "MPa", "high": 1.6,
         "high_high": 1.8, "low": 0.2, "deadband": 0.05, "sustain": 2, "stale_after_s": 3600},
    )  # fmt: skip
    put(
        "/v1/hazard-sources/sensors/cl-lt-c1",
        {"unit_id": TANK, "quantity": "level", "unit_of_measure": "m", "high": 8.0,
         "low": 1.0, "low_low": 0.5, "sustain": 1, "stale_after_s": 3600},
    )  # fmt: skip
    secrets = {}
    for sensor in ("cl-pt-c1", "cl-lt-c1"):
        secrets[sensor] = ok(
            http.post(
                f"/v1/devices/{sensor}/credentials",
                json={"kind": "hazard_sensor", "owner_id": TANK},
                headers=admin,
            ),
            201,
        )["secret"]
    # nine minutes back (the service trusts device clocks within ten), one reading each 10 s
    first = datetime.now(UTC) - timedelta(minutes=9)
    calm = [round(1.2 + 0.03 * ((i * 7) % 5 - 2), 3) for i in range(50)]
    excursion = [1.45, 1.62, 1.70, 1.74, 1.72]
    pressure = HttpDevice(http, "cl-pt-c1", secrets["cl-pt-c1"])
    answer = ok(
        pressure.post("/v1/hazard-sources/readings", readings(calm + excursion, 1, first, 10))
    )
    assert answer["accepted"] == 55 and answer["alarms"] >= 1
    level = HttpDevice(http, "cl-lt-c1", secrets["cl-lt-c1"])
    ok(level.post("/v1/hazard-sources/readings", readings([4.2] * 20, 1, first, 25)))
    return {"admin": admin, "secrets": secrets}


def new_page(browser, stack: Stack, viewport: dict) -> Page:
    context = browser.new_context(
        viewport=viewport, device_scale_factor=1, locale="zh-CN", base_url=stack.gateway_url,
        timezone_id="Asia/Shanghai", accept_downloads=True,
    )  # fmt: skip
    return context.new_page()


def log_in(page: Page, stack: Stack, username: str) -> None:
    page.goto("/console/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", stack.secrets["demo_password"])
    page.keyboard.press("Enter")  # the form is usable without a mouse
    expect(page.get_by_role("button", name=re.compile("^退出"))).to_be_visible()


def shot(page: Page, name: str, full_page: bool = False) -> None:
    expect(page.locator(".el-loading-mask:visible")).to_have_count(0)  # not mid-load
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-hazard-sources-{name}.png"), full_page=full_page)


def charts_drawn(page: Page, n: int) -> None:
    charts = page.get_by_role("img", name=re.compile("趋势图"))
    expect(charts).to_have_count(n)
    for i in range(n):  # ECharts draws on a canvas inside the labelled box
        expect(charts.nth(i).locator("canvas").first).to_be_visible()


def test_an_officer_follows_a_unit_s_alarm_on_its_chart_and_handles_it(browser, http, stack, plant):
    officer = login(http, stack, "officer1")
    page = new_page(browser, stack, DESK)
    log_in(page, stack, "officer1")
    # an officer lands on the list: the only screen of theirs
    expect(page).to_have_url(re.compile("/console/hazard-sources$"))
    expect(page.get_by_role("menuitem")).to_have_text(["重大危险源"])
    rows = page.locator(".el-table__body tr")
    expect(rows).to_have_count(2)
    # the 二级 tank with its alarm before the 三级 sphere
    expect(rows.nth(0)).to_contain_text("液氯储罐区")
    expect(rows.nth(0)).to_contain_text("二级")
    expect(rows.nth(0)).to_contain_text("80")
    expect(rows.nth(0).locator(".el-tag--danger")).to_have_text("1")
    expect(rows.nth(1)).to_contain_text("液化石油气球罐区")
    expect(rows.nth(1)).to_contain_text("三级")
    expect(rows.nth(1)).to_contain_text("尚无数据")
    shot(page, "list")

    # by keyboard: the unit's name is a link
    link = rows.nth(0).get_by_role("link", name="液氯储罐区")
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/console/hazard-sources/{TANK}$"))
    expect(page.get_by_role("heading", name="液氯储罐区")).to_be_visible()
    expect(page.locator(".grade")).to_have_text("二级")
    figure = lambda term: page.locator(".figures > div", has_text=term).locator("dd")  # noqa: E731
    expect(figure("R = α")).to_have_text("80")
    expect(figure("周边500米内人数")).to_have_text("120")
    expect(
        page.locator(".figures > div")
        .filter(has=page.locator("dt", has_text=re.compile("^α$")))
        .locator("dd")
    ).to_have_text("2.0")
    # chlorine: q 50 t, Q 5 t (表1), q/Q 10, β 4
    chlorine = page.locator(".el-card").filter(has_text="辨识与分级").locator(".el-table__body tr")
    expect(chlorine).to_have_count(1)
    expect(chlorine.locator("td")).to_have_text(
        [re.compile("氯.*表1 7782-50-5"), "50", "5", "10", "4"]
    )
    # why: the re-grade and its reason, newest first
    history = page.locator(".history")
    expect(history).to_contain_text("三级→二级 (α 1.2→2.0)")
    expect(history).to_contain_text("首次辨识")
    chain = page.locator(".el-card").filter(has_text="包保责任人")
    for who in (
        "主要负责人",
        "王建华",
        "技术负责人",
        "李工",
        "操作负责人",
        "赵班长",
        "属地监管人员",
    ):
        expect(chain).to_contain_text(who)
    sensors = page.locator(".el-card").filter(has_text="报警限值")
    expect(sensors.locator("tr", has_text="cl-pt-c1")).to_contain_text("高报")
    expect(sensors.locator("tr", has_text="cl-pt-c1")).to_contain_text("1.72 MPa")
    expect(sensors.locator("tr", has_text="cl-lt-c1")).to_contain_text("正常")
    alarms = page.locator(".el-card").filter(has_text="含已消警")
    pressure_row = alarms.locator(".el-table__body tr", has_text="cl-pt-c1")
    expect(pressure_row).to_contain_text("超限 · 高报")
    expect(pressure_row).to_contain_text("第1步 主要负责人 王建华")

    # the charts, one per sensor; the last hour shows the excursion's shape
    charts_drawn(page, 2)
    page.locator(".el-radio-button", has_text="近1小时").click()
    charts_drawn(page, 2)
    page.wait_for_timeout(1500)  # the canvas paints after the option is set
    shot(page, "unit", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 CSV").click()
    csv = Path(download.value.path()).read_text(encoding="utf-8-sig")
    lines = csv.strip().splitlines()
    assert lines[0].startswith("传感器,监测量,单位,时间(北京时间),最小值,最大值,平均值,读数个数")
    pressure_lines = [line for line in lines if line.startswith("cl-pt-c1,压力,MPa,")]
    assert sum(int(line.split(",")[7]) for line in pressure_lines) == 55
    assert any(line.split(",")[5] == "1.74" for line in pressure_lines)  # the bucket's max
    assert any(line.endswith(",高报") for line in pressure_lines)

    # live: the level falls below LL; the alarm appears without a reload
    level = HttpDevice(http, "cl-lt-c1", plant["secrets"]["cl-lt-c1"])
    ok(
        level.post(
            "/v1/hazard-sources/readings",
            readings([0.4], 21, datetime.now(UTC), 1),
        )
    )
    level_row = alarms.locator(".el-table__body tr", has_text="cl-lt-c1")
    expect(level_row).to_contain_text("超限 · 低低报", timeout=90_000)
    expect(page.locator(".el-notification")).to_contain_text("cl-lt-c1 低低报")

    # acknowledge, then 消警 with a reason (too short a reason is refused on the spot)
    pressure_row.get_by_role("button", name="确认").click()
    expect(pressure_row).to_contain_text("u-officer1 已确认")
    pressure_row.get_by_role("button", name="消警").click()
    dialog = page.get_by_role("dialog", name="消警")
    dialog.get_by_role("textbox", name="消警原因").fill("好")
    dialog.get_by_role("button", name="确认消警").click()
    expect(dialog).to_contain_text("至少 4 个字")
    dialog.get_by_role("textbox", name="消警原因").fill(REASON)
    shot(page, "handle")
    dialog.get_by_role("button", name="确认消警").click()
    expect(dialog).to_be_hidden()
    expect(pressure_row).to_have_count(0)
    alarms.get_by_text("含已消警").click()
    expect(alarms.locator(".el-table__body tr", has_text="cl-pt-c1")).to_contain_text(REASON)
    page.context.close()

    # the API holds it: closed, by whom, why
    everything = ok(
        http.get(
            "/v1/hazard-sources/alarms",
            params={"unit_id": TANK, "open_only": "false"},
            headers=officer,
        )
    )["alarms"]
    handled = next(a for a in everything if a["sensor_id"] == "cl-pt-c1")
    assert (handled["open"], handled["handled_by"], handled["handled_reason"]) == (
        False,
        "u-officer1",
        REASON,
    )
    assert handled["acknowledged_by"] == "u-officer1" and handled["acknowledged_at"]
    still = next(a for a in everything if a["sensor_id"] == "cl-lt-c1")
    assert still["open"] and still["level"] == "low_low"


def test_a_supervisor_sees_the_units_without_actions_and_a_reviewer_sees_no_menu(
    browser, http, stack, plant
):
    page = new_page(browser, stack, DESK)
    log_in(page, stack, "supervisor")
    page.get_by_role("menuitem", name="重大危险源").click()
    expect(page.locator(".el-table__body tr").first).to_contain_text("液氯储罐区")
    page.goto(f"/console/hazard-sources/{TANK}")
    alarms = page.locator(".el-card").filter(has_text="含已消警")
    expect(alarms.locator(".el-table__body tr").first).to_contain_text("待执法人员处置")
    expect(alarms.get_by_role("button", name="消警")).to_have_count(0)
    page.context.close()

    page = new_page(browser, stack, DESK)
    log_in(page, stack, "reviewer")
    expect(page.get_by_role("menuitem", name="法制审核")).to_be_visible()
    expect(page.get_by_role("menuitem", name="重大危险源")).to_have_count(0)
    page.goto(f"/console/hazard-sources/{TANK}")  # a deep link leads back to their own screen
    expect(page).to_have_url(re.compile("/console/reviews$"))
    page.context.close()


def test_a_town_bound_supervisor_sees_only_their_town_s_units(http, stack, plant):
    """The console's list and pages read through the gateway, which keeps a supervisor bound
    to a town to that town: another town's unit, alarms and trend are not there for them."""
    made = ok(
        http.post(
            "/v1/users",
            json={"username": "sup-longhu", "display_name": "龙虎塘监督员",
                  "roles": ["supervisor"], "town": "龙虎塘街道"},
            headers=plant["admin"],
        ),
        201,
    )  # fmt: skip
    r = http.post(
        "/v1/auth/login",
        json={"username": "sup-longhu", "password": made["temporary_password"]},
    )
    assert r.status_code == 200, r.text
    other_town = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert ok(http.get("/v1/hazard-sources/units", headers=other_town)) == {"units": []}
    alarms = ok(http.get("/v1/hazard-sources/alarms", headers=other_town))
    assert alarms == {"alarms": []}
    for path in (f"/v1/hazard-sources/units/{TANK}", f"/v1/hazard-sources/units/{TANK}/trend"):
        r = http.get(path, headers=other_town)
        assert r.status_code == 404, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    # the agency-wide supervisor sees both units, the 二级 tank first
    everyone = ok(http.get("/v1/hazard-sources/units", headers=login(http, stack, "supervisor")))
    assert [u["unit_id"] for u in everyone["units"]] == [TANK, SPHERE]


def test_the_unit_page_on_a_phone(browser, stack, plant):
    page = new_page(browser, stack, PHONE)
    log_in(page, stack, "officer1")
    # one card a unit on a phone, gravest first
    cards = page.get_by_role("list", name="重大危险源清单").get_by_role("link")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("液氯储罐区")
    expect(cards.nth(0)).to_contain_text("二级")
    expect(cards.nth(0)).to_contain_text("R 80")
    expect(cards.nth(0)).to_contain_text("常州某化工有限公司")
    expect(cards.nth(1)).to_contain_text("尚无数据")
    shot(page, "list-phone")
    # the side menu folds into a drawer
    page.get_by_role("button", name="打开功能菜单").click()
    expect(page.get_by_role("menuitem", name="重大危险源")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("menuitem", name="重大危险源")).to_be_hidden()
    cards.nth(0).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/console/hazard-sources/{TANK}$"))
    expect(page.locator(".grade")).to_have_text("二级")
    # the actions stay in view at the table's right edge
    card = page.locator(".el-card").filter(has_text="含已消警")
    card.scroll_into_view_if_needed()  # the page, not the table, scrolls
    box = card.get_by_role("button", name="消警").first.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    charts_drawn(page, 2)
    page.wait_for_timeout(1500)
    # nothing wider than the phone but the tables, which scroll in their own box
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    shot(page, "unit-phone", full_page=True)
    page.context.close()
