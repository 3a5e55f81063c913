"""Structured logs: one JSON object a line on stderr, with the request and trace ids."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

from services.chassis import context

_HANDLER_NAME = "enforcement"


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        # An id given explicitly with `extra=` wins over the one bound in the context.
        if getattr(record, "request_id", None) is None:
            record.request_id = context.current_request_id()
        if getattr(record, "trace_id", None) is None:
            record.trace_id = context.current_trace_id()
        return True


class _Json(JsonFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


_PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(service)s %(name)s [%(request_id)s] %(message)s"


class _Plain(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        return _PLAIN_FORMAT % {**record.__dict__, "request_id": record.request_id or "-"}


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Send every log record to stderr, as JSON lines or plain text; safe to call again.

    A JSON line holds timestamp (ISO 8601, UTC), level, service, logger, message, request_id
    and trace_id (from `services.chassis.context`), then any `extra=` fields of the call.
    Calling again replaces the handler, so a process never logs a line twice.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(_ContextFilter(service))
    if json:
        handler.setFormatter(
            _Json(
                "%(asctime)s %(levelname)s %(service)s %(name)s %(message)s "
                "%(request_id)s %(trace_id)s",
                rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(_Plain(_PLAIN_FORMAT))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Client libraries log every connection and retry at INFO; their warnings still show.
    for noisy in ("kafka", "urllib3", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
