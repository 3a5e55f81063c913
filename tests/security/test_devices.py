"""OWASP API2:2023 for machines: gas detectors, valves and weigh stations sign each request.
A replayed, stale, future-dated, re-addressed or altered request, one from an unknown device
or from a device of the wrong kind, is refused with a 401/403 problem and stores nothing: the
same data signed properly afterwards is taken as new."""

from __future__ import annotations

import itertools
import json
import time

import pytest

from gateway.security.device_signing import signed_headers
from tests.security.conftest import cid, device_secrets, is_problem, signed_post

pytestmark = pytest.mark.e2e

GAS = "/v1/gas/device-events"
STATION = "/v1/stations/weighings"
WINDOW_S = 300  # GATEWAY_DEVICE_SIGNATURE_WINDOW_S


_batches = itertools.count()


def readings() -> dict:
    # seq numbers no other batch uses: a resent seq would count as a duplicate
    base = int(time.time() * 1000) * 100 + next(_batches) * 2
    return {"events": [{"seq": base + i, "type": "heartbeat"} for i in range(2)]}


def truck() -> dict:
    return {
        "client_weighing_id": cid(),
        "plate": "苏D5S002",
        "vehicle": {"kind": "truck", "axles": 2},
        "gross_t": "12",
    }


def stored_as_new(http, stack, device_id: str, path: str, body: dict) -> bool:
    """Signed properly now, is `body` taken as new (so nothing of it was stored before)?"""
    r = signed_post(http, stack, device_id, path, body)
    assert r.status_code in (200, 201), r.text
    answer = r.json()
    if path == GAS:
        return answer["accepted"] == len(body["events"]) and answer["duplicates"] == 0
    return answer["created"] is True


ROUTES = [("gas-det-0002", GAS, readings), ("wim-station-01", STATION, truck)]
IDS = ["gas-events", "station-weighings"]


@pytest.mark.parametrize(("device", "path", "make"), ROUTES, ids=IDS)
def test_a_replayed_request_is_refused(device, path, make, http, stack):
    body = make()
    raw = json.dumps(body).encode()
    headers = signed_headers(device, device_secrets(stack)[device]["secret"], "POST", path, raw)
    headers["Content-Type"] = "application/json"
    first = http.post(path, content=raw, headers=headers)
    assert first.status_code in (200, 201), first.text
    replay = http.post(path, content=raw, headers=headers)
    assert is_problem(replay, 401, "replayed-nonce"), replay.text


@pytest.mark.parametrize(("device", "path", "make"), ROUTES, ids=IDS)
@pytest.mark.parametrize(
    "skew_s", [-WINDOW_S - 5, WINDOW_S + 5, -86_400 * 365], ids=["late", "early", "year-old"]
)
def test_a_clock_outside_the_window_is_refused_and_stores_nothing(
    skew_s, device, path, make, http, stack
):
    body = make()
    r = signed_post(http, stack, device, path, body, now=time.time() + skew_s)
    assert is_problem(r, 401, "stale-timestamp"), r.text
    assert stored_as_new(http, stack, device, path, body)


@pytest.mark.parametrize(("device", "path", "make"), ROUTES, ids=IDS)
def test_a_clock_within_the_window_is_accepted(device, path, make, http, stack):
    r = signed_post(http, stack, device, path, make(), now=time.time() - WINDOW_S + 30)
    assert r.status_code in (200, 201), r.text


@pytest.mark.parametrize(("device", "path", "make"), ROUTES, ids=IDS)
def test_an_altered_body_is_refused_and_stores_nothing(device, path, make, http, stack):
    signed, sent = make(), make()
    raw = json.dumps(signed).encode()
    headers = signed_headers(device, device_secrets(stack)[device]["secret"], "POST", path, raw)
    r = http.post(
        path,
        content=json.dumps(sent).encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert is_problem(r, 401, "bad-signature"), r.text
    assert stored_as_new(http, stack, device, path, sent)


@pytest.mark.parametrize(("device", "path", "make"), ROUTES, ids=IDS)
def test_a_signature_for_another_route_is_refused(device, path, make, http, stack):
    body = make()
    raw = json.dumps(body).encode()
    headers = signed_headers(
        device, device_secrets(stack)[device]["secret"], "POST", "/v1/devices/me", raw
    )
    r = http.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})
    assert is_problem(r, 401, "bad-signature"), r.text
    assert stored_as_new(http, stack, device, path, body)


@pytest.mark.parametrize(("path", "make"), [(GAS, readings), (STATION, truck)], ids=IDS)
def test_an_unknown_device_or_a_wrong_secret_is_refused(path, make, http, stack):
    raw = json.dumps(make()).encode()
    for device, secret in (("gas-det-9999", "x" * 43), ("gas-det-0002", "not-its-secret")):
        headers = signed_headers(device, secret, "POST", path, raw)
        r = http.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == 401, r.text
        assert r.json()["type"].rsplit("/", 1)[1] in ("unknown-device", "bad-signature")


def test_a_device_of_the_wrong_kind_is_refused_and_stores_nothing(http, stack):
    weighing = truck()
    r = signed_post(http, stack, "gas-valve-0002", STATION, weighing)
    assert is_problem(r, 403, "forbidden"), r.text
    assert stored_as_new(http, stack, "wim-station-01", STATION, weighing)
    events = readings()
    r = signed_post(http, stack, "wim-station-01", GAS, events)
    assert is_problem(r, 403, "forbidden"), r.text
    assert stored_as_new(http, stack, "gas-det-0002", GAS, events)


@pytest.mark.parametrize(
    "change",
    [
        {"X-Timestamp": "1e9"},
        {"X-Timestamp": "-5"},
        {"X-Nonce": "short"},
        {"X-Nonce": "a" * 65},
        {"X-Nonce": "n0nce/with/slashes-0123"},
        {"X-Signature": "zz" * 32},
        {"X-Device-Id": "../../etc/passwd"},
        {"X-Device-Id": "gas-det-0002' OR '1'='1"},
    ],
    ids=lambda c: f"{next(iter(c))}={next(iter(c.values()))[:12]}",
)
def test_malformed_signature_headers_are_refused(change, http, stack):
    raw = json.dumps(readings()).encode()
    headers = signed_headers(
        "gas-det-0002", device_secrets(stack)["gas-det-0002"]["secret"], "POST", GAS, raw
    )
    r = http.post(
        GAS, content=raw, headers={**headers, **change, "Content-Type": "application/json"}
    )
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
