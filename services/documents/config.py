"""Documents service settings (env prefix DOCUMENTS_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import S3Settings, ServiceSettings


class Settings(ServiceSettings, S3Settings):
    model_config = SettingsConfigDict(env_prefix="DOCUMENTS_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/documents.db"
    grpc_port: int = 50056
    pdf_bucket: str = "documents-pdf"
    archive_bucket: str = "documents-archive"
    s3_public_endpoint: str = Field(
        default="", description="S3 host:port in the case files' download URLs; default s3_endpoint"
    )
    download_url_ttl_s: int = Field(default=300, description="how long a download URL is valid")
    number_prefixes: dict[str, str] = Field(
        default_factory=lambda: {"xinbei-yjj": "新北应急"},
        description="agency id -> prefix of its document numbers (文号), as in records",
    )
    agency_names: dict[str, str] = Field(
        default_factory=lambda: {"xinbei-yjj": "常州市新北区应急管理局"},
        description="agency id -> the name printed at the head of its documents",
    )
    payment_accounts: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description='agency id -> {"bank": ..., "account": ...} printed on penalty decisions',
    )
    object_lock: bool = Field(
        default=True,
        description="ask S3 for a retention lock (COMPLIANCE) on archived case files; a "
        "server without object lock keeps the file and says it is unlocked",
    )

    def secret_fields(self) -> tuple[str, ...]:
        return ("s3_secret_key",)

    def prefix(self, agency_id: str) -> str:
        return self.number_prefixes.get(agency_id, agency_id)

    def agency_name(self, agency_id: str) -> str:
        return self.agency_names.get(agency_id, agency_id)
