"""Review tables: the cases review knows of, from records' events."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from services.chassis.messaging_tables import define_messaging_tables

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
