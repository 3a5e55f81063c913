"""Device credentials belong to an agency, whose admins provision, rotate and revoke them.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device_credentials") as batch:
        batch.add_column(sa.Column("agency_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device_credentials") as batch:
        batch.drop_column("agency_id")
