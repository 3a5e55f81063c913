"""Kafka topic -> records handler."""

from services.records import handlers

HANDLERS = {
    "review.completed.v1": handlers.record_review_outcome,
}
