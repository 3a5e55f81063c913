"""Service tokens: who may call a service's gRPC API (issue 13, item 8).

The gateway signs a short-lived token (a JWT, EdDSA / Ed25519) per call target and sends it as
`authorization: Bearer ...` metadata; every service checks it in a server interceptor before
any handler runs. Only the gateway holds the private key; services hold the public key, so a
service that is broken into cannot mint tokens to call the others. The audience is the target
service's name ("records", "gas", ...): a token for one service is refused by every other.
Health checks stay open, for orchestrators' probes.

Keys travel as base64 of their 32 raw bytes (`make_key_pair()` makes a pair).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import grpc
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

log = logging.getLogger(__name__)

AUTHORIZATION_KEY = "authorization"
ISSUER = "enforcement-gateway"
TOKEN_TTL_S = 60
# A token lives at most this long however it was minted: a leaked one is soon useless.
MAX_TOKEN_TTL_S = 300
CLOCK_LEEWAY_S = 5
_RENEW_BEFORE_S = 20
# Probes of the standard health service need no token (Docker, Kubernetes, the stack).
OPEN_METHOD_PREFIXES = ("/grpc.health.v1.Health/",)


def make_key_pair() -> tuple[str, str]:
    """A new (private, public) Ed25519 pair, each base64 of its 32 raw bytes."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(seed).decode(), base64.b64encode(public).decode()


def public_key_of(private_b64: str) -> str:
    """The base64 public key that belongs to a base64 private key."""
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_b64))
    return base64.b64encode(
        private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ).decode()


def load_public_key(public_b64: str) -> Ed25519PublicKey:
    """The public key from its base64 form; ValueError when it is not 32 bytes of a key."""
    try:
        raw = base64.b64decode(public_b64, validate=True)
    except ValueError as exc:
        raise ValueError("service token public key is not base64") from exc
    return Ed25519PublicKey.from_public_bytes(raw)


class ServiceTokenSigner:
    """Mints tokens for the gateway's calls; one cached token per audience until near expiry."""

    def __init__(self, private_b64: str, subject: str = "gateway", ttl_s: int = TOKEN_TTL_S):
        self._key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_b64))
        self.subject = subject
        self.ttl_s = min(ttl_s, MAX_TOKEN_TTL_S)
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, audience: str) -> str:
        now = time.time()
        with self._lock:
            cached = self._cache.get(audience)
            if cached is not None and cached[1] - now > _RENEW_BEFORE_S:
                return cached[0]
            expires = int(now) + self.ttl_s
            claims = {
                "iss": ISSUER,
                "sub": self.subject,
                "aud": audience,
                "iat": int(now),
                "exp": expires,
            }
            token = jwt.encode(claims, self._key, algorithm="EdDSA")
            self._cache[audience] = (token, expires)
            return token

    def metadata(self, audience: str) -> tuple[tuple[str, str], ...]:
        """Call metadata for a plain (sync) stub call, e.g. `stub.X(req, metadata=...)`."""
        return ((AUTHORIZATION_KEY, f"Bearer {self.token(audience)}"),)


class ServiceTokenVerifier:
    """Checks a caller's token for this service; remembers a few good ones until they expire."""

    def __init__(self, public_b64: str, audience: str) -> None:
        self._key = load_public_key(public_b64)
        self.audience = audience
        self._good: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, authorization: str | None) -> str | None:
        """None when the token is good for this service, else why not (for the log)."""
        if not authorization or not authorization.startswith("Bearer "):
            return "no service token"
        token = authorization[7:].strip()
        now = time.time()
        with self._lock:
            expires = self._good.get(token)
            if expires is not None and expires + CLOCK_LEEWAY_S > now:
                return None
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["EdDSA"],
                audience=self.audience,
                issuer=ISSUER,
                leeway=CLOCK_LEEWAY_S,
                options={"require": ["exp", "iat", "aud", "iss", "sub"]},
            )
        except jwt.PyJWTError as exc:
            return f"bad service token ({type(exc).__name__})"
        if claims["exp"] - claims["iat"] > MAX_TOKEN_TTL_S:
            return "service token lives too long"
        with self._lock:
            self._good[token] = float(claims["exp"])
            while len(self._good) > 64:
                self._good.popitem(last=False)
        return None


async def _deny_unary(_request: object, ctx: grpc.aio.ServicerContext) -> None:
    await ctx.abort(grpc.StatusCode.UNAUTHENTICATED, "a service token is required")


async def _deny_stream(_request: object, ctx: grpc.aio.ServicerContext):
    await ctx.abort(grpc.StatusCode.UNAUTHENTICATED, "a service token is required")
    yield  # pragma: no cover - makes this an async generator, as streaming handlers are


_DENY = {
    (False, False): grpc.unary_unary_rpc_method_handler(_deny_unary),
    (True, False): grpc.stream_unary_rpc_method_handler(_deny_unary),
    (False, True): grpc.unary_stream_rpc_method_handler(_deny_stream),
    (True, True): grpc.stream_stream_rpc_method_handler(_deny_stream),
}


class ServiceAuthInterceptor(grpc.aio.ServerInterceptor):
    """Refuses every call but health probes with UNAUTHENTICATED unless its token is good."""

    def __init__(self, verifier: ServiceTokenVerifier) -> None:
        self.verifier = verifier

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or details.method.startswith(OPEN_METHOD_PREFIXES):
            return handler
        metadata = dict(details.invocation_metadata or ())
        problem = self.verifier.check(metadata.get(AUTHORIZATION_KEY))
        if problem is None:
            return handler
        log.warning("refused %s: %s", details.method, problem)
        return _DENY[(handler.request_streaming, handler.response_streaming)]
