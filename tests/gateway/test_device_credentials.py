"""Device credentials through the gateway: an agency's admins issue, rotate and revoke them;
nobody else can, and a revoked device is refused at once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from enforcement.gas.v1 import gas_pb2
from gateway import db as gwdb
from gateway.app import create_app
from gateway.config import Settings
from gateway.security.device_signing import signed_headers
from gateway.security.principals import Role
from gateway.security.tokens import TokenService
from services.chassis.db import Database, make_engine, migrate
from services.chassis.grpc_server import GrpcServer
from services.gas import handlers as gas
from services.gas.grpc_api import servicers
from tests.gateway.conftest import SECRET

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "gateway" / "migrations"
ME = "/v1/devices/me"


@pytest.fixture
async def api(tmp_path):
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    database = Database(make_engine(url))
    migrate(database.engine, MIGRATIONS)
    people = {
        "admin-a": ((Role.admin,), "a"),
        "admin-b": ((Role.admin,), "b"),
        "officer-a": ((Role.officer,), "a"),
    }
    tokens = {}
    tokens_service = TokenService(SECRET, "i", "a")
    with database.unit_of_work() as uow:
        for username, (roles, agency) in people.items():
            gwdb.create_user(
                uow.conn, username=username, password="correct horse battery",
                display_name=username, roles=roles, agency_id=agency, user_id=f"u-{username}",
            )  # fmt: skip
        uow.commit()
    with database.read() as conn:
        for username in people:
            user = gwdb.get_user(conn, f"u-{username}")
            tokens[username] = {
                "Authorization": f"Bearer {tokens_service.issue_access(user.to_principal())[0]}"
            }
    # The gas register: credentials are issued only for devices registered there.
    gas_db = Database(make_engine(f"sqlite:///{tmp_path / 'gas.db'}"))
    migrate(gas_db.engine, ROOT / "services" / "gas" / "migrations")
    for venue_id in ("venue-1", "venue-2"):
        gas.upsert_venue(
            gas_db, gas_pb2.Venue(venue_id=venue_id, name="面馆", agency_id="a", town="t")
        )
    gas.upsert_device(
        gas_db, gas_pb2.Device(device_id="det-77", venue_id="venue-1", kind="gas_detector")
    )
    gas.upsert_device(
        gas_db, gas_pb2.Device(device_id="valve-5", venue_id="venue-2", kind="shutoff_valve")
    )
    server = GrpcServer("127.0.0.1", 0, servicers(gas_db, None), [])
    port = await server.start()
    app = create_app(
        Settings(
            database_url=url,
            jwt_secret=SECRET,
            jwt_issuer="i",
            jwt_audience="a",
            gas_addr=f"127.0.0.1:{port}",
        )
    )
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http,
        ):
            yield http, tokens, database
    finally:
        await server.stop(0)
        gas_db.dispose()
        database.dispose()


async def whoami(http, device_id: str, secret: str) -> int:
    return (
        await http.get(ME, headers=signed_headers(device_id, secret, "GET", ME, b""))
    ).status_code


async def test_issue_rotate_and_revoke(api):
    http, tokens, _ = api
    path = "/v1/devices/det-77/credentials"
    body = {"kind": "gas_detector", "owner_id": "venue-1"}
    issued = await http.post(path, json=body, headers=tokens["admin-a"])
    assert issued.status_code == 201, issued.text
    first = issued.json()["secret"]
    assert issued.json()["status"] == "active" and len(first) >= 32
    assert await whoami(http, "det-77", first) == 200

    shown = (await http.get(path, headers=tokens["admin-a"])).json()
    assert shown["secret"] is None and shown["owner_id"] == "venue-1"
    again = await http.post(path, json=body, headers=tokens["admin-a"])
    assert again.status_code == 409

    rotated = await http.post(f"{path}/rotate", headers=tokens["admin-a"])
    assert rotated.status_code == 200
    second = rotated.json()["secret"]
    assert second != first and rotated.json()["previous_valid_until"]
    # Devices in the field pick up the new secret over the grace period; both work meanwhile.
    assert await whoami(http, "det-77", second) == 200
    assert await whoami(http, "det-77", first) == 200

    revoked = await http.post(f"{path}/revoke", headers=tokens["admin-a"])
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert await whoami(http, "det-77", second) == 401
    assert (await http.post(f"{path}/rotate", headers=tokens["admin-a"])).status_code == 409


async def test_only_the_agencys_admins_manage_its_devices(api):
    http, tokens, database = api
    path = "/v1/devices/valve-5/credentials"
    body = {"kind": "shutoff_valve", "owner_id": "venue-2"}
    assert (await http.post(path, json=body, headers=tokens["officer-a"])).status_code == 403
    assert (await http.post(path, json=body)).status_code == 401
    # Not theirs to issue: the device is registered at agency a's venue.
    assert (await http.post(path, json=body, headers=tokens["admin-b"])).status_code == 404
    assert (await http.post(path, json=body, headers=tokens["admin-a"])).status_code == 201
    for action in ("", "/rotate", "/revoke"):
        method = http.get if not action else http.post
        other = await method(f"{path}{action}", headers=tokens["admin-b"])
        assert other.status_code == 404, action  # another agency's device is not theirs
    row = gwdb.device_credentials
    with database.read() as conn:
        assert conn.execute(row.select().where(row.c.device_id == "valve-5")).first().status == (
            "active"
        )


@pytest.mark.parametrize(
    ("device_id", "body"),
    [
        ("bad id!", {"kind": "gas_detector", "owner_id": "v"}),
        ("ok-id", {"kind": "toaster", "owner_id": "v"}),
        ("ok-id", {"kind": "weigh_station", "owner_id": ""}),
        ("det-77", {"kind": "shutoff_valve"}),  # registered as a detector
        ("det-77", {"kind": "gas_detector", "owner_id": "venue-2"}),  # registered at venue-1
        ("ok-id", {"kind": "gas_detector", "owner_id": "v", "secret": "mine"}),
    ],
)
async def test_bad_requests_are_refused_and_issue_nothing(api, device_id, body):
    http, tokens, database = api
    r = await http.post(
        f"/v1/devices/{device_id}/credentials", json=body, headers=tokens["admin-a"]
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    with database.read() as conn:
        assert conn.execute(gwdb.device_credentials.select()).first() is None


async def test_only_registered_devices_get_credentials(api):
    http, tokens, _ = api
    body = {"kind": "gas_detector", "owner_id": "venue-1"}
    r = await http.post("/v1/devices/det-unknown/credentials", json=body, headers=tokens["admin-a"])
    assert r.status_code == 404, r.text
    # The owner may leave the venue out: the register knows it.
    r = await http.post(
        "/v1/devices/det-77/credentials", json={"kind": "gas_detector"}, headers=tokens["admin-a"]
    )
    assert r.status_code == 201 and r.json()["owner_id"] == "venue-1", r.text
