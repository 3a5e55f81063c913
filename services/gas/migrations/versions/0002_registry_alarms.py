"""Venues, devices, device events, alarms, valve commands.

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
        "venues",
        sa.Column("venue_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("town", sa.String(64), nullable=False),
        sa.Column("contact", sa.String(100), nullable=False),
        sa.Column("first_lel", sa.Float, nullable=False),
        sa.Column("second_lel", sa.Float, nullable=False),
        sa.Column("sustain", sa.Integer, nullable=False),
    )
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("venue_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("serial", sa.String(100), nullable=False),
        sa.Column("installed_on", sa.Date, nullable=True),
        sa.Column("last_inspected_on", sa.Date, nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fault", sa.String(40), nullable=False),
        sa.Column("valve_state", sa.String(8), nullable=False),
    )
    op.create_index("ix_devices_venue", "devices", ["venue_id"])
    op.create_table(
        "device_events",
        sa.Column("device_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("type", sa.String(12), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("device_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "alarms",
        sa.Column("alarm_id", sa.String(36), primary_key=True),
        sa.Column("venue_id", sa.String(64), nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("critical", sa.Boolean, nullable=False),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_alarms_venue_active", "alarms", ["venue_id", "active"])
    op.create_table(
        "commands",
        sa.Column("command_id", sa.String(36), primary_key=True),
        sa.Column("valve_id", sa.String(64), nullable=False),
        sa.Column("venue_id", sa.String(64), nullable=False),
        sa.Column("alarm_id", sa.String(36), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_commands_valve_status", "commands", ["valve_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_commands_valve_status", table_name="commands")
    op.drop_table("commands")
    op.drop_index("ix_alarms_venue_active", table_name="alarms")
    op.drop_table("alarms")
    op.drop_table("device_events")
    op.drop_index("ix_devices_venue", table_name="devices")
    op.drop_table("devices")
    op.drop_table("venues")
