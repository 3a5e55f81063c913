"""Hazard sources service settings (env prefix HAZARD_SOURCES_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import S3Settings, ServiceSettings


class Settings(ServiceSettings, S3Settings):
    model_config = SettingsConfigDict(env_prefix="HAZARD_SOURCES_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/hazard_sources.db"
    grpc_port: int = 50056
    escalate_after_s: float = Field(
        default=600.0,
        description="an open alarm not handled (消警) within this goes one step further along "
        "the 包保 chain: 主要负责人, 技术负责人, 操作负责人, then the town's officers",
    )
    sweep_interval_s: float = Field(
        default=10.0, description="how often stale sensors and overdue alarms are looked for"
    )
    flush_interval_s: float = Field(
        default=5.0, description="how often buffered raw readings are written to S3 as Parquet"
    )
