"""Disclosure service settings (env prefix DISCLOSURE_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISCLOSURE_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/disclosure.db"
    grpc_port: int = 50053
    deadline_working_days: int = Field(default=7, description="decision -> publication")
    # agency id -> [处罚机关, its credit code, 数据来源单位]
    authorities: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "xinbei-yjj": [
                "常州市新北区应急管理局",
                "",  # its credit code: set DISCLOSURE_AUTHORITIES
                "常州市新北区应急管理局",
            ]
        }
    )
    min_publication_months: int = Field(default=12, description="before credit repair")
    max_publication_months: int = Field(default=36, description="then the record expires")
    joint_repeat_count: int = 3
    joint_repeat_window_days: int = 365
    joint_period_months: int = 36
    expiry_sweep_s: float = 3600.0
