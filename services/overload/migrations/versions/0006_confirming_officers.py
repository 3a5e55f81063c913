"""Confirmation on site: the static weighing it rests on and the officers who confirmed it.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.add_column(sa.Column("static_weighing_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("confirmed_by", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inspections") as batch:
        batch.drop_column("confirmed_by")
        batch.drop_column("static_weighing_id")
