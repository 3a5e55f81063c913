"""Kafka topic -> hazards handler: other services' findings registered once each."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, timedelta

import sqlalchemy as sa

from enforcement.events.v1.envelope_pb2 import EventEnvelope
from enforcement.gas.v1 import gas_events_pb2
from enforcement.overload.v1 import overload_events_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.calendar_store import TOPIC_YEAR_PUBLISHED, store_published
from services.chassis.db import UnitOfWork
from services.chassis.events import unpack, utcnow
from services.hazards import db, handlers
from services.hazards.domain.registry import InvalidHazard, Sector, Source, is_valid_uscc

log = logging.getLogger(__name__)

GAS_UNPROTECTED = "gas.venue-unprotected.v1"
GAS_ALARM = "gas.alarm-raised.v1"
OVERLOAD_CONFIRMED = "overload.violation-confirmed.v1"
PENALTY_DECIDED = "records.penalty-decided.v1"
HAZARD_FOUND = "records.hazard-found.v1"
# A case's domain (records) as a hazard sector.
DOMAIN_SECTORS = {"gas": Sector.town_gas, "mining": Sector.other}
REPEAT_WINDOW = timedelta(days=365)


def _code(code: str) -> str:
    """An event's code when valid; an event without one still registers (by name) so that
    nothing is lost, and the officer completes the code."""
    code = code.strip().upper()
    return code if is_valid_uscc(code) else ""


def _register(uow: UnitOfWork, policy: handlers.Policy, r: handlers.Registration) -> None:
    out = handlers.register(uow, policy, r, "system")
    log.info(
        "%s %s -> %s (linked=%s)",
        r.source.value,
        r.source_ref,
        out["hazard"]["hazard_no"],
        out["linked"],
    )


def on_gas_unprotected(policy: handlers.Policy):
    def handle(uow: UnitOfWork, envelope: EventEnvelope) -> None:
        """A venue without a working detector or valve: one hazard per venue while open."""
        e = unpack(envelope, gas_events_pb2.VenueUnprotected)
        _register(
            uow,
            policy,
            handlers.Registration(
                agency_id=e.agency_id,
                town=e.town,
                sector=Sector.town_gas,
                kind="燃气报警与紧急切断装置失效",
                credit_code=_code(e.venue_credit_code),
                enterprise_name=e.venue_name,
                location=e.address or e.venue_name,
                description="; ".join(e.reasons),
                department="燃气管理部门",
                source=Source.gas_unprotected,
                source_ref=f"{e.venue_id}:{e.since.seconds}",
            ),
        )

    return handle


def on_gas_alarm(policy: handlers.Policy):
    def handle(uow: UnitOfWork, envelope: EventEnvelope) -> None:
        """An alarm escalated to critical is one left unresolved: a hazard of the venue."""
        e = unpack(envelope, gas_events_pb2.AlarmRaised)
        if e.level != "critical":
            return
        _register(
            uow,
            policy,
            handlers.Registration(
                agency_id=e.agency_id,
                town=e.town,
                sector=Sector.town_gas,
                kind="燃气泄漏报警未处置",
                credit_code=_code(e.venue_credit_code),
                enterprise_name=e.venue_name,
                location=e.address or e.venue_name,
                description=f"报警 {e.alarm_id} 最高 {e.max_lel_percent}% LEL 未处置",
                department="燃气管理部门",
                source=Source.gas_alarm,
                source_ref=e.alarm_id,
            ),
        )

    return handle


def on_overload_confirmed(policy: handlers.Policy):
    def handle(uow: UnitOfWork, envelope: EventEnvelope) -> None:
        """A loading source behind repeated overloads (货运源头单位): registered when its
        confirmed overloads within a year reach the repeat count; later ones link to it."""
        e = unpack(envelope, overload_events_pb2.ViolationConfirmed)
        source = e.loading_source
        code = _code(source.credit_code)
        if not code:
            return
        at = e.confirmed_at.ToDatetime(tzinfo=UTC) if e.HasField("confirmed_at") else utcnow()
        if (
            uow.conn.execute(
                sa.select(db.loading_hits.c.weighing_id).where(
                    db.loading_hits.c.weighing_id == e.weighing_id
                )
            ).first()
            is None
        ):
            db.insert(
                uow.conn,
                db.loading_hits,
                weighing_id=e.weighing_id,
                credit_code=code,
                name=source.name,
                agency_id=e.agency_id,
                town=e.town,
                confirmed_at=at,
            )
        n = uow.conn.execute(
            sa.select(sa.func.count()).where(
                db.loading_hits.c.credit_code == code,
                db.loading_hits.c.confirmed_at >= at - REPEAT_WINDOW,
            )
        ).scalar_one()
        if n < policy.loading_source_repeat:
            return
        _register(
            uow,
            policy,
            handlers.Registration(
                agency_id=e.agency_id,
                town=e.town,
                sector=Sector.road_transport,
                kind="货运源头单位多次超限装载",
                credit_code=code,
                enterprise_name=source.name,
                location=source.name,
                description=f"一年内第 {n} 次经确认的超限运输 (车辆 {e.plate}, "
                f"称重 {e.weighing_id})",
                department="交通运输部门",
                source=Source.loading_source,
                source_ref=e.weighing_id,
            ),
        )

    return handle


def on_hazard_found(policy: handlers.Policy):
    def handle(uow: UnitOfWork, envelope: EventEnvelope) -> None:
        """A case entry an officer marked as a hazard finding: registered once per entry, or
        linked to the open hazard it is a duplicate of. A criterion of another sector is
        dropped rather than losing the finding: the officer grades it afterwards."""
        e = unpack(envelope, records_pb2.HazardFound)
        case = e.case
        try:
            sector = Sector(e.sector or case.domain)
        except ValueError:
            sector = DOMAIN_SECTORS.get(case.domain, Sector.other)
        r = handlers.Registration(
            agency_id=case.agency_id, town=case.town, sector=sector, kind=e.kind,
            credit_code=_code(case.party.credit_code), enterprise_name=case.party.name,
            location=e.location, description=e.description,
            department="应急管理局", source=Source.case_finding, source_ref=e.entry_id,
            criteria=tuple(e.criteria),
        )  # fmt: skip
        try:
            _register(uow, policy, r)
        except InvalidHazard as exc:
            log.warning("finding %s registered ungraded: %s", e.entry_id, exc)
            _register(uow, policy, replace(r, criteria=()))

    return handle


def on_penalty_decided(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """The fine a hazard's case imposed: the reward of its report is computed from it."""
    e = unpack(envelope, records_pb2.PenaltyDecided)
    if e.case.source_topic != handlers.TOPIC_CASE_REQUESTED:
        return
    row = db.get_hazard(uow.conn, e.case.source_ref)
    if row is None:
        return
    db.update_hazard(
        uow.conn,
        row.hazard_id,
        fine_yuan=int(e.proposal.fine_yuan),
        decision_no=e.decision_no,
        updated_at=utcnow(),
    )
    handlers._act(
        uow,
        row.hazard_id,
        "penalty-decided",
        "records",
        decision_no=e.decision_no,
        fine_yuan=int(e.proposal.fine_yuan),
    )


def on_calendar_year(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """Keep a copy of the official calendar; deadlines already set keep their dates (the
    order was served with them)."""
    store_published(uow.conn, db.calendar_years, envelope)


def make_handlers(policy: handlers.Policy) -> dict:
    return {
        GAS_UNPROTECTED: on_gas_unprotected(policy),
        GAS_ALARM: on_gas_alarm(policy),
        OVERLOAD_CONFIRMED: on_overload_confirmed(policy),
        PENALTY_DECIDED: on_penalty_decided,
        HAZARD_FOUND: on_hazard_found(policy),
        TOPIC_YEAR_PUBLISHED: on_calendar_year,
    }
