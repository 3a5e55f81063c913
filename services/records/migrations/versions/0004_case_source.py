"""Where a case came from: the event of the inspection task it took up.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("source_topic", sa.String(100), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("source_ref", sa.String(100), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("source_ref")
        batch.drop_column("source_topic")
