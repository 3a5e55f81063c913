"""The log's queue of unsequenced leaves: an append commits its entry and a queue row, and the
sequencer (one replica, under a lease) gives it its leaf index later. Entries written from now
on are hashed without their leaf index (format 2); earlier ones keep format 1.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entries") as batch:
        batch.alter_column("leaf_index", existing_type=sa.BigInteger, nullable=True)
        batch.add_column(sa.Column("format", sa.SmallInteger, nullable=False, server_default="1"))
    op.create_table(
        "log_queue",
        # SQLite numbers only an INTEGER PRIMARY KEY by itself
        sa.Column(
            "queue_id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("entry_id", sa.String(36), nullable=False, unique=True),
        sa.Column("leaf_hash", sa.String(64), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_queue")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("format")
        batch.alter_column("leaf_index", existing_type=sa.BigInteger, nullable=False)
