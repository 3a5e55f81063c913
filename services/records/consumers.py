"""Kafka topic -> records handler."""

from __future__ import annotations

from services.records import handlers, templates


def make_handlers(numbering: handlers.Numbering) -> dict:
    return {
        "review.completed.v1": handlers.record_review_outcome,
        templates.REFERRAL_ACKNOWLEDGED: templates.record_referral_acknowledged,
        **{topic: handlers.record_deadline_recomputed for topic in handlers.DEADLINE_TOPICS},
        **{
            topic: templates.template_handler(t, numbering)
            for topic, t in templates.TEMPLATES.items()
        },
    }
