"""Weighings, inspections, violations.

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
        "inspections",
        sa.Column("inspection_id", sa.String(36), primary_key=True),
        sa.Column("plate", sa.String(12), nullable=False),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("town", sa.String(64), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("last_verdict", sa.JSON, nullable=False),
        sa.Column("hundred_tonne_king", sa.Boolean, nullable=False),
        sa.Column("parties", sa.JSON, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_inspections_plate_status", "inspections", ["plate", "status"])
    op.create_table(
        "weighings",
        sa.Column("weighing_id", sa.String(36), primary_key=True),
        sa.Column("client_weighing_id", sa.String(100), nullable=False, unique=True),
        sa.Column("inspection_id", sa.String(36), nullable=True),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("plate", sa.String(12), nullable=False),
        sa.Column("scale_kind", sa.String(8), nullable=False),
        sa.Column("gross_t", sa.String(16), nullable=False),
        sa.Column("verdict", sa.JSON, nullable=False),
        sa.Column("over_limit", sa.Boolean, nullable=False),
        sa.Column("hundred_tonne_king", sa.Boolean, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("weighed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
    )
    op.create_index("ix_weighings_agency_day", "weighings", ["agency_id", "day", "station_id"])
    op.create_table(
        "violations",
        sa.Column("inspection_id", sa.String(36), primary_key=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("plate", sa.String(12), nullable=False),
        sa.Column("carrier_code", sa.String(18), nullable=False),
        sa.Column("carrier_name", sa.String(200), nullable=False),
        sa.Column("source_code", sa.String(18), nullable=False),
        sa.Column("source_name", sa.String(200), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_violations_plate", "violations", ["plate", "confirmed_at"])


def downgrade() -> None:
    op.drop_index("ix_violations_plate", table_name="violations")
    op.drop_table("violations")
    op.drop_index("ix_weighings_agency_day", table_name="weighings")
    op.drop_table("weighings")
    op.drop_index("ix_inspections_plate_status", table_name="inspections")
    op.drop_table("inspections")
