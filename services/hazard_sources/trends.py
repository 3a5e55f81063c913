"""Raw readings as Parquet in S3, and trend queries over them with DuckDB.

At national scale (800 million readings a day) raw readings never sit row by row in the
service's database. Accepted readings are buffered in the process and written every few
seconds as one Parquet file per day and unit:

    s3://hazard-sources-readings/readings/day=YYYY-MM-DD/unit=<unit_id>/<uuid>.parquet

with columns sensor_id, seq, value, at (UTC). A trend query fetches the files of the days it
spans for that unit and lets DuckDB bucket them in time (min, max, average, count per sensor).
What is buffered and not yet written is lost if the process dies (at most one flush
interval); the latest value and every alarm are already in the database by then.
"""

from __future__ import annotations

import io
import logging
import tempfile
import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uuid_utils

from services.chassis.db import Database, as_utc
from services.hazard_sources import handlers

log = logging.getLogger(__name__)

BUCKET = "hazard-sources-readings"
MAX_DAYS = 31


class ReadingBuffer:
    """Accepted readings waiting for the next flush (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: list[tuple[str, str, int, float, datetime]] = []

    def add(self, rows: list[tuple[str, str, int, float, datetime]]) -> None:
        with self._lock:
            self._rows.extend(rows)

    def take(self) -> list[tuple[str, str, int, float, datetime]]:
        with self._lock:
            rows, self._rows = self._rows, []
        return rows

    def give_back(self, rows: list[tuple[str, str, int, float, datetime]]) -> None:
        with self._lock:
            self._rows[:0] = rows


BUFFER = ReadingBuffer()
_stores: dict[int, Any] = {}


def store_for(settings: Any) -> Any:
    """The S3 client of these settings, made on first use (not at import)."""
    from services.chassis.storage import ObjectStore

    key = id(settings)
    if key not in _stores:
        store = ObjectStore(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
        store.ensure_bucket(BUCKET)
        _stores[key] = store
    return _stores[key]


def install(settings: Any) -> None:
    """Have accepted readings buffered for Parquet (once per process)."""
    if BUFFER.add not in handlers.READING_SINKS:
        handlers.READING_SINKS.append(BUFFER.add)


def partition_key(day: str, unit_id: str) -> str:
    return f"readings/day={day}/unit={unit_id}/"


def to_parquet(rows: list[tuple[str, int, float, datetime]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "sensor_id": pa.array([r[0] for r in rows], pa.string()),
            "seq": pa.array([r[1] for r in rows], pa.int64()),
            "value": pa.array([r[2] for r in rows], pa.float64()),
            "at": pa.array([r[3] for r in rows], pa.timestamp("us", tz="UTC")),
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def flush(_database: Database | None, settings: Any) -> int:
    """Write what is buffered, one Parquet file per day and unit. Returns readings written."""
    rows = BUFFER.take()
    if not rows:
        return 0
    groups: dict[tuple[str, str], list[tuple[str, int, float, datetime]]] = defaultdict(list)
    for sensor_id, unit_id, seq, value, at in rows:
        groups[(as_utc(at).date().isoformat(), unit_id)].append((sensor_id, seq, value, at))
    written = 0
    failed: list = []
    store = None
    for (day, unit_id), group in groups.items():
        try:
            store = store or store_for(settings)
            key = partition_key(day, unit_id) + f"{uuid_utils.uuid7()}.parquet"
            store.put_bytes(BUCKET, key, to_parquet(group))
            written += len(group)
        except Exception:
            log.exception(
                "could not write readings of %s on %s; kept for the next flush", unit_id, day
            )
            failed.extend((s, unit_id, q, v, a) for s, q, v, a in group)
    if failed:
        BUFFER.give_back(failed)
    return written


def _days(start: datetime, end: datetime) -> list[str]:
    day, last = start.date(), end.date()
    out = []
    while day <= last:
        out.append(day.isoformat())
        day += timedelta(days=1)
    return out


def trend(
    database: Database,
    settings: Any,
    unit_id: str,
    agency_id: str,
    start: datetime | None,
    end: datetime | None,
    buckets: int,
    town: str = "",
) -> tuple[Any, list, list, list[dict[str, Any]]]:
    """A unit's readings between `start` and `end` (default: the last 24 hours) in `buckets`
    time buckets per sensor, with its sensors (limits) and alarms in that span."""
    import duckdb

    end = end or datetime.now(UTC)
    start = start or end - timedelta(days=1)
    if not start < end or (end - start) > timedelta(days=MAX_DAYS):
        raise handlers.Invalid(f"a trend spans more than nothing and at most {MAX_DAYS} days")
    if not 1 <= buckets <= 1000:
        raise handlers.Invalid("buckets is 1 to 1000")
    unit, _history, sensors = handlers.get_unit(database, unit_id, agency_id, town)
    alarms = [
        a
        for a in handlers.list_alarms(database, agency_id, unit_id, open_only=False)
        if start <= as_utc(a.raised_at) <= end
    ]
    flush(database, settings)  # what this process holds is part of the answer
    store = store_for(settings)
    points: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="trend-") as tmp:
        files = []
        for day in _days(start, end):
            for obj in store.client.list_objects(BUCKET, prefix=partition_key(day, unit_id)):
                path = Path(tmp) / f"{len(files)}.parquet"
                store.client.fget_object(BUCKET, obj.object_name, str(path))
                files.append(str(path))
        if files:
            width_s = max((end - start).total_seconds() / buckets, 1.0)
            con = duckdb.connect()
            try:
                # epoch seconds in and out: DuckDB hands back zoned timestamps only with pytz
                rows = con.execute(
                    """
                    SELECT sensor_id, floor(epoch("at") / $w) * $w AS bucket,
                           min(value), max(value), avg(value), count(*)
                    FROM read_parquet($files)
                    WHERE epoch("at") >= $start AND epoch("at") < $end
                    GROUP BY ALL ORDER BY sensor_id, bucket
                    """,
                    {
                        "w": width_s,
                        "files": files,
                        "start": start.timestamp(),
                        "end": end.timestamp(),
                    },
                ).fetchall()
            finally:
                con.close()
            for sensor_id, bucket, lo, hi, avg, count in rows:
                points.append(
                    {"sensor_id": sensor_id, "at": datetime.fromtimestamp(bucket, UTC),
                     "min": lo, "max": hi,
                     "avg": avg, "count": count}
                )  # fmt: skip
    return unit, sensors, alarms, points
