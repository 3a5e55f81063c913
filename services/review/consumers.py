"""Kafka topic -> review handler."""

from services.review import handlers

HANDLERS = {
    "records.case-opened.v1": handlers.record_case_opened,
}
