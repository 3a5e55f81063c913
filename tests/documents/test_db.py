"""The documents service's migrations build exactly its tables, on SQLite and (when
TEST_DATABASE_URL is set) PostgreSQL; its numbers are gap-free."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.chassis.db import Database, make_engine, migrate
from services.documents import db
from tests.support.databases import BACKENDS, postgres_available, throwaway_database

pytestmark = pytest.mark.integration

MIGRATIONS = Path(db.__file__).parent / "migrations"


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    if request.param == "postgresql" and not postgres_available():
        pytest.skip("TEST_DATABASE_URL not set")
    with throwaway_database(request.param, tmp_path, "documents") as url:
        engine = make_engine(url)
        migrate(engine, MIGRATIONS)
        migrate(engine, MIGRATIONS)  # a second start finds nothing to do
        d = Database(engine)
        try:
            yield d
        finally:
            d.dispose()


def test_the_migrations_build_the_tables(database):
    with database.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []


def test_numbers_run_per_agency_kind_and_year_and_a_rolled_back_issue_leaves_no_gap(database):
    def take(kind: str, year: int = 2026, agency: str = "xinbei-yjj", commit: bool = True) -> int:
        with database.unit_of_work() as uow:
            n = db.next_number(uow.conn, agency_id=agency, kind=kind, year=year)
            if commit:
                uow.commit()
        return n

    assert [take("penalty-notice"), take("penalty-notice")] == [1, 2]
    assert take("penalty-notice", commit=False) == 3  # the render failed: rolled back
    assert take("penalty-notice") == 3
    assert take("rectification-order") == 1
    assert take("penalty-notice", year=2027) == 1
    assert take("penalty-notice", agency="other") == 1
