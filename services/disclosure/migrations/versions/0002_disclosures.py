"""Disclosures, withheld decisions, the joint-punishment list, credit repair requests.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("disclosure_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False, unique=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(40), nullable=False),
        sa.Column("decision_no", sa.String(80), nullable=False, unique=True),
        sa.Column("decision_date", sa.Date, nullable=False),
        sa.Column("party_name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("working_days_to_publish", sa.Integer, nullable=False),
        sa.Column("publication_end", sa.Date, nullable=False),
        sa.Column("min_end", sa.Date, nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawal_reason", sa.String(2000), nullable=True),
    )
    op.create_index("ix_disclosures_date", "disclosures", ["decision_date", "disclosure_id"])
    op.create_index("ix_disclosures_credit", "disclosures", ["credit_code", "decision_date"])
    op.create_index("ix_disclosures_party", "disclosures", ["party_name"])
    op.create_table(
        "withheld",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("decision_no", sa.String(80), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "joint_list",
        sa.Column("listing_id", sa.String(36), primary_key=True),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("party_name", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("decision_no", sa.String(80), nullable=False, unique=True),
        sa.Column("listed_on", sa.Date, nullable=False),
        sa.Column("listed_until", sa.Date, nullable=False),
    )
    op.create_index("ix_joint_list_credit", "joint_list", ["credit_code", "listed_until"])
    op.create_table(
        "credit_repairs",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("disclosure_id", sa.String(36), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("approved", sa.Boolean, nullable=False),
        sa.Column("decision", sa.String(500), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("credit_repairs")
    op.drop_index("ix_joint_list_credit", table_name="joint_list")
    op.drop_table("joint_list")
    op.drop_table("withheld")
    for index in ("ix_disclosures_party", "ix_disclosures_credit", "ix_disclosures_date"):
        op.drop_index(index, table_name="disclosures")
    op.drop_table("disclosures")
