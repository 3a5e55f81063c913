"""Art. 44 reports to the vehicle's home authority.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("report_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False, unique=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("weighing_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("plate", sa.String(12), nullable=False),
        sa.Column("closed_on", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("sent_on", sa.Date, nullable=True),
        sa.Column("sent_by", sa.String(64), nullable=True),
    )
    op.create_index("ix_reports_agency_due", "reports", ["agency_id", "due_date"])


def downgrade() -> None:
    op.drop_index("ix_reports_agency_due", table_name="reports")
    op.drop_table("reports")
