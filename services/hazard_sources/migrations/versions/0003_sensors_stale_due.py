"""Sensors: when their stale alarm can be due, indexed, so the sweep reads only those.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sensors", sa.Column("stale_due_at", sa.DateTime(timezone=True), nullable=True))
    # Every sensor is due at once: the first sweep looks at each and stores its real due time.
    op.execute("UPDATE sensors SET stale_due_at = watched_since")
    op.create_index("ix_sensors_stale_due", "sensors", ["stale_due_at"])


def downgrade() -> None:
    op.drop_index("ix_sensors_stale_due", table_name="sensors")
    with op.batch_alter_table("sensors") as batch:
        batch.drop_column("stale_due_at")
