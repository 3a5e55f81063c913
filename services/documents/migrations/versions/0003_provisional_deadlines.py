"""Deadlines counted through a year without its official calendar are marked, to be recounted
when the year is entered.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(
            sa.Column(
                "deadlines_provisional", sa.Boolean, nullable=False, server_default=sa.false()
            )
        )
    op.create_index(
        "ix_documents_provisional",
        "documents",
        ["deadlines_provisional"],
        postgresql_where=sa.text("deadlines_provisional"),
        sqlite_where=sa.text("deadlines_provisional"),
    )


def downgrade() -> None:
    op.drop_index("ix_documents_provisional", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("deadlines_provisional")
