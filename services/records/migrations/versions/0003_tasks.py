"""Inspection tasks made from other services' events.

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
        "tasks",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("town", sa.String(64), nullable=False),
        sa.Column("domain", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("party", sa.JSON, nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("source_topic", sa.String(100), nullable=False),
        sa.Column("source_ref", sa.String(100), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source_topic", "source_ref", name="uq_tasks_source"),
    )
    op.create_index("ix_tasks_agency_status", "tasks", ["agency_id", "status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_agency_status", table_name="tasks")
    op.drop_table("tasks")
