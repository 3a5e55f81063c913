"""Settings base: every service has one Settings class with its own env prefix.

Settings are built once in the process entrypoint (`Settings()`), never at import, and passed
down. In production mode a missing or development secret refuses to start.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.chassis.service_auth import load_public_key

DEV_SECRET_PREFIX = "dev-"


class Mode(StrEnum):
    development = "development"
    production = "production"


class KafkaSecuritySettings(BaseSettings):
    """How clients reach the broker: SASL/SCRAM over TLS in production, plain on loopback
    in development (issue 13, item 8). Mixed into every process that talks to Kafka."""

    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = Field(
        default=None, description="CA bundle that signed the brokers' certificates"
    )

    def kafka_client_config(self) -> dict[str, Any]:
        """kafka-python keyword arguments for producers, consumers and admin clients."""
        config: dict[str, Any] = {"security_protocol": self.kafka_security_protocol}
        if self.kafka_security_protocol.startswith("SASL"):
            config.update(
                sasl_mechanism=self.kafka_sasl_mechanism,
                sasl_plain_username=self.kafka_sasl_username,
                sasl_plain_password=(
                    self.kafka_sasl_password.get_secret_value()
                    if self.kafka_sasl_password
                    else None
                ),
            )
        if self.kafka_security_protocol.endswith("SSL"):
            config.update(ssl_check_hostname=True)
            if self.kafka_ssl_cafile:
                config.update(ssl_cafile=self.kafka_ssl_cafile)
        return config

    def transport_problems(self) -> list[str]:
        """What production mode refuses: a broker or an S3 server reached in the clear."""
        problems = []
        if self.kafka_security_protocol != "SASL_SSL":
            problems.append("kafka_security_protocol must be SASL_SSL in production mode")
        elif not self.kafka_sasl_username or not self.kafka_sasl_password:
            problems.append("kafka_sasl_username and kafka_sasl_password must be set")
        if getattr(self, "s3_secure", True) is not True:
            problems.append("s3_secure must be true (S3 over TLS) in production mode")
        return problems


class ServiceSettings(KafkaSecuritySettings):
    """Fields every service has; a subclass sets `env_prefix`, e.g. `RECORDS_`."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    mode: Mode = Mode.development
    database_url: str = Field(description="SQLAlchemy URL; sqlite:///var/<service>.db embedded")
    kafka_bootstrap: str = Field(default="127.0.0.1:9092", description="host:port[,host:port]")
    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=0, description="0 picks a free port (tests)")
    metrics_port: int | None = Field(default=None, description="Prometheus /metrics; off if unset")
    log_level: str = "INFO"
    log_json: bool = True
    relay_batch_size: int = 500
    relay_poll_interval_s: float = 0.2
    kafka_idempotent_producer: bool = Field(
        default=True,
        description="the outbox relay's idempotent producer; off for a broker that loses "
        "acknowledged batches across a crash with it (the embedded Tansu)",
    )
    consumer_session_timeout_ms: int = 6000
    consumer_heartbeat_interval_ms: int = 2000
    consumer_max_attempts: int = 5
    service_token_public_key: str | None = Field(
        default=None,
        description="base64 Ed25519 public key of the gateway's service tokens; every gRPC "
        "call but health probes must carry one (required in production; unset in "
        "development means no check)",
    )
    clock_start: datetime | None = Field(
        default=None,
        description="development and tests only: the services' clock starts at this instant "
        "(ISO 8601 with offset) and runs on from there",
    )

    def secret_fields(self) -> tuple[str, ...]:
        """Names of fields holding secrets; checked in production mode."""
        return ()

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> ServiceSettings:
        if self.service_token_public_key:
            load_public_key(self.service_token_public_key)  # a malformed key fails at start
        if self.mode is Mode.production:
            for problem in self.transport_problems():
                raise ValueError(problem)
            if not self.service_token_public_key:
                raise ValueError(
                    "service_token_public_key must be set in production mode: without it "
                    "anyone who reaches the gRPC port is answered"
                )
            for name in self.secret_fields():
                value = getattr(self, name)
                raw = value.get_secret_value() if hasattr(value, "get_secret_value") else value
                if not raw or str(raw).startswith(DEV_SECRET_PREFIX):
                    raise ValueError(f"{name} must be set to a real secret in production mode")
            if self.clock_start is not None:
                raise ValueError("clock_start is for development and tests, not production")
        return self


class S3Settings(BaseSettings):
    """Object storage fields, mixed into services that keep files."""

    s3_endpoint: str = "127.0.0.1:8333"
    s3_access_key: str = "dev-access"
    s3_secret_key: str = "dev-secret"
    s3_secure: bool = False
    s3_region: str = "us-east-1"
