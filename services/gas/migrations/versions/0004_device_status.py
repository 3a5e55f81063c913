"""Each device's last reported status (online, offline, fault) and when it changed.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("status", sa.String(12), nullable=False, server_default=""))
        batch.add_column(sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_devices_status_changed", ["status_changed_at"])


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_index("ix_devices_status_changed")
        batch.drop_column("status_changed_at")
        batch.drop_column("status")
