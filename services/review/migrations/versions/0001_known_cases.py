"""Known cases, outbox, inbox.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from services.chassis.messaging_tables import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "known_cases",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("town", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(40), nullable=False),
        sa.Column("officer_ids", sa.JSON, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
    op.drop_table("known_cases")
