"""Discretion benchmark for a truck over the dimensions only (62号令 Art. 43(1)(一)).

Frozen here as it was added; tests check it matches DEFAULT_BENCHMARKS.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ROWS = [
    {
        "benchmark_id": "jt62-43-size",
        "version": 1,
        "violation_type": "overlimit-dimensions",
        "title": "车货外廓尺寸超过限定标准 (违法超限运输)",
        "legal_basis": "《公路安全保护条例》第六十四条；"
        "《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第四十三条第一款第(一)项",
        "legal_min_yuan": 0,
        "legal_max_yuan": 3_000,
        "bands": [["minor", 0, 200], ["ordinary", 200, 1_000], ["serious", 1_000, 3_000]],
    },
]


def _table() -> sa.TableClause:
    return sa.table(
        "benchmarks",
        sa.column("benchmark_id", sa.String),
        sa.column("version", sa.Integer),
        sa.column("violation_type", sa.String),
        sa.column("title", sa.String),
        sa.column("legal_basis", sa.String),
        sa.column("legal_min_yuan", sa.BigInteger),
        sa.column("legal_max_yuan", sa.BigInteger),
        sa.column("bands", sa.JSON),
    )


def upgrade() -> None:
    op.bulk_insert(_table(), ROWS)


def downgrade() -> None:
    table = _table()
    op.execute(
        table.delete().where(
            table.c.version == 1, table.c.benchmark_id.in_([r["benchmark_id"] for r in ROWS])
        )
    )
