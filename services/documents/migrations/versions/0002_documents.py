"""Documents, their number counters, case files, a copy of the official calendar.

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
        "calendar_years",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("notice_no", sa.String(100), nullable=False),
        sa.Column("holidays", sa.JSON, nullable=False),
        sa.Column("makeup_days", sa.JSON, nullable=False),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("document_id", sa.String(36), primary_key=True),
        sa.Column("client_document_id", sa.String(100), nullable=False, unique=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(64), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("case_no", sa.String(64), nullable=False),
        sa.Column("party_name", sa.String(200), nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("object_key", sa.String(300), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("earlier_sha256", sa.JSON, nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_id", sa.String(36), nullable=True),
        sa.Column("service", sa.JSON, nullable=True),
        sa.Column("deadlines", sa.JSON, nullable=False),
        sa.Column("signatures", sa.JSON, nullable=False),
    )
    op.create_index("ix_documents_case", "documents", ["case_id", "issued_at"])
    op.create_table(
        "number_counters",
        sa.Column("agency_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "case_files",
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("agency_id", sa.String(64), nullable=False),
        sa.Column("object_key", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("retention", sa.String(16), nullable=False),
        sa.Column("retain_until", sa.Date, nullable=True),
        sa.Column("object_locked", sa.Boolean, nullable=False),
        sa.Column("assembled_by", sa.String(64), nullable=False),
        sa.Column("assembled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry_id", sa.String(36), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("case_files")
    op.drop_table("number_counters")
    op.drop_index("ix_documents_case", "documents")
    op.drop_table("documents")
    op.drop_table("calendar_years")
