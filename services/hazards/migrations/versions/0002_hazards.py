"""Hazards, their findings, acts and photos, one-time links, public reports, loading-source
counts, and a copy of the official calendar.

Revision ID: 0002
"""

from alembic import op

from services.hazards.db import metadata

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = (
    "calendar_years",
    "hazards",
    "hazard_counters",
    "hazard_findings",
    "hazard_acts",
    "hazard_photos",
    "rectification_links",
    "hazard_reports",
    "loading_source_hits",
)


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        metadata.tables[name].create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for name in reversed(TABLES):
        metadata.tables[name].drop(bind)
