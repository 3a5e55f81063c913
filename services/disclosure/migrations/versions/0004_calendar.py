"""A copy of the official calendar's years; whether a disclosure's due date is provisional.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("notice_no", sa.String(100), nullable=False),
        sa.Column("holidays", sa.JSON, nullable=False),
        sa.Column("makeup_days", sa.JSON, nullable=False),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
    )
    with op.batch_alter_table("disclosures") as batch:
        batch.add_column(
            sa.Column("due_provisional", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("disclosures") as batch:
        batch.drop_column("due_provisional")
    op.drop_table("calendar_years")
