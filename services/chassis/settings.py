"""Settings base: every service has one Settings class with its own env prefix.

Settings are built once in the process entrypoint (`Settings()`), never at import, and passed
down. In production mode a missing or development secret refuses to start.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_PREFIX = "dev-"


class Mode(StrEnum):
    development = "development"
    production = "production"


class ServiceSettings(BaseSettings):
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
        if self.mode is Mode.production:
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
