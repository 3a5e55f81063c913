"""Service answers as JSON for the routes that pass them on whole."""

from __future__ import annotations

from google.protobuf.message import Message

from services.chassis.jsonpb import message_to_dict


def message_dict(msg: Message) -> dict:
    """Every field, false and empty ones too (a cleared alarm says "active": false), under its
    proto name; 64-bit integers (amounts, counts) and decimal quantities (tonnes, metres,
    percent) as JSON numbers, never strings."""
    return message_to_dict(msg, decimals=True)
