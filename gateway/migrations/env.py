from alembic import context

from gateway.db import metadata
from services.chassis.alembic_env import run_migrations

run_migrations(context, metadata)
