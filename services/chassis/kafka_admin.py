"""Topic creation, for the init job and the tests."""

from __future__ import annotations

import logging
import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

log = logging.getLogger(__name__)


def ensure_topics(
    bootstrap: str, topics: dict[str, int], replication_factor: int = 1, timeout_s: float = 30.0
) -> None:
    """Create the topics that are missing, with their partition counts; retry while the
    broker starts."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap.split(","),
                client_id="ensure-topics",
                request_timeout_ms=10_000,
            )
            try:
                existing = set(admin.list_topics())
                missing = [
                    NewTopic(name, partitions, replication_factor)
                    for name, partitions in topics.items()
                    if name not in existing
                ]
                for topic in missing:
                    try:
                        admin.create_topics([topic])
                        log.info(
                            "created topic %s (%d partitions)", topic.name, topic.num_partitions
                        )
                    except TopicAlreadyExistsError:
                        pass
                return
            finally:
                admin.close()
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise
            log.info("broker not ready for topic creation yet: %s", exc)
            time.sleep(0.5)
