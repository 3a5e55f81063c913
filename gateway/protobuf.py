"""Service answers as JSON for the routes that pass them on whole."""

from __future__ import annotations

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message


def message_dict(msg: Message) -> dict:
    """Every field, false and empty ones too (a cleared alarm says "active": false), under its
    proto name."""
    return MessageToDict(
        msg, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
