"""User administration: an agency's admins open, change, deactivate and reset accounts of
their own agency; users change their own password."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gateway import db as gwdb
from gateway.app import create_app
from gateway.config import Settings
from gateway.security.principals import Role
from services.chassis.db import Database, make_engine, migrate
from tests.gateway.conftest import SECRET

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"
PASSWORD = "correct horse battery"


@pytest.fixture
async def api(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    database = Database(make_engine(url))
    migrate(database.engine, MIGRATIONS)
    with database.unit_of_work() as uow:
        for username, agency, roles in (
            ("admin-a", "a", (Role.admin,)),
            ("admin-b", "b", (Role.admin,)),
            ("officer-a", "a", (Role.officer,)),
        ):
            gwdb.create_user(
                uow.conn, username=username, password=PASSWORD, display_name=username,
                roles=roles, agency_id=agency, user_id=f"u-{username}", certificate_no="C-1",
            )  # fmt: skip
        uow.commit()
    app = create_app(Settings(database_url=url, jwt_secret=SECRET))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http,
    ):
        yield http, database
    database.dispose()


async def login(http, username: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/v1/auth/login", json={"username": username, "password": password})


async def bearer(http, username: str, password: str = PASSWORD) -> dict:
    r = await login(http, username, password)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


NEW_OFFICER = {
    "username": "zhou.jie",
    "display_name": "周杰",
    "roles": ["officer"],
    "town": "薛家镇",
    "certificate_no": "32041120099",
}


async def test_an_admin_opens_an_account_that_logs_in_and_changes_its_password(api):
    http, _ = api
    admin = await bearer(http, "admin-a")
    made = await http.post("/v1/users", json=NEW_OFFICER, headers=admin)
    assert made.status_code == 201, made.text
    temporary = made.json()["temporary_password"]
    assert made.json()["roles"] == ["officer"] and len(temporary) >= 16
    me = await bearer(http, "zhou.jie", temporary)
    assert (await http.get("/v1/auth/me", headers=me)).json()["town"] == "薛家镇"

    change = {"current_password": temporary, "new_password": "a much longer secret"}
    assert (await http.post("/v1/auth/password", json=change, headers=me)).status_code == 204
    assert (await login(http, "zhou.jie", temporary)).status_code == 401
    assert (await login(http, "zhou.jie", "a much longer secret")).status_code == 200
    wrong = {"current_password": "guess", "new_password": "another long secret"}
    assert (await http.post("/v1/auth/password", json=wrong, headers=me)).status_code == 403
    short = {"current_password": "a much longer secret", "new_password": "short"}
    assert (await http.post("/v1/auth/password", json=short, headers=me)).status_code == 422

    listed = (await http.get("/v1/users", headers=admin)).json()
    assert {u["username"] for u in listed} == {"admin-a", "officer-a", "zhou.jie"}
    assert all(u["temporary_password"] is None for u in listed)
    again = await http.post("/v1/users", json=NEW_OFFICER, headers=admin)
    assert again.status_code == 409


@pytest.mark.parametrize(
    "changes",
    [
        {"certificate_no": None},  # an officer needs a certificate
        {"roles": ["venue_owner"]},  # an owner needs a venue
        {"roles": ["officer", "venue_owner"], "venue_id": "v-1"},  # and no staff role
        {"roles": ["auditor"]},
        {"username": "Upper Case"},
        {"password": "chosen-by-admin"},
    ],
)
async def test_inconsistent_accounts_are_refused_and_nothing_is_stored(api, changes):
    http, database = api
    admin = await bearer(http, "admin-a")
    r = await http.post("/v1/users", json={**NEW_OFFICER, **changes}, headers=admin)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    with database.read() as conn:
        assert gwdb.get_user_by_username(conn, NEW_OFFICER["username"]) is None


async def test_deactivating_ends_the_sessions_and_the_login(api):
    http, _ = api
    admin = await bearer(http, "admin-a")
    session = await login(http, "officer-a")
    refresh = session.json()["refresh_token"]
    off = await http.patch("/v1/users/u-officer-a", json={"active": False}, headers=admin)
    assert off.status_code == 200 and off.json()["active"] is False
    assert (await login(http, "officer-a")).status_code == 401
    assert (await http.post("/v1/auth/refresh", json={"refresh_token": refresh})).status_code == 401
    back = await http.patch("/v1/users/u-officer-a", json={"active": True}, headers=admin)
    assert back.status_code == 200
    reset = await http.post("/v1/users/u-officer-a/password-reset", headers=admin)
    assert reset.status_code == 200
    assert (await login(http, "officer-a")).status_code == 401  # the old password is gone
    assert (await login(http, "officer-a", reset.json()["temporary_password"])).status_code == 200


async def test_only_the_agencys_admins_and_never_on_themselves(api):
    http, _ = api
    admin_a, admin_b = await bearer(http, "admin-a"), await bearer(http, "admin-b")
    officer = await bearer(http, "officer-a")
    assert (await http.get("/v1/users", headers=officer)).status_code == 403
    assert (await http.post("/v1/users", json=NEW_OFFICER, headers=officer)).status_code == 403
    assert (await http.get("/v1/users")).status_code == 401
    for r in (
        await http.patch("/v1/users/u-officer-a", json={"active": False}, headers=admin_b),
        await http.post("/v1/users/u-officer-a/password-reset", headers=admin_b),
    ):
        assert r.status_code == 404  # another agency's account is not theirs to see
    assert (await login(http, "officer-a")).status_code == 200
    own = await http.patch("/v1/users/u-admin-a", json={"active": False}, headers=admin_a)
    assert own.status_code == 409
    demote = await http.patch("/v1/users/u-admin-a", json={"roles": ["officer"]}, headers=admin_a)
    assert demote.status_code == 409


async def test_only_a_real_change_of_roles_or_jurisdiction_ends_the_access_tokens(api):
    http, _database = api
    admin, officer = await bearer(http, "admin-a"), await bearer(http, "officer-a")
    path = "/v1/users/u-officer-a"
    same = {"display_name": "新名字", "roles": ["officer"], "certificate_no": "C-1"}
    assert (await http.patch(path, json=same, headers=admin)).status_code == 200
    assert (await http.get("/v1/auth/me", headers=officer)).status_code == 200
    moved = await http.patch(path, json={"town": "薛家镇"}, headers=admin)
    assert moved.status_code == 200
    refused = await http.get("/v1/auth/me", headers=officer)
    assert refused.status_code == 401 and refused.json()["type"].endswith("/token-outdated")
    fresh = await bearer(http, "officer-a")
    assert (await http.get("/v1/auth/me", headers=fresh)).json()["town"] == "薛家镇"
