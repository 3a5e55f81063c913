"""Kafka topic -> disclosure handler."""

from __future__ import annotations

from functools import partial

from services.disclosure import handlers


def make_handlers(policy: handlers.Policy) -> dict:
    return {
        "records.penalty-decided.v1": partial(handlers.publish_decided, policy=policy),
        "records.penalty-revoked.v1": partial(handlers.withdraw_revoked, policy=policy),
    }
