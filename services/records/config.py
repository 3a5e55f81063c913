"""Records service settings (env prefix RECORDS_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.chassis.settings import S3Settings, ServiceSettings


class Settings(ServiceSettings, S3Settings):
    model_config = SettingsConfigDict(env_prefix="RECORDS_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/records.db"
    grpc_port: int = 50051
    evidence_bucket: str = "records-evidence"
