"""Users, refresh tokens, device credentials, nonces, idempotency keys.

Revision ID: 0001
"""

from alembic import op

from gateway.db import TABLE_NAMES, _columns

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in TABLE_NAMES:
        op.create_table(name, *_columns(name))
    op.create_index("ix_refresh_tokens_user_id", "refresh_tokens", ["user_id"])
    op.create_index("ix_device_nonces_seen_at", "device_nonces", ["seen_at"])


def downgrade() -> None:
    for name in reversed(TABLE_NAMES):
        op.drop_table(name)
