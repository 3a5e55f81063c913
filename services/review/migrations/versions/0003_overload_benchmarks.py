"""Discretion benchmarks for truck overload (超限超载, 一超四罚), version 1.

Frozen here as they were added; tests check they match DEFAULT_BENCHMARKS.

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ROWS = [
    {
        "benchmark_id": "jt62-43-overlimit",
        "version": 1,
        "violation_type": "overlimit-transport",
        "title": "车货总质量超过限定标准 (违法超限运输)",
        "legal_basis": "《公路安全保护条例》第六十四条；"
        "《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第四十三条第一款第(二)项",
        "legal_min_yuan": 0,
        "legal_max_yuan": 30_000,
        "bands": [["minor", 500, 30_000], ["ordinary", 500, 30_000], ["serious", 500, 30_000]],
    },
    {
        "benchmark_id": "rtsl-92-overload",
        "version": 1,
        "violation_type": "overload-rated-load",
        "title": "货运机动车超过核定载质量 (超载)",
        "legal_basis": "《中华人民共和国道路交通安全法》第九十二条第二款",
        "legal_min_yuan": 200,
        "legal_max_yuan": 2_000,
        "bands": [["minor", 200, 500], ["ordinary", 500, 1_000], ["serious", 1_000, 2_000]],
    },
    {
        "benchmark_id": "gl-68-instigation",
        "version": 1,
        "violation_type": "overload-instigation",
        "title": "指使、强令车辆驾驶人超限运输货物 (道路运输企业、货运源头单位)",
        "legal_basis": "《公路安全保护条例》第六十八条；"
        "《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第五十四条",
        "legal_min_yuan": 0,
        "legal_max_yuan": 30_000,
        "bands": [["minor", 0, 10_000], ["ordinary", 10_001, 20_000], ["serious", 20_001, 30_000]],
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
