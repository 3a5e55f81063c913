"""Hazards service settings (env prefix HAZARDS_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import DEV_SECRET_PREFIX, S3Settings, ServiceSettings


class Settings(ServiceSettings, S3Settings):
    model_config = SettingsConfigDict(env_prefix="HAZARDS_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/hazards.db"
    grpc_port: int = 50056
    photo_bucket: str = "hazards-photos"
    s3_public_endpoint: str = Field(
        default="", description="S3 host:port in presigned URLs phones use; default s3_endpoint"
    )
    reporter_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_PREFIX + "hazards-reporter-key-0123456789abcdef"),
        description="encrypts reporters' names and phones at rest (AES-GCM, key derived by "
        "SHA-256); required in production",
    )
    agency_prefixes: dict[str, str] = Field(
        default_factory=lambda: {"xinbei-yjj": "新北应急"},
        description="agency id -> the prefix of its register numbers (新北应急隐患〔2026〕1号)",
    )
    reports_per_address_per_day: int = Field(
        default=10, description="public reports from one client address a day"
    )
    reports_per_device_per_day: int = Field(
        default=5, description="public reports from one device (cookie) a day"
    )
    link_valid_days: int = Field(default=30, description="a one-time rectification link")
    loading_source_repeat: int = Field(
        default=3,
        description="confirmed overloads from one loading source within 365 days that make it "
        "a hazard (62号令 Art. 46 counts 3 a year as repeat)",
    )
    public_agency_id: str = Field(
        default="xinbei-yjj", description="the agency that handles public reports (12350)"
    )
    sweep_interval_s: float = Field(
        default=30.0, description="how often deadlines are checked (overdue, 挂牌督办 past due)"
    )

    def secret_fields(self) -> tuple[str, ...]:
        return ("reporter_key",)
