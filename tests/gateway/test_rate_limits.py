"""Rate limits on what anyone can reach: failed logins and the public disclosure routes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway import db as gwdb
from gateway.app import create_app
from gateway.config import Settings
from gateway.security.principals import Role
from gateway.security.ratelimit import SlidingWindow
from services.chassis.db import Database, make_engine, migrate
from tests.gateway.conftest import SECRET

GATEWAY_MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"


@pytest.mark.unit
def test_a_sliding_window_lets_the_limit_through_then_says_when_to_come_back():
    w = SlidingWindow(limit=3, window_s=60)
    for t in (0, 1, 2):
        assert w.retry_after("k", now=t) == 0
        w.hit("k", now=t)
    assert w.retry_after("k", now=10) == 51
    assert w.retry_after("other", now=10) == 0
    assert w.retry_after("k", now=60.5) == 0  # the first hit has aged out


@pytest.mark.unit
def test_a_take_checks_and_counts_in_one_step():
    w = SlidingWindow(limit=2, window_s=60)
    assert [w.take("k", now=t) for t in (0, 1, 2)] == [0, 0, 59]
    assert w.retry_after("k", now=3) == 58, "the refused take was not counted"
    assert w.take("k", now=60.5) == 0


@pytest.fixture
async def http(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    database = Database(make_engine(url))
    migrate(database.engine, GATEWAY_MIGRATIONS)
    with database.unit_of_work() as uow:
        gwdb.create_user(
            uow.conn, username="officer1", password="correct horse battery", display_name="O",
            roles=(Role.officer,), agency_id="a", town=None, certificate_no="1",
        )  # fmt: skip
        uow.commit()
    database.dispose()
    app = create_app(
        Settings(
            database_url=url, jwt_secret=SECRET, login_failures_per_15_min=3,
            public_requests_per_min=2, disclosure_addr="127.0.0.1:1",
        )
    )  # fmt: skip
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client,
    ):
        yield client


@pytest.mark.integration
async def test_failed_logins_are_limited_and_the_right_password_waits_too(http):
    wrong = {"username": "officer1", "password": "guess"}
    for _ in range(3):
        assert (await http.post("/v1/auth/login", json=wrong)).status_code == 401
    limited = await http.post("/v1/auth/login", json=wrong)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert limited.headers["content-type"].startswith("application/problem+json")
    right = {"username": "officer1", "password": "correct horse battery"}
    assert (await http.post("/v1/auth/login", json=right)).status_code == 429


@pytest.mark.integration
async def test_a_correct_login_is_not_counted(http):
    right = {"username": "officer1", "password": "correct horse battery"}
    for _ in range(5):
        assert (await http.post("/v1/auth/login", json=right)).status_code == 200


@pytest.mark.integration
async def test_the_public_search_is_limited_per_address(http):
    # The disclosure service is not running: the first two get 503, the third is limited.
    codes = [(await http.get("/v1/public/disclosures")).status_code for _ in range(3)]
    assert codes[:2] == [503, 503] and codes[2] == 429
