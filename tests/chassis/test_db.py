"""Unit of work and engines against real SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.chassis.db import Database, make_engine, migrate

pytestmark = pytest.mark.integration

metadata = sa.MetaData()
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)
notes = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("writer", sa.Integer, nullable=False),
)


@pytest.fixture
def database(db_url):
    db = Database.from_url(db_url)
    metadata.create_all(db.engine)
    yield db
    db.dispose()


def test_commit_makes_changes_visible(database):
    with database.unit_of_work() as uow:
        uow.conn.execute(counters.insert().values(name="a", value=1))
        uow.commit()
    with database.read() as conn:
        assert conn.execute(sa.select(counters.c.value)).scalar_one() == 1


def test_leaving_without_commit_rolls_back(database):
    with database.unit_of_work() as uow:
        uow.conn.execute(counters.insert().values(name="b", value=1))
    with database.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(counters)).scalar_one() == 0


def test_exception_rolls_back_and_propagates(database):
    with pytest.raises(RuntimeError), database.unit_of_work() as uow:
        uow.conn.execute(counters.insert().values(name="c", value=1))
        raise RuntimeError("use case failed")
    with database.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(counters)).scalar_one() == 0


def test_after_commit_callbacks_run_only_after_a_commit(database):
    calls = []
    database.on_commit(lambda: calls.append("woken"))
    with database.unit_of_work() as uow:
        uow.conn.execute(counters.insert().values(name="d", value=1))
    assert calls == []
    with database.unit_of_work() as uow:
        uow.conn.execute(counters.insert().values(name="d", value=1))
        uow.commit()
    assert calls == ["woken"]


def test_concurrent_writers_never_see_database_is_locked(database):
    """Eight threads insert at once; every insert lands, none fails on a lock."""
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for _ in range(40):
                with database.unit_of_work() as uow:
                    uow.conn.execute(sa.select(sa.func.count()).select_from(notes)).scalar_one()
                    uow.conn.execute(notes.insert().values(writer=n))
                    uow.commit()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with database.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(notes)).scalar_one() == 320


def test_sqlite_read_modify_write_loses_no_update(tmp_path: Path):
    """BEGIN IMMEDIATE serialises SQLite writers from their first read."""
    db = Database(make_engine(f"sqlite:///{tmp_path / 'c.db'}"))
    metadata.create_all(db.engine)
    with db.unit_of_work() as uow:
        uow.conn.execute(counters.insert().values(name="n", value=0))
        uow.commit()

    def bump() -> None:
        for _ in range(50):
            with db.unit_of_work() as uow:
                value = uow.conn.execute(
                    sa.select(counters.c.value).where(counters.c.name == "n")
                ).scalar_one()
                uow.conn.execute(counters.update().values(value=value + 1))
                uow.commit()

    threads = [threading.Thread(target=bump) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.read() as conn:
        assert conn.execute(sa.select(counters.c.value)).scalar_one() == 300


def test_sqlite_runs_in_wal_mode(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"


@pytest.mark.parametrize("service", ["records", "review", "disclosure", "gas", "overload"])
def test_service_migrations_run_to_head_and_again(db_url, service):
    engine = make_engine(db_url)
    script = Path("services") / service / "migrations"
    migrate(engine, script)
    migrate(engine, script)  # a second start finds nothing to do
    names = set(sa.inspect(engine).get_table_names())
    assert {"outbox", "inbox", "dead_letter", "alembic_version"} <= names
    engine.dispose()


def test_a_pooled_postgresql_connection_that_died_while_idle_is_replaced_at_checkout(
    db_url, monkeypatch
):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite opens its file; there is no server session to lose")
    from services.chassis import db as chassis_db

    engine = make_engine(db_url)
    admin = sa.create_engine(db_url, poolclass=sa.pool.NullPool)

    def pooled_session_killed() -> int:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        with admin.connect() as other:
            other.exec_driver_sql("SELECT pg_terminate_backend(%(p)s)", {"p": pid})
        return pid

    try:
        # Returned a moment ago: handed out without a ping, its first statement fails, and
        # the pool drops every connection made before.
        monkeypatch.setattr(chassis_db, "PING_IDLE_S", 3600.0)
        pooled_session_killed()
        with pytest.raises(sa.exc.OperationalError), engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        # Idle past the limit: pinged at checkout, found dead and replaced unseen.
        monkeypatch.setattr(chassis_db, "PING_IDLE_S", 0.0)
        pid = pooled_session_killed()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid
    finally:
        engine.dispose()
        admin.dispose()
