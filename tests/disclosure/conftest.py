"""Disclosure fixtures: a migrated database and decided penalties as records sends them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import uuid_utils

from enforcement.common.v1 import common_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.consumer import ConsumerRunner
from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import build_event
from services.disclosure.consumers import make_handlers
from services.disclosure.domain.publication import Authority
from services.disclosure.handlers import Policy

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "disclosure" / "migrations"
AGENCY = "xinbei-yjj"
AUTHORITY = Authority("常州市新北区应急管理局", "11320411MB00000000", "常州市新北区应急管理局")
COMPANY = ("常州某化工有限公司", "914403001922038216")
_numbers = iter(range(1, 10**6))


@pytest.fixture
def disclosure_db(db_url):
    engine = make_engine(db_url)
    migrate(engine, MIGRATIONS)
    database = Database(engine)
    yield database
    database.dispose()


def decided(
    *,
    person: tuple[str, str] | None = None,
    company: tuple[str, str] = COMPANY,
    decided_at: datetime | None = None,
    kinds=("fine",),
    fine_yuan=30_000,
    facts="未对重大危险源登记建档。现场负责人刘德华（电话13912345678）在场。",
    text="罚款人民币叁万元整，缴入账号6222021001123456789。",
    secret=False,
    violation_type="major-hazard-unregistered",
    case_id: str | None = None,
):
    case = records_pb2.Case(
        case_id=case_id or str(uuid_utils.uuid7()),
        agency_id=AGENCY,
        domain="hazardous-chemicals",
        party=(
            common_pb2.Party(kind=common_pb2.Party.KIND_PERSON, name=person[0], id_number=person[1])
            if person
            else common_pb2.Party(
                kind=common_pb2.Party.KIND_ORGANIZATION,
                name=company[0],
                credit_code=company[1],
                legal_representative="陈某",
            )
        ),
    )
    proposal = records_pb2.PenaltyProposal(
        kinds=list(kinds),
        fine_yuan=fine_yuan,
        legal_basis=["《中华人民共和国安全生产法》第一百零一条"],
        facts=facts,
        discretion=records_pb2.Discretion(violation_type=violation_type),
        secret_related=secret,
    )
    n = next(_numbers)
    event = records_pb2.PenaltyDecided(
        case=case,
        proposal=proposal,
        decision_no=f"新北应急罚〔2026〕{n}号-{case.case_id[-6:]}",
        decision_text=text,
    )
    event.decided_at.FromDatetime(decided_at or datetime.now(UTC))
    return build_event(
        topic="records.penalty-decided.v1",
        aggregate_id=case.case_id,
        payload=event,
        producer="records",
    )


def revoked(case_id: str, reason: str = "行政复议决定撤销原处罚决定"):
    event = records_pb2.PenaltyRevoked(
        case=records_pb2.Case(case_id=case_id, agency_id=AGENCY), reason=reason
    )
    return build_event(
        topic="records.penalty-revoked.v1", aggregate_id=case_id, payload=event, producer="records"
    )


def deliver(database: Database, event, policy: Policy | None = None) -> str:
    runner = ConsumerRunner(
        name="disclosure",
        bootstrap="unused:1",
        db=database,
        handlers=make_handlers(policy or Policy(authorities={AGENCY: AUTHORITY})),
    )
    return runner.handle(event.topic, 0, 0, event.payload)


@pytest.fixture(scope="session")
def tagger():
    """The segmenter the service loads at start-up, loaded once for the session."""
    from services.disclosure.segmenter import load_tagger

    return load_tagger()
