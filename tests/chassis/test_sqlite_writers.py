"""SQLite writers queue in the process, one per engine: every way out of a unit of work hands
the database on, and readers never wait for the queue."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from services.chassis.db import Database

metadata = sa.MetaData()
rows = sa.Table("rows", metadata, sa.Column("id", sa.Integer, primary_key=True))


@pytest.fixture
def database(tmp_path):
    db = Database.from_url(f"sqlite:///{tmp_path / 'w.db'}")
    metadata.create_all(db.engine)
    yield db
    db.dispose()


def _write_in_thread(database: Database, row_id: int) -> None:
    def write() -> None:
        with database.unit_of_work() as uow:
            uow.conn.execute(rows.insert().values(id=row_id))
            uow.commit()

    t = threading.Thread(target=write)
    t.start()
    t.join(20)
    assert not t.is_alive(), "the next writer was never let in"


@pytest.mark.unit
def test_a_failed_or_uncommitted_unit_of_work_lets_the_next_writer_in(database):
    with pytest.raises(RuntimeError), database.unit_of_work() as uow:
        uow.conn.execute(rows.insert().values(id=1))
        raise RuntimeError("the use case failed")
    _write_in_thread(database, 2)
    with database.unit_of_work():
        pass  # left without commit
    _write_in_thread(database, 3)
    with database.read() as conn:
        assert conn.execute(sa.select(rows.c.id).order_by(rows.c.id)).scalars().all() == [2, 3]


@pytest.mark.unit
def test_writers_from_many_threads_all_commit_and_readers_pass_a_writer(database):
    threads = [threading.Thread(target=_write_in_thread, args=(database, i)) for i in range(20)]
    with database.unit_of_work() as held:  # a writer holds the database ...
        held.conn.execute(rows.insert().values(id=100))
        for t in threads:
            t.start()
        with database.read() as conn:  # ... and a reader still reads
            assert conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one() == 0
        held.commit()
    for t in threads:
        t.join(30)
    with database.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rows)).scalar_one() == 21
