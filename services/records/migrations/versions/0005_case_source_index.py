"""Cases found by their source event: the consumer looks a case up before opening one.

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_source", "cases", ["source_topic", "source_ref"])


def downgrade() -> None:
    op.drop_index("ix_cases_source", table_name="cases")
