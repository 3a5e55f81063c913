"""Issue 13.1: device credentials belong to the agency that owns the device.

The registers decide whose a device is: a gas device is its venue's agency's, a weigh
station's device its station's agency's. Another agency's admin cannot be issued a secret for
them (before, they could, and then raised alarms, took a valve's close commands and posted
forged weighings as them), and credentials such an admin holds from before are refused on
every event and weighing, and taken back by the owner's admin without a 409.
"""

from __future__ import annotations

import json
import time

import pytest

from gateway.security.device_signing import DeviceCredentials, signed_headers
from services.chassis.db import Database
from tests.security.conftest import AGENCY, OTHER_AGENCY, cid, is_problem

pytestmark = pytest.mark.e2e

GAS = "/v1/gas/device-events"
STATION = "/v1/stations/weighings"
VENUE = "venue-xuejia-001"  # 老街面馆, 薛家镇, this agency's
WEIGH_STATION = "station-g312-km45"  # this agency's


def post(http, device_id: str, secret: str, path: str, body: dict):
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = signed_headers(device_id, secret, "POST", path, raw)
    return http.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})


def poll(http, device_id: str, secret: str):
    target = "/v1/gas/commands?wait=0"  # signed with its query string, as sent
    return http.get(target, headers=signed_headers(device_id, secret, "GET", target, b""))


def readings() -> dict:
    base = int(time.time() * 1000) * 100
    return {"events": [{"seq": base + i, "type": "reading", "lel": 60} for i in range(3)]}


def issued_before_the_fix(stack, device_id: str, kind: str, owner_id: str) -> str:
    """Credentials another agency's admin was issued before issue 13 (the old route gave
    them to anyone who asked first), written as that route wrote them."""
    database = Database.from_url(f"sqlite:///{stack.var / 'gateway.db'}")
    try:
        return DeviceCredentials(database).provision(device_id, kind, owner_id, OTHER_AGENCY)
    finally:
        database.dispose()


@pytest.fixture
def valve(login) -> str:
    """A valve this agency registered at its venue, with no credentials yet."""
    device_id = f"sec-valve-{cid()[:8]}"
    r = login("admin").put(
        f"/v1/gas/devices/{device_id}", {"venue_id": VENUE, "kind": "shutoff_valve"}
    )
    assert r.status_code == 200, r.text
    return device_id


def test_another_agency_gets_no_credentials_for_this_agencys_device(login, valve):
    intruder, admin = login("wj-admin"), login("admin")
    for body in ({"kind": "shutoff_valve", "owner_id": VENUE}, {"kind": "shutoff_valve"}):
        r = intruder.post(f"/v1/devices/{valve}/credentials", body)
        assert is_problem(r, 404), r.text
        assert "secret" not in r.json()
    # So the id was never taken: the owner's admin is issued it.
    r = admin.post(f"/v1/devices/{valve}/credentials", {"kind": "shutoff_valve"})
    assert r.status_code == 201, r.text
    assert r.json()["owner_id"] == VENUE and r.json()["secret"]


def test_only_registered_devices_of_ones_own_venues_get_credentials(login):
    admin, intruder = login("admin"), login("wj-admin")
    unregistered = f"sec-det-{cid()[:8]}"
    r = admin.post(f"/v1/devices/{unregistered}/credentials", {"kind": "gas_detector"})
    assert is_problem(r, 404), r.text
    # Nor can another agency register a device under this agency's venue to get there.
    r = intruder.put(f"/v1/gas/devices/{unregistered}", {"venue_id": VENUE, "kind": "gas_detector"})
    assert r.status_code == 404, r.text
    assert is_problem(
        intruder.post(f"/v1/devices/{unregistered}/credentials", {"kind": "gas_detector"}), 404
    )


def test_credentials_held_by_another_agency_are_refused_and_the_owner_takes_them_back(
    login, http, stack, valve
):
    squatted = issued_before_the_fix(stack, valve, "shutoff_valve", VENUE)
    events = readings()
    # Its events are refused (no alarm at the real venue, nothing stored) ...
    r = post(http, valve, squatted, GAS, events)
    assert is_problem(r, 404), r.text
    # ... and it never sees the real valve's close commands.
    assert is_problem(poll(http, valve, squatted), 404)
    admin = login("admin")
    # A taken id does not block the owner: their admin is issued the device's credentials ...
    r = admin.post(f"/v1/devices/{valve}/credentials", {"kind": "shutoff_valve"})
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    # ... the intruder's secret stops working at once, and the intruder cannot manage them.
    assert is_problem(post(http, valve, squatted, GAS, readings()), 401, "bad-signature")
    for action in ("", "/rotate", "/revoke"):
        path = f"/v1/devices/{valve}/credentials{action}"
        intruder = login("wj-admin")
        r = intruder.get(path) if not action else intruder.post(path)
        assert is_problem(r, 404), (action, r.text)
    # The refused batch was not stored: sent by the device now, it is new.
    r = post(http, valve, secret, GAS, events)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 3 and r.json()["duplicates"] == 0
    assert admin.get(f"/v1/devices/{valve}/credentials").json()["status"] == "active"


def test_another_agency_gets_no_credentials_for_this_agencys_weigh_station(login):
    intruder = login("wj-admin")
    r = intruder.post(
        f"/v1/devices/wj-wim-{cid()[:8]}/credentials",
        {"kind": "weigh_station", "owner_id": WEIGH_STATION},
    )
    assert is_problem(r, 404), r.text
    assert "secret" not in r.json()


def test_station_credentials_of_another_agency_post_no_weighing(login, http, stack, weighing):
    device_id = f"wj-wim-{cid()[:8]}"
    forged = issued_before_the_fix(stack, device_id, "weigh_station", WEIGH_STATION)
    truck = {
        "client_weighing_id": cid(),
        "plate": "苏D9S013",
        "vehicle": {"kind": "combination", "axles": 6},
        "gross_t": "70",
    }
    r = post(http, device_id, forged, STATION, truck)
    assert is_problem(r, 404), r.text
    # Nor photos for this agency's weighings at that station.
    photo = {"sha256": "ab" * 32, "size": 1000, "media_type": "image/jpeg"}
    r = post(
        http, device_id, forged, f"/v1/stations/weighings/{weighing['weighing_id']}/photos", photo
    )
    assert is_problem(r, 404), r.text
    # The station's own device posts the same weighing as new: nothing was stored.
    secret = json.loads((stack.var / "demo-devices.json").read_text())["wim-station-01"]["secret"]
    r = post(http, "wim-station-01", secret, STATION, truck)
    assert r.status_code == 201 and r.json()["created"] is True, r.text


def test_this_agencys_own_devices_still_work(http, stack):
    """The demo devices, issued by this agency's admin, are its own."""
    assert AGENCY == "xinbei-yjj"
    secrets = json.loads((stack.var / "demo-devices.json").read_text())
    heartbeat = {"events": [{"seq": int(time.time() * 1000) * 100 + 50, "type": "heartbeat"}]}
    r = post(http, "gas-det-0001", secrets["gas-det-0001"]["secret"], GAS, heartbeat)
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
