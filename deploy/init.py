"""`python -m deploy.init`: create the Kafka topics and S3 buckets (a one-shot job).

Reads INIT_KAFKA_BOOTSTRAP, INIT_S3_ENDPOINT, INIT_S3_ACCESS_KEY, INIT_S3_SECRET_KEY,
INIT_S3_SECURE and INIT_REPLICATION_FACTOR, and the broker's INIT_KAFKA_SECURITY_PROTOCOL,
INIT_KAFKA_SASL_* and INIT_KAFKA_SSL_CAFILE. Safe to run again.
"""

from __future__ import annotations

import logging

from pydantic_settings import BaseSettings, SettingsConfigDict

from deploy.topics import BUCKETS, OBJECT_LOCK_BUCKETS, TOPICS
from services.chassis.kafka_admin import ensure_topics
from services.chassis.logs import configure_logging
from services.chassis.settings import KafkaSecuritySettings
from services.chassis.storage import ObjectStore

log = logging.getLogger("deploy.init")


class InitSettings(KafkaSecuritySettings, BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INIT_", extra="ignore")

    kafka_bootstrap: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_secure: bool = False
    replication_factor: int = 1


def initialise(settings: InitSettings) -> None:
    ensure_topics(
        settings.kafka_bootstrap,
        TOPICS,
        replication_factor=settings.replication_factor,
        security=settings.kafka_client_config(),
    )
    store = ObjectStore(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key,
        secure=settings.s3_secure,
    )
    for bucket in BUCKETS:
        if bucket in OBJECT_LOCK_BUCKETS:
            try:
                store.ensure_bucket(bucket, object_lock=True)
                continue
            except Exception as exc:  # a server without object lock still keeps the files
                log.warning("bucket %s without object lock: %s", bucket, exc)
        store.ensure_bucket(bucket)
    log.info("created %d topics and %d buckets", len(TOPICS), len(BUCKETS))


if __name__ == "__main__":
    configure_logging("init")
    initialise(InitSettings())
