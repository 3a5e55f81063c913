"""Hazards use cases: take a command, apply the domain, commit with its events."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import uuid_utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from enforcement.hazards.v1 import hazards_events_pb2 as ev
from services.chassis.calendar_store import load_calendar
from services.chassis.db import Database, UnitOfWork, as_utc
from services.chassis.events import build_event, utcnow
from services.chassis.workdays import china_date
from services.hazards import db
from services.hazards.domain import deadlines, escalation, grading, registry, reports, rewards
from services.hazards.domain.grading import Grade
from services.hazards.domain.registry import InvalidHazard, Sector, Source

log = logging.getLogger(__name__)

SERVICE = "hazards"
TOPIC_REGISTERED = "hazards.registered.v1"
TOPIC_OVERDUE = "hazards.overdue.v1"
TOPIC_CLOSED = "hazards.closed.v1"
TOPIC_CASE_REQUESTED = "hazards.case-requested.v1"
TOPIC_CANDIDATE = "hazards.punishment-candidate.v1"
LEGAL_BASIS = "《中华人民共和国安全生产法》第一百零二条"


class NotFound(LookupError):
    pass


class NotAllowed(Exception):
    """Refused in the hazard's present state (FAILED_PRECONDITION)."""


class Forbidden(Exception):
    pass


class TooMany(Exception):
    pass


@dataclass(frozen=True)
class Actor:
    agency_id: str
    user_id: str
    town: str = ""
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class PhotoSlot:
    photo_id: str
    object_key: str
    sha256: str


@dataclass
class Policy:
    """What the settings decide, passed down from the composition root."""

    prefixes: dict[str, str]
    reporter_key: bytes
    public_agency_id: str = "xinbei-yjj"
    reports_per_address: int = 10
    reports_per_device: int = 5
    link_valid_days: int = 30
    loading_source_repeat: int = 3

    @classmethod
    def from_settings(cls, s: Any) -> Policy:
        return cls(
            prefixes=dict(s.agency_prefixes),
            reporter_key=hashlib.sha256(s.reporter_key.get_secret_value().encode()).digest(),
            public_agency_id=s.public_agency_id,
            reports_per_address=s.reports_per_address_per_day,
            reports_per_device=s.reports_per_device_per_day,
            link_valid_days=s.link_valid_days,
            loading_source_repeat=s.loading_source_repeat,
        )


# -- views -----------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return value.isoformat()


def _overdue_info(row: Any, today: date) -> dict:
    taken = [escalation.Step(e["step"]) for e in row.escalations]
    rectifying = row.status == "rectifying"
    step = escalation.due_steps(
        taken,
        rectifying=rectifying,
        order_due=row.order_due,
        notice_due=row.notice_due,
        today=today,
    )
    return {
        "overdue": rectifying and deadlines.is_overdue(row.order_due, today),
        "step_due": step.value if step else None,
        "supervision_overdue": escalation.is_punishment_candidate(
            Grade(row.grade), row.status == "closed", row.supervision_due, today
        ),
    }


def _days_left(calendar: Any, due: date | None, today: date) -> int | None:
    """Working days from today to the deadline (0: due today); negative when past, by the
    working days since."""
    if due is None:
        return None
    if due >= today:
        return calendar.working_days_between(today, due).days
    return -calendar.working_days_between(due, today).days


def hazard_view(conn: sa.Connection, row: Any, *, full: bool = True, calendar: Any = None) -> dict:
    today = china_date(utcnow())
    if calendar is None and row.order_due is not None and row.status != "closed":
        calendar = load_calendar(conn, db.calendar_years)
    view = {
        "hazard_id": row.hazard_id,
        "hazard_no": row.hazard_no,
        "agency_id": row.agency_id,
        "town": row.town,
        "sector": row.sector,
        "sector_name": registry.SECTOR_NAMES.get(Sector(row.sector), row.sector),
        "kind": row.kind,
        "credit_code": row.credit_code,
        "enterprise_name": row.enterprise_name,
        "location": row.location,
        "description": row.description,
        "source": row.source,
        "status": row.status,
        "grade": row.grade,
        "grade_name": grading.GRADE_NAMES[Grade(row.grade)],
        "grading": row.grading,
        "responsibility": {
            "enterprise": row.enterprise_name,  # 主体责任
            "department": row.department,  # 监管责任
            "town": row.town,  # 属地责任
        },
        "rectification_order": row.rectification_order,
        "order_due": _iso(row.order_due),
        "working_days_left": (
            _days_left(calendar, row.order_due, today) if row.status != "closed" else None
        ),
        "supervision": row.supervision,
        "supervision_due": _iso(row.supervision_due),
        "notice_due": _iso(row.notice_due),
        "escalations": row.escalations,
        "fine_yuan": row.fine_yuan,
        "decision_no": row.decision_no,
        "registered_at": _iso(row.registered_at),
        "closed_on": _iso(row.closed_on),
        "working_days_open": row.working_days_open,
        **_overdue_info(row, today),
    }
    if full:
        view["findings"] = [
            {
                "source": f.source,
                "source_ref": f.source_ref,
                "role": f.role,
                "detail": f.detail,
                "found_at": _iso(f.found_at),
            }
            for f in db.findings_of(conn, row.hazard_id)
        ]
        view["timeline"] = [
            {"kind": a.kind, "actor_id": a.actor_id, "at": _iso(a.at), **a.payload}
            for a in db.acts_of(conn, row.hazard_id)
        ]
        view["photos"] = [
            {"photo_id": p.photo_id, "owner": p.owner_kind, "object_key": p.object_key}
            for kind in PHOTO_KINDS
            for p in db.photos_of(conn, kind, row.hazard_id)
        ]
    return view


PHOTO_KINDS = ("hazard", "rectification", "reinspection")  # owned by the hazard's id


def _act(uow: UnitOfWork, hazard_id: str, kind: str, actor_id: str, **payload: Any) -> None:
    db.insert(
        uow.conn,
        db.acts,
        act_id=str(uuid_utils.uuid7()),
        hazard_id=hazard_id,
        kind=kind,
        actor_id=actor_id,
        at=utcnow(),
        payload=payload,
    )


def _photos(uow: UnitOfWork, kind: str, owner_id: str, declared: list[dict]) -> list[PhotoSlot]:
    photos = [
        reports.PhotoDeclared(
            str(p.get("sha256", "")), int(p.get("size", 0)), str(p.get("media_type", ""))
        )
        for p in declared
    ]
    reports.check_photos(photos)
    slots = []
    for p in photos:
        photo_id = str(uuid_utils.uuid7())
        key = f"{kind}/{owner_id}/{photo_id}"
        db.insert(
            uow.conn,
            db.photos,
            photo_id=photo_id,
            owner_kind=kind,
            owner_id=owner_id,
            object_key=key,
            sha256=p.sha256,
            size=p.size,
            media_type=p.media_type,
            created_at=utcnow(),
        )
        slots.append(PhotoSlot(photo_id, key, p.sha256))
    return slots


def _load(uow: UnitOfWork, actor: Actor, hazard_id: str) -> Any:
    row = db.get_hazard(uow.conn, hazard_id)
    if row is None or row.agency_id != actor.agency_id:
        raise NotFound("隐患不存在")
    if actor.town and row.town != actor.town and "supervisor" not in actor.roles:
        raise NotFound("隐患不存在")
    return row


def _text(body: dict, key: str, limit: int, *, required: bool = True) -> str:
    value = str(body.get(key) or "").strip()
    if required and not value:
        raise InvalidHazard(f"{key} 未填写")
    if len(value) > limit:
        raise InvalidHazard(f"{key} 超过 {limit} 字")
    return value


def _date(body: dict, key: str, today: date) -> date:
    raw = body.get(key)
    if not raw:
        return today
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise InvalidHazard(f"{key} 不是日期 (YYYY-MM-DD)") from exc


def _gps(raw: Any) -> dict | None:
    """Where the phone was when the officer registered it (WGS 84), kept with the finding."""
    if not raw:
        return None
    try:
        lat, lon = float(raw["latitude"]), float(raw["longitude"])
        accuracy = float(raw.get("accuracy_m") or 0)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidHazard("gps: 需要 latitude 和 longitude") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= accuracy <= 100_000):
        raise InvalidHazard("gps 超出范围")
    return {"latitude": lat, "longitude": lon, "accuracy_m": accuracy}


# -- register (挂号) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    agency_id: str
    town: str
    sector: Sector
    kind: str
    credit_code: str
    enterprise_name: str
    location: str
    description: str
    department: str
    source: Source
    source_ref: str
    criteria: tuple[str, ...] = ()
    photos: tuple[dict, ...] = ()
    case_id: str = ""
    gps: dict | None = None

    @classmethod
    def from_body(cls, agency_id: str, body: dict, *, source: Source | None = None) -> Registration:
        try:
            sector = Sector(body.get("sector", ""))
            src = source or Source(body.get("source", "inspection"))
        except ValueError as exc:
            raise InvalidHazard(f"行业或来源不正确: {exc}") from exc
        if source is None and src not in (Source.inspection, Source.patrol, Source.case_finding):
            raise InvalidHazard("该来源的隐患由系统登记")
        return cls(
            agency_id=agency_id,
            town=_text(body, "town", 64),
            sector=sector,
            kind=_text(body, "kind", 100),
            credit_code=registry.check_credit_code(str(body.get("credit_code", ""))),
            enterprise_name=_text(body, "enterprise_name", 200),
            location=_text(body, "location", 300),
            description=_text(body, "description", 2000, required=False),
            department=_text(body, "department", 100, required=False) or "应急管理局",
            source=src,
            source_ref=_text(body, "client_id", 200),
            criteria=tuple(str(c) for c in body.get("criteria") or ()),
            photos=tuple(body.get("photos") or ()),
            case_id=_text(body, "case_id", 64, required=False),
            gps=_gps(body.get("gps")),
        )


def register(uow: UnitOfWork, policy: Policy, r: Registration, actor_id: str) -> dict:
    """Register a hazard once: a source's ref seen before answers the hazard it made; an open
    hazard of the same enterprise, place and kind takes the finding as a duplicate."""
    known = db.finding_by_source(uow.conn, r.source.value, r.source_ref)
    if known is not None:
        row = db.get_hazard(uow.conn, known.hazard_id)
        # A phone that lost the first answer still gets slots for the photos it declared.
        declared = {str(p.get("sha256", "")) for p in r.photos}
        again = [
            PhotoSlot(p.photo_id, p.object_key, p.sha256).__dict__
            for p in db.photos_of(uow.conn, "hazard", known.hazard_id)
            if p.sha256 in declared
        ]
        return {
            "hazard": hazard_view(uow.conn, row),
            "linked": known.role == "linked",
            "repeated": True,
            "photo_uploads": again,
        }
    key = registry.DuplicateKey.of(r.credit_code or r.enterprise_name, r.location, r.kind).text()
    now = utcnow()
    detail = {"description": r.description, "by": actor_id}
    if r.case_id:
        detail["case_id"] = r.case_id
    if r.gps:
        detail["gps"] = r.gps
    same = db.open_duplicate(uow.conn, r.agency_id, key)
    if same is not None:
        db.insert(
            uow.conn,
            db.findings,
            finding_id=str(uuid_utils.uuid7()),
            hazard_id=same.hazard_id,
            source=r.source.value,
            source_ref=r.source_ref,
            role="linked",
            detail=detail,
            found_at=now,
        )
        # The linked finding's photos join the hazard: they show the place as found then.
        slots = _photos(uow, "hazard", same.hazard_id, list(r.photos))
        _act(uow, same.hazard_id, "duplicate-linked", actor_id, source=r.source.value)
        return {
            "hazard": hazard_view(uow.conn, same),
            "linked": True,
            "repeated": False,
            "photo_uploads": [s.__dict__ for s in slots],
        }
    g = grading.grade(r.sector, r.criteria)
    today = china_date(now)
    seq = db.next_number(uow.conn, r.agency_id, today.year)
    prefix = policy.prefixes.get(r.agency_id, r.agency_id)
    hazard_id = str(uuid_utils.uuid7())
    hazard_no = registry.hazard_number(prefix, today.year, seq)
    db.insert(
        uow.conn,
        db.hazards,
        hazard_id=hazard_id,
        hazard_no=hazard_no,
        agency_id=r.agency_id,
        year=today.year,
        seq=seq,
        town=r.town,
        sector=r.sector.value,
        kind=r.kind,
        credit_code=r.credit_code,
        enterprise_name=r.enterprise_name,
        location=r.location,
        description=r.description,
        department=r.department,
        source=r.source.value,
        dup_key=key,
        status="registered",
        grade=g.grade.value,
        grading=_grading_json(g),
        escalations=[],
        overdue_sent=[],
        candidate_sent=False,
        registered_by=actor_id,
        registered_at=now,
        registered_on=today,
        updated_at=now,
    )
    db.insert(
        uow.conn,
        db.findings,
        finding_id=str(uuid_utils.uuid7()),
        hazard_id=hazard_id,
        source=r.source.value,
        source_ref=r.source_ref,
        role="registered",
        detail=detail,
        found_at=now,
    )
    slots = _photos(uow, "hazard", hazard_id, list(r.photos))
    _act(uow, hazard_id, "registered", actor_id, hazard_no=hazard_no, grade=g.grade.value)
    msg = ev.HazardRegistered(
        hazard_id=hazard_id,
        hazard_no=hazard_no,
        agency_id=r.agency_id,
        town=r.town,
        sector=r.sector.value,
        credit_code=r.credit_code,
        enterprise_name=r.enterprise_name,
        source=r.source.value,
        kind=r.kind,
    )
    msg.registered_at.FromDatetime(now)
    uow.add_event(
        build_event(topic=TOPIC_REGISTERED, aggregate_id=hazard_id, payload=msg, producer=SERVICE)
    )
    row = db.get_hazard(uow.conn, hazard_id)
    return {
        "hazard": hazard_view(uow.conn, row),
        "linked": False,
        "repeated": False,
        "photo_uploads": [s.__dict__ for s in slots],
    }


def _grading_json(g: grading.Grading) -> dict:
    return {
        "grade": g.grade.value,
        "checklist_version": g.checklist_version,
        "standard": g.standard,
        "criteria": [c.__dict__ for c in g.criteria],
        "reason": g.reason(),
    }


def register_command(database: Database, policy: Policy, actor: Actor, body: dict) -> dict:
    r = Registration.from_body(actor.agency_id, body)
    if actor.town and r.town != actor.town:
        raise Forbidden("只能登记本辖区的隐患")
    with database.unit_of_work() as uow:
        out = register(uow, policy, r, actor.user_id)
        uow.commit()
    return out


# -- grade, order, supervise ----------------------------------------------------------------


def _save(uow: UnitOfWork, hazard_id: str, **values: Any) -> dict:
    db.update_hazard(uow.conn, hazard_id, updated_at=utcnow(), **values)
    return hazard_view(uow.conn, db.get_hazard(uow.conn, hazard_id))


def grade_hazard(database: Database, actor: Actor, hazard_id: str, body: dict) -> dict:
    with database.unit_of_work() as uow:
        row = _load(uow, actor, hazard_id)
        if row.status not in ("registered", "rectifying"):
            raise NotAllowed("整改已报告或已销号的隐患不能重新定级")
        g = grading.grade(Sector(row.sector), [str(c) for c in body.get("criteria") or ()])
        _act(uow, hazard_id, "graded", actor.user_id, grade=g.grade.value, reason=g.reason())
        view = _save(uow, hazard_id, grade=g.grade.value, grading=_grading_json(g))
        uow.commit()
    return view


def issue_order(database: Database, actor: Actor, hazard_id: str, body: dict) -> dict:
    """责令限期整改: the deadline in working days from the day the order was issued, with
    the 五落实."""
    today = china_date(utcnow())
    with database.unit_of_work() as uow:
        row = _load(uow, actor, hazard_id)
        if row.status != "registered":
            raise NotAllowed("已下达整改指令")
        plan = deadlines.FiveInPlace(
            responsible_person=_text(body, "responsible_person", 100),
            measures=_text(body, "measures", 2000),
            funds_yuan=int(body.get("funds_yuan") or 0),
            deadline_working_days=int(body.get("deadline_working_days") or 0),
            contingency_plan=_text(body, "contingency_plan", 2000),
        )
        issued_on = _date(body, "issued_on", today)
        calendar = load_calendar(uow.conn, db.calendar_years)
        due = deadlines.order_due(calendar, Grade(row.grade), plan, issued_on, today)
        order = {
            **plan.__dict__,
            "issued_on": issued_on.isoformat(),
            "issued_by": actor.user_id,
            "due_date": due.date.isoformat(),
            "provisional": due.provisional,
        }
        _act(uow, hazard_id, "order-issued", actor.user_id, due_date=due.date.isoformat())
        view = _save(
            uow, hazard_id, status="rectifying", rectification_order=order, order_due=due.date
        )
        uow.commit()
    return view


def supervise(database: Database, actor: Actor, hazard_id: str, body: dict) -> dict:
    """挂牌督办 of a major hazard: the supervising office, its own deadline, and the
    rectification plan, which is published (GET /v1/public/hazards/major)."""
    today = china_date(utcnow())
    with database.unit_of_work() as uow:
        row = _load(uow, actor, hazard_id)
        if row.grade != Grade.major.value:
            raise NotAllowed("只有重大事故隐患挂牌督办")
        if row.supervision is not None:
            raise NotAllowed("已挂牌督办")
        if row.status == "closed":
            raise NotAllowed("隐患已销号")
        issued_on = _date(body, "issued_on", today)
        calendar = load_calendar(uow.conn, db.calendar_years)
        due = deadlines.supervision_due(
            calendar, int(body.get("deadline_working_days") or 0), issued_on, today
        )
        supervision = {
            "office": _text(body, "office", 100),
            "plan": _text(body, "plan", 2000),
            "issued_on": issued_on.isoformat(),
            "due_date": due.date.isoformat(),
            "provisional": due.provisional,
            "by": actor.user_id,
        }
        _act(
            uow,
            hazard_id,
            "supervised",
            actor.user_id,
            office=supervision["office"],
            due_date=supervision["due_date"],
        )
        view = _save(uow, hazard_id, supervision=supervision, supervision_due=due.date)
        uow.commit()
    return view


# -- rectification, 复查, closure ------------------------------------------------------------


def _report(uow: UnitOfWork, row: Any, by: str, body: dict, channel: str) -> list[PhotoSlot]:
    if row.status != "rectifying":
        raise NotAllowed("隐患不在整改中")
    summary = _text(body, "summary", 2000)
    slots = _photos(uow, "rectification", row.hazard_id, list(body.get("photos") or ()))
    if not slots:
        raise InvalidHazard("整改报告须附整改后照片")
    _act(
        uow,
        row.hazard_id,
        "rectification-reported",
        by,
        summary=summary,
        channel=channel,
        photo_ids=[s.photo_id for s in slots],
    )
    db.update_hazard(uow.conn, row.hazard_id, status="reported", updated_at=utcnow())
    return slots


def report_rectification(database: Database, actor: Actor, hazard_id: str, body: dict) -> dict:
    with database.unit_of_work() as uow:
        row = _load(uow, actor, hazard_id)
        slots = _report(uow, row, actor.user_id, body, "officer-app")
        view = hazard_view(uow.conn, db.get_hazard(uow.conn, hazard_id))
        uow.commit()
    return {"hazard": view, "photo_uploads": [s.__dict__ for s in slots]}


def _close(uow: UnitOfWork, row: Any, actor_id: str) -> dict:
    today = china_date(utcnow())
    calendar = load_calendar(uow.conn, db.calendar_years)
    took = calendar.working_days_between(row.registered_on, today).days
    _act(uow, row.hazard_id, "closed", actor_id, working_days_open=took)
    uow.add_event(
        build_event(
            topic=TOPIC_CLOSED,
            aggregate_id=row.hazard_id,
            producer=SERVICE,
            payload=ev.HazardClosed(
                hazard_id=row.hazard_id,
                hazard_no=row.hazard_no,
                agency_id=row.agency_id,
                grade=row.grade,
                working_days_open=took,
            ),
        )
    )
    uow.conn.execute(
        db.reports.update()
        .where(db.reports.c.hazard_id == row.hazard_id, db.reports.c.status == "verified")
        .values(status=reports.ReportStatus.closed.value)
    )
    return _save(uow, row.hazard_id, status="closed", closed_on=today, working_days_open=took)


def reinspect(database: Database, actor: Actor, hazard_id: str, body: dict) -> dict:
    """复查: passed closes a general hazard; a major one waits for the supervising office's
    review. Failed sends it back to rectification under the same deadline."""
    with database.unit_of_work() as uow:
        row = _load(uow, actor, hazard_id)
        if row.status != "reported":
            raise NotAllowed("企业尚未报告整改, 不能复查")
        passed = bool(body.get("passed"))
        opinion = _text(body, "opinion", 2000)
        slots = _photos(uow, "reinspection", hazard_id, list(body.get("photos") or ()))
        _act(
            uow,
            hazard_id,
            "reinspected",
            actor.user_id,
            passed=passed,
            opinion=opinion,
            photo_ids=[s.photo_id for s in slots],
        )
        if not passed:
            view = _save(uow, hazard_id, status="rectifying")
        elif row.grade == Grade.major.value:
            view = _save(uow, hazard_id, status="awaiting-review")
        else:
            view = _close(uow, row, actor.user_id)
        uow.commit()
    # The hazard's view as before, with the photos' upload slots beside it.
    return {**view, "photo_uploads": [s.__dict__ for s in slots]}


def renew_photo_uploads(database: Database, actor: Actor, hazard_id: str, body: dict) -> dict:
    """Fresh upload slots for photos already declared on this hazard (the phone lost the
    first URLs or they expired); the photos stay bound to the SHA-256 declared."""
    ids = body.get("photo_ids") or []
    if not isinstance(ids, list) or not 1 <= len(ids) <= 12:
        raise InvalidHazard("photo_ids: 1-12 张照片")
    with database.unit_of_work(readonly=True) as uow:
        _load(uow, actor, hazard_id)
        rows = uow.conn.execute(
            sa.select(db.photos).where(
                db.photos.c.owner_id == hazard_id,
                db.photos.c.owner_kind.in_(PHOTO_KINDS),
                db.photos.c.photo_id.in_([str(i) for i in ids]),
            )
        ).all()
    if len(rows) != len(set(ids)):
        raise NotFound("照片不属于该隐患")
    return {"photo_uploads": [PhotoSlot(r.photo_id, r.object_key, r.sha256).__dict__ for r in rows]}


def review_supervision(database: Database, actor: Actor, hazard_id: str, body: dict) -> dict:
    """The supervising office's review of a major hazard's rectification (督办销号)."""
    with database.unit_of_work() as uow:
        row = _load(uow, actor, hazard_id)
        if row.status != "awaiting-review":
            raise NotAllowed("重大隐患须复查合格后由督办机关审核销号")
        if row.supervision is None:
            raise NotAllowed("重大隐患尚未挂牌督办")
        approved = bool(body.get("approved"))
        opinion = _text(body, "opinion", 2000)
        _act(
            uow,
            hazard_id,
            "supervision-reviewed",
            actor.user_id,
            approved=approved,
            opinion=opinion,
            office=row.supervision["office"],
        )
        view = (
            _close(uow, row, actor.user_id)
            if approved
            else _save(uow, hazard_id, status="rectifying")
        )
        uow.commit()
    return view


# -- escalation ------------------------------------------------------------------------------


def escalate(database: Database, actor: Actor, hazard_id: str, body: dict) -> dict:
    today = china_date(utcnow())
    with database.unit_of_work() as uow:
        row = _load(uow, actor, hazard_id)
        try:
            step = escalation.Step(str(body.get("step", "")))
        except ValueError as exc:
            raise InvalidHazard("step 须为 warning, summons, notice 或 case") from exc
        e = escalation.Escalation(
            step,
            minutes=str(body.get("minutes") or "")[:4000],
            notice_days=int(body.get("deadline_working_days") or 0),
        )
        taken = [escalation.Step(x["step"]) for x in row.escalations]
        escalation.check_escalation(
            e,
            taken,
            rectifying=row.status == "rectifying",
            order_due=row.order_due,
            notice_due=row.notice_due,
            today=today,
        )
        issued_on = _date(body, "issued_on", today)
        deadlines.check_issued_on(issued_on, today)
        record = {
            "step": step.value,
            "name": escalation.STEP_NAMES[step],
            "issued_on": issued_on.isoformat(),
            "by": actor.user_id,
            "note": str(body.get("note") or "")[:2000],
        }
        values: dict[str, Any] = {}
        if step is escalation.Step.summons:
            record["minutes"] = e.minutes
        if step is escalation.Step.notice:
            calendar = load_calendar(uow.conn, db.calendar_years)
            due = deadlines.notice_due(calendar, e.notice_days, issued_on, today)
            record["due_date"] = due.date.isoformat()
            values["notice_due"] = due.date
        if step is escalation.Step.case:
            uow.add_event(
                build_event(
                    topic=TOPIC_CASE_REQUESTED,
                    aggregate_id=hazard_id,
                    producer=SERVICE,
                    payload=ev.CaseRequested(
                        hazard_id=hazard_id,
                        hazard_no=row.hazard_no,
                        agency_id=row.agency_id,
                        town=row.town,
                        sector=row.sector,
                        credit_code=row.credit_code,
                        enterprise_name=row.enterprise_name,
                        title=f"隐患逾期未整改 {row.hazard_no}: {row.enterprise_name}",
                        facts=f"{row.kind} ({row.location}); 整改期限 {row.order_due}, "
                        f"督办通知期限 {row.notice_due} 均已逾期",
                        escalations=[x["name"] for x in row.escalations],
                        legal_basis=LEGAL_BASIS,
                        grade=row.grade,
                    ),
                )
            )
        _act(
            uow,
            hazard_id,
            f"escalated-{step.value}",
            actor.user_id,
            **{k: v for k, v in record.items() if k not in ("by",)},
        )
        view = _save(uow, hazard_id, escalations=[*row.escalations, record], **values)
        uow.commit()
    return view


def sweep(database: Database, _settings: Any = None) -> int:
    """Deadlines that slipped since the last look: one hazards.overdue.v1 per deadline, and a
    punishment candidate for a major hazard past its 挂牌督办 deadline (once)."""
    today = china_date(utcnow())
    sent = 0
    with database.unit_of_work() as uow:
        rows = uow.conn.execute(sa.select(db.hazards).where(db.hazards.c.status != "closed")).all()
        for row in rows:
            values: dict[str, Any] = {}
            done = list(row.overdue_sent)
            info = _overdue_info(row, today)
            for name, due in (("order", row.order_due), ("notice", row.notice_due)):
                marker = f"{name}:{due}"
                if (
                    row.status == "rectifying"
                    and deadlines.is_overdue(due, today)
                    and marker not in done
                ):
                    done.append(marker)
                    uow.add_event(
                        build_event(
                            topic=TOPIC_OVERDUE,
                            aggregate_id=row.hazard_id,
                            producer=SERVICE,
                            payload=ev.HazardOverdue(
                                hazard_id=row.hazard_id,
                                hazard_no=row.hazard_no,
                                agency_id=row.agency_id,
                                town=row.town,
                                due_date=str(due),
                                deadline=name,
                                step_due=info["step_due"] or "",
                            ),
                        )
                    )
                    sent += 1
            if done != list(row.overdue_sent):
                values["overdue_sent"] = done
            if info["supervision_overdue"] and not row.candidate_sent:
                criteria = "; ".join(
                    f"{c['article']} {c['text']}" for c in row.grading.get("criteria", [])
                )
                msg = ev.PunishmentCandidate(
                    hazard_id=row.hazard_id,
                    hazard_no=row.hazard_no,
                    agency_id=row.agency_id,
                    credit_code=row.credit_code,
                    enterprise_name=row.enterprise_name,
                    grade=row.grade,
                    supervising_office=row.supervision["office"],
                    supervision_due=str(row.supervision_due),
                    criteria=f"《{row.grading.get('standard', '')}》{criteria}"[:1000],
                )
                msg.found_at.FromDatetime(utcnow())
                uow.add_event(
                    build_event(
                        topic=TOPIC_CANDIDATE,
                        aggregate_id=row.hazard_id,
                        payload=msg,
                        producer=SERVICE,
                    )
                )
                values["candidate_sent"] = True
                db.insert(
                    uow.conn,
                    db.acts,
                    act_id=str(uuid_utils.uuid7()),
                    hazard_id=row.hazard_id,
                    kind="punishment-candidate",
                    actor_id=SERVICE,
                    at=utcnow(),
                    payload={"supervision_due": str(row.supervision_due)},
                )
                sent += 1
            if values:
                db.update_hazard(uow.conn, row.hazard_id, **values)
        uow.commit()
    return sent


# -- the enterprise's one-time link -----------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(database: Database, policy: Policy, actor: Actor, hazard_id: str) -> dict:
    """A one-time link for the enterprise to report its rectification without an account; only
    its hash is kept."""
    token = secrets.token_urlsafe(24)
    with database.unit_of_work() as uow:
        row = _load(uow, actor, hazard_id)
        if row.status != "rectifying":
            raise NotAllowed("隐患不在整改中")
        expires = utcnow() + timedelta(days=policy.link_valid_days)
        db.insert(
            uow.conn,
            db.links,
            token_hash=_token_hash(token),
            hazard_id=hazard_id,
            issued_by=actor.user_id,
            expires_at=expires,
        )
        _act(uow, hazard_id, "link-issued", actor.user_id, expires_at=expires.isoformat())
        uow.commit()
    return {"token": token, "expires_at": expires.isoformat()}


def _link(conn: sa.Connection, token: str) -> Any:
    link = conn.execute(
        sa.select(db.links).where(db.links.c.token_hash == _token_hash(token))
    ).first()
    if link is None or link.used_at is not None or as_utc(link.expires_at) < utcnow():
        raise NotFound("链接无效、已使用或已过期")
    return link


def get_by_link(database: Database, token: str) -> dict:
    with database.read() as conn:
        link = _link(conn, token)
        row = db.get_hazard(conn, link.hazard_id)
        order = row.rectification_order or {}
        return {
            "hazard_no": row.hazard_no,
            "enterprise_name": row.enterprise_name,
            "kind": row.kind,
            "location": row.location,
            "status": row.status,
            "order_due": _iso(row.order_due),
            "measures": order.get("measures", ""),
            "responsible_person": order.get("responsible_person", ""),
        }


def report_by_link(database: Database, token: str, body: dict) -> dict:
    with database.unit_of_work() as uow:
        link = _link(uow.conn, token)
        row = db.get_hazard(uow.conn, link.hazard_id)
        slots = _report(uow, row, "enterprise-link", body, "one-time-link")
        uow.conn.execute(
            db.links.update()
            .where(db.links.c.token_hash == link.token_hash)
            .values(used_at=utcnow())
        )
        uow.commit()
    return {
        "hazard_no": row.hazard_no,
        "status": "reported",
        "photo_uploads": [s.__dict__ for s in slots],
    }


# -- reads -----------------------------------------------------------------------------------


def get_hazard(database: Database, actor: Actor, hazard_id: str) -> dict:
    with database.unit_of_work(readonly=True) as uow:
        return hazard_view(uow.conn, _load(uow, actor, hazard_id))


def _scoped(actor: Actor, params: dict) -> sa.Select:
    q = sa.select(db.hazards).where(db.hazards.c.agency_id == actor.agency_id)
    town = params.get("town") or actor.town
    if town:
        q = q.where(db.hazards.c.town == town)
    for key in ("sector", "status", "grade", "credit_code", "source"):
        if params.get(key):
            q = q.where(getattr(db.hazards.c, key) == params[key])
    return q


def list_hazards(database: Database, actor: Actor, params: dict) -> dict:
    limit = min(int(params.get("limit") or 100), 500)
    with database.read() as conn:
        rows = conn.execute(
            _scoped(actor, params).order_by(db.hazards.c.registered_at.desc()).limit(limit)
        ).all()
        calendar = load_calendar(conn, db.calendar_years)
        return {"hazards": [hazard_view(conn, r, full=False, calendar=calendar) for r in rows]}


def overdue(database: Database, actor: Actor, params: dict) -> dict:
    today = china_date(utcnow())
    with database.read() as conn:
        rows = conn.execute(
            _scoped(actor, params)
            .where(db.hazards.c.status != "closed")
            .order_by(db.hazards.c.order_due)
        ).all()
        calendar = load_calendar(conn, db.calendar_years)
        out = [hazard_view(conn, r, full=False, calendar=calendar) for r in rows]
    return {
        "today": today.isoformat(),
        "hazards": [h for h in out if h["overdue"] or h["supervision_overdue"]],
    }


def ledger(database: Database, actor: Actor, params: dict) -> dict:
    """台账: the hazards grouped by enterprise, town or sector, with counts by state."""
    by = params.get("by") or "enterprise"
    column = {"enterprise": "credit_code", "town": "town", "sector": "sector"}.get(by)
    if column is None:
        raise InvalidHazard("by 须为 enterprise, town 或 sector")
    today = china_date(utcnow())
    groups: dict[str, dict] = {}
    with database.read() as conn:
        for r in conn.execute(_scoped(actor, params).order_by(db.hazards.c.registered_at)):
            key = getattr(r, column)
            g = groups.setdefault(
                key,
                {
                    "key": key,
                    "name": {"enterprise": r.enterprise_name, "sector": _sector_name(key)}.get(
                        by, key
                    ),
                    "total": 0,
                    "major": 0,
                    "closed": 0,
                    "open": 0,
                    "overdue": 0,
                    "hazards": [],
                },
            )
            g["total"] += 1
            g["major"] += r.grade == "major"
            g["closed" if r.status == "closed" else "open"] += 1
            g["overdue"] += _overdue_info(r, today)["overdue"]
            g["hazards"].append(
                {
                    "hazard_id": r.hazard_id,
                    "hazard_no": r.hazard_no,
                    "kind": r.kind,
                    "grade": r.grade,
                    "status": r.status,
                    "order_due": _iso(r.order_due),
                }
            )
    return {"by": by, "groups": sorted(groups.values(), key=lambda g: -g["total"])}


def _sector_name(key: str) -> str:
    try:
        return registry.SECTOR_NAMES[Sector(key)]
    except ValueError:
        return key


def stats(database: Database, actor: Actor, params: dict) -> dict:
    """Rectification rate (closed / registered) and average working days to close, per town
    and per sector."""
    out: dict[str, dict[str, dict]] = {"town": {}, "sector": {}}
    with database.read() as conn:
        for r in conn.execute(_scoped(actor, params)):
            for dim in ("town", "sector"):
                s = out[dim].setdefault(getattr(r, dim), {"registered": 0, "closed": 0, "days": 0})
                s["registered"] += 1
                if r.status == "closed":
                    s["closed"] += 1
                    s["days"] += r.working_days_open or 0

    def rows(d: dict) -> list:
        return [
            {
                "key": k,
                "name": _sector_name(k) if d is out["sector"] else k,
                "registered": v["registered"],
                "closed": v["closed"],
                "rectification_rate": round(v["closed"] / v["registered"], 4),
                "avg_working_days_to_close": round(v["days"] / v["closed"], 1)
                if v["closed"]
                else None,
            }
            for k, v in sorted(d.items())
        ]

    return {"by_town": rows(out["town"]), "by_sector": rows(out["sector"])}


def major_summary(database: Database, params: dict) -> dict:
    """For citizens: major hazards under 挂牌督办, with the plan, the office and the deadline;
    no reporter, no officer, no photo."""
    with database.read() as conn:
        q = sa.select(db.hazards).where(
            db.hazards.c.grade == "major", db.hazards.c.supervision.is_not(None)
        )
        if params.get("status") != "all":
            q = q.where(db.hazards.c.status != "closed")
        rows = conn.execute(q.order_by(db.hazards.c.registered_at.desc()).limit(200)).all()
    return {
        "hazards": [
            {
                "hazard_no": r.hazard_no,
                "enterprise_name": r.enterprise_name,
                "town": r.town,
                "sector": registry.SECTOR_NAMES.get(Sector(r.sector), r.sector),
                "kind": r.kind,
                "standard": r.grading.get("standard", ""),
                "office": r.supervision["office"],
                "plan": r.supervision["plan"],
                "supervision_due": _iso(r.supervision_due),
                "status": "已销号" if r.status == "closed" else "整改中",
                "closed_on": _iso(r.closed_on),
            }
            for r in rows
        ]
    }


def checklists() -> dict:
    return {
        "checklists": [
            {
                "sector": c.sector.value,
                "sector_name": registry.SECTOR_NAMES[c.sector],
                "version": c.version,
                "standard": c.standard,
                "issued_by": c.issued_by,
                "criteria": [x.__dict__ for x in c.criteria],
            }
            for c in grading.CHECKLISTS.values()
        ]
    }


# -- public reports (举报) -------------------------------------------------------------------


def seal(policy: Policy, identity: dict) -> str:
    """AES-GCM with a random nonce; the report id is not needed to open it."""
    nonce = os.urandom(12)
    sealed = AESGCM(policy.reporter_key).encrypt(nonce, json.dumps(identity).encode(), b"reporter")
    return base64.b64encode(nonce + sealed).decode()


def unseal(policy: Policy, text: str) -> dict:
    raw = base64.b64decode(text)
    return json.loads(AESGCM(policy.reporter_key).decrypt(raw[:12], raw[12:], b"reporter"))


def submit_report(
    database: Database, policy: Policy, body: dict, address_key: str, device_key: str
) -> dict:
    what = str(body.get("what") or "")[:2000]
    place = str(body.get("where") or "")[:300]
    name = str(body.get("name") or "").strip()[:50]
    phone = str(body.get("phone") or "").strip()[:20]
    reports.check_report(what, place, phone)
    now = utcnow()
    since = now - timedelta(days=1)
    code = reports.tracking_code()
    with database.unit_of_work() as uow:
        for column, key, limit in (
            (db.reports.c.address_key, address_key, policy.reports_per_address),
            (db.reports.c.device_key, device_key, policy.reports_per_device),
        ):
            if key:
                n = uow.conn.execute(
                    sa.select(sa.func.count()).where(
                        column == key, db.reports.c.received_at >= since
                    )
                ).scalar_one()
                if n >= limit:
                    raise TooMany("今日举报次数已达上限, 请明天再试或拨打 12350")
        report_id = str(uuid_utils.uuid7())
        db.insert(
            uow.conn,
            db.reports,
            report_id=report_id,
            code_hash=_token_hash(reports.normalise_code(code)),
            agency_id=policy.public_agency_id,
            town=str(body.get("town") or "")[:64],
            what=what,
            place=place,
            enterprise_name=str(body.get("enterprise_name") or "")[:200],
            reporter_sealed=seal(policy, {"name": name, "phone": phone}) if name or phone else None,
            address_key=address_key,
            device_key=device_key,
            received_at=now,
            status="received",
        )
        slots = _photos(uow, "report", report_id, list(body.get("photos") or ()))
        uow.commit()
    return {
        "tracking_code": code,
        "status": reports.PUBLIC_STATUS[reports.ReportStatus.received],
        "photo_uploads": [s.__dict__ for s in slots],
    }


def report_status(database: Database, code: str) -> dict:
    with database.read() as conn:
        row = conn.execute(
            sa.select(db.reports).where(
                db.reports.c.code_hash == _token_hash(reports.normalise_code(code))
            )
        ).first()
    if row is None:
        raise NotFound("查询码不存在")
    status = reports.ReportStatus(row.status)
    return {
        "status": status.value,
        "status_text": reports.PUBLIC_STATUS[status],
        "received_at": _iso(row.received_at),
        "reward_yuan": row.reward_yuan,
        "reward_paid": row.reward_paid_on is not None,
    }


def _report_view(conn: sa.Connection, policy: Policy, row: Any, *, identity: bool) -> dict:
    view = {
        "report_id": row.report_id,
        "town": row.town,
        "what": row.what,
        "where": row.place,
        "enterprise_name": row.enterprise_name,
        "received_at": _iso(row.received_at),
        "status": row.status,
        "hazard_id": row.hazard_id,
        "opinion": row.opinion,
        "matter": row.matter,
        "reward_eligible": row.reward_eligible,
        "reward_yuan": row.reward_yuan,
        "reward_rule": row.reward_rule,
        "reward_paid_on": _iso(row.reward_paid_on),
        "reward_voucher": row.reward_voucher,
        "has_reporter_identity": row.reporter_sealed is not None,
        "photos": [p.object_key for p in db.photos_of(conn, "report", row.report_id)],
    }
    if identity and row.reporter_sealed:
        view["reporter"] = unseal(policy, row.reporter_sealed)
    return view


def _load_report(conn: sa.Connection, actor: Actor, report_id: str) -> Any:
    row = conn.execute(sa.select(db.reports).where(db.reports.c.report_id == report_id)).first()
    if row is None or row.agency_id != actor.agency_id:
        raise NotFound("举报不存在")
    # The reporter is confidential: only the town's officers (or supervisors) handle it.
    if actor.town and row.town and row.town != actor.town and "supervisor" not in actor.roles:
        raise NotFound("举报不存在")
    return row


def list_reports(database: Database, policy: Policy, actor: Actor, params: dict) -> dict:
    with database.read() as conn:
        q = sa.select(db.reports).where(db.reports.c.agency_id == actor.agency_id)
        if actor.town and "supervisor" not in actor.roles:
            q = q.where(db.reports.c.town.in_([actor.town, ""]))
        if params.get("status"):
            q = q.where(db.reports.c.status == params["status"])
        rows = conn.execute(q.order_by(db.reports.c.received_at.desc()).limit(200)).all()
        return {"reports": [_report_view(conn, policy, r, identity=False) for r in rows]}


def get_report(database: Database, policy: Policy, actor: Actor, report_id: str) -> dict:
    """A handling officer's view: with the reporter's name and phone, and the read is kept in
    the report's trail (who looked)."""
    with database.unit_of_work() as uow:
        row = _load_report(uow.conn, actor, report_id)
        view = _report_view(uow.conn, policy, row, identity=True)
        if row.hazard_id and row.reporter_sealed:
            _act(uow, row.hazard_id, "reporter-identity-read", actor.user_id, report_id=report_id)
        uow.commit()
    return view


def verify_report(
    database: Database, policy: Policy, actor: Actor, report_id: str, body: dict
) -> dict:
    """An officer's verification: unfounded, or valid and registered as a hazard (or linked to
    the open one it reports). Only the first valid report of a hazard may be rewarded."""
    valid = bool(body.get("valid"))
    opinion = _text(body, "opinion", 2000)
    with database.unit_of_work() as uow:
        row = _load_report(uow.conn, actor, report_id)
        if row.status != "received":
            raise NotAllowed("该举报已核查")
        now = utcnow()
        values: dict[str, Any] = {
            "verified_by": actor.user_id,
            "verified_at": now,
            "opinion": opinion,
        }
        if not valid:
            values["status"] = reports.ReportStatus.unfounded.value
        else:
            hazard = body.get("hazard") or {}
            r = Registration.from_body(
                actor.agency_id,
                {**hazard, "client_id": f"report:{report_id}"},
                source=Source.public_report,
            )
            out = register(uow, policy, r, actor.user_id)
            hazard_id = out["hazard"]["hazard_id"]
            earlier = uow.conn.execute(
                sa.select(db.reports.c.report_id, db.reports.c.received_at).where(
                    db.reports.c.hazard_id == hazard_id, db.reports.c.status != "unfounded"
                )
            ).all()
            first = rewards.first_valid(
                [rewards.Claim(e.report_id, as_utc(e.received_at), True) for e in earlier]
                + [rewards.Claim(report_id, as_utc(row.received_at), True)]
            )
            values.update(
                status=reports.ReportStatus.verified.value,
                hazard_id=hazard_id,
                matter=str(body.get("matter") or "major-hazard"),
                reward_eligible=first == report_id,
            )
            # A report received earlier but verified later is still the first: the one
            # marked eligible before loses it, unless its reward was already paid.
            uow.conn.execute(
                db.reports.update()
                .where(
                    db.reports.c.hazard_id == hazard_id,
                    db.reports.c.report_id != first,
                    db.reports.c.reward_paid_on.is_(None),
                )
                .values(reward_eligible=False)
            )
            _act(uow, hazard_id, "report-verified", actor.user_id, report_id=report_id)
        uow.conn.execute(
            db.reports.update().where(db.reports.c.report_id == report_id).values(**values)
        )
        view = _report_view(
            uow.conn, policy, _load_report(uow.conn, actor, report_id), identity=False
        )
        uow.commit()
    return view


def compute_reward(
    database: Database, policy: Policy, actor: Actor, report_id: str, body: dict
) -> dict:
    """The reward by 安全生产领域举报奖励办法, from the fine the hazard's case imposed (kept from
    records.penalty-decided.v1), or for a concealed accident from its grade and deaths."""
    with database.unit_of_work() as uow:
        row = _load_report(uow.conn, actor, report_id)
        if row.status not in ("verified", "closed") or not row.reward_eligible:
            raise NotAllowed("只有经核查属实的最先举报可以奖励")
        matter = rewards.Matter(str(body.get("matter") or row.matter or "major-hazard"))
        fine = 0
        if matter is not rewards.Matter.concealed_accident:
            hazard = db.get_hazard(uow.conn, row.hazard_id) if row.hazard_id else None
            if hazard is None or hazard.fine_yuan is None:
                raise NotAllowed("尚无生效的处罚决定, 奖励按实际罚款计算")
            fine = hazard.fine_yuan
        grade = body.get("accident_grade")
        result = rewards.reward(
            matter,
            fine_yuan=fine,
            accident_grade=rewards.AccidentGrade(grade) if grade else None,
            concealed_deaths=int(body.get("concealed_deaths") or 0),
        )
        uow.conn.execute(
            db.reports.update()
            .where(db.reports.c.report_id == report_id)
            .values(matter=matter.value, reward_yuan=result.yuan, reward_rule=result.rule)
        )
        view = _report_view(
            uow.conn, policy, _load_report(uow.conn, actor, report_id), identity=False
        )
        uow.commit()
    return view


def pay_reward(
    database: Database, policy: Policy, actor: Actor, report_id: str, body: dict
) -> dict:
    today = china_date(utcnow())
    with database.unit_of_work() as uow:
        row = _load_report(uow.conn, actor, report_id)
        if row.reward_yuan is None:
            raise NotAllowed("奖励尚未核定")
        if row.reward_paid_on is not None:
            raise NotAllowed("奖励已发放")
        uow.conn.execute(
            db.reports.update()
            .where(db.reports.c.report_id == report_id)
            .values(
                reward_paid_on=_date(body, "paid_on", today),
                reward_voucher=_text(body, "voucher", 100),
                reward_paid_by=actor.user_id,
            )
        )
        view = _report_view(
            uow.conn, policy, _load_report(uow.conn, actor, report_id), identity=False
        )
        uow.commit()
    return view
