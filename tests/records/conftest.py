"""Records fixtures: a migrated records database on each backend, and helpers to drive it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uuid_utils

from enforcement.review.v1 import review_pb2
from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import build_event, parse_envelope
from services.records import handlers
from services.records.domain.cases import Domain, Officer, OpenCase
from services.records.domain.meta import WriteMeta
from services.records.domain.parties import Party, PartyKind
from services.records.domain.penalties import Proposal

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "records" / "migrations"
AGENCY = "xinbei-yjj"
ZHANG = Officer("u-zhang", "张伟", "32041120001")
LI = Officer("u-li", "李娜", "32041120002")
WANG = Officer("u-wang", "王强", "32041120003")
ENTERPRISE = Party(
    PartyKind.organization,
    "常州某化工有限公司",
    credit_code="914403001922038216",
    legal_representative="周建国",
)
NUMBERING = handlers.Numbering({AGENCY: "新北应急"})
_ids = itertools.count()


@pytest.fixture
def records_db(db_url):
    engine = make_engine(db_url)
    migrate(engine, MIGRATIONS)
    database = Database(engine)
    yield database
    database.dispose()


def uid(prefix: str = "c") -> str:
    return f"{prefix}-{uuid_utils.uuid7()}"


def meta(actor: str = "u-zhang", agency: str = AGENCY, **changes) -> WriteMeta:
    return WriteMeta(
        client_entry_id=changes.pop("client_entry_id", uid("e")),
        actor_id=actor,
        agency_id=agency,
        **changes,
    )


def open_case(database: Database, *, officers=(ZHANG, LI), agency=AGENCY, **changes):
    cmd = OpenCase(
        client_case_id=changes.pop("client_case_id", uid("case")),
        agency_id=agency,
        town="薛家镇",
        domain=Domain.hazardous_chemicals,
        title="危化品仓库日常检查",
        party=changes.pop("party", ENTERPRISE),
        officers=tuple(officers),
        opened_by=officers[0].officer_id,
        **changes,
    )
    case, _ = handlers.open_inspection_case(database, cmd)
    return case


def advance(database: Database, case_id: str, to: str, **kw):
    return handlers.transition_case(
        database, NUMBERING, case_id=case_id, to_stage=to, reason=f"to {to}", meta=meta(**kw)
    )


def proposal(**changes) -> Proposal:
    base = dict(
        kinds=("warning", "fine"),
        fine_yuan=30_000,
        legal_basis=("《中华人民共和国安全生产法》第一百零一条",),
        facts="未对重大危险源登记建档",
        benchmark_id="js-aq-2024",
        violation_type="major-hazard-unregistered",
        circumstance="ordinary",
    )
    return Proposal(**{**base, **changes})


def review_outcome(database: Database, case, outcome: str = "approved", meeting=None) -> None:
    """Deliver a review.completed.v1 event to records as the consumer would."""
    event = build_event(
        topic="review.completed.v1",
        aggregate_id=case.case_id,
        payload=review_pb2.ReviewCompleted(
            review_id=uid("r"),
            case_id=case.case_id,
            proposal_id=case.proposal_id,
            outcome=outcome,
            reasons=["fine over 100,000 yuan for an organisation"],
            reviewer_id="u-reviewer",
            opinion="同意",
            meeting=meeting,
        ),
        producer="review",
        occurred_at=datetime.now(UTC),
    )
    with database.unit_of_work() as uow:
        handlers.record_review_outcome(uow, parse_envelope(event.payload))
        uow.commit()


def to_investigation(database: Database, case_id: str) -> None:
    advance(database, case_id, "filing")
    advance(database, case_id, "investigation")
