"""Tasks and cases from other services' events: an event type maps to a case template.

A template turns one event into zero or more drafts. A task draft becomes an open inspection
task of the agency; officers take one up by opening a case with its id. A case draft is for
an event whose on-site act the officers already did (an overload confirmed at the station by
two certified officers): the consumer opens, files and numbers the case with those officers,
appends the facts, and files the penalty proposal the template worked out, which goes to
legal review like any other. A case draft that cannot be a lawful case (fewer than two
certified officers, a party without a valid code, ...) is stored as a task instead, with the
reason, so that nothing an event reports is lost.

A later event about the same thing (same source_topic and source_ref) updates the open task,
or finds the case already opened, instead of making a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import uuid_utils
from google.protobuf.message import Message

from enforcement.events.v1.envelope_pb2 import EventEnvelope
from enforcement.gas.v1 import gas_events_pb2
from enforcement.hazards.v1 import hazards_events_pb2
from enforcement.overload.v1 import overload_events_pb2
from services.chassis.db import UnitOfWork
from services.chassis.events import unpack, utcnow
from services.records import db, handlers
from services.records.domain.cases import Domain, InvalidCase, Officer, OpenCase
from services.records.domain.entries import InvalidEntry
from services.records.domain.overload import (
    DEFAULT_POWERS,
    ConfirmedOverload,
    driver_proposal,
    instigation_proposal,
)
from services.records.domain.parties import InvalidParty, Party, PartyKind
from services.records.domain.penalties import InvalidProposal, Proposal

log = logging.getLogger(__name__)


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
class CaseDraft(TaskDraft):
    """A case the event opens at once; stored as a task when it cannot be a lawful case."""

    officers: tuple[Officer, ...] = ()  # who did the on-site act; the first opens the case
    acted_at: datetime | None = None  # when they did it: the entries' device time
    reason: str = ""  # why the case was opened and filed
    facts: tuple[tuple[str, dict], ...] = ()  # (entry kind, payload), appended after filing
    proposal: Proposal | None = None


@dataclass(frozen=True)
class CaseTemplate:
    topic: str
    message_type: type[Message]
    drafts: Callable[[Message], list[TaskDraft]]  # TaskDraft or CaseDraft


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


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _overload_violation(event: overload_events_pb2.ViolationConfirmed) -> list[TaskDraft]:
    """一超四罚: cases against the driver, the carrier and the loading source, each with the
    penalty proposal within the agency's powers, and a supervision notice (抄告) task for the
    authorities. The referrals the overload service sent to the competent agency (超载 and
    the driver's points to the traffic police) are written into the driver's case record."""
    confirmed = ConfirmedOverload(
        plate=event.plate,
        gross_t=Decimal(str(event.gross_t)),
        limit_t=Decimal(str(event.limit_t)),
        over_t=Decimal(str(event.over_t)),
        fine_yuan=event.fine_yuan,
        fine_rule=event.fine_rule,
        overload_percent=_decimal(event.overload_percent),
        overload_fine_yuan=event.overload_fine_yuan,
        overload_rule=event.overload_rule,
        hundred_tonne_king=event.hundred_tonne_king,
        cargo=event.cargo,
        powers=frozenset(event.agency_powers) or DEFAULT_POWERS,
        referred_to=tuple(r.to_agency for r in event.referrals),
        size_violations=tuple(event.size_violations),
    )
    facts = {
        "weighing_id": event.weighing_id,
        "inspection_id": event.inspection_id,
        "station_id": event.station_id,
        "plate": event.plate,
        "gross_t": event.gross_t,
        "limit_t": event.limit_t,
        "tolerance_t": event.tolerance_t,
        "over_t": event.over_t,
        "fine_yuan": event.fine_yuan,
        "fine_rule": event.fine_rule,
        "rated_load_t": event.rated_load_t,
        "curb_mass_t": event.curb_mass_t,
        "overload_percent": event.overload_percent,
        "overload_fine_yuan": event.overload_fine_yuan,
        "overload_rule": event.overload_rule,
        "hundred_tonne_king": event.hundred_tonne_king,
        "cargo": event.cargo,
        "rules_version": event.rules_version,
        "fine_reading": event.fine_reading,
        "fine_reading_source": event.fine_reading_source,
        "agency_powers": sorted(confirmed.powers),
    }
    referral_entries = tuple(
        (
            "document",
            {
                "document": "案件移送函(抄告)",
                "referral_id": r.referral_id,
                "status": "sent",
                "to_power": r.to_power,
                "to_agency": r.to_agency,
                "matters": list(r.matters),
                "basis": list(r.basis),
                "due_date": r.due_date,
                "weighing_id": event.weighing_id,
                "photo_keys": list(r.photo_keys),
            },
        )
        for r in event.referrals
    )
    officers = tuple(Officer(o.officer_id, o.name, o.certificate_no) for o in event.officers)
    acted_at = event.confirmed_at.ToDatetime(tzinfo=UTC) if event.HasField("confirmed_at") else None
    entries = (
        ("document", {"document": "车辆超限检测单", **facts}),
        (
            "step",
            {
                "act": "inspection",  # 现场检查: needs its audio-video record (执法记录仪)
                "what": "超限检测站静态复检, 现场确认超限",
                "station_id": event.station_id,
                "officers": [o.officer_id for o in officers],
                "confirmed_at": acted_at.isoformat() if acted_at else None,
            },
        ),
    )
    king = " (百吨王)" if event.hundred_tonne_king else ""
    roles = [
        ("driver", "驾驶人", event.driver, PartyKind.person, driver_proposal(confirmed)),
        (
            "carrier",
            "道路运输企业",
            event.carrier,
            PartyKind.organization,
            instigation_proposal(confirmed, "道路运输企业"),
        ),
        (
            "loading-source",
            "货运源头单位",
            event.loading_source,
            PartyKind.organization,
            instigation_proposal(confirmed, "货运源头单位"),
        ),
    ]
    drafts: list[TaskDraft] = []
    for role, label, party, kind, proposal in roles:
        if not party.name or (proposal is None and role != "driver"):
            continue  # another agency's matter: it went there as a referral
        drafts.append(
            CaseDraft(
                source_ref=f"{event.weighing_id}:{role}",
                agency_id=event.agency_id,
                town=event.town,
                domain=Domain.road_transport,
                title=f"超限超载 {event.plate}{king}: 处罚{label} {party.name}",
                party={
                    "kind": kind.value,
                    "name": party.name,
                    "credit_code": party.credit_code,
                    "id_number": party.id_number,
                },
                details={**facts, "role": role},
                officers=officers,
                acted_at=acted_at,
                reason=f"一超四罚: {confirmed.describe()}",
                facts=entries + (referral_entries if role == "driver" else ()),
                proposal=proposal,
            )
        )
    drafts.append(
        TaskDraft(
            source_ref=f"{event.weighing_id}:supervision",
            agency_id=event.agency_id,
            town=event.town,
            domain=Domain.road_transport,
            title=f"超限超载 {event.plate}{king}: 抄告车籍地和企业主管部门",
            details={**facts, "role": "supervision-notice"},
        )
    )
    return drafts


def _hazard_case(event: hazards_events_pb2.CaseRequested) -> list[TaskDraft]:
    """A hazard left unrectified past its 督办 notice: a task for the case under 安全生产法
    Art. 102 (责令限期消除, fine; 停产停业整顿 if refused), opened by the officers on site."""
    try:
        domain = Domain(event.sector)
    except ValueError:
        domain = Domain.gas if event.sector == "town-gas" else Domain.other
    return [
        TaskDraft(
            source_ref=event.hazard_id,
            agency_id=event.agency_id,
            town=event.town,
            domain=domain,
            title=event.title,
            party=(
                {
                    "kind": "organization",
                    "name": event.enterprise_name,
                    "credit_code": event.credit_code,
                }
                if event.credit_code
                else None
            ),
            details={
                "hazard_no": event.hazard_no,
                "facts": event.facts,
                "escalations": list(event.escalations),
                "legal_basis": event.legal_basis,
                "grade": event.grade,
            },
            priority="urgent" if event.grade == "major" else "normal",
        )
    ]


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
        CaseTemplate("hazards.case-requested.v1", hazards_events_pb2.CaseRequested, _hazard_case),
    )
}


def store_drafts(
    uow: UnitOfWork, topic: str, drafts: list[TaskDraft], numbering: handlers.Numbering
) -> None:
    now = utcnow()
    for d in drafts:
        existing = db.get_task_by_source(uow.conn, topic, d.source_ref)
        if existing is not None:
            if existing.status == "open":
                db.update_task(uow.conn, existing.task_id, details=d.details, updated_at=now)
            continue
        if isinstance(d, CaseDraft):
            try:
                handlers.open_case_from_event(uow, numbering, _event_case(topic, d))
                continue
            except (InvalidCase, InvalidParty, InvalidProposal, InvalidEntry) as exc:
                # Checked before any write: the draft becomes a task for officers to take up.
                log.warning("%s %s opens a task, not a case: %s", topic, d.source_ref, exc)
                d = TaskDraft(
                    source_ref=d.source_ref,
                    agency_id=d.agency_id,
                    town=d.town,
                    domain=d.domain,
                    title=d.title,
                    party=d.party,
                    details={**d.details, "case_not_opened": str(exc)},
                    priority=d.priority,
                )
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


def _event_case(topic: str, d: CaseDraft) -> handlers.EventCase:
    party = d.party or {}
    return handlers.EventCase(
        source_topic=topic,
        source_ref=d.source_ref,
        cmd=OpenCase(
            client_case_id=handlers.event_client_case_id(topic, d.source_ref),
            agency_id=d.agency_id,
            town=d.town,
            domain=d.domain,
            title=d.title[:200],
            party=Party(
                kind=PartyKind(party.get("kind", "organization")),
                name=party.get("name", ""),
                credit_code=party.get("credit_code", "").upper(),
                id_number=party.get("id_number", "").upper(),
            ),
            officers=d.officers,
            opened_by=d.officers[0].officer_id if d.officers else "",
            device_time=d.acted_at,
        ),
        reason=d.reason[:2000],
        facts=d.facts,
        proposal=d.proposal,
    )


REFERRAL_ACKNOWLEDGED = "overload.referral-acknowledged.v1"
OVERLOAD_CONFIRMED = "overload.violation-confirmed.v1"


def record_referral_acknowledged(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """The competent agency's receipt of a referral (回执), written into the driver's case.

    The referral itself entered the record when the case was opened; its acknowledgement
    completes it, so the record shows the other agency holds the matter (行政处罚法 Art. 29).
    """
    event = unpack(envelope, overload_events_pb2.ReferralAcknowledged)
    found = db.get_case_by_source(uow.conn, OVERLOAD_CONFIRMED, f"{event.weighing_id}:driver")
    if found is None or found.agency_id != event.agency_id:
        log.warning("acknowledged referral %s has no driver's case", event.referral_id)
        return
    case = db.lock_case(uow.conn, found.case_id)
    if case is None or case.stage == "archived":
        log.warning("referral %s acknowledged after the case was archived", event.referral_id)
        return
    on = event.acknowledged_on
    handlers.append_system_entry(
        uow,
        case,
        kind="document",
        client_entry_id=f"referral-ack:{event.referral_id}"[:100],
        actor_id=event.acknowledged_by or "overload",
        payload={
            "document": "案件移送回执",
            "referral_id": event.referral_id,
            "status": "acknowledged",
            "to_agency": event.to_agency,
            "acknowledged_on": on,
            "acknowledgement_ref": event.acknowledgement_ref,
        },
    )


def template_handler(
    template: CaseTemplate, numbering: handlers.Numbering
) -> Callable[[UnitOfWork, EventEnvelope], None]:
    def handle(uow: UnitOfWork, envelope: EventEnvelope) -> None:
        event = unpack(envelope, template.message_type)
        store_drafts(uow, template.topic, template.drafts(event), numbering)

    return handle
