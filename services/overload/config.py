"""Overload service settings (env prefix OVERLOAD_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import S3Settings, ServiceSettings


class Settings(ServiceSettings, S3Settings):
    model_config = SettingsConfigDict(env_prefix="OVERLOAD_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/overload.db"
    grpc_port: int = 50055
    evidence_bucket: str = "overload-evidence"
    s3_public_endpoint: str = Field(
        default="",
        description="S3 host:port in the presigned URLs stations use; default s3_endpoint",
    )
