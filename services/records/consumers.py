"""Kafka topic -> records handler."""

from services.records import handlers, templates

HANDLERS = {
    "review.completed.v1": handlers.record_review_outcome,
    **{topic: templates.task_handler(t) for topic, t in templates.TEMPLATES.items()},
}
