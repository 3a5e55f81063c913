"""The full-process record: numbers, entries with their hash chain and Merkle log, tree
heads, penalty proposals, evidence slots, case officers.

Revision ID: 0002
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("case_no", sa.String(80), nullable=True))
        batch.add_column(sa.Column("decision_no", sa.String(80), nullable=True))
        batch.add_column(sa.Column("entry_count", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("head_hash", sa.String(64), nullable=False, server_default=GENESIS)
        )
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("proposal_id", sa.String(36), nullable=True))
        batch.add_column(
            sa.Column("review_status", sa.String(20), nullable=False, server_default="")
        )
        batch.create_unique_constraint("uq_cases_case_no", ["case_no"])
        batch.create_unique_constraint("uq_cases_decision_no", ["decision_no"])
    op.create_table(
        "case_officers",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("officer_id", sa.String(64), primary_key=True),
    )
    op.create_index("ix_case_officers_officer", "case_officers", ["officer_id", "case_id"])
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT case_id, officers FROM cases")).all()
    officers = sa.table("case_officers", sa.column("case_id"), sa.column("officer_id"))
    for case_id, raw in rows:
        listed = json.loads(raw) if isinstance(raw, str) else raw
        for officer in listed or []:
            conn.execute(
                officers.insert().values(case_id=case_id, officer_id=officer["officer_id"])
            )
    op.create_table(
        "number_counters",
        sa.Column("agency_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "entries",
        sa.Column("entry_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("leaf_index", sa.BigInteger, nullable=False, unique=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("client_entry_id", sa.String(100), nullable=False, unique=True),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("device_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("server_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delay_s", sa.Float, nullable=False),
        sa.Column("location", sa.Text, nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("corrects_entry_id", sa.String(36), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("case_id", "seq", name="uq_entries_case_seq"),
    )
    op.create_index("ix_entries_actor_time", "entries", ["actor_id", "server_time"])
    op.create_table(
        "log_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("peaks", sa.Text, nullable=False),
    )
    op.execute("INSERT INTO log_state (id, size, peaks) VALUES (1, 0, '[]')")
    op.create_table(
        "tree_heads",
        sa.Column("tree_size", sa.BigInteger, primary_key=True),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("signature", sa.String(120), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "proposals",
        sa.Column("proposal_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("review_status", sa.String(20), nullable=False),
        sa.Column("review", sa.JSON, nullable=True),
        sa.Column("proposed_by", sa.String(64), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("case_id", "round", name="uq_proposals_case_round"),
    )
    op.create_table(
        "evidence_slots",
        sa.Column("slot_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("client_slot_id", sa.String(100), nullable=False, unique=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("object_key", sa.String(200), nullable=False),
        sa.Column("upload_id", sa.String(300), nullable=True),
        sa.Column("part_size", sa.BigInteger, nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("problem", sa.String(300), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_id", sa.String(36), nullable=True),
    )


def downgrade() -> None:
    for table in ("evidence_slots", "proposals", "tree_heads", "log_state"):
        op.drop_table(table)
    op.drop_index("ix_entries_actor_time", table_name="entries")
    op.drop_table("entries")
    op.drop_table("number_counters")
    op.drop_index("ix_case_officers_officer", table_name="case_officers")
    op.drop_table("case_officers")
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("uq_cases_decision_no", type_="unique")
        batch.drop_constraint("uq_cases_case_no", type_="unique")
        for column in (
            "review_status",
            "proposal_id",
            "updated_at",
            "head_hash",
            "entry_count",
            "decision_no",
            "case_no",
        ):
            batch.drop_column(column)
