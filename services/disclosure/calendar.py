"""The official calendar in disclosure: a copy of the review service's years, and the recount
of publication deadlines that were counted through a year without its notice.

A publication itself is never undone or redated. What a newly entered year changes is the
count that says whether it came within the 7 working days (its due date and the working days
it took), and only where that count was provisional.
"""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa

from enforcement.calendar.v1 import calendar_pb2
from enforcement.events.v1.envelope_pb2 import EventEnvelope
from services.chassis.calendar_store import load_calendar, store_published
from services.chassis.db import UnitOfWork
from services.chassis.events import build_event
from services.disclosure import db
from services.disclosure.handlers import SERVICE, Policy, china_day

TOPIC_DEADLINE_RECOMPUTED = "disclosure.deadline-recomputed.v1"


def on_calendar_year(uow: UnitOfWork, envelope: EventEnvelope, policy: Policy) -> None:
    """review.calendar-year-published.v1: keep the version, recount provisional deadlines."""
    year = store_published(uow.conn, db.calendar_years, envelope)
    if year is None:
        return
    calendar = load_calendar(uow.conn, db.calendar_years)
    rows = uow.conn.execute(
        sa.select(db.disclosures).where(db.disclosures.c.due_provisional.is_(True))
    ).all()
    for row in rows:
        published = china_day(row.published_at)
        if not row.decision_date.year <= year.year <= max(row.due_date, published).year:
            continue
        due = calendar.add_working_days(row.decision_date, policy.deadline_days)
        counted = calendar.working_days_between(row.decision_date, published)
        provisional = due.provisional or counted.provisional
        if (due.date, counted.days, provisional) == (
            row.due_date,
            row.working_days_to_publish,
            True,
        ):
            continue
        uow.conn.execute(
            db.disclosures.update()
            .where(db.disclosures.c.disclosure_id == row.disclosure_id)
            .values(
                due_date=due.date,
                working_days_to_publish=counted.days,
                due_provisional=provisional,
            )
        )
        uow.add_event(
            build_event(
                topic=TOPIC_DEADLINE_RECOMPUTED,
                aggregate_id=row.case_id,
                payload=calendar_pb2.DeadlineRecomputed(
                    case_id=row.case_id,
                    agency_id=row.agency_id,
                    deadline="disclosure",
                    ref_id=row.disclosure_id,
                    previous_due_date=row.due_date.isoformat(),
                    previous_provisional=True,
                    due_date=due.date.isoformat(),
                    provisional=provisional,
                    calendar_year=year.year,
                    calendar_version=year.version,
                    notice_no=year.notice_no,
                ),
                producer=SERVICE,
            )
        )


def handler(policy: Policy):
    return partial(on_calendar_year, policy=policy)
