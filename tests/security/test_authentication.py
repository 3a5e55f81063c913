"""OWASP API2:2023 Broken Authentication: only a token the gateway issued, unexpired, signed
with HS256 under its own secret, for its own audience and issuer, and of the access kind,
gets in; every other one is a 401 problem that changed nothing."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from tests.security.conftest import ORGANISATION, cid, is_problem

pytestmark = pytest.mark.e2e


def claims(officer, **changes) -> dict:
    """The claims of officer1's real access token, changed."""
    real = jwt.decode(officer.token, options={"verify_signature": False})
    return {**real, **changes}


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forged_tokens(stack, officer) -> dict[str, str]:
    secret = stack.secrets["jwt_secret"]
    now = int(time.time())
    header, payload, signature = officer.token.split(".")
    as_admin = claims(officer, roles=["admin", "officer"], agency="wujin-yjj")
    return {
        "expired": jwt.encode(
            claims(officer, iat=now - 1000, nbf=now - 1000, exp=now - 60), secret
        ),
        "not-yet-valid": jwt.encode(claims(officer, nbf=now + 3600, exp=now + 7200), secret),
        "tampered-claims": f"{header}.{b64(as_admin)}.{signature}",
        "tampered-signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "alg-none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(as_admin)}.",
        "alg-none-upper": f"{b64({'alg': 'NONE', 'typ': 'JWT'})}.{b64(as_admin)}.",
        "alg-hs512": jwt.encode(as_admin, secret, algorithm="HS512"),
        "wrong-audience": jwt.encode(claims(officer, aud="another-app"), secret),
        "wrong-issuer": jwt.encode(claims(officer, iss="someone-else"), secret),
        "other-secret": jwt.encode(as_admin, "x" * 48),
        "no-expiry": jwt.encode({k: v for k, v in claims(officer).items() if k != "exp"}, secret),
        "refresh-as-access": jwt.encode(claims(officer, typ="refresh"), secret),
        "unknown-role": jwt.encode(claims(officer, roles=["superuser"]), secret),
        "garbage": "not.a.token",
        "empty-segments": "..",
        "oversized": "a" * 9000,
    }


@pytest.fixture(scope="module")
def forged(stack, officer) -> dict[str, str]:
    return forged_tokens(stack, officer)


KINDS = [
    "expired", "not-yet-valid", "tampered-claims", "tampered-signature", "alg-none",
    "alg-none-upper", "alg-hs512", "wrong-audience", "wrong-issuer", "other-secret",
    "no-expiry", "refresh-as-access", "unknown-role", "garbage", "empty-segments", "oversized",
]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_a_forged_or_stale_token_is_refused_and_opens_no_case(
    kind, forged, http, officer, colleague
):
    client_case_id = cid()
    body = {
        "client_case_id": client_case_id,
        "domain": "gas",
        "title": "伪造令牌",
        "party": ORGANISATION,
        "co_officer_ids": [colleague.user_id],
    }
    r = http.post("/v1/cases", json=body, headers={"Authorization": f"Bearer {forged[kind]}"})
    assert is_problem(r, 401, "invalid-token"), r.text
    assert r.headers["www-authenticate"].startswith("Bearer")

    # Nothing was stored: the real officer's first use of the same client id makes the case.
    real = officer.post("/v1/cases", body)
    assert real.status_code == 201, real.text


@pytest.mark.parametrize("kind", ["tampered-claims", "alg-none", "other-secret"])
def test_a_token_forged_as_admin_cannot_register_a_venue(kind, forged, http):
    venue = {"name": "伪造场所", "town": "薛家镇"}
    r = http.put(
        "/v1/gas/venues/sec-forged-venue",
        json=venue,
        headers={"Authorization": f"Bearer {forged[kind]}"},
    )
    assert is_problem(r, 401, "invalid-token"), r.text


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Basic b2ZmaWNlcjE6eA==", "Token abc", "bearer\tabc"],
    ids=["none", "bearer-only", "basic", "other-scheme", "tab"],
)
def test_a_missing_or_malformed_authorization_header_is_a_401(header, http):
    headers = {"Authorization": header} if header is not None else {}
    r = http.get("/v1/cases", headers=headers)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem")
    assert "www-authenticate" in r.headers


def test_the_token_is_not_taken_from_the_query_string_or_a_cookie(http, officer):
    assert http.get("/v1/cases", params={"access_token": officer.token}).status_code == 401
    r = http.get("/v1/cases", headers={"Cookie": f"access_token={officer.token}"})
    assert r.status_code == 401


def test_a_refresh_token_is_spent_once_and_then_refused(http, stack):
    pair = http.post(
        "/v1/auth/login",
        json={"username": "sec-refresh", "password": stack.secrets["demo_password"]},
    ).json()
    first = http.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert first.status_code == 200
    again = http.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401 and again.headers["content-type"].startswith(
        "application/problem+json"
    )
    # An access token is not a refresh token.
    swapped = http.post("/v1/auth/refresh", json={"refresh_token": pair["access_token"]})
    assert swapped.status_code == 401


def test_a_failed_login_says_nothing_about_which_part_was_wrong(http, stack):
    unknown = http.post("/v1/auth/login", json={"username": "nobody-at-all", "password": "x"})
    wrong = http.post("/v1/auth/login", json={"username": "officer3", "password": "wrong"})
    assert is_problem(unknown, 401, "bad-credentials") and is_problem(wrong, 401, "bad-credentials")
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_a_refused_login_never_echoes_the_password(http):
    secret = "s3cret-" + "p" * 300  # too long: a validation error
    r = http.post("/v1/auth/login", json={"username": "officer3", "password": secret})
    assert is_problem(r, 422, "invalid-request")
    assert "s3cret-" not in r.text
