"""Gas service settings (env prefix GAS_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.chassis.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GAS_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/gas.db"
    grpc_port: int = 50054
