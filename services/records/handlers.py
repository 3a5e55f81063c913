"""Records use cases: take a command, apply the domain, commit with its events."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import sqlalchemy as sa
import uuid_utils

from enforcement.records.v1 import records_pb2
from services.chassis.db import Database
from services.chassis.events import build_event, utcnow
from services.records import db
from services.records.domain.cases import Case, OpenCase, open_case
from services.records.messages import case_to_pb

SERVICE = "records"
TOPIC_CASE_OPENED = "records.case-opened.v1"
TOPICS = {TOPIC_CASE_OPENED: 6}


def open_inspection_case(database: Database, cmd: OpenCase) -> tuple[Case, bool]:
    """Store a new case and its `records.case-opened.v1` event in one transaction.

    Idempotent on the phone's client_case_id: a retry returns the first case, created=False.
    """
    with database.read() as conn:
        existing = db.get_case_by_client_id(conn, cmd.client_case_id)
    if existing is not None:
        return existing, False
    case = open_case(cmd, case_id=str(uuid_utils.uuid7()), now=utcnow())
    try:
        with database.unit_of_work() as uow:
            db.insert_case(uow.conn, case)
            uow.add_event(
                build_event(
                    topic=TOPIC_CASE_OPENED,
                    aggregate_id=case.case_id,
                    payload=records_pb2.CaseOpened(case=case_to_pb(case)),
                    producer=SERVICE,
                    occurred_at=case.opened_at,
                )
            )
            uow.commit()
    except sa.exc.IntegrityError:
        # A concurrent retry of the same phone request won the insert.
        with database.read() as conn:
            existing = db.get_case_by_client_id(conn, cmd.client_case_id)
        if existing is None:
            raise
        return existing, False
    return case, True


def get_case(database: Database, case_id: str) -> Case | None:
    with database.read() as conn:
        return db.get_case(conn, case_id)


def encode_page_token(case: Case) -> str:
    raw = json.dumps([case.opened_at.isoformat(), case.case_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_page_token(token: str) -> tuple[datetime, str]:
    try:
        opened_at, case_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return datetime.fromisoformat(opened_at), str(case_id)
    except (ValueError, TypeError) as exc:
        raise ValueError("page_token is not valid") from exc


def list_cases(
    database: Database, *, agency_id: str, town: str | None, page_size: int, page_token: str | None
) -> tuple[list[Case], str | None]:
    size = max(1, min(page_size or 50, 200))
    after = decode_page_token(page_token) if page_token else None
    with database.read() as conn:
        found = db.list_cases(conn, agency_id=agency_id, town=town, limit=size + 1, after=after)
    page, more = found[:size], len(found) > size
    return page, encode_page_token(page[-1]) if more else None
