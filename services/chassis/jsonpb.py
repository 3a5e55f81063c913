"""Protobuf messages as JSON with numbers as numbers.

The proto3 JSON mapping writes 64-bit integers as strings (`"fine_yuan": "150000"`), because
JavaScript's numbers lose precision above 2**53. Amounts in yuan, counts and sizes never come
near that, and an app that reads `"weighed": "3"` has to know which fields to convert. So every
answer and every stored copy of a message uses `message_to_dict`: the proto3 mapping (proto
names, every field, false and empty ones too) with int64 / uint64 fields back as JSON numbers.

Decimals travel between services as decimal text ("102.34", exact); with `decimals=True` the
string fields named as quantities (`*_t` tonnes, `*_m` metres, `*_percent`, `*_yuan`) become
JSON numbers too, and an empty one (unknown) becomes null.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

_INT64 = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
    }
)
# Messages with a JSON form of their own (Timestamp as a string, Struct as an object, ...).
_WELL_KNOWN = "google.protobuf."


_QUANTITY = re.compile(r"_(t|m|percent|yuan)$")


def decimal_number(text: str) -> int | float | None:
    """ "102.34" -> 102.34, "49" -> 49, "" -> None; other text is left to the caller."""
    if text == "":
        return None
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _is_repeated(field: FieldDescriptor) -> bool:
    # `is_repeated` is the newer spelling; `label` is deprecated in recent protobuf releases.
    repeated = getattr(field, "is_repeated", None)
    if repeated is not None:
        return repeated
    return field.label == FieldDescriptor.LABEL_REPEATED


def _numbers(value: Any, field: FieldDescriptor, decimals: bool) -> Any:
    if field.type in _INT64:
        return int(value) if isinstance(value, str) else value
    if decimals and field.type == FieldDescriptor.TYPE_STRING and _QUANTITY.search(field.name):
        try:
            return decimal_number(value)
        except (InvalidOperation, TypeError):
            return value  # not decimal text after all: pass it on as it is
    if field.type == FieldDescriptor.TYPE_MESSAGE and isinstance(value, dict):
        return _walk(value, field.message_type, decimals)
    return value


def _walk(data: dict[str, Any], descriptor: Descriptor, decimals: bool = False) -> dict[str, Any]:
    if descriptor.full_name.startswith(_WELL_KNOWN):
        return data
    for field in descriptor.fields:
        if field.name not in data:
            continue
        value = data[field.name]
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            data[field.name] = {k: _numbers(v, value_field, decimals) for k, v in value.items()}
        elif _is_repeated(field) and isinstance(value, list):
            data[field.name] = [_numbers(v, field, decimals) for v in value]
        else:
            data[field.name] = _numbers(value, field, decimals)
    return data


def numbers_as_numbers(
    data: dict[str, Any], descriptor: Descriptor, *, decimals: bool = False
) -> dict[str, Any]:
    """Turn the 64-bit integers of `MessageToDict(msg)` (proto names) back into numbers."""
    return _walk(data, descriptor, decimals)


def message_to_dict(
    msg: Message, *, every_field: bool = True, decimals: bool = False
) -> dict[str, Any]:
    """`msg` as JSON under its proto names, 64-bit integers as numbers; with `every_field`,
    false and empty fields too (a cleared alarm says "active": false); with `decimals`, the
    quantities' decimal text as numbers."""
    data = MessageToDict(
        msg,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=every_field,
    )
    return _walk(data, msg.DESCRIPTOR, decimals)
