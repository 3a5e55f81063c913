"""Request and trace ids of the work in hand, for logs and for calls onwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
trace_id_var: ContextVar[str | None] = ContextVar("trace_id", default=None)


def new_request_id() -> str:
    """A fresh request id: a uuid4 as 32 hex digits."""
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The request id bound for the work in hand, or None outside a request."""
    return request_id_var.get()


def current_trace_id() -> str | None:
    """The trace id bound for the work in hand, or None outside a request."""
    return trace_id_var.get()


@contextmanager
def bound(request_id: str | None = None, trace_id: str | None = None) -> Iterator[None]:
    """Set the ids for the block (a None leaves that id as it is) and restore them after."""
    tokens = []
    if request_id is not None:
        tokens.append((request_id_var, request_id_var.set(request_id)))
    if trace_id is not None:
        tokens.append((trace_id_var, trace_id_var.set(trace_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
