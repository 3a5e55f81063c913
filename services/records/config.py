"""Records service settings (env prefix RECORDS_)."""

from __future__ import annotations

import base64
import hashlib
import logging

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.chassis.settings import Mode, S3Settings, ServiceSettings

log = logging.getLogger(__name__)


class Settings(ServiceSettings, S3Settings):
    model_config = SettingsConfigDict(env_prefix="RECORDS_", extra="ignore", frozen=True)

    database_url: str = "sqlite:///var/records.db"
    grpc_port: int = 50051
    evidence_bucket: str = "records-evidence"
    s3_public_endpoint: str = Field(
        default="", description="S3 host:port in the presigned URLs phones use; default s3_endpoint"
    )
    upload_url_ttl_s: int = Field(default=900, description="how long an upload URL is valid")
    multipart_threshold_bytes: int = 64 * 1024 * 1024
    part_size_bytes: int = 16 * 1024 * 1024
    max_evidence_bytes: int = 4 * 1024 * 1024 * 1024
    max_pending_slots_per_user: int = Field(
        default=50, description="open upload slots (URLs still valid) a user may hold, then 429"
    )
    pending_slot_retention_s: int = Field(
        default=24 * 3600,
        description="a pending slot's upload is deleted this long after its URLs expired",
    )
    log_signing_key: SecretStr = Field(
        default=SecretStr(""),
        description="Ed25519 seed (base64) that signs the Merkle log's tree heads",
    )
    number_prefixes: dict[str, str] = Field(
        default_factory=lambda: {"xinbei-yjj": "新北应急"},
        description="agency id -> prefix of its document numbers (文号), e.g. 新北应急",
    )
    log_sequence_wait_s: float = Field(
        default=10.0,
        gt=0,
        le=60,
        description="how long a write waits for the log's sequencer to place its entry before "
        "it answers the entry as queued (committed either way)",
    )
    timely_registration_s: int = Field(
        default=24 * 3600,
        description="an act reaching the server within this delay counts as registered in time",
    )

    def secret_fields(self) -> tuple[str, ...]:
        return ("log_signing_key", "s3_secret_key")

    def signing_seed_b64(self) -> str:
        """The log key; development without one uses a fixed, logged, insecure key."""
        seed = self.log_signing_key.get_secret_value()
        if seed:
            return seed
        if self.mode is Mode.production:  # the settings check refuses this earlier too
            raise ValueError("RECORDS_LOG_SIGNING_KEY is required in production")
        log.warning("RECORDS_LOG_SIGNING_KEY is not set; tree heads are signed with a dev key")
        return base64.b64encode(hashlib.sha256(b"records-dev-log-key").digest()).decode()
