"""Kafka topic -> review handler."""

from __future__ import annotations

from functools import partial

from services.review import handlers


def make_handlers(policy: handlers.Policy) -> dict:
    return {
        "records.case-opened.v1": handlers.record_case_opened,
        "records.penalty-proposed.v1": partial(handlers.receive_proposal, policy=policy),
    }


HANDLERS = make_handlers(handlers.Policy())
