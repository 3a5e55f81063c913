"""Kafka topic -> disclosure handler."""

from __future__ import annotations

from functools import partial

from services.chassis.calendar_store import TOPIC_YEAR_PUBLISHED
from services.disclosure import calendar, handlers


def make_handlers(policy: handlers.Policy) -> dict:
    return {
        "records.penalty-decided.v1": partial(handlers.publish_decided, policy=policy),
        "records.penalty-revoked.v1": partial(handlers.withdraw_revoked, policy=policy),
        TOPIC_YEAR_PUBLISHED: calendar.handler(policy),
        "hazards.punishment-candidate.v1": partial(handlers.list_hazard_candidate, policy=policy),
    }
