"""Topic creation, for the init job, the benchmarks and the tests."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

from kafka import KafkaAdminClient
from kafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError, for_code

log = logging.getLogger(__name__)


def _retriable(exc: BaseException) -> bool:
    """A broker that is still starting (or restarting): worth another try."""
    if isinstance(exc, KafkaError):
        return exc.retriable or isinstance(exc, KafkaConnectionError)
    return isinstance(exc, OSError)


def ensure_topics(
    bootstrap: str,
    topics: Mapping[str, int] | Iterable[tuple[str, int]],
    replication_factor: int = 1,
    timeout_s: float = 30.0,
    security: Mapping[str, Any] | None = None,
) -> None:
    """Create the topics of `topics` (name -> partition count) that are missing.

    Topics that exist already are left as they are (a different partition count is logged,
    not changed). Retries while the broker is unreachable or starting, up to `timeout_s`;
    other errors (an invalid name or partition count) are raised at once.
    """
    topics = dict(topics)
    if not topics:
        return
    deadline = time.monotonic() + timeout_s
    while True:
        remaining_ms = max(1000, int((deadline - time.monotonic()) * 1000))
        try:
            _create_missing(
                bootstrap, topics, replication_factor, min(remaining_ms, 10_000), security
            )
            return
        except Exception as exc:
            if not _retriable(exc) or time.monotonic() >= deadline:
                raise
            log.info("broker not ready for topic creation yet: %r", exc)
            time.sleep(0.5)


def _create_missing(
    bootstrap: str,
    topics: dict[str, int],
    replication_factor: int,
    timeout_ms: int,
    security: Mapping[str, Any] | None = None,
) -> None:
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap.split(","),
        client_id="ensure-topics",
        bootstrap_timeout_ms=timeout_ms,
        request_timeout_ms=timeout_ms,
        reconnect_backoff_max_ms=1000,  # notice a broker that has just come up quickly
        **(security or {}),
    )
    try:
        existing = {t["name"]: len(t["partitions"]) for t in admin.describe_topics()}
        for name, partitions in topics.items():
            if name in existing and existing[name] != partitions:
                log.warning(
                    "topic %s has %d partitions, not the %d configured; left as it is",
                    name,
                    existing[name],
                    partitions,
                )
        missing = {
            name: {"num_partitions": partitions, "replication_factor": replication_factor}
            for name, partitions in topics.items()
            if name not in existing
        }
        if not missing:
            return
        # raise_errors=False: one topic created meanwhile (TOPIC_ALREADY_EXISTS) must not
        # hide the others' outcome; each topic's error code is checked below.
        result = admin.create_topics(missing, raise_errors=False)
        for topic in result["topics"]:
            error = for_code(topic["error_code"])
            if error is TopicAlreadyExistsError:
                continue
            if topic["error_code"] != 0:
                raise error(f"creating topic {topic['name']}: {topic.get('error_message')}")
            log.info(
                "created topic %s (%d partitions)",
                topic["name"],
                missing[topic["name"]]["num_partitions"],
            )
    finally:
        admin.close()
