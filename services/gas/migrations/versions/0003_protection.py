"""Whether each venue is protected, since when not, and whether that was announced.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "protection",
        sa.Column("venue_id", sa.String(64), primary_key=True),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("announced", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("protection")
