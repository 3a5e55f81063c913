"""Reviewers, conflicts, discretion benchmarks (seeded with version 1), review tasks.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

from services.review.domain.benchmarks import DEFAULT_BENCHMARKS

# The rows this revision seeded; later rows come with their own revisions.
SEEDED = ("aq-101-major-hazard", "aq-102-hidden-danger", "aq-99-safety-equipment", "aq-97-training")

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviewers",
        sa.Column("reviewer_id", sa.String(64), primary_key=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "conflicts",
        sa.Column("reviewer_id", sa.String(64), primary_key=True),
        sa.Column("party_key", sa.String(200), primary_key=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
    )
    benchmarks = op.create_table(
        "benchmarks",
        sa.Column("benchmark_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("violation_type", sa.String(64), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("legal_basis", sa.String(300), nullable=False),
        sa.Column("legal_min_yuan", sa.BigInteger, nullable=False),
        sa.Column("legal_max_yuan", sa.BigInteger, nullable=False),
        sa.Column("bands", sa.JSON, nullable=False),
    )
    op.bulk_insert(
        benchmarks,
        [
            {
                "benchmark_id": b.benchmark_id,
                "version": b.version,
                "violation_type": b.violation_type,
                "title": b.title,
                "legal_basis": b.legal_basis,
                "legal_min_yuan": b.legal_min_yuan,
                "legal_max_yuan": b.legal_max_yuan,
                "bands": [[x.circumstance, x.low_yuan, x.high_yuan] for x in b.bands],
            }
            for b in DEFAULT_BENCHMARKS
            if b.benchmark_id in SEEDED
        ],
    )
    op.create_table(
        "review_tasks",
        sa.Column("review_id", sa.String(36), primary_key=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("proposal_id", sa.String(36), nullable=False, unique=True),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("town", sa.String(64), nullable=False),
        sa.Column("case_title", sa.String(200), nullable=False),
        sa.Column("party", sa.JSON, nullable=False),
        sa.Column("officer_ids", sa.JSON, nullable=False),
        sa.Column("proposal", sa.JSON, nullable=False),
        sa.Column("major", sa.Boolean, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("placement", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reviewer_id", sa.String(64), nullable=True),
        sa.Column("checklist", sa.JSON, nullable=True),
        sa.Column("opinion", sa.Text, nullable=True),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.Column("extended", sa.Boolean, nullable=False),
        sa.Column("extension_reason", sa.String(500), nullable=True),
        sa.Column("overdue_notified", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_review_tasks_agency_status", "review_tasks", ["agency_id", "status"])
    op.create_index("ix_review_tasks_case", "review_tasks", ["case_id", "round"])


def downgrade() -> None:
    op.drop_index("ix_review_tasks_case", table_name="review_tasks")
    op.drop_index("ix_review_tasks_agency_status", table_name="review_tasks")
    for table in ("review_tasks", "benchmarks", "conflicts", "reviewers"):
        op.drop_table(table)
