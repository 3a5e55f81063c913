"""Hazards, their findings, acts and photos, one-time links, public reports, loading-source
counts, and a copy of the official calendar.

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
        "calendar_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("notice_no", sa.String(length=100), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("makeup_days", sa.JSON(), nullable=False),
        sa.Column("entered_by", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("year", "version"),
    )
    op.create_table(
        "hazards",
        sa.Column("hazard_id", sa.String(length=36), nullable=False),
        sa.Column("hazard_no", sa.String(length=80), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("town", sa.String(length=64), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("enterprise_name", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("dup_key", sa.String(length=600), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.String(length=10), nullable=False),
        sa.Column("grading", sa.JSON(), nullable=False),
        sa.Column("rectification_order", sa.JSON(), nullable=True),
        sa.Column("order_due", sa.Date(), nullable=True),
        sa.Column("supervision", sa.JSON(), nullable=True),
        sa.Column("supervision_due", sa.Date(), nullable=True),
        sa.Column("notice_due", sa.Date(), nullable=True),
        sa.Column("escalations", sa.JSON(), nullable=False),
        sa.Column("overdue_sent", sa.JSON(), nullable=False),
        sa.Column("candidate_sent", sa.Boolean(), nullable=False),
        sa.Column("fine_yuan", sa.Integer(), nullable=True),
        sa.Column("decision_no", sa.String(length=80), nullable=True),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("working_days_open", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hazard_id"),
        sa.UniqueConstraint("agency_id", "year", "seq", name="uq_hazards_number"),
        sa.UniqueConstraint("hazard_no"),
    )
    op.create_index("ix_hazards_agency_status", "hazards", ["agency_id", "status"], unique=False)
    op.create_index("ix_hazards_dup", "hazards", ["agency_id", "dup_key", "status"], unique=False)
    op.create_table(
        "hazard_counters",
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "year"),
    )
    op.create_table(
        "hazard_findings",
        sa.Column("finding_id", sa.String(length=36), nullable=False),
        sa.Column("hazard_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("finding_id"),
        sa.UniqueConstraint("source", "source_ref", name="uq_findings_source"),
    )
    op.create_index(
        op.f("ix_hazard_findings_hazard_id"), "hazard_findings", ["hazard_id"], unique=False
    )
    op.create_table(
        "hazard_acts",
        sa.Column("act_id", sa.String(length=36), nullable=False),
        sa.Column("hazard_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("act_id"),
    )
    op.create_index(op.f("ix_hazard_acts_hazard_id"), "hazard_acts", ["hazard_id"], unique=False)
    op.create_table(
        "hazard_photos",
        sa.Column("photo_id", sa.String(length=36), nullable=False),
        sa.Column("owner_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("object_key", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("photo_id"),
    )
    op.create_index(op.f("ix_hazard_photos_owner_id"), "hazard_photos", ["owner_id"], unique=False)
    op.create_table(
        "rectification_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hazard_id", sa.String(length=36), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index(
        op.f("ix_rectification_links_hazard_id"), "rectification_links", ["hazard_id"], unique=False
    )
    op.create_table(
        "hazard_reports",
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("town", sa.String(length=64), nullable=False),
        sa.Column("what", sa.String(length=2000), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("enterprise_name", sa.String(length=200), nullable=False),
        sa.Column("reporter_sealed", sa.Text(), nullable=True),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("device_key", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hazard_id", sa.String(length=36), nullable=True),
        sa.Column("verified_by", sa.String(length=64), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opinion", sa.String(length=2000), nullable=True),
        sa.Column("matter", sa.String(length=24), nullable=True),
        sa.Column("reward_eligible", sa.Boolean(), nullable=True),
        sa.Column("reward_yuan", sa.Integer(), nullable=True),
        sa.Column("reward_rule", sa.String(length=300), nullable=True),
        sa.Column("reward_paid_on", sa.Date(), nullable=True),
        sa.Column("reward_voucher", sa.String(length=100), nullable=True),
        sa.Column("reward_paid_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("report_id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index(
        op.f("ix_hazard_reports_hazard_id"), "hazard_reports", ["hazard_id"], unique=False
    )
    op.create_index(
        op.f("ix_hazard_reports_received_at"), "hazard_reports", ["received_at"], unique=False
    )
    op.create_index(
        "ix_reports_address", "hazard_reports", ["address_key", "received_at"], unique=False
    )
    op.create_index(
        "ix_reports_device", "hazard_reports", ["device_key", "received_at"], unique=False
    )
    op.create_table(
        "loading_source_hits",
        sa.Column("weighing_id", sa.String(length=64), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.String(length=64), nullable=False),
        sa.Column("town", sa.String(length=64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("weighing_id"),
    )
    op.create_index(
        op.f("ix_loading_source_hits_credit_code"),
        "loading_source_hits",
        ["credit_code"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("loading_source_hits")
    op.drop_table("hazard_reports")
    op.drop_table("rectification_links")
    op.drop_table("hazard_photos")
    op.drop_table("hazard_acts")
    op.drop_table("hazard_findings")
    op.drop_table("hazard_counters")
    op.drop_table("hazards")
    op.drop_table("calendar_years")
