"""Service tokens on the chassis gRPC server: only callers holding the gateway's key are
answered; health probes stay open (issue 13, item 8)."""

from __future__ import annotations

import asyncio
import time

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import REGISTRY

from services.chassis.grpc_client import check_health, make_channel
from services.chassis.grpc_server import GrpcServer
from services.chassis.service_auth import (
    ISSUER,
    ServiceTokenSigner,
    ServiceTokenVerifier,
    make_key_pair,
    public_key_of,
)
from services.chassis.settings import ServiceSettings
from tests.chassis.grpc_support import SERVICE, Echo, add_echo_to_server, stream, unary

pytestmark = pytest.mark.integration

PRIVATE, PUBLIC = make_key_pair()


@pytest.fixture
async def server():
    verifier = ServiceTokenVerifier(PUBLIC, audience="echo")
    srv = GrpcServer("127.0.0.1", 0, [(add_echo_to_server, Echo())], [SERVICE], auth=verifier)
    await srv.start()
    yield srv
    await srv.stop(0)


async def call_with(server: GrpcServer, token) -> grpc.StatusCode:
    async with make_channel(f"127.0.0.1:{server.port}", token=token) as ch:
        try:
            await unary(ch, "WhoAmI")(b"")
        except grpc.aio.AioRpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


async def test_a_call_with_the_callers_token_is_answered(server):
    signer = ServiceTokenSigner(PRIVATE)
    assert await call_with(server, lambda: signer.token("echo")) is grpc.StatusCode.OK


async def test_a_call_without_a_token_is_refused_unauthenticated(server):
    assert await call_with(server, None) is grpc.StatusCode.UNAUTHENTICATED


async def test_a_streaming_call_without_a_token_is_refused_unauthenticated(server):
    async with make_channel(f"127.0.0.1:{server.port}") as ch:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            async for _ in stream(ch, "Stream")(b""):
                pass
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_a_token_for_another_service_is_refused(server):
    signer = ServiceTokenSigner(PRIVATE)
    assert await call_with(server, lambda: signer.token("gas")) is grpc.StatusCode.UNAUTHENTICATED


async def test_a_token_signed_with_another_key_is_refused(server):
    stranger = ServiceTokenSigner(make_key_pair()[0])
    code = await call_with(server, lambda: stranger.token("echo"))
    assert code is grpc.StatusCode.UNAUTHENTICATED


async def test_an_expired_token_is_refused(server):
    key = Ed25519PrivateKey.from_private_bytes(__import__("base64").b64decode(PRIVATE))
    now = int(time.time())
    old = {"iss": ISSUER, "sub": "gateway", "aud": "echo", "iat": now - 120, "exp": now - 60}
    token = jwt.encode(old, key, algorithm="EdDSA")
    assert await call_with(server, lambda: token) is grpc.StatusCode.UNAUTHENTICATED


async def test_a_long_lived_token_is_refused(server):
    key = Ed25519PrivateKey.from_private_bytes(__import__("base64").b64decode(PRIVATE))
    now = int(time.time())
    forever = {"iss": ISSUER, "sub": "gateway", "aud": "echo", "iat": now, "exp": now + 86400}
    token = jwt.encode(forever, key, algorithm="EdDSA")
    assert await call_with(server, lambda: token) is grpc.StatusCode.UNAUTHENTICATED


async def test_health_probes_need_no_token(server):
    async with make_channel(f"127.0.0.1:{server.port}") as ch:
        assert await check_health(ch, SERVICE)


async def test_refused_calls_are_counted_as_unauthenticated(server):
    def count() -> float:
        labels = {"method": f"/{SERVICE}/WhoAmI", "code": "UNAUTHENTICATED"}
        return REGISTRY.get_sample_value("grpc_server_requests_total", labels) or 0.0

    before = count()
    assert await call_with(server, None) is grpc.StatusCode.UNAUTHENTICATED
    # The server counts the call after its status has gone out: wait for it, briefly.
    for _ in range(100):
        if count() > before:
            break
        await asyncio.sleep(0.02)
    assert count() == before + 1


@pytest.mark.unit
def test_the_public_key_belongs_to_the_private_key():
    assert public_key_of(PRIVATE) == PUBLIC


# What production mode needs besides the service token key (Kafka over SASL/SCRAM and TLS).
PRODUCTION = {
    "mode": "production",
    "database_url": "sqlite://",
    "kafka_security_protocol": "SASL_SSL",
    "kafka_sasl_username": "records",
    "kafka_sasl_password": "a-real-password",
}


@pytest.mark.unit
def test_production_mode_refuses_to_start_without_the_service_token_key():
    with pytest.raises(ValueError, match="service_token_public_key"):
        ServiceSettings(**PRODUCTION)
    ServiceSettings(**PRODUCTION, service_token_public_key=PUBLIC)


@pytest.mark.unit
@pytest.mark.parametrize(
    "change",
    [
        {"kafka_security_protocol": "PLAINTEXT"},
        {"kafka_security_protocol": "SASL_PLAINTEXT"},
        {"kafka_sasl_password": None},
    ],
)
def test_production_mode_refuses_a_broker_reached_in_the_clear_or_anonymously(change):
    with pytest.raises(ValueError, match="kafka"):
        ServiceSettings(**{**PRODUCTION, **change}, service_token_public_key=PUBLIC)


@pytest.mark.unit
def test_kafka_clients_get_scram_over_tls_from_the_settings():
    settings = ServiceSettings(
        **PRODUCTION, service_token_public_key=PUBLIC, kafka_ssl_cafile="/etc/ca.crt"
    )
    assert settings.kafka_client_config() == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "records",
        "sasl_plain_password": "a-real-password",
        "ssl_check_hostname": True,
        "ssl_cafile": "/etc/ca.crt",
    }
    assert ServiceSettings(database_url="sqlite://").kafka_client_config() == {
        "security_protocol": "PLAINTEXT"
    }


@pytest.mark.unit
def test_a_malformed_service_token_key_refuses_to_start():
    with pytest.raises(ValueError):
        ServiceSettings(database_url="sqlite://", service_token_public_key="not a key")


@pytest.mark.unit
def test_the_gateway_refuses_production_mode_without_its_service_token_key():
    from gateway.config import Settings as GatewaySettings

    fields = {
        "mode": "production",
        "jwt_secret": "x" * 48,
        "public_base_url": "https://zfgs.example.gov.cn",
    }
    with pytest.raises(ValueError, match="SERVICE_TOKEN_KEY"):
        GatewaySettings(**fields)
    signer = GatewaySettings(**fields, service_token_key=PRIVATE).service_token_signer()
    assert (
        ServiceTokenVerifier(PUBLIC, "records").check(f"Bearer {signer.token('records')}") is None
    )
