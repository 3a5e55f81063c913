"""Art. 44 (62号令): within 7 working days of closing a case, the vehicle, driver, loading
source and decision are reported to the vehicle's home transport authority (抄告)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
import uuid_utils

from enforcement.calendar.v1 import calendar_pb2
from enforcement.events.v1.envelope_pb2 import EventEnvelope
from enforcement.records.v1 import records_pb2
from services.chassis.calendar_store import load_calendar, store_published
from services.chassis.db import Database, UnitOfWork
from services.chassis.events import build_event, unpack, utcnow
from services.chassis.workdays import china_date
from services.overload import db

log = logging.getLogger(__name__)

REPORT_WORKING_DAYS = 7
SOURCE = "overload.violation-confirmed.v1"
SERVICE = "overload"
TOPIC_DEADLINE_RECOMPUTED = "overload.deadline-recomputed.v1"


class NotFound(LookupError):
    pass


def on_case_advanced(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """records.case-advanced.v1: a 一超四罚 case reaching closing starts its report deadline."""
    event = unpack(envelope, records_pb2.CaseAdvanced)
    case = event.case
    if event.to_stage != "closing" or case.source_topic != SOURCE:
        return
    if db.report_of_case(uow.conn, case.case_id) is not None:
        return
    weighing_id, _, role = case.source_ref.partition(":")
    weighing = db.get_weighing(uow.conn, weighing_id)
    closed = china_date(utcnow())
    due = load_calendar(uow.conn, db.calendar_years).add_working_days(closed, REPORT_WORKING_DAYS)
    db.insert(
        uow.conn,
        db.reports,
        report_id=str(uuid_utils.uuid7()),
        case_id=case.case_id,
        agency_id=case.agency_id,
        weighing_id=weighing_id,
        role=role,
        plate=weighing.plate if weighing is not None else "",
        closed_on=closed,
        due_date=due.date,
        due_provisional=due.provisional,
    )


def on_calendar_year(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """review.calendar-year-published.v1: keep the version and recount every report not yet
    sent whose count runs through the year; a sent report keeps its date."""
    year = store_published(uow.conn, db.calendar_years, envelope)
    if year is None:
        return
    calendar = load_calendar(uow.conn, db.calendar_years)
    rows = uow.conn.execute(sa.select(db.reports).where(db.reports.c.sent_on.is_(None))).all()
    for row in rows:
        if not row.closed_on.year <= year.year <= row.due_date.year:
            continue
        due = calendar.add_working_days(row.closed_on, REPORT_WORKING_DAYS)
        if (due.date, due.provisional) == (row.due_date, row.due_provisional):
            continue
        uow.conn.execute(
            db.reports.update()
            .where(db.reports.c.report_id == row.report_id)
            .values(due_date=due.date, due_provisional=due.provisional)
        )
        uow.add_event(
            build_event(
                topic=TOPIC_DEADLINE_RECOMPUTED,
                aggregate_id=row.case_id,
                payload=calendar_pb2.DeadlineRecomputed(
                    case_id=row.case_id,
                    agency_id=row.agency_id,
                    deadline="art44-report",
                    ref_id=row.report_id,
                    previous_due_date=row.due_date.isoformat(),
                    previous_provisional=row.due_provisional,
                    due_date=due.date.isoformat(),
                    provisional=due.provisional,
                    calendar_year=year.year,
                    calendar_version=year.version,
                    notice_no=year.notice_no,
                ),
                producer=SERVICE,
            )
        )


def list_reports(database: Database, agency_id: str, open_only: bool) -> list:
    with database.read() as conn:
        return db.list_reports(conn, agency_id, open_only)


def mark_sent(database: Database, *, report_id: str, agency_id: str, actor_id: str):
    with database.unit_of_work() as uow:
        row = db.get_report(uow.conn, report_id)
        if row is None or row.agency_id != agency_id:
            raise NotFound("report not found")
        if row.sent_on is None:
            uow.conn.execute(
                db.reports.update()
                .where(db.reports.c.report_id == report_id)
                .values(sent_on=china_date(utcnow()), sent_by=actor_id)
            )
        uow.commit()
    with database.read() as conn:
        return db.get_report(conn, report_id)
