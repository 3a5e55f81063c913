"""Overload use cases: evaluate a weighing, move the truck's inspection, count, announce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
import uuid_utils

from enforcement.common.v1 import common_pb2
from enforcement.overload.v1 import overload_events_pb2, overload_pb2
from services.chassis.db import Database
from services.chassis.events import build_event, utcnow
from services.chassis.workdays import CHINA_TZ, add_working_days, china_date
from services.overload import db
from services.overload.domain import competence
from services.overload.domain.inspection import (
    IllegalStep,
    OfficersMissing,
    Status,
    after_weighing,
    check_confirming_officers,
    manual_step,
)
from services.overload.domain.rules import (
    DEFAULT_READING_SOURCE,
    AxleGroup,
    Configuration,
    FinePolicy,
    InvalidWeighing,
    Permit,
    Rounding,
    Scale,
    ScaleKind,
    Special,
    VehicleKind,
    evaluate,
    validate_plate,
)

SERVICE = "overload"
TOPIC_CONFIRMED = "overload.violation-confirmed.v1"
TOPIC_REFERRAL_ACKNOWLEDGED = "overload.referral-acknowledged.v1"
REPEAT_OVER = 3  # Art. 46: more than 3 violations in a year


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Policy:
    """The district's choices the rules take (from Settings): the Art. 43 reading and its
    source, each agency's powers, where referrals go and how soon their receipt is due."""

    fine: FinePolicy = field(default_factory=FinePolicy)
    agency_powers: Mapping[str, list[str]] = field(default_factory=dict)
    recipients: Mapping[str, str] = field(default_factory=dict)
    referral_ack_working_days: int = 5

    @classmethod
    def from_settings(cls, settings) -> Policy:
        rounding = Rounding(settings.fine_rounding)
        return cls(
            fine=FinePolicy(
                rounding=rounding,
                source=settings.fine_rounding_source.strip() or DEFAULT_READING_SOURCE,
            ),
            agency_powers=dict(settings.agency_powers),
            recipients=dict(settings.referral_recipients),
            referral_ack_working_days=settings.referral_ack_working_days,
        )


def _decimal(text: str, name: str, *, required: bool = False) -> Decimal | None:
    if not text:
        if required:
            raise InvalidWeighing(f"{name} is required")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise InvalidWeighing(f"{name} must be a decimal number, e.g. 49.35") from exc
    if not value.is_finite() or value < 0:
        raise InvalidWeighing(f"{name} must be a positive number")
    return value


def _verdict_dict(v) -> dict:
    d = asdict(v)
    return {
        k: (str(x) if isinstance(x, Decimal) else list(x) if isinstance(x, tuple) else x)
        for k, x in d.items()
    }


def _axle_groups(req: overload_pb2.RecordWeighingRequest) -> tuple[tuple[AxleGroup, ...], str]:
    """The axle groups as described, or the bare `axle_loads_t` (one per axle) read in the
    party's favour: the first a steering axle, every other one a twin-tyred drive axle."""
    if req.axle_groups:
        return (
            tuple(
                AxleGroup(
                    axles=g.axles,
                    load_t=_decimal(g.load_t, f"axle_groups[{i}].load_t"),
                    twin_tyres=not g.single_tyres,
                    drive=g.drive,
                    steer=g.steer,
                    spread_mm=g.spread_mm or None,
                    air_suspension=g.air_suspension,
                    widened_tyres=g.widened_tyres,
                )
                for i, g in enumerate(req.axle_groups)
            ),
            "",
        )
    if not req.axle_loads_t:
        return (), ""
    if len(req.axle_loads_t) != req.vehicle.axles:
        raise InvalidWeighing(
            f"axle_loads_t has one load per axle: {len(req.axle_loads_t)} for "
            f"{req.vehicle.axles} axles (or describe the groups in axle_groups)"
        )
    loads = [_decimal(t, f"axle_loads_t[{i}]") for i, t in enumerate(req.axle_loads_t)]
    steer = AxleGroup(1, loads[0], twin_tyres=False, steer=True)
    groups = (steer, *(AxleGroup(1, load, drive=True) for load in loads[1:]))
    return groups, (
        "axle layout not given: the first axle judged as a steering axle, the others as "
        "single twin-tyred drive axles (the highest limits they can have)"
    )


def verdict_of(req: overload_pb2.RecordWeighingRequest, policy: Policy | None = None):
    """The pure rules applied to a request: raises InvalidWeighing on impossible input."""
    policy = policy or Policy()
    try:
        kind = VehicleKind(req.vehicle.kind)
        scale_kind = ScaleKind(req.scale.kind)
        special = Special(req.vehicle.special) if req.vehicle.special else None
    except ValueError as exc:
        raise InvalidWeighing(
            "vehicle kind is truck, combination, tractor, farm_vehicle or low_speed_truck; "
            "special is refrigerated, centre_axle_car_carrier or special_purpose; scale kind "
            "is static or wim"
        ) from exc
    groups, layout_note = _axle_groups(req)
    cfg = Configuration(
        kind,
        req.vehicle.axles,
        single_drive_axle=req.vehicle.single_drive_axle,
        single_tyre_non_drive=req.vehicle.single_tyre_non_drive,
        air_suspension_twin_drive=req.vehicle.air_suspension_twin_drive,
        single_tyre_axles=max(0, req.vehicle.single_tyre_axles),
        widened_tyre_axles=max(0, req.vehicle.widened_tyre_axles),
        licensed_gross_t=_decimal(req.vehicle.licensed_gross_t, "licensed_gross_t"),
        special=special,
        semi_trailer_spread_mm=req.vehicle.semi_trailer_spread_mm or None,
        axle_groups=groups,
    )
    permit = None
    if req.HasField("permit"):
        permit = Permit(
            permit_no=req.permit.permit_no.strip()[:64],
            gross_t=_decimal(req.permit.gross_t, "permit.gross_t", required=True),
            height_m=_decimal(req.permit.height_m, "permit.height_m"),
            width_m=_decimal(req.permit.width_m, "permit.width_m"),
            length_m=_decimal(req.permit.length_m, "permit.length_m"),
        )
    scale = Scale(scale_kind, req.scale.accuracy_class, req.scale.interval_kg or 20)
    verdict = evaluate(
        cfg,
        scale,
        _decimal(req.gross_t, "gross_t", required=True),
        rated_load_t=_decimal(req.rated_load_t, "rated_load_t"),
        curb_mass_t=_decimal(req.curb_mass_t, "curb_mass_t"),
        height_m=_decimal(req.height_m, "height_m"),
        width_m=_decimal(req.width_m, "width_m"),
        length_m=_decimal(req.length_m, "length_m"),
        fine_policy=policy.fine,
        permit=permit,
    )
    if layout_note:
        verdict = replace(verdict, notes=(*verdict.notes, layout_note))
    return verdict


def _party(p: overload_events_pb2.Party) -> dict:
    return {"name": p.name, "credit_code": p.credit_code, "id_number": p.id_number}


def _officers(officers, actor_id: str = "") -> list[dict]:
    """The confirming officers as stored; refuses fewer than two certified ones."""
    found = [
        {"officer_id": o.officer_id, "name": o.name, "certificate_no": o.certificate_no}
        for o in officers
    ]
    check_confirming_officers((o["officer_id"], o["certificate_no"]) for o in found)
    if actor_id and actor_id not in {o["officer_id"] for o in found}:
        raise OfficersMissing("the officer confirming must be one of the confirming officers")
    return found


def record_weighing(
    database: Database, req: overload_pb2.RecordWeighingRequest, policy: Policy | None = None
):
    """Store a weighing and its verdict: (weighing_id, verdict, inspection, created)."""
    policy = policy or Policy()
    if not 8 <= len(req.client_weighing_id) <= 100:
        raise InvalidWeighing("client_weighing_id is required (8 to 100 characters)")
    if not req.station_id:
        raise InvalidWeighing("station_id is required")
    req, scale_expired = _with_station(database, req)
    plate = validate_plate(req.plate)
    with database.read() as conn:
        prior = db.weighing_by_client_id(conn, req.client_weighing_id)
        if prior is not None:
            inspection = (
                db.get_inspection(conn, prior.inspection_id) if prior.inspection_id else None
            )
            return prior.weighing_id, prior.verdict, inspection, False
    verdict = verdict_of(req, policy)
    if scale_expired and not verdict.suspicion_only:
        # An unverified scale proves nothing: the reading sends the truck to another scale.
        verdict = replace(
            verdict,
            suspicion_only=True,
            fine_yuan=0,
            overload_fine_yuan=0,
            fine_rule="the scale's verification has expired: not a basis for a penalty",
            notes=(*verdict.notes, "scale verification expired; weigh on a verified scale"),
        )
    static = req.scale.kind == ScaleKind.static and not scale_expired
    officers = _officers(req.officers, req.recorded_by) if req.officers else []
    v = _verdict_dict(verdict)
    now = utcnow()
    weighed_at = req.weighed_at.ToDatetime(tzinfo=UTC) if req.HasField("weighed_at") else now
    parties = {
        "driver": _party(req.driver),
        "carrier": _party(req.carrier),
        "loading_source": _party(req.loading_source),
        "cargo": req.cargo,
        "rated_load_t": req.rated_load_t,
        "curb_mass_t": req.curb_mass_t,
    }
    weighing_id = str(uuid_utils.uuid7())
    try:
        with database.unit_of_work() as uow:
            current = db.open_inspection(uow.conn, plate, req.agency_id)
            status = after_weighing(
                Status(current.status) if current else None,
                static=static,
                over=verdict.over_limit,
                officers_present=bool(officers),
            )
            inspection_id = current.inspection_id if current else None
            # The static reading a confirmation rests on, now or when the officers sign it.
            rests_on = (
                {"static_weighing_id": weighing_id}
                if status in (Status.weighed, Status.confirmed) and static and verdict.over_limit
                else {}
            )
            if status is not None and current is None:
                inspection_id = str(uuid_utils.uuid7())
                db.insert(
                    uow.conn,
                    db.inspections,
                    inspection_id=inspection_id,
                    plate=plate,
                    station_id=req.station_id,
                    agency_id=req.agency_id,
                    town=req.town,
                    status=status.value,
                    last_verdict=v,
                    hundred_tonne_king=verdict.hundred_tonne_king,
                    parties=parties,
                    opened_at=now,
                    updated_at=now,
                    **rests_on,
                )
            elif status is not None:
                db.update_inspection(
                    uow.conn,
                    inspection_id,
                    status=status.value,
                    last_verdict=v,
                    hundred_tonne_king=current.hundred_tonne_king or verdict.hundred_tonne_king,
                    parties=parties if static else current.parties,
                    updated_at=now,
                    **({} if current.confirmed_at else rests_on),
                )
            db.insert(
                uow.conn,
                db.weighings,
                weighing_id=weighing_id,
                client_weighing_id=req.client_weighing_id,
                inspection_id=inspection_id,
                station_id=req.station_id,
                agency_id=req.agency_id,
                plate=plate,
                scale_kind=req.scale.kind,
                gross_t=str(verdict.measured_t),
                verdict=v,
                over_limit=verdict.over_limit,
                hundred_tonne_king=verdict.hundred_tonne_king,
                recorded_by=req.recorded_by or req.station_id,
                weighed_at=weighed_at,
                day=weighed_at.astimezone(CHINA_TZ).date(),
            )
            if status is Status.confirmed and (current is None or current.confirmed_at is None):
                _confirm(uow, inspection_id, officers, now, policy)
            uow.commit()
    except sa.exc.IntegrityError:
        with database.read() as conn:
            prior = db.weighing_by_client_id(conn, req.client_weighing_id)
        if prior is None:
            raise
        return record_weighing(database, req, policy)
    with database.read() as conn:
        inspection = db.get_inspection(conn, inspection_id) if inspection_id else None
    return weighing_id, v, inspection, True


def _event_party(p: dict) -> overload_events_pb2.Party:
    return overload_events_pb2.Party(
        name=p.get("name", ""),
        credit_code=p.get("credit_code", ""),
        id_number=p.get("id_number", ""),
    )


def _confirm(uow, inspection_id: str, officers: list[dict], now: datetime, policy: Policy) -> None:
    """The officers confirm the static reading: the violation is counted and announced once,
    and what another agency must act on is referred to it (抄告/移送) in the same step."""
    inspection = db.get_inspection(uow.conn, inspection_id)
    weighing = db.get_weighing(uow.conn, inspection.static_weighing_id)
    v, parties = weighing.verdict, inspection.parties
    db.update_inspection(
        uow.conn,
        inspection_id,
        status=Status.confirmed.value,
        confirmed_at=now,
        confirmed_by=officers,
        updated_at=now,
    )
    db.insert(
        uow.conn,
        db.violations,
        inspection_id=inspection_id,
        agency_id=inspection.agency_id,
        plate=inspection.plate,
        carrier_code=parties["carrier"]["credit_code"],
        carrier_name=parties["carrier"]["name"],
        source_code=parties["loading_source"]["credit_code"],
        source_name=parties["loading_source"]["name"],
        confirmed_at=now,
    )
    event = overload_events_pb2.ViolationConfirmed(
        weighing_id=weighing.weighing_id,
        station_id=weighing.station_id,
        agency_id=inspection.agency_id,
        town=inspection.town,
        plate=inspection.plate,
        gross_t=float(v["measured_t"]),
        limit_t=float(v["limit_t"]),
        over_t=float(v["over_t"]),
        driver=_event_party(parties["driver"]),
        carrier=_event_party(parties["carrier"]),
        loading_source=_event_party(parties["loading_source"]),
        officers=[common_pb2.Officer(**o) for o in officers],
        inspection_id=inspection_id,
        tolerance_t=float(v["tolerance_t"]),
        fine_yuan=v["fine_yuan"],
        fine_rule=v["fine_rule"],
        rated_load_t=parties.get("rated_load_t", ""),
        curb_mass_t=parties.get("curb_mass_t", ""),
        overload_percent=v["overload_percent"] or "",
        overload_fine_yuan=v["overload_fine_yuan"],
        overload_rule=v["overload_rule"],
        hundred_tonne_king=v["hundred_tonne_king"],
        rules_version=v["rules_version"],
        cargo=parties.get("cargo", ""),
        fine_reading=v.get("fine_reading", ""),
        fine_reading_source=v.get("fine_reading_source", ""),
        size_violations=v.get("size_violations", []),
    )
    powers = competence.powers_of(inspection.agency_id, policy.agency_powers)
    event.agency_powers.extend(sorted(p.value for p in powers))
    for sent in _refer(uow, inspection, weighing, powers, policy, now):
        event.referrals.append(sent)
    event.confirmed_at.FromDatetime(now)
    uow.add_event(
        build_event(
            topic=TOPIC_CONFIRMED, aggregate_id=inspection_id, payload=event, producer=SERVICE
        )
    )


def _own_fine(v: dict, powers: frozenset) -> tuple[int, str]:
    """The fine this agency proposes for the driver: the higher one within its powers
    (行政处罚法 Art. 29), as records will propose it."""
    own = []
    if competence.Power.road_authority in powers:
        own.append((int(v.get("fine_yuan") or 0), competence.ART_43))
    if competence.Power.traffic_police in powers:
        own.append((int(v.get("overload_fine_yuan") or 0), competence.ART_92))
    return max(own, default=(0, ""), key=lambda x: x[0])


def _refer(uow, inspection, weighing, powers, policy: Policy, now: datetime):
    """Stores one referral per competent agency; yields them as the event carries them."""
    v, parties = weighing.verdict, inspection.parties
    drafts = competence.referrals(competence.matters_of(v), powers, policy.recipients)
    if not drafts:
        return
    today = china_date(now)
    due = add_working_days(today, policy.referral_ack_working_days)
    photos = db.attached_photo_keys(uow.conn, weighing.weighing_id)
    own_yuan, own_basis = _own_fine(v, powers)
    driver = parties.get("driver", {})
    facts = (
        f"车辆{inspection.plate}于{weighing.day:%Y-%m-%d}在{weighing.station_id}称重: "
        f"车货总质量{v['measured_t']}吨, 称重误差{v['tolerance_t']}吨, 限定标准{v['limit_t']}吨"
        f" ({v['limit_basis']}); 驾驶人{driver.get('name', '')}; "
        f"核定载质量{parties.get('rated_load_t') or '未知'}吨, 整备质量"
        f"{parties.get('curb_mass_t') or '未知'}吨; 货物{parties.get('cargo') or '未知'}。"
        f"本机关拟处罚款{own_yuan}元 ({own_basis or '无'}), 同一违法行为不得给予两次以上罚款。"
    )
    for d in drafts:
        referral_id = str(uuid_utils.uuid7())
        matters = [f"{m.what} ({m.basis})" for m in d.matters]
        db.insert(
            uow.conn,
            db.referrals,
            referral_id=referral_id,
            inspection_id=inspection.inspection_id,
            weighing_id=weighing.weighing_id,
            agency_id=inspection.agency_id,
            plate=inspection.plate,
            to_power=d.to_power.value,
            to_agency=d.to_agency,
            matters=matters,
            basis=list(d.basis),
            facts=facts,
            photo_keys=photos,
            own_fine_yuan=own_yuan,
            own_fine_basis=own_basis,
            status="sent",
            sent_on=today,
            due_date=due,
        )
        yield overload_events_pb2.ReferralSent(
            referral_id=referral_id,
            to_power=d.to_power.value,
            to_agency=d.to_agency,
            matters=matters,
            basis=list(d.basis),
            due_date=due.isoformat(),
            photo_keys=photos,
        )


def list_referrals(database: Database, agency_id: str, open_only: bool) -> list:
    with database.read() as conn:
        rows = db.list_referrals(conn, agency_id, open_only)
        # The weighing's photos as they are now: one attached after sending goes along too.
        return [(r, db.attached_photo_keys(conn, r.weighing_id)) for r in rows]


def acknowledge_referral(
    database: Database,
    *,
    referral_id: str,
    agency_id: str,
    actor_id: str,
    reference: str,
    acknowledged_on: str = "",
):
    """Staff record that the competent agency received the referral (回执); once only."""
    reference = reference.strip()
    if not 1 <= len(reference) <= 100:
        raise InvalidWeighing("reference: the recipient's receipt or case number (1-100)")
    today = china_date(utcnow())
    try:
        on = date.fromisoformat(acknowledged_on) if acknowledged_on else today
    except ValueError as exc:
        raise InvalidWeighing("acknowledged_on is a date YYYY-MM-DD") from exc
    with database.unit_of_work() as uow:
        row = db.get_referral(uow.conn, referral_id)
        if row is None or row.agency_id != agency_id:
            raise NotFound("referral not found")
        if on < row.sent_on or on > today:
            raise InvalidWeighing("acknowledged_on lies between the sending and today")
        if row.status != "acknowledged":
            uow.conn.execute(
                db.referrals.update()
                .where(db.referrals.c.referral_id == referral_id)
                .values(
                    status="acknowledged",
                    acknowledged_on=on,
                    acknowledged_by=actor_id,
                    acknowledgement_ref=reference,
                )
            )
            event = overload_events_pb2.ReferralAcknowledged(
                referral_id=referral_id,
                agency_id=agency_id,
                weighing_id=row.weighing_id,
                inspection_id=row.inspection_id,
                to_agency=row.to_agency,
                acknowledged_on=on.isoformat(),
                acknowledged_by=actor_id,
                acknowledgement_ref=reference,
            )
            uow.add_event(
                build_event(
                    topic=TOPIC_REFERRAL_ACKNOWLEDGED,
                    aggregate_id=row.inspection_id,
                    payload=event,
                    producer=SERVICE,
                )
            )
        uow.commit()
    with database.read() as conn:
        return db.get_referral(conn, referral_id), db.attached_photo_keys(conn, row.weighing_id)


VERIFICATION_VALID_DAYS = 365  # vehicle scales are verified yearly (JJG 539 / JJG 907)


def _with_station(database: Database, req: overload_pb2.RecordWeighingRequest):
    """The request with the registered station's agency, town and scale, and whether the
    scale's verification has expired. Unregistered stations are mobile checks by officers."""
    with database.read() as conn:
        station = db.get_station(conn, req.station_id)
    if req.device_agency_id and (station is None or station.agency_id != req.device_agency_id):
        # A station device's credentials are its agency's; they weigh at that agency's
        # registered stations only (never as a mobile check, never at another agency's).
        raise NotFound(f"station {req.station_id} is not registered with your agency")
    if station is None:
        if not req.agency_id:
            raise NotFound(f"station {req.station_id} is not registered")
        return req, False
    if req.agency_id and req.agency_id != station.agency_id:
        raise NotFound(f"station {req.station_id} is not registered")
    out = overload_pb2.RecordWeighingRequest()
    out.CopyFrom(req)
    out.agency_id, out.town = station.agency_id, station.town
    out.scale.CopyFrom(
        overload_pb2.ScaleInfo(
            kind=station.scale_kind,
            accuracy_class=station.accuracy_class,
            interval_kg=station.interval_kg,
            verified_on=station.verified_on.isoformat() if station.verified_on else "",
        )
    )
    today = china_date(utcnow())
    expired = station.verified_on is None or (
        (today - station.verified_on).days > VERIFICATION_VALID_DAYS
    )
    return out, expired


def get_station(database: Database, station_id: str, agency_id: str):
    """A registered station of `agency_id`; NotFound for any other agency's or none."""
    with database.read() as conn:
        station = db.get_station(conn, station_id)
    if station is None or not agency_id or station.agency_id != agency_id:
        raise NotFound(f"station {station_id} is not registered with your agency")
    return station


def list_stations(database: Database, agency_id: str, town: str = "") -> list:
    """The agency's registered weigh stations (one town's), by town then name."""
    if not agency_id:
        raise InvalidWeighing("agency_id is required")
    q = sa.select(db.stations).where(db.stations.c.agency_id == agency_id)
    if town:
        q = q.where(db.stations.c.town == town)
    with database.read() as conn:
        return list(conn.execute(q.order_by(db.stations.c.town, db.stations.c.name).limit(2000)))


def upsert_station(database: Database, station: overload_pb2.Station):
    if not station.station_id or not station.agency_id or not station.name:
        raise InvalidWeighing("a station needs an id, a name and an agency")
    if station.kind not in ("fixed", "wim", "mobile"):
        raise InvalidWeighing("station kind is fixed, wim or mobile")
    # Checks the scale's class against its kind, as a weighing would.
    Scale(ScaleKind(station.scale.kind), station.scale.accuracy_class).tolerance_t(Decimal(40))
    try:
        verified = (
            date.fromisoformat(station.scale.verified_on) if station.scale.verified_on else None
        )
    except ValueError as exc:
        raise InvalidWeighing("verified_on is a date YYYY-MM-DD") from exc
    with database.unit_of_work() as uow:
        existing = db.get_station(uow.conn, station.station_id)
        if existing is not None and existing.agency_id != station.agency_id:
            # Another agency's station: not theirs to see, let alone re-class its scale.
            raise NotFound(f"station {station.station_id} is not one of your agency's")
        db.upsert_station(
            uow.conn,
            station_id=station.station_id,
            name=station.name,
            kind=station.kind,
            agency_id=station.agency_id,
            town=station.town,
            scale_kind=station.scale.kind,
            accuracy_class=station.scale.accuracy_class,
            interval_kg=station.scale.interval_kg or 20,
            verified_on=verified,
        )
        uow.commit()
    return station


def advance(
    database: Database,
    *,
    inspection_id: str,
    agency_id: str,
    to_status: str,
    officers=(),
    actor_id: str = "",
    policy: Policy | None = None,
):
    """An officer's step; `confirmed` is the on-site act of two or more certified officers."""
    policy = policy or Policy()
    try:
        to = Status(to_status)
    except ValueError as exc:
        raise InvalidWeighing(f"unknown status {to_status!r}") from exc
    confirming = _officers(officers, actor_id) if to is Status.confirmed else []
    with database.unit_of_work() as uow:
        row = db.get_inspection(uow.conn, inspection_id, for_update=True)
        if row is None or row.agency_id != agency_id:
            raise NotFound("inspection not found")
        manual_step(Status(row.status), to)
        now = utcnow()
        if to is Status.confirmed:
            _confirm(uow, inspection_id, confirming, now, policy)
        else:
            db.update_inspection(uow.conn, inspection_id, status=to.value, updated_at=now)
        uow.commit()
    with database.read() as conn:
        return db.get_inspection(conn, inspection_id)


def get(database: Database, inspection_id: str, agency_id: str):
    with database.read() as conn:
        row = db.get_inspection(conn, inspection_id)
    if row is None or row.agency_id != agency_id:
        raise NotFound("inspection not found")
    return row


def list_inspections(database: Database, agency_id: str, open_only: bool, limit: int = 100):
    with database.read() as conn:
        return db.list_inspections(conn, agency_id, open_only, min(max(limit, 1), 500))


def inspection_file(database: Database, inspection_id: str, agency_id: str):
    """The inspection, its station, its weighings oldest first and their checked photos."""
    with database.read() as conn:
        row = db.get_inspection(conn, inspection_id)
        if row is None or row.agency_id != agency_id:
            raise NotFound("inspection not found")
        station = db.get_station(conn, row.station_id)
        weighings = db.weighings_of(conn, inspection_id)
        photos = db.attached_photos(conn, [w.weighing_id for w in weighings])
    return row, station, weighings, photos


def statistics(database: Database, agency_id: str, day_from: date, day_to: date, town: str = ""):
    """The agency's figures, or one town's (a town-bound supervisor's view)."""
    since = datetime.combine(day_from, datetime.min.time(), tzinfo=CHINA_TZ)
    with database.read() as conn:
        days = db.station_days(conn, agency_id, day_from, day_to, town)
        v = db.violations
        carriers = db.top(conn, agency_id, v.c.carrier_code, v.c.carrier_name, since, 10, town)
        sources = db.top(conn, agency_id, v.c.source_code, v.c.source_name, since, 10, town)
    return days, carriers, sources


def repeat_offenders(database: Database, agency_id: str, town: str = ""):
    since = utcnow() - timedelta(days=365)
    v = db.violations
    with database.read() as conn:
        vehicles = [
            r
            for r in db.top(conn, agency_id, v.c.plate, v.c.plate, since, 1000, town)
            if r.n > REPEAT_OVER
        ]
        carriers = db.top(conn, agency_id, v.c.carrier_code, v.c.carrier_name, since, 50, town)
        sources = db.top(conn, agency_id, v.c.source_code, v.c.source_name, since, 50, town)
    return vehicles, carriers, sources


__all__ = ["IllegalStep", "InvalidWeighing", "OfficersMissing"]
