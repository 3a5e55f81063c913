"""Review tables: the cases review knows of, from records' events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from services.chassis.calendar_store import define_calendar_table
from services.chassis.messaging_tables import define_messaging_tables
from services.review.domain.benchmarks import Band, Benchmark

metadata = sa.MetaData()

# What review needs of a case before a proposal arrives: its agency and officers, so that a
# review task is never assigned to one of the case's own officers.
known_cases = sa.Table(
    "known_cases",
    metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("domain", sa.String(40), nullable=False),
    sa.Column("officer_ids", sa.JSON, nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

outbox, inbox, dead_letter = define_messaging_tables(metadata)
# The official calendar: every version entered from the State Council's notice.
calendar_years = define_calendar_table(metadata)


def upsert_known_case(
    conn: sa.Connection,
    *,
    case_id: str,
    agency_id: str,
    town: str,
    domain: str,
    officer_ids: list[str],
    opened_at: datetime,
    received_at: datetime,
) -> None:
    values = dict(
        agency_id=agency_id,
        town=town,
        domain=domain,
        officer_ids=officer_ids,
        opened_at=opened_at,
        received_at=received_at,
    )
    updated = conn.execute(
        known_cases.update().where(known_cases.c.case_id == case_id).values(**values)
    ).rowcount
    if not updated:
        conn.execute(known_cases.insert().values(case_id=case_id, **values))


reviewers = sa.Table(
    "reviewers",
    metadata,
    sa.Column("reviewer_id", sa.String(64), primary_key=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)

conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("reviewer_id", sa.String(64), primary_key=True),
    sa.Column("party_key", sa.String(200), primary_key=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
)

benchmarks = sa.Table(
    "benchmarks",
    metadata,
    sa.Column("benchmark_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("violation_type", sa.String(64), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("legal_basis", sa.String(300), nullable=False),
    sa.Column("legal_min_yuan", sa.BigInteger, nullable=False),
    sa.Column("legal_max_yuan", sa.BigInteger, nullable=False),
    sa.Column("bands", sa.JSON, nullable=False),
)

review_tasks = sa.Table(
    "review_tasks",
    metadata,
    sa.Column("review_id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("proposal_id", sa.String(36), nullable=False, unique=True),
    sa.Column("round", sa.Integer, nullable=False),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("case_title", sa.String(200), nullable=False),
    sa.Column("party", sa.JSON, nullable=False),
    sa.Column("officer_ids", sa.JSON, nullable=False),
    sa.Column("proposal", sa.JSON, nullable=False),
    sa.Column("major", sa.Boolean, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("placement", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reviewer_id", sa.String(64), nullable=True),
    sa.Column("checklist", sa.JSON, nullable=True),
    sa.Column("opinion", sa.Text, nullable=True),
    sa.Column("due_date", sa.Date, nullable=True),
    sa.Column("extended", sa.Boolean, nullable=False),
    sa.Column("extension_reason", sa.String(500), nullable=True),
    sa.Column("overdue_notified", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("due_from", sa.Date, nullable=True),  # the day the working days count from
    sa.Column("due_provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    # 集体讨论: {reason, referred_by, referred_at} once referred, then held_on, participants,
    # minutes when the meeting's outcome is recorded.
    sa.Column("meeting", sa.JSON, nullable=True),
    sa.Index("ix_review_tasks_agency_status", "agency_id", "status"),
    sa.Index("ix_review_tasks_case", "case_id", "round"),
)


def benchmark(conn: sa.Connection, benchmark_id: str, violation_type: str) -> Benchmark | None:
    """The newest version of the named benchmark, else of the violation type's."""
    for column, value in (
        (benchmarks.c.benchmark_id, benchmark_id),
        (benchmarks.c.violation_type, violation_type),
    ):
        if not value:
            continue
        row = conn.execute(
            sa.select(benchmarks)
            .where(column == value)
            .order_by(benchmarks.c.version.desc())
            .limit(1)
        ).first()
        if row is not None:
            return Benchmark(
                row.benchmark_id,
                row.version,
                row.violation_type,
                row.title,
                row.legal_basis,
                row.legal_min_yuan,
                row.legal_max_yuan,
                tuple(Band(c, lo, hi) for c, lo, hi in row.bands),
            )
    return None


def _benchmark_of(row) -> Benchmark:
    return Benchmark(
        row.benchmark_id,
        row.version,
        row.violation_type,
        row.title,
        row.legal_basis,
        row.legal_min_yuan,
        row.legal_max_yuan,
        tuple(Band(c, lo, hi) for c, lo, hi in row.bands),
    )


def newest_benchmarks(conn: sa.Connection) -> list[Benchmark]:
    """The newest version of every benchmark, by id."""
    newest = (
        sa.select(benchmarks.c.benchmark_id, sa.func.max(benchmarks.c.version).label("version"))
        .group_by(benchmarks.c.benchmark_id)
        .subquery()
    )
    rows = conn.execute(
        sa.select(benchmarks)
        .join(
            newest,
            sa.and_(
                benchmarks.c.benchmark_id == newest.c.benchmark_id,
                benchmarks.c.version == newest.c.version,
            ),
        )
        .order_by(benchmarks.c.benchmark_id)
    ).all()
    return [_benchmark_of(r) for r in rows]


def one_reviewer(conn: sa.Connection, reviewer_id: str) -> Any:
    return conn.execute(sa.select(reviewers).where(reviewers.c.reviewer_id == reviewer_id)).first()


def upsert_reviewer(conn: sa.Connection, reviewer_id: str, agency_id: str, name: str) -> None:
    updated = conn.execute(
        reviewers.update()
        .where(reviewers.c.reviewer_id == reviewer_id)
        .values(agency_id=agency_id, name=name, active=True)
    )
    if updated.rowcount == 0:
        conn.execute(
            reviewers.insert().values(
                reviewer_id=reviewer_id, agency_id=agency_id, name=name, active=True
            )
        )


def add_conflict(conn: sa.Connection, **values) -> None:
    exists = conn.execute(
        sa.select(conflicts.c.reviewer_id).where(
            conflicts.c.reviewer_id == values["reviewer_id"],
            conflicts.c.party_key == values["party_key"],
        )
    ).first()
    if exists is None:
        conn.execute(conflicts.insert().values(**values))


def conflicted_reviewers(conn: sa.Connection, party_keys: list[str], agency_id: str) -> set[str]:
    """Reviewers with a conflict recorded by `agency_id` (another agency's records never
    count: a supervisor elsewhere must not be able to bench this agency's reviewers)."""
    keys = [k for k in party_keys if k]
    if not keys:
        return set()
    rows = conn.execute(
        sa.select(conflicts.c.reviewer_id).where(
            conflicts.c.party_key.in_(keys), conflicts.c.agency_id == agency_id
        )
    )
    return {r.reviewer_id for r in rows}


def deactivate_reviewer(conn: sa.Connection, reviewer_id: str, agency_id: str) -> bool:
    """Mark the reviewer inactive; False when the agency has no such reviewer."""
    updated = conn.execute(
        reviewers.update()
        .where(reviewers.c.reviewer_id == reviewer_id, reviewers.c.agency_id == agency_id)
        .values(active=False)
    )
    return updated.rowcount > 0


def open_tasks_of_reviewer(conn: sa.Connection, reviewer_id: str, agency_id: str) -> list:
    return list(
        conn.execute(
            sa.select(review_tasks).where(
                review_tasks.c.agency_id == agency_id,
                review_tasks.c.reviewer_id == reviewer_id,
                review_tasks.c.status.in_(("waiting", "assigned")),
            )
        )
    )


def reviewer_loads(conn: sa.Connection, agency_id: str) -> list[tuple[str, int]]:
    open_count = (
        sa.select(sa.func.count())
        .where(
            review_tasks.c.reviewer_id == reviewers.c.reviewer_id,
            review_tasks.c.status.in_(("waiting", "assigned")),
        )
        .scalar_subquery()
    )
    rows = conn.execute(
        sa.select(reviewers.c.reviewer_id, open_count.label("n")).where(
            reviewers.c.agency_id == agency_id, reviewers.c.active.is_(True)
        )
    )
    return [(r.reviewer_id, int(r.n)) for r in rows]


def insert_task(conn: sa.Connection, **values) -> None:
    conn.execute(review_tasks.insert().values(**values))


def get_task(conn: sa.Connection, review_id: str, *, for_update: bool = False):
    query = sa.select(review_tasks).where(review_tasks.c.review_id == review_id)
    return conn.execute(query.with_for_update() if for_update else query).first()


def get_task_by_proposal(conn: sa.Connection, proposal_id: str):
    return conn.execute(
        sa.select(review_tasks).where(review_tasks.c.proposal_id == proposal_id)
    ).first()


def update_task(conn: sa.Connection, review_id: str, **values) -> None:
    conn.execute(
        review_tasks.update().where(review_tasks.c.review_id == review_id).values(**values)
    )


def tasks_of_case(conn: sa.Connection, case_id: str) -> list:
    return list(
        conn.execute(
            sa.select(review_tasks)
            .where(review_tasks.c.case_id == case_id)
            .order_by(review_tasks.c.round)
        )
    )


def list_tasks(
    conn: sa.Connection,
    *,
    agency_id: str,
    reviewer_id: str | None,
    open_only: bool,
    due_before: date | None,
    limit: int,
    town: str = "",
) -> list:
    query = sa.select(review_tasks).where(review_tasks.c.agency_id == agency_id)
    if town:
        query = query.where(review_tasks.c.town == town)
    if reviewer_id:
        query = query.where(review_tasks.c.reviewer_id == reviewer_id)
    if open_only or due_before is not None:
        query = query.where(review_tasks.c.status.in_(("waiting", "assigned")))
    if due_before is not None:
        query = query.where(review_tasks.c.due_date < due_before)
    return list(
        conn.execute(
            query.order_by(review_tasks.c.due_date, review_tasks.c.created_at).limit(limit)
        )
    )


def waiting_unassigned(conn: sa.Connection, agency_id: str) -> list:
    return list(
        conn.execute(
            sa.select(review_tasks)
            .where(review_tasks.c.agency_id == agency_id, review_tasks.c.status == "waiting")
            .order_by(review_tasks.c.due_date)
        )
    )


def overdue_unnotified(conn: sa.Connection, today: date) -> list:
    return list(
        conn.execute(
            sa.select(review_tasks).where(
                review_tasks.c.status.in_(("waiting", "assigned")),
                review_tasks.c.due_date < today,
                review_tasks.c.overdue_notified.is_(False),
            )
        )
    )


def all_tasks_of_agency(conn: sa.Connection, agency_id: str, town: str = "") -> list:
    query = sa.select(review_tasks).where(review_tasks.c.agency_id == agency_id)
    if town:
        query = query.where(review_tasks.c.town == town)
    return list(conn.execute(query))


def open_tasks(conn: sa.Connection) -> list:
    return list(
        conn.execute(
            sa.select(review_tasks).where(
                review_tasks.c.status.in_(("waiting", "assigned")),
                review_tasks.c.due_date.is_not(None),
            )
        )
    )
