"""Review use cases."""

from __future__ import annotations

from datetime import UTC

from enforcement.events.v1.envelope_pb2 import EventEnvelope
from enforcement.records.v1 import records_pb2
from services.chassis.db import UnitOfWork
from services.chassis.events import unpack, utcnow
from services.review import db


def record_case_opened(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """Remember a newly opened case and its officers (records.case-opened.v1)."""
    event = unpack(envelope, records_pb2.CaseOpened)
    case = event.case
    db.upsert_known_case(
        uow.conn,
        case_id=case.case_id,
        agency_id=case.agency_id,
        town=case.town,
        domain=case.domain,
        officer_ids=[o.officer_id for o in case.officers],
        opened_at=case.opened_at.ToDatetime(tzinfo=UTC),
        received_at=utcnow(),
    )
