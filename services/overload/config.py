"""Overload service settings (env prefix OVERLOAD_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
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
    # Who fines what (services/overload/domain/competence.py, docs/overload.md).
    agency_powers: dict[str, list[str]] = Field(
        default_factory=dict,
        description="agency id -> its powers (road-authority, traffic-police); an agency not "
        "listed is a road authority (公路管理机构)",
    )
    referral_recipients: dict[str, str] = Field(
        default_factory=dict,
        description="power -> the agency a referral goes to, e.g. "
        '{"traffic-police": "新北分局交警大队"}',
    )
    referral_ack_working_days: int = Field(
        default=5, ge=1, le=60, description="(local) a referral's receipt is expected within"
    )
    # 62号令 Art. 43 "每超1000千克罚款500元": the district's discretion-benchmark reading.
    fine_rounding: Literal["up", "down", "exact"] = Field(
        default="down",
        description="up: per started tonne; down: per full tonne (default, the party's "
        "favour); exact: proportional",
    )
    fine_rounding_source: str = Field(
        default="",
        description="the benchmark the reading comes from (e.g. its title and item); "
        "required when fine_rounding is not the default",
    )

    @model_validator(mode="after")
    def _powers_are_known(self) -> Settings:
        known = {"road-authority", "traffic-police"}
        for agency, powers in self.agency_powers.items():
            if not powers or set(powers) - known:
                raise ValueError(
                    f"OVERLOAD_AGENCY_POWERS[{agency}]: one or both of {sorted(known)}"
                )
        if set(self.referral_recipients) - known:
            raise ValueError(f"OVERLOAD_REFERRAL_RECIPIENTS: keys are {sorted(known)}")
        return self

    @model_validator(mode="after")
    def _reading_has_a_source(self) -> Settings:
        if self.fine_rounding != "down" and not self.fine_rounding_source.strip():
            raise ValueError(
                "OVERLOAD_FINE_ROUNDING_SOURCE must name the discretion benchmark that reads "
                "Art. 43 other than per full tonne"
            )
        return self
