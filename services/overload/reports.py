"""Art. 44 (62号令): within 7 working days of closing a case, the vehicle, driver, loading
source and decision are reported to the vehicle's home transport authority (抄告)."""

from __future__ import annotations

import logging

import uuid_utils

from enforcement.events.v1.envelope_pb2 import EventEnvelope
from enforcement.records.v1 import records_pb2
from services.chassis.db import Database, UnitOfWork
from services.chassis.events import unpack, utcnow
from services.chassis.workdays import add_working_days, china_date
from services.overload import db

log = logging.getLogger(__name__)

REPORT_WORKING_DAYS = 7
SOURCE = "overload.violation-confirmed.v1"


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
        due_date=add_working_days(closed, REPORT_WORKING_DAYS),
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
