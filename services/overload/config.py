"""Overload service settings (env prefix OVERLOAD_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.chassis.settings import S3Settings, ServiceSettings


class Settings(ServiceSettings, S3Settings):
    model_config = SettingsConfigDict(env_prefix="OVERLOAD_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/overload.db"
    grpc_port: int = 50055
