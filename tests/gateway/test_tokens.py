from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from gateway.problems import PROBLEM_BASE, ProblemError
from gateway.security.principals import Principal, Role
from gateway.security.tokens import TokenService
from tests.gateway.conftest import SECRET

pytestmark = pytest.mark.unit

PRINCIPAL = Principal(
    user_id="u-1",
    username="li.wei",
    roles=frozenset({Role.officer, Role.supervisor}),
    agency_id="agency-1",
    town="town-1",
    display_name="Li Wei",
    certificate_no="CERT-42",
)


def _claims(**overrides):
    now = int(time.time())
    claims = {
        "sub": "u-1",
        "usr": "li.wei",
        "roles": ["officer"],
        "agency": "agency-1",
        "town": None,
        "name": "Li Wei",
        "cert": None,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "iss": "test-issuer",
        "aud": "test-audience",
        "jti": "j-1",
        "typ": "access",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not ...}


def _refused(fn, *args) -> ProblemError:
    with pytest.raises(ProblemError) as info:
        fn(*args)
    exc = info.value
    assert exc.status == 401
    assert exc.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert exc.type.startswith(PROBLEM_BASE)
    return exc


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_access_round_trip(tokens):
    token, expires_in = tokens.issue_access(PRINCIPAL)
    assert expires_in == 900
    assert tokens.decode_access(token) == PRINCIPAL
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["typ"] == "access"
    assert sorted(claims["roles"]) == ["officer", "supervisor"]
    assert claims["exp"] - claims["iat"] == 900
    assert {
        "sub",
        "roles",
        "agency",
        "town",
        "name",
        "cert",
        "iat",
        "nbf",
        "exp",
        "iss",
        "aud",
        "jti",
        "typ",
    } <= claims.keys()


def test_refresh_round_trip(tokens):
    token, jti, expires_at = tokens.issue_refresh(PRINCIPAL)
    claims = tokens.decode_refresh(token)
    assert claims["jti"] == jti
    assert claims["sub"] == "u-1"
    assert claims["exp"] == int(expires_at.timestamp())


def test_expired_token_is_refused(tokens):
    now = int(time.time())
    token = jwt.encode(
        _claims(iat=now - 1000, nbf=now - 1000, exp=now - 10), SECRET, algorithm="HS256"
    )
    assert "expired" in _refused(tokens.decode_access, token).detail


def test_not_yet_valid_token_is_refused(tokens):
    token = jwt.encode(_claims(nbf=int(time.time()) + 300), SECRET, algorithm="HS256")
    _refused(tokens.decode_access, token)


def test_tampered_signature_is_refused(tokens):
    token, _ = tokens.issue_access(PRINCIPAL)
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    _refused(tokens.decode_access, f"{head}.{payload}.{flipped}")


def test_tampered_payload_is_refused(tokens):
    token, _ = tokens.issue_access(PRINCIPAL)
    head, _payload, signature = token.split(".")
    forged = _b64(_claims(roles=["admin"]))
    _refused(tokens.decode_access, f"{head}.{forged}.{signature}")


def test_token_signed_with_another_secret_is_refused(tokens):
    token = jwt.encode(_claims(), "another-secret-0123456789-abcdefghijkl", algorithm="HS256")
    _refused(tokens.decode_access, token)


def test_hand_crafted_alg_none_is_refused(tokens):
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(roles=['admin']))}."
    _refused(tokens.decode_access, token)


def test_other_hmac_algorithm_is_refused(tokens):
    token = jwt.encode(_claims(), SECRET + "-padding-for-hs512-0123456789abcdef", algorithm="HS512")
    _refused(tokens.decode_access, token)


def test_wrong_audience_is_refused(tokens):
    other = TokenService(SECRET, "test-issuer", "another-audience")
    token, _ = other.issue_access(PRINCIPAL)
    assert "audience" in _refused(tokens.decode_access, token).detail


def test_wrong_issuer_is_refused(tokens):
    other = TokenService(SECRET, "another-issuer", "test-audience")
    token, _ = other.issue_access(PRINCIPAL)
    assert "issuer" in _refused(tokens.decode_access, token).detail


def test_refresh_token_is_not_an_access_token(tokens):
    refresh, _jti, _exp = tokens.issue_refresh(PRINCIPAL)
    _refused(tokens.decode_access, refresh)
    access, _ = tokens.issue_access(PRINCIPAL)
    _refused(tokens.decode_refresh, access)


@pytest.mark.parametrize("missing", ["exp", "sub", "jti", "typ", "aud", "roles", "agency"])
def test_missing_claims_are_refused(tokens, missing):
    token = jwt.encode(_claims(**{missing: ...}), SECRET, algorithm="HS256")
    _refused(tokens.decode_access, token)


def test_unknown_role_is_refused(tokens):
    token = jwt.encode(_claims(roles=["emperor"]), SECRET, algorithm="HS256")
    _refused(tokens.decode_access, token)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "x" * 10000])
def test_garbage_is_refused(tokens, garbage):
    _refused(tokens.decode_access, garbage)


def test_short_secret_is_rejected():
    with pytest.raises(ValueError, match="32 bytes"):
        TokenService("too-short", "i", "a")
