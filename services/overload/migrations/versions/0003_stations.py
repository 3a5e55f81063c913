"""Stations and their scales.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stations",
        sa.Column("station_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("town", sa.String(64), nullable=False),
        sa.Column("scale_kind", sa.String(8), nullable=False),
        sa.Column("accuracy_class", sa.String(4), nullable=False),
        sa.Column("interval_kg", sa.Integer, nullable=False),
        sa.Column("verified_on", sa.Date, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("stations")
