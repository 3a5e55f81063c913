"""Disclosure tables and queries."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from services.chassis.calendar_store import define_calendar_table
from services.chassis.messaging_tables import define_messaging_tables

metadata = sa.MetaData()
outbox, inbox, dead_letter = define_messaging_tables(metadata)
# A copy of the official calendar's years (review.calendar-year-published.v1).
calendar_years = define_calendar_table(metadata)

disclosures = sa.Table(
    "disclosures",
    metadata,
    sa.Column("disclosure_id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36), nullable=False, unique=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("domain", sa.String(40), nullable=False),
    sa.Column("decision_no", sa.String(80), nullable=False, unique=True),
    sa.Column("decision_date", sa.Date, nullable=False),
    sa.Column("party_name", sa.String(200), nullable=False),  # as published (masked)
    sa.Column("credit_code", sa.String(18), nullable=False),
    sa.Column("fields", sa.JSON, nullable=False),  # the public record, redacted
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("working_days_to_publish", sa.Integer, nullable=False),
    sa.Column("publication_end", sa.Date, nullable=False),
    sa.Column("min_end", sa.Date, nullable=False),
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("withdrawal_reason", sa.String(2000), nullable=True),
    # counted through a year without its notice: recounted when the year is entered
    sa.Column("due_provisional", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_disclosures_date", "decision_date", "disclosure_id"),
    sa.Index("ix_disclosures_credit", "credit_code", "decision_date"),
    sa.Index("ix_disclosures_party", "party_name"),
)

withheld = sa.Table(
    "withheld",
    metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("decision_no", sa.String(80), nullable=False),
    sa.Column("reason", sa.String(300), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

joint_list = sa.Table(
    "joint_list",
    metadata,
    sa.Column("listing_id", sa.String(36), primary_key=True),
    sa.Column("credit_code", sa.String(18), nullable=False),
    sa.Column("party_name", sa.String(200), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("decision_no", sa.String(80), nullable=False, unique=True),
    sa.Column("listed_on", sa.Date, nullable=False),
    sa.Column("listed_until", sa.Date, nullable=False),
    sa.Index("ix_joint_list_credit", "credit_code", "listed_until"),
)

credit_repairs = sa.Table(
    "credit_repairs",
    metadata,
    sa.Column("request_id", sa.String(36), primary_key=True),
    sa.Column("disclosure_id", sa.String(36), nullable=False),
    sa.Column("credit_code", sa.String(18), nullable=False),
    sa.Column("reason", sa.String(2000), nullable=False),
    sa.Column("approved", sa.Boolean, nullable=False),
    sa.Column("decision", sa.String(500), nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
)

VISIBLE = ("published", "withdrawn")


def insert(conn: sa.Connection, table: sa.Table, **values: Any) -> None:
    conn.execute(table.insert().values(**values))


def get_disclosure(conn: sa.Connection, disclosure_id: str) -> Any:
    return conn.execute(
        sa.select(disclosures).where(disclosures.c.disclosure_id == disclosure_id)
    ).first()


def disclosure_of_case(conn: sa.Connection, case_id: str) -> Any:
    return conn.execute(sa.select(disclosures).where(disclosures.c.case_id == case_id)).first()


def update_disclosure(conn: sa.Connection, disclosure_id: str, **values: Any) -> None:
    conn.execute(
        disclosures.update().where(disclosures.c.disclosure_id == disclosure_id).values(**values)
    )


def decisions_since(conn: sa.Connection, credit_code: str, since: date) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(disclosures)
            .where(disclosures.c.credit_code == credit_code, disclosures.c.decision_date >= since)
        ).scalar_one()
    )


def search(
    conn: sa.Connection,
    *,
    query: str | None,
    credit_code: str | None,
    decision_no: str | None,
    domain: str | None,
    date_from: date | None,
    date_to: date | None,
    statuses: tuple[str, ...],
    after: tuple[date, str] | None,
    limit: int,
) -> list[Any]:
    """Newest decision first, keyset-paginated on (decision_date, disclosure_id)."""
    q = sa.select(disclosures).where(disclosures.c.status.in_(statuses))
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        q = q.where(disclosures.c.party_name.like(f"%{escaped}%", escape="\\"))
    if credit_code:
        q = q.where(disclosures.c.credit_code == credit_code)
    if decision_no:
        q = q.where(disclosures.c.decision_no == decision_no)
    if domain:
        q = q.where(disclosures.c.domain == domain)
    if date_from:
        q = q.where(disclosures.c.decision_date >= date_from)
    if date_to:
        q = q.where(disclosures.c.decision_date <= date_to)
    if after is not None:
        day, last_id = after
        q = q.where(
            sa.or_(
                disclosures.c.decision_date < day,
                sa.and_(disclosures.c.decision_date == day, disclosures.c.disclosure_id < last_id),
            )
        )
    q = q.order_by(disclosures.c.decision_date.desc(), disclosures.c.disclosure_id.desc())
    return list(conn.execute(q.limit(limit)))


def expire(conn: sa.Connection, today: date) -> int:
    result = conn.execute(
        disclosures.update()
        .where(disclosures.c.status == "published", disclosures.c.publication_end < today)
        .values(status="expired")
    )
    return result.rowcount


def listings(conn: sa.Connection, credit_code: str, today: date) -> list[Any]:
    return list(
        conn.execute(
            sa.select(joint_list).where(
                joint_list.c.credit_code == credit_code, joint_list.c.listed_until >= today
            )
        )
    )


def late(conn: sa.Connection, agency_id: str, deadline_days: int) -> list[Any]:
    return list(
        conn.execute(
            sa.select(disclosures)
            .where(
                disclosures.c.agency_id == agency_id,
                disclosures.c.working_days_to_publish > deadline_days,
            )
            .order_by(disclosures.c.decision_date)
        )
    )


def publications(
    conn: sa.Connection, agency_id: str, date_from: date | None, date_to: date | None
) -> list[Any]:
    q = sa.select(disclosures).where(disclosures.c.agency_id == agency_id)
    if date_from is not None:
        q = q.where(disclosures.c.decision_date >= date_from)
    if date_to is not None:
        q = q.where(disclosures.c.decision_date <= date_to)
    return list(conn.execute(q.order_by(disclosures.c.decision_date).limit(5000)))


def withheld_of(conn: sa.Connection, agency_id: str) -> list[Any]:
    return list(
        conn.execute(
            sa.select(withheld)
            .where(withheld.c.agency_id == agency_id)
            .order_by(withheld.c.recorded_at.desc())
            .limit(500)
        )
    )
