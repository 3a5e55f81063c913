"""The platform's official calendar: the review service keeps it.

An agency admin (through the gateway) or an operator (`python -m services.review.calendar_cli`)
enters a year from the State Council's notice on the holiday arrangement. Each entry is
validated (`services.chassis.workdays.validate_year`), stored as a new version (a correction
never overwrites: the newest version decides, the older ones stay), and published on
`review.calendar-year-published.v1` through the outbox in the same transaction. Every service
that counts working days keeps its own copy from that event and recounts its open deadlines;
this service recounts its open review tasks in the same transaction as the entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from enforcement.calendar.v1 import calendar_pb2
from services.chassis.calendar_store import (
    TOPIC_YEAR_PUBLISHED,
    versions,
    year_to_pb,
)
from services.chassis.db import Database, UnitOfWork
from services.chassis.events import build_event, utcnow
from services.chassis.workdays import (
    Calendar,
    InvalidCalendar,
    OfficialYear,
    Source,
    statutory_holidays,
    validate_year,
)
from services.review import db
from services.review.domain.tasks import InvalidReview
from services.review.handlers import (
    SERVICE,
    Policy,
    calendar_of,
    china_today,
    due_start,
    review_due,
)

TOPIC_DEADLINE_RECOMPUTED = "review.deadline-recomputed.v1"


def _dates(values: list[str], what: str) -> list[date]:
    try:
        return [date.fromisoformat(v) for v in values]
    except ValueError as exc:
        raise InvalidCalendar(f"{what}: every date is YYYY-MM-DD ({exc})") from None


def publish_year(
    database: Database,
    policy: Policy,
    *,
    year: int,
    notice_no: str,
    holidays: list[str],
    makeup_days: list[str],
    entered_by: str,
    agency_id: str,
    note: str = "",
) -> tuple[calendar_pb2.CalendarYear, int, bool]:
    """Enter (or correct) a year; returns the stored version, how many open reviews were
    recounted, and whether a new version was stored (False for a repeated identical entry)."""
    official = validate_year(
        year, _dates(holidays, "holidays"), _dates(makeup_days, "makeup_days"), notice_no
    )
    if len(note) > 500:
        raise InvalidCalendar("note: at most 500 characters")
    try:
        return _store_year(database, policy, official, entered_by, agency_id, note)
    except sa.exc.IntegrityError:  # two entries of the year at once (PostgreSQL): one wins
        raise InvalidReview(
            f"another entry of {year} was stored at the same moment; read it and try again"
        ) from None


def _store_year(
    database: Database,
    policy: Policy,
    official: OfficialYear,
    entered_by: str,
    agency_id: str,
    note: str,
) -> tuple[calendar_pb2.CalendarYear, int, bool]:
    year = official.year
    with database.unit_of_work() as uow:
        known = versions(uow.conn, db.calendar_years, year)
        latest = known[0] if known else None
        holiday_list = sorted(d.isoformat() for d in official.holidays)
        makeup_list = sorted(d.isoformat() for d in official.makeup_days)
        if latest is not None and (
            sorted(latest.holidays),
            sorted(latest.makeup_days),
            latest.notice_no,
        ) == (holiday_list, makeup_list, official.notice_no):
            return year_to_pb(latest), 0, False
        if latest is not None and not note.strip():
            raise InvalidCalendar(
                f"{year} is already entered (version {latest.version}): a correction needs a note"
            )
        version = (latest.version if latest else 0) + 1
        uow.conn.execute(
            db.calendar_years.insert().values(
                year=year,
                version=version,
                notice_no=official.notice_no,
                holidays=holiday_list,
                makeup_days=makeup_list,
                entered_by=entered_by[:64],
                agency_id=agency_id[:64],
                entered_at=utcnow(),
                note=note.strip(),
            )
        )
        row = versions(uow.conn, db.calendar_years, year)[0]
        msg = year_to_pb(row)
        uow.add_event(
            build_event(
                topic=TOPIC_YEAR_PUBLISHED,
                aggregate_id=f"calendar-{year}",
                payload=calendar_pb2.CalendarYearPublished(year=msg),
                producer=SERVICE,
            )
        )
        n = recount_reviews(uow, policy, calendar_of(uow.conn), msg)
        uow.commit()
    return msg, n, True


def recount_reviews(
    uow: UnitOfWork, policy: Policy, calendar: Calendar, year: calendar_pb2.CalendarYear
) -> int:
    """Recount every open review whose count runs through `year`; each change is stored and
    leaves on review.deadline-recomputed.v1 (records writes it into the case record). Closed
    reviews keep the deadline they were decided under."""
    today = china_today()
    moved = 0
    for task in db.open_tasks(uow.conn):
        start = due_start(task)
        if not start.year <= year.year <= max(task.due_date, start).year:
            continue
        due = review_due(calendar, policy, start, task.extended)
        if (due.date, due.provisional) == (task.due_date, task.due_provisional):
            continue
        changes = dict(due_date=due.date, due_provisional=due.provisional, due_from=start)
        if due.date >= today:
            changes["overdue_notified"] = False  # overdue again only when the new date passes
        db.update_task(uow.conn, task.review_id, **changes)
        uow.add_event(
            build_event(
                topic=TOPIC_DEADLINE_RECOMPUTED,
                aggregate_id=task.case_id,
                payload=calendar_pb2.DeadlineRecomputed(
                    case_id=task.case_id,
                    agency_id=task.agency_id,
                    deadline="legal-review",
                    ref_id=task.review_id,
                    previous_due_date=task.due_date.isoformat(),
                    previous_provisional=task.due_provisional,
                    due_date=due.date.isoformat(),
                    provisional=due.provisional,
                    calendar_year=year.year,
                    calendar_version=year.version,
                    notice_no=year.notice_no,
                ),
                producer=SERVICE,
            )
        )
        moved += 1
    return moved


@dataclass(frozen=True)
class YearState:
    year: int
    source: Source
    versions: list
    statutory: list[date]


def calendar_state(database: Database, year: int = 0) -> tuple[date, str, list[YearState]]:
    """Today (China), the missing-year warning, and the state of the asked years (this year
    and the next by default)."""
    today = china_today()
    if year and not 2004 <= year <= 2100:
        raise InvalidCalendar("year: 2004-2100")
    years = [year] if year else [today.year, today.year + 1]
    with database.read() as conn:
        calendar = calendar_of(conn)
        states = [
            YearState(
                y,
                calendar.source(y),
                versions(conn, db.calendar_years, y),
                sorted(statutory_holidays(y)) if y >= 2025 else [],
            )
            for y in years
        ]
    return today, calendar.missing_year_warning(today) or "", states
