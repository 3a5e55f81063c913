"""Overload routes through the gateway, against the real overload service: a signed weigh
station, road officers, supervisors and admins."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import httpx
import pytest

from enforcement.overload.v1 import overload_pb2_grpc
from gateway import db as gwdb
from gateway.app import create_app
from gateway.config import Settings as GatewaySettings
from gateway.security.device_signing import DeviceCredentials, signed_headers
from gateway.security.principals import Role
from gateway.security.tokens import TokenService
from services.chassis.db import Database, make_engine, migrate
from services.chassis.grpc_server import GrpcServer
from services.overload.grpc_api import OverloadServicer
from tests.gateway.conftest import SECRET
from tests.overload.conftest import MIGRATIONS

pytestmark = pytest.mark.integration

GATEWAY_MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"
STATION = "station-g312-km45"
USERS = {
    "officer": ((Role.officer,), "32041120001"),
    "colleague": ((Role.officer,), "32041120002"),
    "trainee": ((Role.officer,), None),
    "supervisor": ((Role.supervisor,), None),
    "admin": ((Role.admin,), None),
}


@pytest.fixture
async def api(tmp_path, object_store):
    engine = make_engine(f"sqlite:///{tmp_path / 'overload.db'}")
    migrate(engine, MIGRATIONS)
    overload_db = Database(engine)
    gw = Database(make_engine(f"sqlite:///{tmp_path / 'gateway.db'}"))
    migrate(gw.engine, GATEWAY_MIGRATIONS)
    tokens = TokenService(SECRET, "i", "a")
    headers = {}
    with gw.unit_of_work() as uow:
        for name, (roles, cert) in USERS.items():
            gwdb.create_user(
                uow.conn, username=name, password="correct horse battery", display_name=name,
                roles=roles, agency_id="xinbei-yjj", town="罗溪镇", certificate_no=cert,
                user_id=f"u-{name}",
            )  # fmt: skip
        uow.commit()
    with gw.read() as conn:
        for name in USERS:
            token, _ = tokens.issue_access(gwdb.get_user(conn, f"u-{name}").to_principal())
            headers[name] = {"Authorization": f"Bearer {token}"}
    secret = DeviceCredentials(gw).provision(
        "wim-station-01", "weigh_station", STATION, "xinbei-yjj"
    )
    gas_secret = DeviceCredentials(gw).provision(
        "gas-det-01", "gas_detector", "venue-1", "xinbei-yjj"
    )
    object_store.ensure_bucket("overload-evidence-gw")
    servicer = OverloadServicer(overload_db, object_store, object_store, "overload-evidence-gw")
    server = GrpcServer(
        "127.0.0.1", 0, [(overload_pb2_grpc.add_OverloadServiceServicer_to_server, servicer)], []
    )
    port = await server.start()
    app = create_app(
        GatewaySettings(
            database_url=str(gw.engine.url), jwt_secret=SECRET, jwt_issuer="i", jwt_audience="a",
            overload_addr=f"127.0.0.1:{port}",
        )
    )  # fmt: skip
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway", timeout=30
            ) as http,
        ):
            yield http, headers, {"station": secret, "gas": gas_secret}
    finally:
        await server.stop(0)
        overload_db.dispose()
        gw.dispose()


def weighing(gross: str, **changes) -> dict:
    return {
        "client_weighing_id": str(uuid.uuid4()),
        "plate": "苏D12345",
        "vehicle": {"kind": "combination", "axles": 6},
        "gross_t": gross,
        "rated_load_t": "35",
        "curb_mass_t": "15",
        "driver": {"name": "赵六"},
        "carrier": {"name": "常州某运输有限公司", "credit_code": "914403001922038216"},
        "loading_source": {"name": "某砂石场", "credit_code": "91110108551385082Q"},
        **changes,
    }


async def post_signed(http, device_id: str, secret: str, path: str, body: dict):
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = signed_headers(device_id, secret, "POST", path, raw)
    return await http.post(
        path, content=raw, headers={**headers, "Content-Type": "application/json"}
    )


async def register_station(http, headers, verified_on="2026-06-01"):
    r = await http.put(
        f"/v1/overload/stations/{STATION}",
        json={
            "name": "G312 K45 超限检测站",
            "kind": "fixed",
            "town": "罗溪镇",
            "scale": {
                "kind": "static",
                "accuracy_class": "III",
                "interval_kg": 20,
                "verified_on": verified_on,
            },
        },
        headers=headers["admin"],
    )
    assert r.status_code == 200, r.text


async def test_a_signed_station_weighing_is_judged_and_resending_it_changes_nothing(api):
    http, headers, secrets = api
    await register_station(http, headers)
    body = weighing("102.34")
    first = await post_signed(
        http, "wim-station-01", secrets["station"], "/v1/stations/weighings", body
    )
    assert first.status_code == 201, first.text
    verdict = first.json()["verdict"]
    assert verdict["over_limit"] and verdict["hundred_tonne_king"] and verdict["fine_yuan"] == 26500
    assert verdict["limit_t"] == 49 and verdict["tolerance_t"] == 0.06  # numbers, not text
    # The scale's reading waits for the officers on site to confirm it.
    inspection = first.json()["inspection"]
    assert inspection["status"] == "weighed"
    again = await post_signed(
        http, "wim-station-01", secrets["station"], "/v1/stations/weighings", body
    )
    assert again.status_code == 200 and again.json()["weighing_id"] == first.json()["weighing_id"]
    steps = f"/v1/overload/inspections/{inspection['inspection_id']}/steps"
    alone = await http.post(steps, json={"to": "confirmed"}, headers=headers["officer"])
    assert alone.status_code == 422 and "at least 2 officers" in alone.json()["detail"]
    uncertified = await http.post(
        steps, json={"to": "confirmed", "co_officer_ids": ["u-officer"]}, headers=headers["trainee"]
    )
    assert uncertified.status_code == 403
    stranger = await http.post(
        steps, json={"to": "confirmed", "co_officer_ids": ["u-nobody"]}, headers=headers["officer"]
    )
    assert stranger.status_code == 422 and "u-nobody" in stranger.json()["detail"]
    waiting = (await http.get("/v1/overload/statistics", headers=headers["supervisor"])).json()
    assert int(waiting["days"][0]["confirmed"]) == 0  # a reading is not yet a confirmation
    confirmed = await http.post(
        steps,
        json={"to": "confirmed", "co_officer_ids": ["u-colleague"]},
        headers=headers["officer"],
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    stats = (await http.get("/v1/overload/statistics", headers=headers["supervisor"])).json()
    assert stats["days"][0]["confirmed"] == 1


async def test_only_signed_weigh_stations_post_and_bad_input_is_a_clear_422(api):
    http, headers, secrets = api
    await register_station(http, headers)
    gas = await post_signed(
        http, "gas-det-01", secrets["gas"], "/v1/stations/weighings", weighing("40")
    )
    assert gas.status_code == 403
    unsigned = await http.post("/v1/stations/weighings", json=weighing("40"))
    assert unsigned.status_code == 401
    plate = await post_signed(
        http,
        "wim-station-01",
        secrets["station"],
        "/v1/stations/weighings",
        weighing("40", plate="ABC1234"),
    )
    assert plate.status_code == 422 and "licence plate" in plate.json()["detail"]
    axles = await post_signed(
        http, "wim-station-01", secrets["station"], "/v1/stations/weighings",
        weighing("40", vehicle={"kind": "combination", "axles": 2}),
    )  # fmt: skip
    assert axles.status_code == 422 and "limit table" in axles.json()["detail"]


async def test_an_expired_scale_only_raises_a_suspicion(api):
    http, headers, secrets = api
    await register_station(http, headers, verified_on="2024-01-01")
    r = await post_signed(
        http, "wim-station-01", secrets["station"], "/v1/stations/weighings", weighing("60")
    )
    verdict = r.json()["verdict"]
    assert (
        verdict["suspicion_only"]
        and verdict["fine_yuan"] == 0
        and "expired" in verdict["fine_rule"]
    )
    assert r.json()["inspection"]["status"] == "suspected"


async def test_an_officer_weighs_at_the_roadside_and_moves_the_truck_on(api):
    http, headers, _ = api
    body = weighing(
        "60",
        station_id="mobile-u-officer",
        scale={"kind": "static", "accuracy_class": "III"},
        co_officer_ids=["u-colleague"],
    )
    r = await http.post("/v1/overload/weighings", json=body, headers=headers["officer"])
    assert r.status_code == 201, r.text
    inspection = r.json()["inspection"]
    assert inspection["status"] == "confirmed"  # two officers signed the reading on site
    step = await http.post(
        f"/v1/overload/inspections/{inspection['inspection_id']}/steps",
        json={"to": "released"},
        headers=headers["officer"],
    )
    assert step.status_code == 409 and "allowed: unloaded" in step.json()["detail"]
    ok = await http.post(
        f"/v1/overload/inspections/{inspection['inspection_id']}/steps",
        json={"to": "unloaded"},
        headers=headers["officer"],
    )
    assert ok.status_code == 200 and ok.json()["status"] == "unloaded"
    assert (
        await http.get("/v1/overload/repeat-offenders", headers=headers["officer"])
    ).status_code == 403
    assert (
        await http.get("/v1/overload/repeat-offenders", headers=headers["supervisor"])
    ).status_code == 200


async def test_an_officer_attaches_a_photo_checked_by_its_hash(api):
    http, headers, _ = api
    body = weighing(
        "60", station_id="mobile-u-officer", scale={"kind": "static", "accuracy_class": "III"}
    )
    weighed = (
        await http.post("/v1/overload/weighings", json=body, headers=headers["officer"])
    ).json()
    photo = os.urandom(20_000)
    slot = await http.post(
        f"/v1/overload/weighings/{weighed['weighing_id']}/photos",
        json={
            "sha256": hashlib.sha256(photo).hexdigest(),
            "size": len(photo),
            "media_type": "image/jpeg",
        },
        headers=headers["officer"],
    )
    assert slot.status_code == 201, slot.text
    async with httpx.AsyncClient() as s3:
        assert (await s3.put(slot.json()["put_url"], content=photo)).status_code == 200
    done = await http.post(
        f"/v1/overload/photos/{slot.json()['photo_id']}/confirm", headers=headers["officer"]
    )
    assert done.status_code == 200 and done.json()["status"] == "attached"
    bad = await http.post(
        f"/v1/overload/weighings/{weighed['weighing_id']}/photos",
        json={"sha256": "xyz", "size": 10, "media_type": "image/jpeg"},
        headers=headers["officer"],
    )
    assert bad.status_code == 422


async def test_a_stations_camera_attaches_photos_of_its_own_weighings_only(api):
    http, headers, secrets = api
    await register_station(http, headers)
    posted = await post_signed(
        http, "wim-station-01", secrets["station"], "/v1/stations/weighings", weighing("60")
    )
    weighing_id = posted.json()["weighing_id"]
    photo = os.urandom(30_000)
    slot_body = {
        "sha256": hashlib.sha256(photo).hexdigest(),
        "size": len(photo),
        "media_type": "image/jpeg",
    }
    path = f"/v1/stations/weighings/{weighing_id}/photos"
    slot = await post_signed(http, "wim-station-01", secrets["station"], path, slot_body)
    assert slot.status_code == 201, slot.text
    async with httpx.AsyncClient() as s3:
        # A different picture is refused by the storage itself (the URL is bound to the
        # declared SHA-256), so there is nothing to confirm; the right one passes.
        assert (await s3.put(slot.json()["put_url"], content=b"x" * 30_000)).status_code == 400
        confirm = f"/v1/stations/photos/{slot.json()['photo_id']}/confirm"
        wrong = await post_signed(http, "wim-station-01", secrets["station"], confirm, {})
        assert wrong.status_code in (409, 412, 422), wrong.text
        assert (await s3.put(slot.json()["put_url"], content=photo)).status_code == 200
    done = await post_signed(http, "wim-station-01", secrets["station"], confirm, {})
    assert done.status_code == 200 and done.json()["status"] == "attached", done.text

    # An officer's roadside weighing is not the station's to photograph.
    roadside = weighing(
        "60", station_id="mobile-u-officer", scale={"kind": "static", "accuracy_class": "III"}
    )
    theirs = (
        await http.post("/v1/overload/weighings", json=roadside, headers=headers["officer"])
    ).json()["weighing_id"]
    path = f"/v1/stations/weighings/{theirs}/photos"
    refused = await post_signed(http, "wim-station-01", secrets["station"], path, slot_body)
    assert refused.status_code == 404, refused.text
    # Nor may a gas device or an unsigned caller use the station routes.
    gas = await post_signed(
        http,
        "gas-det-01",
        secrets["gas"],
        f"/v1/stations/weighings/{weighing_id}/photos",
        slot_body,
    )
    assert gas.status_code == 403
    unsigned = await http.post(f"/v1/stations/weighings/{weighing_id}/photos", json=slot_body)
    assert unsigned.status_code == 401


@pytest.mark.parametrize(
    "query",
    [
        "date_to=0001-01-01",  # the default month before it would overflow
        "date_from=2026-05-01&date_to=2026-04-01",
        "date_from=2000-01-01&date_to=2026-01-01",
        "date_to=0",
    ],
)
async def test_statistics_refuse_impossible_ranges_with_a_422(api, query):
    http, headers, _ = api
    r = await http.get(f"/v1/overload/statistics?{query}", headers=headers["supervisor"])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_the_overload_goes_to_the_traffic_police_as_a_referral_and_its_receipt_is_kept(api):
    """一超四罚 by a road authority: it proposes its own Art. 43 fine; the 超载 fine and the
    driver's points go to the traffic police with the weighing, the photos and the facts."""
    http, headers, _ = api
    body = weighing(
        "102.34",
        plate="苏D50001",
        station_id="mobile-u-officer",
        scale={"kind": "static", "accuracy_class": "III"},
        co_officer_ids=["u-colleague"],
    )
    r = await http.post("/v1/overload/weighings", json=body, headers=headers["officer"])
    assert r.status_code == 201, r.text
    verdict = r.json()["verdict"]
    assert r.json()["inspection"]["status"] == "confirmed"
    assert verdict["fine_reading"].startswith("per full tonne") and verdict["fine_reading_source"]
    assert verdict["rules_version"].endswith("/v2") and verdict["rules_description"]
    photo = os.urandom(10_000)
    slot = await http.post(
        f"/v1/overload/weighings/{r.json()['weighing_id']}/photos",
        json={"sha256": hashlib.sha256(photo).hexdigest(), "size": len(photo),
              "media_type": "image/jpeg"},
        headers=headers["officer"],
    )  # fmt: skip
    async with httpx.AsyncClient() as s3:
        assert (await s3.put(slot.json()["put_url"], content=photo)).status_code == 200
    done = await http.post(
        f"/v1/overload/photos/{slot.json()['photo_id']}/confirm", headers=headers["officer"]
    )
    assert done.json()["status"] == "attached"

    listed = await http.get("/v1/overload/referrals", headers=headers["officer"])
    assert listed.status_code == 200, listed.text
    [referral] = [x for x in listed.json()["referrals"] if x["plate"] == "苏D50001"]
    assert referral["to_power"] == "traffic-police" and referral["status"] == "sent"
    assert referral["to_agency"] == "公安机关交通管理部门" and not referral.get("overdue")
    assert any("第九十二条" in m for m in referral["matters"])
    assert referral["photo_keys"] == [done.json()["object_key"]]
    assert int(referral["own_fine_yuan"]) == 26500 and "第四十三条" in referral["own_fine_basis"]
    path = f"/v1/overload/referrals/{referral['referral_id']}/acknowledgement"
    empty = await http.post(path, json={"reference": ""}, headers=headers["officer"])
    assert empty.status_code == 422
    assert empty.headers["content-type"].startswith("application/problem+json")
    ok = await http.post(path, json={"reference": "新公交(2026)第88号"}, headers=headers["officer"])
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "acknowledged" and ok.json()["acknowledged_by"] == "u-officer"
    still_open = await http.get("/v1/overload/referrals", headers=headers["officer"])
    assert referral["referral_id"] not in {x["referral_id"] for x in still_open.json()["referrals"]}
    assert (
        await http.get("/v1/overload/referrals", headers=headers["supervisor"])
    ).status_code == 403


async def test_an_overload_within_the_scales_error_gets_no_fine(api):
    http, headers, _ = api
    # 50.05 t read, 15 t curb, rated 35 t: 35.05 t carried on the reading, 34.99 t after the
    # 60 kg error of a class III scale with 20 kg intervals.
    body = weighing(
        "50.05",
        plate="苏D50002",
        station_id="mobile-u-officer",
        scale={"kind": "static", "accuracy_class": "III"},
        co_officer_ids=["u-colleague"],
    )
    r = await http.post("/v1/overload/weighings", json=body, headers=headers["officer"])
    verdict = r.json()["verdict"]
    assert not verdict.get("overload_fine_yuan") and "scale's error" in verdict["overload_rule"]
    listed = (await http.get("/v1/overload/referrals", headers=headers["officer"])).json()
    assert "苏D50002" not in {x["plate"] for x in listed.get("referrals", [])}


async def test_axle_groups_a_permit_and_the_licence_mass_are_judged(api):
    http, headers, _ = api
    common = {
        "station_id": "mobile-u-officer",
        "scale": {"kind": "static", "accuracy_class": "III"},
    }
    axles = weighing(
        "45",
        plate="苏D50003",
        axle_groups=[
            {"axles": 1, "steer": True, "single_tyres": True, "load_t": "7"},
            {"axles": 2, "drive": True, "spread_mm": 1350, "load_t": "18.5"},
            {"axles": 3, "spread_mm": 1310, "load_t": "19.5"},
        ],
        **common,
    )
    r = await http.post("/v1/overload/weighings", json=axles, headers=headers["officer"])
    assert r.status_code == 201, r.text
    assert r.json()["verdict"]["axle_over"] and len(r.json()["verdict"]["axle_findings"]) == 3
    bad = weighing("45", plate="苏D50004", axle_loads_t=["7", "18"], **common)
    r = await http.post("/v1/overload/weighings", json=bad, headers=headers["officer"])
    assert r.status_code == 422 and "one load per axle" in r.json()["detail"]
    permitted = weighing(
        "80", plate="苏D50005", permit={"permit_no": "苏超限2026-0412", "gross_t": "80"}, **common
    )
    r = await http.post("/v1/overload/weighings", json=permitted, headers=headers["officer"])
    assert not r.json()["verdict"]["over_limit"] and r.json()["verdict"]["permit_no"]
    tractor = weighing("5", plate="苏D50006", vehicle={"kind": "tractor", "axles": 2}, **common)
    r = await http.post("/v1/overload/weighings", json=tractor, headers=headers["officer"])
    assert r.status_code == 422 and "行驶证" in r.json()["detail"]
    tractor["vehicle"]["licensed_gross_t"] = "4.5"
    r = await http.post("/v1/overload/weighings", json=tractor, headers=headers["officer"])
    assert r.status_code == 201 and r.json()["verdict"]["limit_t"] == "4.5"
