"""Inspection tasks from other services' events: an event type maps to a task template.

A template turns one event into zero or more task drafts. The consumer stores each draft as
an open inspection task of the agency; officers take one up by opening a case with its id.
A later event about the same thing (same source_ref) updates the open task instead of making
a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC

import uuid_utils
from google.protobuf.message import Message

from enforcement.events.v1.envelope_pb2 import EventEnvelope
from enforcement.gas.v1 import gas_events_pb2
from enforcement.overload.v1 import overload_events_pb2
from services.chassis.db import UnitOfWork
from services.chassis.events import unpack, utcnow
from services.records import db
from services.records.domain.cases import Domain


@dataclass(frozen=True)
class TaskDraft:
    source_ref: str  # unique per source topic: the alarm id, the weighing id + party role
    agency_id: str
    town: str
    domain: Domain
    title: str
    party: dict | None = None  # {"kind", "name", "credit_code" | "id_number"}
    details: dict = field(default_factory=dict)
    priority: str = "normal"


@dataclass(frozen=True)
class CaseTemplate:
    topic: str
    message_type: type[Message]
    drafts: Callable[[Message], list[TaskDraft]]


def _gas_alarm(event: gas_events_pb2.AlarmRaised) -> list[TaskDraft]:
    """燃气报警: an urgent on-site check of the venue."""
    return [
        TaskDraft(
            source_ref=event.alarm_id,
            agency_id=event.agency_id,
            town=event.town,
            domain=Domain.gas,
            title=f"燃气报警现场核查: {event.venue_name}",
            party=(
                {
                    "kind": "organization",
                    "name": event.venue_name,
                    "credit_code": event.venue_credit_code,
                }
                if event.venue_credit_code
                else None
            ),
            details={
                "venue_id": event.venue_id,
                "address": event.address,
                "level": event.level,
                "max_lel_percent": event.max_lel_percent,
                "raised_at": event.raised_at.ToDatetime(tzinfo=UTC).isoformat(),
            },
            priority="urgent",
        )
    ]


def _gas_unprotected(event: gas_events_pb2.VenueUnprotected) -> list[TaskDraft]:
    """A venue without working protection: an on-site check (燃气报警装置失效核查)."""
    return [
        TaskDraft(
            source_ref=f"unprotected:{event.venue_id}:{event.since.seconds}",
            agency_id=event.agency_id,
            town=event.town,
            domain=Domain.gas,
            title=f"燃气报警与切断装置失效核查: {event.venue_name}",
            party=(
                {
                    "kind": "organization",
                    "name": event.venue_name,
                    "credit_code": event.venue_credit_code,
                }
                if event.venue_credit_code
                else None
            ),
            details={
                "venue_id": event.venue_id,
                "address": event.address,
                "reasons": list(event.reasons),
            },
        )
    ]


def _overload_violation(event: overload_events_pb2.ViolationConfirmed) -> list[TaskDraft]:
    """一超四罚: the driver, the carrier, the loading source, and a supervision notice."""
    facts = {
        "weighing_id": event.weighing_id,
        "station_id": event.station_id,
        "plate": event.plate,
        "gross_t": event.gross_t,
        "limit_t": event.limit_t,
        "over_t": event.over_t,
    }
    roles = [
        ("driver", "驾驶人", event.driver, "person"),
        ("carrier", "道路运输企业", event.carrier, "organization"),
        ("loading-source", "货运源头单位", event.loading_source, "organization"),
    ]
    drafts = []
    for role, label, party, kind in roles:
        if not party.name:
            continue
        drafts.append(
            TaskDraft(
                source_ref=f"{event.weighing_id}:{role}",
                agency_id=event.agency_id,
                town=event.town,
                domain=Domain.road_transport,
                title=f"超限超载 {event.plate}: 处罚{label} {party.name}",
                party={
                    "kind": kind,
                    "name": party.name,
                    "credit_code": party.credit_code,
                    "id_number": party.id_number,
                },
                details={**facts, "role": role},
            )
        )
    drafts.append(
        TaskDraft(
            source_ref=f"{event.weighing_id}:supervision",
            agency_id=event.agency_id,
            town=event.town,
            domain=Domain.road_transport,
            title=f"超限超载 {event.plate}: 抄告车籍地和企业主管部门",
            details={**facts, "role": "supervision-notice"},
        )
    )
    return drafts


TEMPLATES: dict[str, CaseTemplate] = {
    t.topic: t
    for t in (
        CaseTemplate("gas.alarm-raised.v1", gas_events_pb2.AlarmRaised, _gas_alarm),
        CaseTemplate("gas.venue-unprotected.v1", gas_events_pb2.VenueUnprotected, _gas_unprotected),
        CaseTemplate(
            "overload.violation-confirmed.v1",
            overload_events_pb2.ViolationConfirmed,
            _overload_violation,
        ),
    )
}


def store_drafts(uow: UnitOfWork, topic: str, drafts: list[TaskDraft]) -> None:
    now = utcnow()
    for d in drafts:
        existing = db.get_task_by_source(uow.conn, topic, d.source_ref)
        if existing is not None:
            if existing.status == "open":
                db.update_task(uow.conn, existing.task_id, details=d.details, updated_at=now)
            continue
        db.insert_task(
            uow.conn,
            task_id=str(uuid_utils.uuid7()),
            agency_id=d.agency_id,
            town=d.town,
            domain=d.domain.value,
            title=d.title[:200],
            party=d.party,
            details=d.details,
            source_topic=topic,
            source_ref=d.source_ref,
            priority=d.priority,
            status="open",
            created_at=now,
            updated_at=now,
        )


def task_handler(template: CaseTemplate) -> Callable[[UnitOfWork, EventEnvelope], None]:
    def handle(uow: UnitOfWork, envelope: EventEnvelope) -> None:
        event = unpack(envelope, template.message_type)
        store_drafts(uow, template.topic, template.drafts(event))

    return handle
