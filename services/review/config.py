"""Review service settings (env prefix REVIEW_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import ServiceSettings
from services.review.domain.major import MAJOR_KINDS_DEFAULT, MajorRules


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REVIEW_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/review.db"
    grpc_port: int = 50052
    deadline_working_days: int = Field(default=7, description="legal review deadline (local)")
    extension_working_days: int = Field(default=3, description="one extension, with a reason")
    overdue_sweep_s: float = Field(default=60.0, description="how often overdue tasks are checked")
    major_person_amount_over: int = 10_000
    major_organization_amount_over: int = 100_000
    major_kinds: list[str] = Field(default_factory=lambda: sorted(MAJOR_KINDS_DEFAULT))
    major_if_mitigated: bool = True
    major_if_benchmark_departure: bool = True
    major_if_hearing: bool = True
    major_if_public_interest: bool = True
    major_if_complex: bool = True

    def rules(self) -> MajorRules:
        return MajorRules(
            person_amount_over=self.major_person_amount_over,
            organization_amount_over=self.major_organization_amount_over,
            major_kinds=frozenset(self.major_kinds),
            mitigation=self.major_if_mitigated,
            benchmark_departure=self.major_if_benchmark_departure,
            hearing=self.major_if_hearing,
            public_interest=self.major_if_public_interest,
            complex_case=self.major_if_complex,
        )
