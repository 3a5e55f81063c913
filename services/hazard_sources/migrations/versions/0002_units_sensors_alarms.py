"""Units with their gradings, sensors, alarms.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("unit_id", sa.String(64), primary_key=True),
        sa.Column("enterprise_id", sa.String(64), nullable=False),
        sa.Column("enterprise_name", sa.String(200), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("town", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("holdings", sa.JSON, nullable=False),
        sa.Column("people_within_500m", sa.Integer, nullable=False),
        sa.Column("chain", sa.JSON, nullable=False),
        sa.Column("grading", sa.JSON, nullable=False),
    )
    op.create_index("ix_units_agency", "units", ["agency_id"])
    op.create_table(
        "gradings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("grading", sa.JSON, nullable=False),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_gradings_unit", "gradings", ["unit_id"])
    op.create_table(
        "sensors",
        sa.Column("sensor_id", sa.String(64), primary_key=True),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("quantity", sa.String(16), nullable=False),
        sa.Column("unit_of_measure", sa.String(16), nullable=False),
        sa.Column("limits", sa.JSON, nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=True),
        sa.Column("readings_taken", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_value", sa.Float, nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("watched_since", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sensors_unit", "sensors", ["unit_id"])
    op.create_table(
        "alarms",
        sa.Column("alarm_id", sa.String(36), primary_key=True),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("sensor_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("notified", sa.JSON, nullable=False),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(64), nullable=True),
        sa.Column("handled_reason", sa.String(500), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_alarms_sensor_open", "alarms", ["sensor_id", "kind", "open"])
    op.create_index("ix_alarms_unit_open", "alarms", ["unit_id", "open"])
    op.create_index("ix_alarms_open_raised", "alarms", ["open", "raised_at"])


def downgrade() -> None:
    for table in ("alarms", "sensors", "gradings", "units"):
        op.drop_table(table)
