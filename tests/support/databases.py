"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database when
TEST_DATABASE_URL points at a server (CI sets it when one answers)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

BACKENDS = ("sqlite", "postgresql")


def postgres_available() -> bool:
    return bool(os.environ.get("TEST_DATABASE_URL"))


@contextmanager
def throwaway_database(backend: str, tmp_dir: Path, name: str) -> Iterator[str]:
    """Yield the URL of an empty database that is removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / f'{name}-{uuid.uuid4().hex[:8]}.db'}"
        return
    admin_url = make_url(os.environ["TEST_DATABASE_URL"])
    if admin_url.drivername == "postgresql":
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    db_name = f"t_{name}_{uuid.uuid4().hex[:10]}".lower()
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{db_name}"')
    try:
        yield admin_url.set(database=db_name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.dispose()
