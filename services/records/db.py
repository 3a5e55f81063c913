"""Records tables and queries."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.chassis.messaging_tables import define_messaging_tables
from services.records.domain.cases import Case, Domain, GeoPoint, Officer, Stage
from services.records.domain.parties import Party, PartyKind

metadata = sa.MetaData()

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("client_case_id", sa.String(100), nullable=False, unique=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("domain", sa.String(40), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("party", sa.JSON, nullable=False),
    sa.Column("officers", sa.JSON, nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("opened_by", sa.String(64), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("device_time", sa.DateTime(timezone=True), nullable=True),
    sa.Column("location", sa.JSON, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_cases_agency_opened", "agency_id", "opened_at", "case_id"),
)

outbox, inbox, dead_letter = define_messaging_tables(metadata)


def insert_case(conn: sa.Connection, case: Case) -> None:
    conn.execute(
        cases.insert().values(
            case_id=case.case_id,
            client_case_id=case.client_case_id,
            agency_id=case.agency_id,
            town=case.town,
            domain=case.domain.value,
            title=case.title,
            party={**asdict(case.party), "kind": case.party.kind.value},
            officers=[asdict(o) for o in case.officers],
            stage=case.stage.value,
            opened_by=case.opened_by,
            opened_at=case.opened_at,
            device_time=case.device_time,
            location=asdict(case.location) if case.location else None,
            version=case.version,
        )
    )


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    from datetime import UTC

    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _case_from_row(row: Any) -> Case:
    party = dict(row.party)
    return Case(
        case_id=row.case_id,
        client_case_id=row.client_case_id,
        agency_id=row.agency_id,
        town=row.town,
        domain=Domain(row.domain),
        title=row.title,
        party=Party(**{**party, "kind": PartyKind(party["kind"])}),
        officers=tuple(Officer(**o) for o in row.officers),
        stage=Stage(row.stage),
        opened_by=row.opened_by,
        opened_at=_utc(row.opened_at),
        device_time=_utc(row.device_time),
        location=GeoPoint(**row.location) if row.location else None,
        version=row.version,
    )


def get_case(conn: sa.Connection, case_id: str) -> Case | None:
    row = conn.execute(sa.select(cases).where(cases.c.case_id == case_id)).first()
    return _case_from_row(row) if row else None


def get_case_by_client_id(conn: sa.Connection, client_case_id: str) -> Case | None:
    row = conn.execute(sa.select(cases).where(cases.c.client_case_id == client_case_id)).first()
    return _case_from_row(row) if row else None


def list_cases(
    conn: sa.Connection,
    *,
    agency_id: str,
    town: str | None,
    limit: int,
    after: tuple[datetime, str] | None,
) -> list[Case]:
    """Newest first, keyset-paginated on (opened_at, case_id)."""
    query = sa.select(cases).where(cases.c.agency_id == agency_id)
    if town:
        query = query.where(cases.c.town == town)
    if after is not None:
        opened_at, case_id = after
        query = query.where(
            sa.or_(
                cases.c.opened_at < opened_at,
                sa.and_(cases.c.opened_at == opened_at, cases.c.case_id < case_id),
            )
        )
    query = query.order_by(cases.c.opened_at.desc(), cases.c.case_id.desc()).limit(limit)
    return [_case_from_row(r) for r in conn.execute(query)]
