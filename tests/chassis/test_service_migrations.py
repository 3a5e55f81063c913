"""Every service's migrations, run to head, build exactly the tables its code declares, on
SQLite and (when TEST_DATABASE_URL is set) PostgreSQL. A migration is frozen history: one
built from the live metadata would change under a later model edit."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.chassis.db import make_engine, migrate
from tests.support.databases import BACKENDS, postgres_available, throwaway_database

pytestmark = pytest.mark.integration

SERVICES = sorted(
    p.parent.name for p in Path(__file__).resolve().parents[2].joinpath("services").glob("*/db.py")
    if (p.parent / "migrations").is_dir()
)  # fmt: skip


def test_every_service_with_a_database_is_checked():
    assert {"records", "review", "disclosure", "gas", "overload", "documents"} <= set(SERVICES)
    assert {"hazards", "hazard_sources"} <= set(SERVICES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("service", SERVICES)
def test_the_migrations_build_the_declared_tables(service, backend, tmp_path):
    if backend == "postgresql" and not postgres_available():
        pytest.skip("TEST_DATABASE_URL not set")
    db = importlib.import_module(f"services.{service}.db")
    with throwaway_database(backend, tmp_path, f"mig-{service}") as url:
        engine = make_engine(url)
        try:
            migrate(engine, Path(db.__file__).parent / "migrations")
            with engine.connect() as conn:
                assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
        finally:
            engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
def test_no_migration_is_built_from_the_live_metadata(service):
    versions = Path(importlib.import_module(f"services.{service}").__file__).parent
    for path in (versions / "migrations" / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import metadata" not in text and "metadata.tables" not in text, path.name
