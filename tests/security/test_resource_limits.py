"""OWASP API4:2023 Unrestricted Resource Consumption: bodies above the gateway's limit are
answered 413 before they are read to the end, whether their length is declared or chunked;
evidence and photos cannot be declared larger than storage accepts; page sizes are bounded;
failed logins and the public search are rate limited per client address (and logins per
username), and a forged X-Forwarded-For does not get round it."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from gateway.config import Settings
from gateway.security.device_signing import signed_headers
from tests.security.conftest import (
    ORGANISATION,
    cid,
    client,
    device_secrets,
    is_problem,
    new_address,
    sha256,
    signed_post,
)

pytestmark = pytest.mark.e2e

# The stack's gateway reads the same environment as this process.
SETTINGS = Settings()
LIMIT = SETTINGS.max_body_bytes


def padded_case(colleague, client_case_id: str, size: int) -> bytes:
    body = {
        "client_case_id": client_case_id,
        "domain": "gas",
        "title": "超大请求",
        "party": ORGANISATION,
        "co_officer_ids": [colleague.user_id],
    }
    raw = json.dumps(body, ensure_ascii=False).encode()[:-1] + b', "pad": "'
    return raw + b"x" * (size - len(raw) - 2) + b'"}'  # exactly `size` bytes


def chunks(data: bytes, size: int = 64 * 1024):
    for i in range(0, len(data), size):
        yield data[i : i + size]


def json_headers(caller, **more) -> dict:
    return {**caller.headers, "Content-Type": "application/json", **more}


@pytest.mark.parametrize("how", ["declared", "chunked", "chunked-with-idempotency-key"])
def test_a_body_over_the_limit_is_a_413_and_opens_no_case(how, http, officer, colleague):
    client_case_id = cid()
    big = padded_case(colleague, client_case_id, LIMIT + 1024)
    headers = json_headers(officer)
    if how == "chunked-with-idempotency-key":
        headers["Idempotency-Key"] = cid()
    content = big if how == "declared" else chunks(big)
    r = http.post("/v1/cases", content=content, headers=headers)
    assert is_problem(r, 413, "body-too-large"), r.text
    assert str(LIMIT) in r.json()["detail"]
    assert r.headers["x-request-id"]
    retry = http.post(
        "/v1/cases",
        content=padded_case(colleague, client_case_id, 2000),
        headers=json_headers(officer),
    )
    assert retry.status_code == 201, retry.text  # nothing was stored under that client id


def test_a_body_of_exactly_the_limit_is_read(http, officer, colleague):
    r = http.post(
        "/v1/cases",
        content=chunks(padded_case(colleague, cid(), LIMIT)),
        headers=json_headers(officer),
    )
    assert r.status_code == 201, r.text


def test_an_oversized_signed_device_batch_is_a_413_and_stores_nothing(http, stack):
    base = int(time.time() * 1000) + 20_000_000
    events = {"events": [{"seq": base, "type": "heartbeat"}]}
    raw = json.dumps(events).encode()
    big = raw[:-1] + b', "pad": "' + b"x" * LIMIT + b'"}'
    secret = device_secrets(stack)["gas-det-0002"]["secret"]
    headers = signed_headers("gas-det-0002", secret, "POST", "/v1/gas/device-events", big)
    r = http.post(
        "/v1/gas/device-events",
        content=chunks(big),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert is_problem(r, 413, "body-too-large"), r.text
    fresh = signed_post(http, stack, "gas-det-0002", "/v1/gas/device-events", events)
    assert fresh.json()["accepted"] == 1, fresh.text


def test_a_batch_of_more_events_than_allowed_is_refused_and_stores_nothing(http, stack):
    base = int(time.time() * 1000) + 30_000_000
    events = [{"seq": base + i, "type": "heartbeat"} for i in range(501)]
    r = signed_post(http, stack, "gas-det-0002", "/v1/gas/device-events", {"events": events})
    assert is_problem(r, 422, "invalid-request"), r.text
    fresh = signed_post(
        http, stack, "gas-det-0002", "/v1/gas/device-events", {"events": events[:500]}
    )
    assert fresh.json()["accepted"] == 500, fresh.text


@pytest.mark.parametrize(
    "size", [5 * 1024**3, 2**63 - 1, 2**63, 10**30], ids=["5GiB", "int64-max", "2^63", "1e30"]
)
def test_evidence_cannot_be_declared_larger_than_storage_takes(size, officer, case):
    r = officer.post(
        f"/v1/cases/{case['case_id']}/evidence-slots",
        {
            "client_slot_id": cid(),
            "sha256": sha256(b"x"),
            "size": size,
            "media_type": "video/mp4",
        },
    )
    assert is_problem(r, 422, "invalid-request"), r.text


def test_an_upload_other_than_declared_is_never_attached(officer, case):
    declared = b"the photo the officer took"
    path = f"/v1/cases/{case['case_id']}"
    slot = officer.post(
        f"{path}/evidence-slots",
        {
            "client_slot_id": cid(),
            "sha256": sha256(declared),
            "size": len(declared),
            "media_type": "image/jpeg",
        },
    ).json()
    # The URL is bound to the declared SHA-256: the storage refuses other bytes (issue 13.3).
    assert httpx.put(slot["put_url"], content=declared + b"x" * 100_000).status_code == 400
    before = officer.get(f"{path}/timeline").json()["entries"]
    r = officer.post(f"{path}/evidence-slots/{slot['slot_id']}/confirm", {"client_entry_id": cid()})
    assert r.status_code in (409, 422) and r.headers["content-type"].startswith(
        "application/problem+json"
    ), r.text
    assert officer.get(f"{path}/timeline").json()["entries"] == before


def test_a_weighing_photo_cannot_be_declared_huge(officer, weighing):
    r = officer.post(
        f"/v1/overload/weighings/{weighing['weighing_id']}/photos",
        {"sha256": sha256(b"x"), "size": 10 * 1024**3, "media_type": "image/jpeg"},
    )
    assert is_problem(r, 422, "invalid-request"), r.text


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/cases", {"page_size": 100_000}),
        ("/v1/sync", {"limit": 1_000_000}),
        ("/v1/sync", {"cursor": 2**70}),
        ("/v1/log/consistency-proof", {"first": 1, "second": 2**64}),
        ("/v1/log/entries/x/inclusion-proof", {"tree_size": 10**30}),
    ],
)
def test_page_sizes_and_counters_are_bounded(path, params, officer):
    assert is_problem(officer.get(path, params=params), 422, "invalid-request")


def test_an_oversized_record_entry_is_refused(officer, case):
    note = {"client_entry_id": cid(), "kind": "note", "payload": {"text": "x" * 70_000}}
    r = officer.post(f"/v1/cases/{case['case_id']}/entries", note)
    assert is_problem(r, 422, "invalid-request"), r.text


def test_deeply_nested_json_is_a_4xx(http, officer, case):
    nested = "[" * 100_000 + "]" * 100_000
    raw = '{"client_entry_id": "' + cid() + '", "kind": "note", "payload": {"a": ' + nested + "}}"
    r = http.post(
        f"/v1/cases/{case['case_id']}/entries", content=raw.encode(), headers=json_headers(officer)
    )
    assert 400 <= r.status_code < 500, r.text


def test_a_huge_query_string_is_refused(public):
    r = public.get("/v1/public/disclosures", params={"q": "x" * 60_000})
    assert is_problem(r, 422, "invalid-request")


# -- rate limits -------------------------------------------------------------------------------


def test_failed_logins_from_one_address_lock_that_address(stack):
    limit = SETTINGS.login_failures_per_15_min
    with client(stack, new_address()) as attacker:
        for i in range(limit):
            r = attacker.post("/v1/auth/login", json={"username": f"guess-{i}", "password": "x"})
            assert is_problem(r, 401, "bad-credentials"), r.text
        right = {"username": "officer3", "password": stack.secrets["demo_password"]}
        locked = attacker.post("/v1/auth/login", json=right)
        assert is_problem(locked, 429, "too-many-requests"), locked.text
        assert int(locked.headers["retry-after"]) > 0
        assert "access_token" not in locked.text
        spoofed = attacker.post(
            "/v1/auth/login", json=right, headers={"X-Forwarded-For": "10.1.2.3"}
        )
        assert spoofed.status_code == 429
    with client(stack, new_address()) as someone_else:
        assert someone_else.post("/v1/auth/login", json=right).status_code == 200


def test_failed_logins_for_one_username_lock_it_from_every_address(stack):
    limit = SETTINGS.login_failures_per_15_min
    for _ in range(limit):  # a botnet: one guess from each address
        with client(stack, new_address()) as bot:
            r = bot.post("/v1/auth/login", json={"username": "sec-locked", "password": "guess"})
            assert r.status_code == 401
    with client(stack, new_address()) as owner:
        password = stack.secrets["demo_password"]
        locked = owner.post("/v1/auth/login", json={"username": "sec-locked", "password": password})
        assert is_problem(locked, 429, "too-many-requests"), locked.text
        other = owner.post("/v1/auth/login", json={"username": "officer3", "password": password})
        assert other.status_code == 200


def test_the_public_search_is_rate_limited_per_address(stack):
    limit = SETTINGS.public_requests_per_min
    with client(stack, new_address()) as flood:
        statuses = [
            flood.get("/v1/public/disclosures", params={"page_size": 1}).status_code
            for _ in range(limit)
        ]
        assert set(statuses) == {200}
        for path in ("/v1/public/disclosures", "/v1/public/disclosures-export", "/public"):
            r = flood.get(path)
            assert is_problem(r, 429, "too-many-requests"), (path, r.text[:200])
            assert int(r.headers["retry-after"]) > 0
        spoofed = flood.get("/v1/public/disclosures", headers={"X-Forwarded-For": "10.9.8.7"})
        assert spoofed.status_code == 429
    with client(stack, new_address()) as neighbour:
        assert neighbour.get("/v1/public/disclosures").status_code == 200
