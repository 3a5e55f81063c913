"""The gateway's migrations build exactly the schema `gateway.db` describes, on SQLite and
(when TEST_DATABASE_URL is set) PostgreSQL, and the stores work on both."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gateway import db as gwdb
from gateway.problems import PROBLEM_BASE, ProblemError
from gateway.security.device_signing import DeviceCredentials, signed_headers
from gateway.security.refresh import RefreshTokens
from gateway.security.tokens import TokenService
from services.chassis.db import Database, make_engine, migrate
from tests.gateway.conftest import MIGRATIONS, SECRET
from tests.support.databases import BACKENDS, postgres_available, throwaway_database

pytestmark = pytest.mark.integration


@pytest.fixture(params=BACKENDS)
def migrated(request, tmp_path):
    if request.param == "postgresql" and not postgres_available():
        pytest.skip("TEST_DATABASE_URL not set")
    with throwaway_database(request.param, tmp_path, "gateway") as url:
        engine = make_engine(url)
        migrate(engine, MIGRATIONS)
        migrate(engine, MIGRATIONS)  # a second start finds nothing to do
        database = Database(engine)
        try:
            yield database
        finally:
            database.dispose()


def test_schema_matches_the_tables(migrated):
    with migrated.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), gwdb.metadata)
        assert diff == []
        tables = set(sa.inspect(conn).get_table_names())
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    assert set(gwdb.TABLE_NAMES) <= tables
    assert version == "0007"


def test_stores_work_on_this_backend(migrated):
    with migrated.unit_of_work() as uow:
        user_id = gwdb.create_user(
            uow.conn,
            username="officer-pg",
            password="pw-12345678",
            display_name="Officer",
            roles=["officer"],
            agency_id="agency-1",
            town="town-1",
        )
        uow.commit()
    with migrated.read() as conn:
        principal = gwdb.get_user(conn, user_id).to_principal()

    refresh = RefreshTokens(migrated, TokenService(SECRET, "test-issuer", "test-audience"))
    first, _ = refresh.issue(principal)
    assert refresh.rotate(first)[0] == principal
    with pytest.raises(ProblemError) as reused:
        refresh.rotate(first)
    assert reused.value.type == PROBLEM_BASE + "refresh-token-reused"

    credentials = DeviceCredentials(migrated)
    secret = credentials.provision("ws-0001", "weigh-station", "station-1")
    headers = {
        k.lower(): v for k, v in signed_headers("ws-0001", secret, "POST", "/v1/x", b"{}").items()
    }
    assert credentials.verify(method="POST", path="/v1/x", headers=headers, body=b"{}")
    with pytest.raises(ProblemError) as replayed:
        credentials.verify(method="POST", path="/v1/x", headers=headers, body=b"{}")
    assert replayed.value.type == PROBLEM_BASE + "replayed-nonce"


async def test_idempotency_works_on_this_backend(migrated):
    from tests.gateway.test_idempotency import Harness

    harness = Harness(migrated)
    async with harness.client:
        first = await harness.post("/count", body='{"测":1}'.encode())
        second = await harness.post("/count", body='{"测":1}'.encode())
        assert second.content == first.content
        assert second.headers["idempotent-replayed"] == "true"
        assert (await harness.post("/count", body=b"{}")).status_code == 422
        assert (await harness.post("/fail", key="f")).status_code == 503
        assert (await harness.post("/fail", key="f")).status_code == 200
    assert harness.calls["count"] == 1
