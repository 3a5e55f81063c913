"""How batches add up: a leak reported one reading per post still raises the alarm, and a
batch that is partly a resend stores only its new events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from enforcement.gas.v1 import gas_pb2
from services.chassis.db import Database, make_engine, migrate
from services.gas import db, handlers

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "gas" / "migrations"


@pytest.fixture
def gas_db(db_url):
    engine = make_engine(db_url)
    migrate(engine, MIGRATIONS)
    database = Database(engine)
    handlers.upsert_venue(
        database,
        gas_pb2.Venue(
            venue_id="v-wok", name="小炒店", agency_id="a", town="t",
            first_lel=20, second_lel=40, sustain=3,
        ),
    )  # fmt: skip
    for device_id, kind in (
        ("det-1", "gas_detector"),
        ("det-2", "gas_detector"),
        ("valve-1", "shutoff_valve"),
    ):
        handlers.upsert_device(
            database, gas_pb2.Device(device_id=device_id, venue_id="v-wok", kind=kind)
        )
    yield database
    database.dispose()


def reading(seq: int, lel: float) -> gas_pb2.DeviceEvent:
    e = gas_pb2.DeviceEvent(seq=seq, type="reading", lel=lel)
    e.device_time.FromDatetime(datetime.now(UTC))
    return e


def active_alarms(database) -> int:
    return len(handlers.list_alarms(database, agency_id="a", town=None, active_only=True))


def test_three_sustained_readings_in_three_posts_raise_the_alarm_and_close_the_valve(gas_db):
    handlers.ingest(gas_db, "det-1", [reading(1, 21)])
    handlers.ingest(gas_db, "det-1", [reading(2, 24)])
    assert active_alarms(gas_db) == 0
    handlers.ingest(gas_db, "det-1", [reading(3, 27)])
    assert active_alarms(gas_db) == 1
    _, _, commands = handlers.ingest(
        gas_db, "valve-1", [gas_pb2.DeviceEvent(seq=1, type="heartbeat")]
    )
    assert len(commands) == 1


def test_readings_of_two_detectors_of_the_venue_count_together(gas_db):
    handlers.ingest(gas_db, "det-1", [reading(10, 22)])
    handlers.ingest(gas_db, "det-2", [reading(10, 23)])
    handlers.ingest(gas_db, "det-1", [reading(11, 25)])
    assert active_alarms(gas_db) == 1


def test_a_clean_reading_between_posts_breaks_the_streak(gas_db):
    handlers.ingest(gas_db, "det-1", [reading(20, 22), reading(21, 23)])
    handlers.ingest(gas_db, "det-2", [reading(20, 3)])
    handlers.ingest(gas_db, "det-1", [reading(22, 25)])
    assert active_alarms(gas_db) == 0


def test_a_partly_resent_batch_stores_only_its_new_events(gas_db):
    assert handlers.ingest(gas_db, "det-1", [reading(30, 2), reading(31, 3)])[:2] == (2, 0)
    batch = [reading(31, 3), reading(32, 4), reading(30, 2), reading(33, 5)]
    assert handlers.ingest(gas_db, "det-1", batch)[:2] == (2, 2)
    with gas_db.read() as conn:
        seqs = conn.execute(
            sa.select(db.device_events.c.seq).where(db.device_events.c.device_id == "det-1")
        ).scalars()
        assert sorted(seqs) == [30, 31, 32, 33]
