"""A NUL character anywhere in a request is a clear 422 before any service sees it:
PostgreSQL cannot store it in text, and no form of the platform needs it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway.app import create_app, has_nul
from gateway.config import Settings
from services.chassis.db import Database, make_engine, migrate
from tests.gateway.conftest import SECRET

MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"


@pytest.mark.unit
@pytest.mark.parametrize(
    ("body", "nul"),
    [
        (rb'{"q": "a\u0000b"}', True),
        (rb'{"q": "a\\u0000b"}', False),  # an escaped backslash, then the text "u0000"
        (rb'{"q": "a\\\u0000b"}', True),
        (b'{"q": "a\x00b"}', True),
        (rb'{"q": "\u00001"}', True),
        (rb'{"q": "\u0001 \u00a0"}', False),
    ],
)
def test_has_nul_tells_an_escape_from_escaped_text(body, nul):
    assert has_nul(body) is nul


@pytest.fixture
async def http(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    database = Database(make_engine(url))
    migrate(database.engine, MIGRATIONS)
    database.dispose()
    app = create_app(Settings(database_url=url, jwt_secret=SECRET, disclosure_addr="127.0.0.1:1"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client,
    ):
        yield client


@pytest.mark.integration
@pytest.mark.parametrize(
    ("method", "url", "content"),
    [
        ("POST", "/v1/auth/login", rb'{"username": "officer\u0000", "password": "x"}'),
        ("POST", "/v1/auth/login", b'{"username": "officer\x00", "password": "x"}'),
        ("GET", "/v1/public/disclosures?party_name=%00", None),
        ("GET", "/v1/public/disclosures/abc%00def", None),
    ],
)
async def test_a_nul_anywhere_is_a_422_problem(http, method, url, content):
    r = await http.request(
        method, url, content=content, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "NUL" in r.json()["detail"]
