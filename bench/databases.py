"""The databases a benchmark runs on: SQLite files, or fresh databases on a PostgreSQL server.

`BENCH_POSTGRES_URL` names the server (an account that may create databases); by default the
PostgreSQL on 127.0.0.1:5432 as `postgres`, used when it answers. Empty: SQLite only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_server() -> str | None:
    """The admin URL of the PostgreSQL server to use, or None when none answers."""
    url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    if not url:
        return None
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
    except Exception as e:
        print(f"PostgreSQL at {make_url(url).render_as_string()} does not answer ({e!r:.200})")
        return None
    return url


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if postgres_server() else ["sqlite"]


@contextmanager
def databases(backend: str, work: Path, names: list[str]) -> Iterator[dict[str, str]]:
    """A URL per name: SQLite files under `work`, or empty PostgreSQL databases dropped after."""
    if backend == "sqlite":
        yield {n: f"sqlite:///{work / f'{n}.db'}" for n in names}
        return
    server = postgres_server()
    if server is None:
        raise RuntimeError("no PostgreSQL server answers")
    admin_url = make_url(server)
    tag = uuid.uuid4().hex[:8]
    made = {n: f"bench_{n.replace('-', '_')}_{tag}" for n in names}
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for db_name in made.values():
                conn.exec_driver_sql(f'CREATE DATABASE "{db_name}"')
        yield {
            n: admin_url.set(database=d).render_as_string(hide_password=False)
            for n, d in made.items()
        }
    finally:
        with admin.connect() as conn:
            for db_name in made.values():
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.dispose()
