"""The event envelope: ids, types, producer and trace around a protobuf payload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import uuid_utils
from google.protobuf import any_pb2, timestamp_pb2
from google.protobuf.message import DecodeError, Message

from enforcement.events.v1.envelope_pb2 import EventEnvelope
from services.chassis import clock, context


def new_event_id() -> str:
    """A UUIDv7: unique, and sortable by creation time (RFC 9562)."""
    return str(uuid_utils.uuid7())


def utcnow() -> datetime:
    return clock.now()


@dataclass(frozen=True)
class OutboxEvent:
    """An event ready for the outbox: the topic, the Kafka key and the serialized envelope."""

    event_id: str
    topic: str
    key: str
    event_type: str
    payload: bytes
    created_at: datetime


def build_event(
    *,
    topic: str,
    aggregate_id: str,
    payload: Message,
    producer: str,
    occurred_at: datetime | None = None,
    trace_id: str | None = None,
) -> OutboxEvent:
    """Wrap `payload` in an envelope whose type is the topic name (`area.event.v1`)."""
    occurred = occurred_at or utcnow()
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(occurred)
    packed = any_pb2.Any()
    packed.Pack(payload)
    event_id = new_event_id()
    envelope = EventEnvelope(
        event_id=event_id,
        type=topic,
        occurred_at=ts,
        producer=producer,
        trace_id=trace_id or context.current_trace_id() or context.current_request_id() or "",
        aggregate_id=aggregate_id,
        payload=packed,
    )
    return OutboxEvent(
        event_id=event_id,
        topic=topic,
        key=aggregate_id,
        event_type=topic,
        payload=envelope.SerializeToString(),
        created_at=utcnow(),
    )


class MalformedEvent(ValueError):
    """A Kafka message that is not an envelope, or whose payload is not the expected type."""


def parse_envelope(value: bytes) -> EventEnvelope:
    envelope = EventEnvelope()
    try:
        envelope.ParseFromString(value)
    except DecodeError as exc:
        raise MalformedEvent(f"not an EventEnvelope: {exc}") from exc
    if not envelope.event_id or not envelope.type:
        raise MalformedEvent("envelope without event_id or type")
    return envelope


def unpack(envelope: EventEnvelope, message_type: type[Message]) -> Message:
    """The payload as `message_type`, or MalformedEvent if it holds something else."""
    message = message_type()
    if not envelope.payload.Unpack(message):
        raise MalformedEvent(
            f"{envelope.type} payload is {envelope.payload.type_url}, "
            f"expected {message_type.DESCRIPTOR.full_name}"
        )
    return message
