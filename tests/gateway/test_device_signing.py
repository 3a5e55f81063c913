from __future__ import annotations

import hashlib
import hmac
import time

import httpx
import pytest
import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request

from gateway import db as gwdb
from gateway.problems import PROBLEM_BASE, ProblemError, install_problem_handlers
from gateway.security.device_signing import (
    DeviceCredentials,
    DevicePrincipal,
    canonical,
    device_principal,
    request_target,
    sign,
    signed_headers,
    verify_device_request,
)

pytestmark = pytest.mark.unit

PATH = "/v1/devices/events"
BODY = b'{"events":[{"kind":"gas-alarm","ppm":420}]}'


@pytest.fixture
def credentials(database) -> DeviceCredentials:
    return DeviceCredentials(database)


@pytest.fixture
def device(credentials):
    secret = credentials.provision("gas-0001", "gas-detector", "venue-7")
    return "gas-0001", secret


def _headers(device_id, secret, *, method="POST", path=PATH, body=BODY, now=None, nonce=None):
    return {
        k.lower(): v
        for k, v in signed_headers(
            device_id, secret, method, path, body, now=now, nonce=nonce
        ).items()
    }


def _verify(credentials, headers, *, method="POST", path=PATH, body=BODY, now=None):
    return credentials.verify(method=method, path=path, headers=headers, body=body, now=now)


def _refused(credentials, headers, slug, **kwargs) -> ProblemError:
    with pytest.raises(ProblemError) as info:
        _verify(credentials, headers, **kwargs)
    assert info.value.status == 401
    assert info.value.type == PROBLEM_BASE + slug
    return info.value


def test_reference_vector_is_pinned():
    """Firmware developers check their implementation against this value."""
    body = b'{"ok":true}'
    expected_canonical = (
        "POST\n/v1/devices/events\n1767225600\nn0nce-0123456789ab\n"
        + hashlib.sha256(body).hexdigest()
    ).encode()
    assert canonical("post", PATH, 1767225600, "n0nce-0123456789ab", body) == expected_canonical
    secret = "s3cr3t-example-0123456789abcdefghijklmnopq"
    signature = sign(secret, "POST", PATH, "1767225600", "n0nce-0123456789ab", body)
    assert signature == hmac.new(secret.encode(), expected_canonical, hashlib.sha256).hexdigest()
    assert signature == "21f2decfb7f7ded4da4347c764f18d6dc552934b1bdaa52c566b9b70ebda3566"


def test_good_request_is_accepted(credentials, device):
    device_id, secret = device
    principal = _verify(credentials, _headers(device_id, secret))
    assert principal == DevicePrincipal(
        device_id="gas-0001", kind="gas-detector", owner_id="venue-7"
    )


def test_empty_body_is_signed_too(credentials, device):
    device_id, secret = device
    headers = _headers(device_id, secret, method="GET", path="/v1/devices/config", body=b"")
    assert _verify(credentials, headers, method="GET", path="/v1/devices/config", body=b"")


def test_changed_body_is_refused(credentials, device):
    headers = _headers(*device)
    _refused(credentials, headers, "bad-signature", body=BODY.replace(b"420", b"42"))


def test_changed_path_is_refused(credentials, device):
    headers = _headers(*device)
    _refused(credentials, headers, "bad-signature", path="/v1/devices/heartbeat")


def test_changed_method_is_refused(credentials, device):
    headers = _headers(*device)
    _refused(credentials, headers, "bad-signature", method="PUT")


def test_wrong_secret_is_refused(credentials, device):
    device_id, _secret = device
    _refused(credentials, _headers(device_id, "not-the-secret-0123456789abcdef"), "bad-signature")


@pytest.mark.parametrize("skew", [-301, 301, -10_000, 10_000])
def test_stale_and_future_timestamps_are_refused(credentials, device, skew):
    headers = _headers(*device, now=time.time() + skew)
    _refused(credentials, headers, "stale-timestamp")


@pytest.mark.parametrize("skew", [-290, 290])
def test_timestamps_inside_the_window_are_accepted(credentials, device, skew):
    assert _verify(credentials, _headers(*device, now=time.time() + skew))


def test_replayed_nonce_is_refused(credentials, device):
    headers = _headers(*device)
    _verify(credentials, headers)
    _refused(credentials, headers, "replayed-nonce")
    # the same nonce with a fresh timestamp and a valid signature is still a replay
    again = _headers(*device, now=time.time() + 5, nonce=headers["x-nonce"])
    _refused(credentials, again, "replayed-nonce")


def test_same_nonce_from_another_device_is_fine(credentials, device):
    other_secret = credentials.provision("valve-0001", "shutoff-valve", "venue-7")
    nonce = "shared-nonce-0123456789"
    _verify(credentials, _headers(*device, nonce=nonce))
    _verify(credentials, _headers("valve-0001", other_secret, nonce=nonce))


def test_old_nonces_are_pruned(credentials, device, database):
    device_id, secret = device
    start = time.time()
    old = _headers(device_id, secret, now=start, nonce="old-nonce-0123456789")
    _verify(credentials, old, now=start)
    new = _headers(device_id, secret, now=start + 601, nonce="new-nonce-0123456789")
    _verify(credentials, new, now=start + 601)
    with database.read() as conn:
        kept = conn.execute(sa.select(gwdb.device_nonces.c.nonce)).scalars().all()
    assert kept == ["new-nonce-0123456789"]


def test_refused_requests_do_not_burn_nonces(credentials, device):
    device_id, secret = device
    bad = _headers(device_id, "not-the-secret-0123456789abcdef", nonce="nonce-abcdefghijklmn")
    _refused(credentials, bad, "bad-signature")
    assert _verify(credentials, _headers(device_id, secret, nonce="nonce-abcdefghijklmn"))


def test_rotated_secret_is_accepted_during_grace_then_refused(credentials, device):
    device_id, old_secret = device
    new_secret = credentials.rotate(device_id, grace_s=60)
    assert new_secret != old_secret
    assert _verify(credentials, _headers(device_id, new_secret))
    assert _verify(credentials, _headers(device_id, old_secret))
    later = time.time() + 120
    _refused(credentials, _headers(device_id, old_secret, now=later), "bad-signature", now=later)
    assert _verify(credentials, _headers(device_id, new_secret, now=later), now=later)


def test_revoked_device_is_refused(credentials, device):
    device_id, secret = device
    credentials.revoke(device_id)
    _refused(credentials, _headers(device_id, secret), "revoked-device")
    with pytest.raises(KeyError):
        credentials.rotate(device_id, grace_s=60)


def test_unknown_device_is_refused(credentials):
    _refused(
        credentials, _headers("nobody-0001", "whatever-secret-0123456789abcdef"), "unknown-device"
    )


@pytest.mark.parametrize("drop", ["x-device-id", "x-timestamp", "x-nonce", "x-signature"])
def test_missing_headers_are_refused(credentials, device, drop):
    headers = _headers(*device)
    del headers[drop]
    _refused(credentials, headers, "missing-signature-headers")


@pytest.mark.parametrize(
    "header,value",
    [
        ("x-nonce", "short"),
        ("x-nonce", "bad nonce!" * 3),
        ("x-nonce", "n" * 65),
        ("x-timestamp", "12.5"),
        ("x-timestamp", "-5"),
        ("x-signature", "zz" * 32),
    ],
)
def test_malformed_headers_are_refused(credentials, device, header, value):
    headers = _headers(*device)
    headers[header] = value
    _refused(credentials, headers, "missing-signature-headers")


def test_provision_refuses_bad_and_duplicate_ids(credentials, device):
    with pytest.raises(ValueError):
        credentials.provision("bad id with spaces", "gas-detector", "venue-7")
    with pytest.raises(sa.exc.IntegrityError):
        credentials.provision(device[0], "gas-detector", "venue-7")
    assert credentials.get(device[0]).status == "active"
    assert credentials.get("missing") is None


async def test_verify_device_request_through_http(database, device):
    device_id, secret = device
    app = FastAPI()
    install_problem_handlers(app)

    @app.post(PATH)
    async def events(request: Request) -> dict:
        principal = await verify_device_request(request, database)
        body = await request.body()  # the route can still read the body
        return {"device": principal.device_id, "bytes": len(body)}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        headers = signed_headers(device_id, secret, "POST", PATH, BODY)
        ok = await client.post(PATH, content=BODY, headers=headers)
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"device": device_id, "bytes": len(BODY)}
        replay = await client.post(PATH, content=BODY, headers=headers)
        assert replay.status_code == 401
        assert replay.headers["content-type"] == "application/problem+json"
        assert replay.json()["type"] == PROBLEM_BASE + "replayed-nonce"
        unsigned = await client.post(PATH, content=BODY)
        assert unsigned.json()["type"] == PROBLEM_BASE + "missing-signature-headers"


async def test_device_principal_dependency(database, device):
    device_id, secret = device
    app = FastAPI()
    install_problem_handlers(app)

    def get_db(request: Request):  # a dependency of its own, as the app's would be
        return database

    @app.post(PATH)
    async def events(
        request: Request, caller: DevicePrincipal = Depends(device_principal(get_db))
    ) -> dict:
        return {
            "device": caller.device_id,
            "kind": caller.kind,
            "venue": caller.venue_or_station_id,
            "bytes": len(await request.body()),
        }

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        ok = await client.post(
            PATH, content=BODY, headers=signed_headers(device_id, secret, "POST", PATH, BODY)
        )
        assert ok.status_code == 200, ok.text
        assert ok.json() == {
            "device": device_id,
            "kind": "gas-detector",
            "venue": "venue-7",
            "bytes": len(BODY),
        }
        forged = signed_headers(device_id, secret, "POST", PATH, b"{}")
        refused = await client.post(PATH, content=BODY, headers=forged)
        assert refused.status_code == 401
        assert refused.json()["type"] == PROBLEM_BASE + "bad-signature"
        assert refused.headers["www-authenticate"].startswith("HMAC-SHA256")
    # get_db's own arguments are resolved by FastAPI, not exposed as query parameters
    assert app.openapi()["paths"][PATH]["post"].get("parameters", []) == []


async def test_the_query_string_is_signed_as_sent(database, device):
    """Issue 13.11: the signed PATH is the request target, query string included."""
    device_id, secret = device
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/v1/gas/commands")
    async def commands(request: Request) -> dict:
        return {"device": (await verify_device_request(request, database)).device_id}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        target = "/v1/gas/commands?wait=25&b=%E7%87%83"
        ok = await client.get(target, headers=signed_headers(device_id, secret, "GET", target, b""))
        assert ok.status_code == 200, ok.text
        for signed, sent in (
            ("/v1/gas/commands", "/v1/gas/commands?wait=25"),  # the query left unsigned
            ("/v1/gas/commands?wait=25", "/v1/gas/commands?wait=55"),  # changed
            ("/v1/gas/commands?a=1&b=2", "/v1/gas/commands?b=2&a=1"),  # re-ordered
        ):
            r = await client.get(
                sent, headers=signed_headers(device_id, secret, "GET", signed, b"")
            )
            assert r.status_code == 401 and r.json()["type"] == PROBLEM_BASE + "bad-signature"


def test_a_path_without_a_query_signs_as_before():
    assert request_target("/v1/gas/device-events") == "/v1/gas/device-events"
    assert request_target("/v1/gas/commands", "wait=25") == "/v1/gas/commands?wait=25"
    assert canonical("GET", request_target("/x", "a=1"), 1, "n" * 16, b"").startswith(
        b"GET\n/x?a=1\n1\n"
    )


def test_many_are_checked_as_each_alone_with_one_nonce_transaction(credentials, device, database):
    """verify_many (the MQTT bridge's groups): each request answered as verify would answer
    it after the ones before it; a nonce seen before or twice in the group is refused, a bad
    signature spends no nonce, and the good ones' nonces are remembered."""
    device_id, secret = device
    other = credentials.provision("gas-0002", "gas-detector", "venue-7")
    used = _headers(device_id, secret, nonce="already-used-0123456")
    _verify(credentials, used)
    good = _headers(device_id, secret, nonce="fresh-nonce-00000001")
    twice = _headers(device_id, secret, nonce="twice-nonce-00000001")
    same_nonce_other_device = _headers("gas-0002", other, nonce="fresh-nonce-00000001")
    bad = _headers(
        device_id, "not-the-secret-0123456789abcdefghijklmno", nonce="bad-sig-0000000001"
    )
    answers = credentials.verify_many(
        [
            ("POST", PATH, good, BODY),
            ("POST", PATH, used, BODY),
            ("POST", PATH, twice, BODY),
            ("POST", PATH, twice, BODY),
            ("POST", PATH, same_nonce_other_device, BODY),
            ("POST", PATH, bad, BODY),
            ("POST", PATH, {"x-device-id": device_id}, BODY),
            ("POST", PATH, _headers("nobody-01", secret), BODY),
        ]
    )
    kinds = [a.device_id if not isinstance(a, ProblemError) else a.type for a in answers]
    assert kinds == [
        "gas-0001",
        PROBLEM_BASE + "replayed-nonce",
        "gas-0001",
        PROBLEM_BASE + "replayed-nonce",
        "gas-0002",
        PROBLEM_BASE + "bad-signature",
        PROBLEM_BASE + "missing-signature-headers",
        PROBLEM_BASE + "unknown-device",
    ]
    # remembered: each accepted one is a replay now, the refused signature spent nothing
    _refused(credentials, good, "replayed-nonce")
    _refused(credentials, twice, "replayed-nonce")
    ok = _headers(device_id, secret, nonce="bad-sig-0000000001")
    assert _verify(credentials, ok).device_id == device_id


def test_many_fall_back_to_one_by_one_when_another_writer_took_a_nonce(
    credentials, device, monkeypatch
):
    """The primary key judges: a nonce another writer inserts between the group's read and
    its insert makes the group write each nonce on its own, and that one is refused."""
    device_id, secret = device
    first = _headers(device_id, secret, nonce="raced-nonce-00000001")
    second = _headers(device_id, secret, nonce="other-nonce-00000001")
    from gateway.security import device_signing

    credentials._remember_nonce(device_id, "raced-nonce-00000001", time.time(), 300)
    real_select = sa.select

    def select_before_the_race(*columns, **kw):
        query = real_select(*columns, **kw)
        if [c.name for c in columns] == ["device_id", "nonce"]:  # the group's read of nonces
            return query.where(sa.false())  # as if read before the other writer's insert
        return query

    monkeypatch.setattr(device_signing.sa, "select", select_before_the_race)
    answers = credentials.verify_many([("POST", PATH, first, BODY), ("POST", PATH, second, BODY)])
    assert isinstance(answers[0], ProblemError)
    assert answers[0].type == PROBLEM_BASE + "replayed-nonce"
    assert answers[1].device_id == device_id
    _refused(credentials, second, "replayed-nonce")
