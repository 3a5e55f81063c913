"""Disclosure service settings (env prefix DISCLOSURE_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.chassis.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISCLOSURE_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/disclosure.db"
    grpc_port: int = 50053
