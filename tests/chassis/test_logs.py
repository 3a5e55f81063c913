"""Structured logs: JSON lines with the service, the bound ids and the call's extra fields."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import pytest

from services.chassis import context
from services.chassis.logs import configure_logging

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    kafka_level = logging.getLogger("kafka").level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(kafka_level)


def json_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_a_json_line_holds_service_level_logger_message_and_the_bound_ids(capsys):
    configure_logging("records")
    with context.bound(request_id="req-1", trace_id="trace-1"):
        logging.getLogger("services.records.handlers").info("case %s opened", "C-1")
    [line] = json_lines(capsys)
    assert line["service"] == "records"
    assert line["level"] == "INFO"
    assert line["logger"] == "services.records.handlers"
    assert line["message"] == "case C-1 opened"
    assert line["request_id"] == "req-1"
    assert line["trace_id"] == "trace-1"


def test_the_timestamp_is_iso_8601_in_utc(capsys):
    configure_logging("records")
    logging.getLogger("t").warning("now")
    [line] = json_lines(capsys)
    stamp = datetime.fromisoformat(line["timestamp"])
    assert stamp.utcoffset() == timedelta(0)


def test_extra_fields_are_kept_as_json_fields(capsys):
    configure_logging("gas")
    logging.getLogger("t").info("alarm", extra={"device_id": "D-7", "ppm": 420, "ok": False})
    [line] = json_lines(capsys)
    assert (line["device_id"], line["ppm"], line["ok"]) == ("D-7", 420, False)


def test_outside_a_request_the_ids_are_null(capsys):
    configure_logging("gas")
    logging.getLogger("t").info("tick")
    [line] = json_lines(capsys)
    assert line["request_id"] is None
    assert line["trace_id"] is None


def test_an_explicit_request_id_wins_over_the_bound_one(capsys):
    configure_logging("gas")
    with context.bound(request_id="bound"):
        logging.getLogger("t").info("x", extra={"request_id": "given"})
    [line] = json_lines(capsys)
    assert line["request_id"] == "given"


def test_an_exception_is_logged_with_its_traceback(capsys):
    configure_logging("gas")
    try:
        raise RuntimeError("valve stuck")
    except RuntimeError:
        logging.getLogger("t").exception("failed")
    [line] = json_lines(capsys)
    assert line["level"] == "ERROR"
    assert "RuntimeError: valve stuck" in line["exc_info"]


def test_configuring_twice_does_not_double_the_lines(capsys):
    configure_logging("records")
    configure_logging("records", level="DEBUG")
    logging.getLogger("t").debug("once")
    assert len(json_lines(capsys)) == 1


def test_the_level_filters_records(capsys):
    configure_logging("records", level="WARNING")
    logging.getLogger("t").info("hidden")
    logging.getLogger("t").warning("shown")
    assert [line["message"] for line in json_lines(capsys)] == ["shown"]


def test_kafka_info_is_quieted(capsys):
    configure_logging("records", level="DEBUG")
    logging.getLogger("kafka.conn").info("connecting")
    logging.getLogger("kafka.conn").warning("broker down")
    assert [line["message"] for line in json_lines(capsys)] == ["broker down"]


def test_plain_format_is_readable_text_with_the_request_id(capsys):
    configure_logging("review", json=False)
    with context.bound(request_id="req-9"):
        logging.getLogger("t").info("reviewed")
    logging.getLogger("t").info("idle")
    first, second = capsys.readouterr().err.splitlines()
    assert "INFO" in first
    assert "review" in first
    assert "[req-9] reviewed" in first
    assert "[-] idle" in second
