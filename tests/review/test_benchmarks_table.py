"""The benchmarks the migrations seed are the ones the code names, row for row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.review import db
from services.review.domain.benchmarks import DEFAULT_BENCHMARKS

pytestmark = pytest.mark.integration


def test_the_migrated_benchmarks_are_the_default_table(review_db):
    with review_db.read() as conn:
        stored = {
            (b.benchmark_id, b.version): b
            for b in (db.benchmark(conn, d.benchmark_id, "") for d in DEFAULT_BENCHMARKS)
        }
        count = conn.execute(sa.select(sa.func.count()).select_from(db.benchmarks))
        assert count.scalar_one() == len(DEFAULT_BENCHMARKS)
    assert stored == {(b.benchmark_id, b.version): b for b in DEFAULT_BENCHMARKS}
