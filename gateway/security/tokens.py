"""JWT access and refresh tokens, HS256 only (the algorithm is pinned on both sides).

Claims: `sub` (user id), `usr` (username), `roles`, `agency`, `town`, `name` (display
name), `cert` (执法证号), `ver` (the account's token version), `iat`, `nbf`, `exp`, `iss`,
`aud`, `jti`, `typ` ("access" or "refresh"). A refresh token carries only the registered
claims and `typ`; the user is read again from the database when it is spent (see
`gateway.security.refresh`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from gateway.problems import ProblemError
from gateway.security.principals import Principal, Role

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
_REGISTERED = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti", "typ"]
_ACCESS_CLAIMS = ("usr", "roles", "agency")
DEVICE_COOKIE_TTL_S = 365 * 24 * 3600


def invalid_token(detail: str, slug: str = "invalid-token") -> ProblemError:
    """401 with the RFC 6750 challenge a client uses to decide to refresh or log in."""
    return ProblemError(
        status=401,
        type=slug,
        title="Invalid token",
        detail=detail,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


_invalid = invalid_token  # older name


class TokenService:
    def __init__(
        self,
        secret: str,
        issuer: str,
        audience: str,
        access_ttl_s: int = 900,
        refresh_ttl_s: int = 14 * 24 * 3600,
    ) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes")
        if access_ttl_s <= 0 or refresh_ttl_s <= 0:
            raise ValueError("token lifetimes must be positive")
        self._secret = secret
        self.issuer = issuer
        self.audience = audience
        self.access_ttl_s = access_ttl_s
        self.refresh_ttl_s = refresh_ttl_s

    def __repr__(self) -> str:  # never show the secret
        return f"TokenService(issuer={self.issuer!r}, audience={self.audience!r})"

    def _encode(
        self, principal: Principal, typ: str, ttl_s: int, extra: dict[str, Any] | None = None
    ) -> tuple[str, str, datetime]:
        now = datetime.now(UTC).replace(microsecond=0)
        expires = now + timedelta(seconds=ttl_s)
        jti = uuid.uuid4().hex
        claims = {
            "sub": principal.user_id,
            "iat": now,
            "nbf": now,
            "exp": expires,
            "iss": self.issuer,
            "aud": self.audience,
            "jti": jti,
            "typ": typ,
            **(extra or {}),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), jti, expires

    def issue_access(self, principal: Principal) -> tuple[str, int]:
        """(token, expires_in seconds)."""
        token, _jti, _exp = self._encode(
            principal,
            "access",
            self.access_ttl_s,
            {
                "usr": principal.username,
                "roles": sorted(r.value for r in principal.roles),
                "agency": principal.agency_id,
                "town": principal.town,
                "name": principal.display_name,
                "cert": principal.certificate_no,
                "venue": principal.venue_id,
                "ver": principal.token_version,
            },
        )
        return token, self.access_ttl_s

    def issue_refresh(self, principal: Principal) -> tuple[str, str, datetime]:
        """(token, jti, expires_at)."""
        return self._encode(principal, "refresh", self.refresh_ttl_s)

    def _decode(self, token: str, typ: str) -> dict[str, Any]:
        if not isinstance(token, str) or not token or len(token) > 8192:
            raise invalid_token("the token is missing or malformed")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": _REGISTERED, "verify_signature": True},
            )
        except jwt.ExpiredSignatureError as exc:
            raise invalid_token("the token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise invalid_token("the token is not valid yet") from exc
        except jwt.InvalidAudienceError as exc:
            raise invalid_token("the token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise invalid_token("the token is from another issuer") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise invalid_token("the token lacks required claims") from exc
        except jwt.InvalidTokenError as exc:
            raise invalid_token("the token is malformed or its signature does not match") from exc
        if claims.get("typ") != typ:
            raise invalid_token(
                f"this is not an {typ} token" if typ == "access" else f"this is not a {typ} token"
            )
        if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("jti"), str):
            raise invalid_token("the token lacks required claims")
        return claims

    def decode_access(self, token: str) -> Principal:
        claims = self._decode(token, "access")
        if any(claims.get(name) is None for name in _ACCESS_CLAIMS):
            raise invalid_token("the token lacks required claims")
        try:
            return Principal(
                user_id=claims["sub"],
                username=str(claims["usr"]),
                roles=frozenset(Role(r) for r in claims["roles"]),
                agency_id=str(claims["agency"]),
                town=claims.get("town"),
                display_name=claims.get("name") or "",
                certificate_no=claims.get("cert"),
                venue_id=claims.get("venue"),
                token_version=int(claims.get("ver") or 0),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise invalid_token("the token lacks required claims") from exc

    def decode_refresh(self, token: str) -> dict[str, Any]:
        return self._decode(token, "refresh")

    def issue_device_cookie(self, principal: Principal) -> str:
        """Proof that this phone or browser logged in to this account before (OWASP "device
        cookies"): its failed logins are counted on their own, so strangers who fail against
        the username elsewhere cannot lock this device out. It grants nothing by itself."""
        token, _jti, _exp = self._encode(
            principal, "device-cookie", DEVICE_COOKIE_TTL_S, {"usr": principal.username}
        )
        return token

    def device_cookie_id(self, token: str | None, username: str) -> str | None:
        """The cookie's id when `token` is a valid device cookie of `username`, else None (an
        invalid or foreign cookie only makes the login an untrusted one)."""
        if not token:
            return None
        try:
            claims = self._decode(token, "device-cookie")
        except ProblemError:
            return None
        if str(claims.get("usr", "")).lower() != username.lower():
            return None
        return claims["jti"]
