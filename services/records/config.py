"""Records service settings (env prefix RECORDS_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import S3Settings, ServiceSettings


class Settings(ServiceSettings, S3Settings):
    model_config = SettingsConfigDict(env_prefix="RECORDS_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/records.db"
    grpc_port: int = 50051
    evidence_bucket: str = "records-evidence"
    log_signing_key: SecretStr = Field(
        default=SecretStr(""),
        description="Ed25519 seed (base64) that signs the Merkle log's tree heads",
    )

    def secret_fields(self) -> tuple[str, ...]:
        return ("log_signing_key", "s3_secret_key")
