"""Cases, outbox, inbox.

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
        "cases",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("client_case_id", sa.String(100), nullable=False, unique=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("town", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("party", sa.JSON, nullable=False),
        sa.Column("officers", sa.JSON, nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("location", sa.JSON, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_cases_agency_opened", "cases", ["agency_id", "opened_at", "case_id"])
    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
    op.drop_index("ix_cases_agency_opened", table_name="cases")
    op.drop_table("cases")
