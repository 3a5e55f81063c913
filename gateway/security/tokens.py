"""JWT access and refresh tokens, HS256 only (the algorithm is pinned on both sides)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from gateway.problems import ProblemError
from gateway.security.principals import Principal, Role

ALGORITHM = "HS256"
_REQUIRED = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti", "typ"]


def _invalid(detail: str) -> ProblemError:
    return ProblemError(status=401, type="invalid-token", title="Invalid token", detail=detail,
                        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class TokenService:
    def __init__(self, secret: str, issuer: str, audience: str, access_ttl_s: int = 900,
                 refresh_ttl_s: int = 14 * 24 * 3600) -> None:
        if len(secret.encode()) < 32:
            raise ValueError("the JWT secret must be at least 32 bytes")
        self._secret = secret
        self.issuer = issuer
        self.audience = audience
        self.access_ttl_s = access_ttl_s
        self.refresh_ttl_s = refresh_ttl_s

    def _encode(self, principal: Principal, typ: str, ttl_s: int,
                extra: dict[str, Any] | None = None) -> tuple[str, str, datetime]:
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=ttl_s)
        jti = uuid.uuid4().hex
        claims = {"sub": principal.user_id, "iat": now, "nbf": now, "exp": expires,
                  "iss": self.issuer, "aud": self.audience, "jti": jti, "typ": typ,
                  **(extra or {})}
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), jti, expires

    def issue_access(self, principal: Principal) -> tuple[str, int]:
        token, _jti, _exp = self._encode(principal, "access", self.access_ttl_s, {
            "usr": principal.username, "roles": sorted(r.value for r in principal.roles),
            "agency": principal.agency_id, "town": principal.town,
            "name": principal.display_name, "cert": principal.certificate_no,
        })
        return token, self.access_ttl_s

    def issue_refresh(self, principal: Principal) -> tuple[str, str, datetime]:
        return self._encode(principal, "refresh", self.refresh_ttl_s)

    def _decode(self, token: str, typ: str) -> dict[str, Any]:
        try:
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM],
                                audience=self.audience, issuer=self.issuer,
                                options={"require": _REQUIRED})
        except jwt.ExpiredSignatureError as exc:
            raise _invalid("the token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise _invalid("the token is not valid yet") from exc
        except jwt.InvalidAudienceError as exc:
            raise _invalid("the token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise _invalid("the token is from another issuer") from exc
        except jwt.InvalidTokenError as exc:
            raise _invalid("the token is malformed or its signature does not match") from exc
        if claims.get("typ") != typ:
            raise _invalid(f"this is not an {typ} token" if typ == "access"
                           else f"this is not a {typ} token")
        return claims

    def decode_access(self, token: str) -> Principal:
        claims = self._decode(token, "access")
        try:
            return Principal(user_id=claims["sub"], username=claims["usr"],
                             roles=frozenset(Role(r) for r in claims["roles"]),
                             agency_id=claims["agency"], town=claims.get("town"),
                             display_name=claims.get("name") or "",
                             certificate_no=claims.get("cert"))
        except (KeyError, ValueError, TypeError) as exc:
            raise _invalid("the token lacks required claims") from exc

    def decode_refresh(self, token: str) -> dict[str, Any]:
        return self._decode(token, "refresh")
