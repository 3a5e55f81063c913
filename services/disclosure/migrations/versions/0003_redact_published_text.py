"""Redact what was published before redaction read through typing (issue 13 items 2 and 7).

Withdrawal reasons were stored as typed; the record's free-text fields were redacted by the
older patterns. Both go through today's patterns once more (no segmenter here, and the case's
known names are not stored; new publications get both). Redaction leaves redacted text as it
is, so running this again changes nothing.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

from services.disclosure.domain.redaction import redact_text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FREE_TEXT = ("violation_type", "facts", "legal_basis", "penalty_content", "remarks")


def upgrade() -> None:
    conn = op.get_bind()
    table = sa.table(
        "disclosures",
        sa.column("disclosure_id", sa.String),
        sa.column("fields", sa.JSON),
        sa.column("withdrawal_reason", sa.String),
    )
    rows = conn.execute(
        sa.select(table.c.disclosure_id, table.c.fields, table.c.withdrawal_reason)
    ).all()
    for disclosure_id, fields, reason in rows:
        public = [] if fields.get("party_category") == "自然人" else [fields.get("party_name", "")]
        public.append(fields.get("legal_representative", ""))

        def clean(text: str, public=tuple(p for p in public if p)) -> str:
            return redact_text(text, public_names=public) if text else text

        new_fields = {k: clean(v) if k in FREE_TEXT else v for k, v in fields.items()}
        new_reason = clean(reason) if reason else reason
        if new_fields != fields or new_reason != reason:
            conn.execute(
                table.update()
                .where(table.c.disclosure_id == disclosure_id)
                .values(fields=new_fields, withdrawal_reason=new_reason)
            )


def downgrade() -> None:
    pass  # what was removed stays removed
