"""Photos of weighings, kept in object storage and checked by SHA-256.

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
        "photos",
        sa.Column("photo_id", sa.String(36), primary_key=True),
        sa.Column("weighing_id", sa.String(36), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("object_key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_photos_weighing", "photos", ["weighing_id"])


def downgrade() -> None:
    op.drop_index("ix_photos_weighing", table_name="photos")
    op.drop_table("photos")
