"""The body of every service's `migrations/env.py`.

`migrate()` in services.chassis.db passes an open connection in `config.attributes`; the
alembic CLI (for `alembic revision --autogenerate`) passes `sqlalchemy.url` instead.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def run_migrations(context: Any, metadata: sa.MetaData) -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(context, connection, metadata)
        return
    from services.chassis.db import make_engine

    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(context, conn, metadata)
    engine.dispose()


def _run(context: Any, connection: sa.Connection, metadata: sa.MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
