"""Review fixtures: a migrated review database, and proposals as records sends them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import uuid_utils

from enforcement.common.v1 import common_pb2
from enforcement.records.v1 import records_pb2
from enforcement.review.v1 import review_pb2
from services.chassis.consumer import ConsumerRunner
from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import build_event, parse_envelope, unpack
from services.review import db
from services.review.consumers import make_handlers
from services.review.handlers import Policy

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "review" / "migrations"
AGENCY = "xinbei-yjj"


@pytest.fixture
def review_db(db_url):
    engine = make_engine(db_url)
    migrate(engine, MIGRATIONS)
    database = Database(engine)
    yield database
    database.dispose()


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid_utils.uuid7()}"


def proposed(
    *,
    case_id: str | None = None,
    officers=("u-zhang", "u-li"),
    person: bool = False,
    round_: int = 1,
    proposed_at: datetime | None = None,
    **proposal,
):
    """A records.penalty-proposed.v1 event."""
    case = records_pb2.Case(
        case_id=case_id or str(uuid_utils.uuid7()),
        agency_id=AGENCY,
        town="薛家镇",
        domain="hazardous-chemicals",
        title="危化品仓库检查",
        party=common_pb2.Party(
            kind=common_pb2.Party.KIND_PERSON if person else common_pb2.Party.KIND_ORGANIZATION,
            name="王五" if person else "常州某化工有限公司",
            credit_code="" if person else "914403001922038216",
        ),
        officers=[common_pb2.Officer(officer_id=o, name=o, certificate_no="1") for o in officers],
    )
    base = dict(
        proposal_id=str(uuid_utils.uuid7()),
        round=round_,
        kinds=["fine"],
        fine_yuan=40_000,
        legal_basis=["《中华人民共和国安全生产法》第一百零一条"],
        facts="未对重大危险源登记建档",
        discretion=records_pb2.Discretion(
            benchmark_id="aq-101-major-hazard",
            violation_type="major-hazard-unregistered",
            circumstance="ordinary",
        ),
        proposed_by=officers[0],
    )
    p = records_pb2.PenaltyProposal(**{**base, **proposal})
    p.proposed_at.FromDatetime(proposed_at or datetime.now(UTC))
    return build_event(
        topic="records.penalty-proposed.v1",
        aggregate_id=case.case_id,
        payload=records_pb2.PenaltyProposed(case=case, proposal=p),
        producer="records",
    )


def deliver(database: Database, event, policy: Policy | None = None) -> str:
    runner = ConsumerRunner(
        name="review",
        bootstrap="unused:1",
        db=database,
        handlers=make_handlers(policy or Policy()),
    )
    return runner.handle(event.topic, 0, 0, event.payload)


def outcomes(database: Database, case_id: str) -> list[review_pb2.ReviewCompleted]:
    """review.completed.v1 events waiting in the outbox for this case, in order."""
    with database.read() as conn:
        rows = conn.execute(
            sa.select(db.outbox.c.payload)
            .where(db.outbox.c.topic == "review.completed.v1", db.outbox.c.key == case_id)
            .order_by(db.outbox.c.id)
        ).all()
    return [unpack(parse_envelope(r.payload), review_pb2.ReviewCompleted) for r in rows]


def task_of(database: Database, proposal_id: str):
    with database.read() as conn:
        return db.get_task_by_proposal(conn, proposal_id)
