"""Shared rate limits as one row per key holding its recent event times, so that a check and
its count are one statement (INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING): replicas
racing at the limit no longer let one or two more through. Replaces `rate_limit_hits` (one row
per event); the events it held are at most one window old and are not carried over.

Revision ID: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_windows",
        sa.Column("bucket", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column(
            "hits",
            sa.JSON().with_variant(postgresql.ARRAY(sa.Float(precision=53)), "postgresql"),
            nullable=False,
        ),
    )
    op.drop_index("ix_rate_limit_hits_bucket_key_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")


def downgrade() -> None:
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("bucket", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.Float(precision=53), nullable=False),
    )
    op.create_index("ix_rate_limit_hits_bucket_key_at", "rate_limit_hits", ["bucket", "key", "at"])
    op.drop_table("rate_limit_windows")
