"""What a newcomer meets first, through the gateway: `GET /` says where to go, and every
request, a refused one too, leaves one line in the access log without a token or personal data."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import get_args

import httpx
import pytest
from starlette.staticfiles import StaticFiles

from gateway import db as gwdb
from gateway import webapps
from gateway.app import create_app
from gateway.config import Settings
from gateway.problem_texts import BY_SLUG, KINDS, negotiate, translate
from gateway.security.principals import Role
from services.chassis.db import Database, make_engine, migrate
from tests.gateway.conftest import SECRET

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"
PASSWORD = "correct horse battery"


def gateway_app(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    database = Database(make_engine(url))
    migrate(database.engine, MIGRATIONS)
    with database.unit_of_work() as uow:
        gwdb.create_user(
            uow.conn, username="officer-a", password=PASSWORD, display_name="张三",
            roles=(Role.officer,), agency_id="a", user_id="u-officer-a", certificate_no="C-1",
            town="薛家镇",
        )  # fmt: skip
        gwdb.create_user(
            uow.conn, username="admin-a", password=PASSWORD, display_name="李四",
            roles=(Role.admin,), agency_id="a", user_id="u-admin-a",
        )  # fmt: skip
        gwdb.create_user(
            uow.conn, username="reviewer-a", password=PASSWORD, display_name="王律",
            roles=(Role.legal_reviewer,), agency_id="a", user_id="u-reviewer-a",
        )  # fmt: skip
        uow.commit()
    database.dispose()
    return create_app(Settings(database_url=url, jwt_secret=SECRET))


@pytest.fixture
async def http(tmp_path):
    app = gateway_app(tmp_path)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http,
    ):
        yield http


async def bearer(http, username: str) -> dict:
    r = await http.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


# -- GET / ------------------------------------------------------------------------------------


async def test_the_root_page_points_a_browser_to_the_docs_and_the_public_pages(http):
    r = await http.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    for href in ("/docs", "/public", "/openapi.json"):
        assert f'href="{href}"' in r.text
    assert "行政处罚公示" in r.text
    # An app is linked exactly when its built files are served: no link that would answer 404.
    for mount, folder in (("app", "officer"), ("console", "console")):
        built = (webapps.REPO / "web" / folder / "dist" / "index.html").is_file()
        assert (f'href="/{mount}/"' in r.text) is built, mount
    assert (await http.get("/docs")).status_code == 200
    # /public asks the disclosure service (not started here): a route, not a 404.
    assert (await http.get("/public")).status_code != 404


async def test_the_root_answers_code_with_json_links(http):
    r = await http.get("/", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    hrefs = [link["href"] for link in r.json()["links"]]
    assert hrefs[:3] == ["/docs", "/openapi.json", "/public"]
    assert all(link["title"] and link["title_en"] for link in r.json()["links"])


async def test_the_root_lists_the_apps_and_the_console_once_they_are_served(tmp_path):
    for name in ("app", "console"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.html").write_text("<!doctype html><title>built</title>")
    app = gateway_app(tmp_path)
    app.mount("/app", StaticFiles(directory=tmp_path / "app", html=True))
    app.mount("/console", StaticFiles(directory=tmp_path / "console", html=True))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http,
    ):
        hrefs = [
            link["href"]
            for link in (await http.get("/", headers={"Accept": "application/json"})).json()[
                "links"
            ]
        ]
        assert "/app/" in hrefs and "/console/" in hrefs
        assert (await http.get("/app/")).status_code == 200


# -- the access log ---------------------------------------------------------------------------


def access_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "gateway.access"]


async def test_a_refused_request_leaves_a_line_in_the_access_log(http, caplog):
    caplog.set_level(logging.INFO, logger="gateway.access")
    r = await http.get("/v1/cases", headers={"X-Request-ID": "req-refused-1"})
    assert r.status_code == 401
    [line] = access_lines(caplog)
    assert (line.method, line.route, line.status) == ("GET", "/v1/cases", 401)
    assert line.request_id == "req-refused-1" and line.user_id is None
    assert line.duration_ms >= 0
    # An unsigned device post and an unknown route leave their lines too.
    caplog.clear()
    device = await http.post("/v1/gas/device-events", json={"events": []})
    assert device.status_code == 401
    assert (await http.get("/v1/no-such-thing")).status_code == 404
    assert [(x.route, x.status, x.device_id) for x in access_lines(caplog)] == [
        ("/v1/gas/device-events", 401, None),
        ("unmatched", 404, None),
    ]


async def test_the_access_log_names_the_user_and_the_route_template_never_the_token(http, caplog):
    headers = await bearer(http, "admin-a")
    token = headers["Authorization"].removeprefix("Bearer ")
    caplog.set_level(logging.INFO, logger="gateway.access")
    caplog.clear()
    r = await http.get("/v1/users", headers={**headers, "X-Request-ID": "req-ok-2"})
    assert r.status_code == 200, r.text
    missing = await http.patch("/v1/users/u-nobody", json={"display_name": "王五"}, headers=headers)
    assert missing.status_code == 404
    wrong = await http.post(
        "/v1/auth/login", json={"username": "officer-a", "password": "not the password"}
    )
    assert wrong.status_code == 401
    lines = access_lines(caplog)
    assert [(x.method, x.route, x.status, x.user_id) for x in lines] == [
        ("GET", "/v1/users", 200, "u-admin-a"),
        ("PATCH", "/v1/users/{user_id}", 404, "u-admin-a"),
        ("POST", "/v1/auth/login", 401, None),
    ]
    assert lines[0].request_id == "req-ok-2"
    # Nothing a caller sent lands in the log: no token, password, user name or person.
    everything = " ".join(
        f"{r.getMessage()} {' '.join(str(v) for v in r.__dict__.values())}" for r in lines
    )
    for secret in (token, PASSWORD, "not the password", "officer-a", "张三", "王五", "u-nobody"):
        assert secret not in everything, secret


# -- errors in Chinese and English -------------------------------------------------------------


async def test_a_problem_answers_in_chinese_by_default_and_in_english_on_request(http):
    zh = await http.get("/v1/cases")
    en = await http.get("/v1/cases", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    for r in (zh, en):
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "https://enforcement.example/problems/unauthenticated"
        assert "Accept-Language" in r.headers["vary"]
    assert zh.headers["content-language"] == "zh-CN" and en.headers["content-language"] == "en"
    assert zh.json()["title"] == "需要登录"
    assert zh.json()["detail"] == "请登录后以 'Authorization: Bearer ...' 发送访问令牌"
    assert en.json()["title"] == "Login required"
    assert en.json()["detail"] == "send an access token as 'Authorization: Bearer ...'"
    zh_first = await http.get("/v1/cases", headers={"Accept-Language": "zh-CN,en;q=0.8"})
    assert zh_first.json()["title"] == "需要登录"


async def test_a_wrong_login_and_an_expired_token_speak_the_callers_language(http):
    wrong = {"username": "officer-a", "password": "not the password"}
    zh = await http.post("/v1/auth/login", json=wrong)
    en = await http.post("/v1/auth/login", json=wrong, headers={"Accept-Language": "en"})
    assert (zh.json()["title"], zh.json()["detail"]) == ("登录失败", "用户名或密码错误")
    assert (en.json()["title"], en.json()["detail"]) == (
        "Login failed",
        "unknown username or wrong password",
    )


async def test_validation_lists_every_field_at_once_in_the_callers_language(http):
    admin = await bearer(http, "admin-a")
    bad = {"username": "A", "display_name": "", "roles": [], "town": "薛家镇"}
    zh = await http.post("/v1/users", json=bad, headers=admin)
    en = await http.post("/v1/users", json=bad, headers={**admin, "Accept-Language": "en"})
    assert zh.status_code == en.status_code == 422
    fields = [tuple(e["loc"]) for e in zh.json()["errors"]]
    assert fields == [tuple(e["loc"]) for e in en.json()["errors"]]
    assert set(fields) == {
        ("body", "username"), ("body", "display_name"), ("body", "roles"),
    }  # fmt: skip
    assert zh.json()["title"] == "请求内容有误" and en.json()["title"] == "The request is not valid"
    by_field = {e["loc"][-1]: e["msg"] for e in zh.json()["errors"]}
    assert by_field["display_name"] == "至少 1 个字符" and by_field["roles"] == "至少 1 项"
    for field in ("username", "display_name", "roles"):
        assert field in zh.json()["detail"] and field in en.json()["detail"]


CHECKLIST = (
    "subject", "powers", "facts", "evidence", "procedure",
    "legal-basis", "discretion", "documents", "criminal-referral",
)  # fmt: skip


def test_the_gateway_knows_the_review_services_checklist():
    from gateway.routes.reviews import CheckItemKey
    from services.review.domain.tasks import CHECKLIST_KEYS

    assert get_args(CheckItemKey) == CHECKLIST_KEYS == CHECKLIST


async def test_a_review_missing_checklist_items_is_a_422_naming_every_one(http):
    reviewer = await bearer(http, "reviewer-a")
    body = {
        "outcome": "approved",
        "checklist": [
            {"item": "subject", "passed": True},
            {"item": "facts", "passed": False},
            {"item": "subject", "passed": True},
        ],
        "opinion": "同意",
    }
    r = await http.post("/v1/reviews/rv-1/outcome", json=body, headers=reviewer)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"].endswith("/invalid-request") and problem["title"] == "请求内容有误"
    msgs = [e["msg"] for e in problem["errors"]]
    missing = {m.removeprefix("缺少审核项 ") for m in msgs if m.startswith("缺少审核项 ")}
    assert missing == set(CHECKLIST) - {"subject", "facts"}
    assert "审核项 subject 重复" in msgs
    assert "未通过的审核项须写明理由" in msgs and "有未通过的审核项时不能同意" in msgs
    en = await http.post(
        "/v1/reviews/rv-1/outcome", json=body, headers={**reviewer, "Accept-Language": "en"}
    )
    assert en.status_code == 422
    assert "missing checklist item powers" in [e["msg"] for e in en.json()["errors"]]


def raised_slugs() -> set[str]:
    """Every problem type the gateway's code can answer with."""
    from gateway.grpc_errors import _MAP
    from gateway.problems import _SLUGS

    slugs = set(_SLUGS.values()) | {slug for _, slug, _ in _MAP.values()}
    slugs |= {"service-error", "internal-error"}
    patterns = (
        r'type="([a-z-]+)"',
        r'_refuse\(\s*"([a-z-]+)"',
        r'_problem\(\s*scope,\s*\d+,\s*"([a-z-]+)"',
        r'problem_response\(\s*\d+,\s*"([a-z-]+)"',
        r'invalid_token\([^)]*slug="([a-z-]+)"',
    )
    for path in (Path(__file__).resolve().parents[2] / "gateway").rglob("*.py"):
        text = path.read_text()
        for pattern in patterns:
            slugs |= set(re.findall(pattern, text))
    return slugs


def test_every_problem_type_has_both_texts_and_is_listed_in_the_api_docs():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    slugs = raised_slugs()
    assert {"unauthenticated", "not-allowed-now", "invalid-request", "bad-signature"} <= slugs
    assert slugs <= set(BY_SLUG), sorted(slugs - set(BY_SLUG))
    for kind in KINDS:
        assert kind.zh and kind.en and kind.when, kind
        row = next((line for line in docs.splitlines() if f"`{kind.slug}`" in line), "")
        assert kind.zh in row and kind.en in row and str(kind.status) in row, kind.slug


def test_accept_language_negotiation():
    assert negotiate(None) == negotiate("") == negotiate("fr") == "zh-CN"
    assert negotiate("en") == negotiate("en-US,en;q=0.9") == "en"
    assert negotiate("zh-TW,en;q=0.5") == "zh-CN"
    assert negotiate("fr, en;q=0.4, zh;q=0.3") == "en"
    assert negotiate("en;q=0, zh") == "zh-CN"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("a case at stage review cannot move to decision; allowed: notice",
         "处于 review 阶段的案件不能转到 decision; 可转到: notice"),
        ("a case at stage review cannot move to decision; allowed: notice; the notice and the "
         "decision wait for the legal review (法制审核), which is pending",
         "处于 review 阶段的案件不能转到 decision; 可转到: notice; 告知和决定须等待法制审核, "
         "当前审核状态: pending"),
        ("moving to decision needs the legal review (法制审核) to approve the proposal or find "
         "it not required; its review is pending",
         "转到 decision 须经法制审核同意或认定无需审核; 当前审核状态: pending"),
        ("credit code '914403001922038217' is not a valid unified social credit code",
         "统一社会信用代码 '914403001922038217' 无效"),
        ("the upload is not the declared file (SHA-256 or size differs); upload it again",
         "上传的文件与声明不符 (SHA-256 或大小不同), 请重新上传"),
        ("'苏X' is not a valid Chinese licence plate", "'苏X' 不是有效的车牌号"),
        ("weighing not found", "weighing 不存在"),
        ("too many failed logins; try again in 60 s", "登录失败次数过多; 请 60 秒后再试"),
        ("the token has expired", "访问令牌已过期 (有效期 15 分钟), 请刷新或重新登录"),
        ("Input should be 'approved', 'returned' or 'rejected'",
         "应为以下之一: 'approved', 'returned', 'rejected'"),
    ],
)  # fmt: skip
def test_the_common_refusals_have_their_chinese(english, chinese):
    assert translate(english) == chinese


def test_a_message_no_pattern_knows_stays_as_written():
    assert translate("something new from a service") is None
