"""Gateway test fixtures: a real, migrated SQLite database per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway import db as gwdb
from gateway.security.principals import Role
from gateway.security.tokens import TokenService
from services.chassis.db import Database, make_engine, migrate

MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"
SECRET = "test-secret-0123456789-abcdefghijklmnop"


@pytest.fixture
def database(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    migrate(engine, MIGRATIONS)
    database = Database(engine)
    yield database
    database.dispose()


@pytest.fixture
def tokens() -> TokenService:
    return TokenService(SECRET, "test-issuer", "test-audience")


@pytest.fixture
def make_user(database):
    """Create a user; returns the `gateway.db.User`."""

    def make(
        username: str = "officer1",
        password: str = "correct horse",
        roles=(Role.officer,),
        agency_id: str = "agency-1",
        town: str | None = "town-1",
        certificate_no: str | None = "CERT-001",
    ):
        with database.unit_of_work() as uow:
            user_id = gwdb.create_user(
                uow.conn,
                username=username,
                password=password,
                display_name=f"Name of {username}",
                roles=roles,
                agency_id=agency_id,
                town=town,
                certificate_no=certificate_no,
            )
            uow.commit()
        with database.read() as conn:
            return gwdb.get_user(conn, user_id)

    return make
