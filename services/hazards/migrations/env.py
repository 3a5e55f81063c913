from alembic import context

from services.chassis.alembic_env import run_migrations
from services.hazards.db import metadata

run_migrations(context, metadata)
