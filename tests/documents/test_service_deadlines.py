"""送达 against the real database: a service cannot predate its document, and deadlines
counted through a year without its official calendar are marked and recounted when the year
is entered (the example 2027 notice makes Sunday 31 January a working day)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import parse_envelope
from services.documents import db, handlers
from services.documents.domain.kinds import InvalidDocument
from tests.support.calendar_example import clock_at, published_2027_event
from tests.support.databases import BACKENDS, postgres_available, throwaway_database

pytestmark = pytest.mark.integration

CHINA = timedelta(hours=8)
ISSUED = datetime(2027, 1, 29, 1, 0, tzinfo=UTC)  # Friday 29 January 2027, 09:00 in China


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    if request.param == "postgresql" and not postgres_available():
        pytest.skip("TEST_DATABASE_URL not set")
    with throwaway_database(request.param, tmp_path, "documents-service") as url:
        engine = make_engine(url)
        migrate(engine, Path(db.__file__).parent / "migrations")
        d = Database(engine)
        try:
            yield d
        finally:
            d.dispose()


def a_notice(database: Database, document_id: str = "d-1") -> None:
    with database.unit_of_work() as uow:
        uow.conn.execute(
            db.documents.insert().values(
                document_id=document_id, client_document_id=f"c-{document_id}", case_id="case-1",
                agency_id="xinbei-yjj", kind="penalty-notice", title="行政处罚告知书",
                number="新北应急罚告〔2027〕1号", case_no="x", party_name="某餐饮店", content={},
                sha256="0" * 64, size=1, object_key="k", version=1, earlier_sha256=[],
                issued_by="u-1", issued_at=ISSUED, deadlines=[], signatures=[],
            )
        )  # fmt: skip
        uow.commit()


def serve(database: Database, at: datetime, document_id: str = "d-1"):
    return handlers.record_service(
        database,
        document_id=document_id,
        agency_id="xinbei-yjj",
        service={"method": "direct", "served_at": at, "recipient": "周建国"},
    )


def test_a_service_dated_before_the_document_was_issued_is_refused(database):
    a_notice(database)
    with clock_at(ISSUED + timedelta(hours=2)):
        with pytest.raises(InvalidDocument, match="before 新北应急罚告〔2027〕1号 was issued"):
            serve(database, ISSUED - timedelta(minutes=10))
        with database.read() as conn:
            assert db.get_document(conn, "d-1").service is None  # nothing recorded
        row = serve(database, ISSUED - timedelta(minutes=2))  # a phone's clock a little behind
    assert row.service["recipient"] == "周建国"


def test_deadlines_counted_without_the_years_calendar_are_recounted_when_it_is_entered(database):
    a_notice(database)
    with clock_at(ISSUED + timedelta(hours=2)):
        row = serve(database, ISSUED + timedelta(minutes=30))
    due = {d["name"]: d for d in row.deadlines}
    # 2027 is not entered: only the statutory rule counts, so Mon 1 .. Wed 3 February
    assert due["defence"]["due_date"] == "2027-02-03"
    assert due["defence"]["provisional"] is True
    assert row.deadlines_provisional is True

    with database.unit_of_work() as uow:
        handlers.on_calendar_year(uow, parse_envelope(published_2027_event().payload))
        uow.commit()
    with database.read() as conn:
        row = db.get_document(conn, "d-1")
    due = {d["name"]: d for d in row.deadlines}
    # Sunday 31 January is worked (调休): 31 Jan, 1 and 2 February
    assert due["defence"]["due_date"] == "2027-02-02"
    assert due["defence"]["recounted_from"] == "2027-02-03"
    assert due["defence"]["provisional"] is False
    assert row.deadlines_provisional is False
    assert handlers.document_to_pb(row).deadlines[0].provisional is False

    with database.unit_of_work() as uow:  # the same year again changes nothing
        handlers.on_calendar_year(uow, parse_envelope(published_2027_event().payload))
        uow.commit()
    with database.read() as conn:
        assert db.get_document(conn, "d-1").deadlines == row.deadlines
