"""Rate limits and live-stream caps in the database, shared by every gateway replica, and
the process that runs an idempotency key's request (issue 20).

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("bucket", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.Float(precision=53), nullable=False),
    )
    op.create_index("ix_rate_limit_hits_bucket_key_at", "rate_limit_hits", ["bucket", "key", "at"])
    op.create_table(
        "stream_slots",
        sa.Column("slot_id", sa.String(36), primary_key=True),
        sa.Column("user_key", sa.String(200), nullable=False),
        sa.Column("until", sa.Float(precision=53), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
    )
    op.create_index("ix_stream_slots_user_key", "stream_slots", ["user_key"])
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("owner", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("owner")
    op.drop_index("ix_stream_slots_user_key", table_name="stream_slots")
    op.drop_table("stream_slots")
    op.drop_index("ix_rate_limit_hits_bucket_key_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
