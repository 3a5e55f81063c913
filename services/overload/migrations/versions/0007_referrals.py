"""Referrals (抄告/移送) to the competent agency and their acknowledgement.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referrals",
        sa.Column("referral_id", sa.String(36), primary_key=True),
        sa.Column("inspection_id", sa.String(36), nullable=False),
        sa.Column("weighing_id", sa.String(36), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("plate", sa.String(12), nullable=False),
        sa.Column("to_power", sa.String(24), nullable=False),
        sa.Column("to_agency", sa.String(200), nullable=False),
        sa.Column("matters", sa.JSON, nullable=False),
        sa.Column("basis", sa.JSON, nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("photo_keys", sa.JSON, nullable=False),
        sa.Column("own_fine_yuan", sa.Integer, nullable=False),
        sa.Column("own_fine_basis", sa.String(500), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sent_on", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("acknowledged_on", sa.Date, nullable=True),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("acknowledgement_ref", sa.String(100), nullable=True),
        sa.UniqueConstraint("inspection_id", "to_power", name="uq_referrals_inspection_power"),
    )
    op.create_index("ix_referrals_agency_due", "referrals", ["agency_id", "due_date"])


def downgrade() -> None:
    op.drop_index("ix_referrals_agency_due", table_name="referrals")
    op.drop_table("referrals")
