"""The liveness sweep: an unprotected venue is announced once, after the grace period."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from enforcement.gas.v1 import gas_events_pb2, gas_pb2
from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import parse_envelope, unpack
from services.gas import db, handlers, protection

from .test_ingest import MIGRATIONS, ev

pytestmark = pytest.mark.integration


@pytest.fixture
def gas_db(db_url):
    engine = make_engine(db_url)
    migrate(engine, MIGRATIONS)
    database = Database(engine)
    handlers.upsert_venue(
        database, gas_pb2.Venue(venue_id="v-bbq", name="烧烤店", agency_id="a", town="t")
    )
    handlers.upsert_device(
        database, gas_pb2.Device(device_id="d-1", venue_id="v-bbq", kind="gas_detector")
    )
    yield database
    database.dispose()


def announcements(database) -> list[gas_events_pb2.VenueUnprotected]:
    with database.read() as conn:
        rows = conn.execute(
            sa.select(db.outbox.c.payload).where(db.outbox.c.topic == protection.TOPIC)
        ).all()
    return [unpack(parse_envelope(r.payload), gas_events_pb2.VenueUnprotected) for r in rows]


def test_a_venue_without_a_valve_is_announced_once_after_the_grace(gas_db):
    handlers.ingest(gas_db, "d-1", [ev("heartbeat")])
    assert protection.sweep(gas_db) == 0  # unprotected from now, within the grace
    assert protection.sweep(gas_db, grace=timedelta(0)) == 1
    assert protection.sweep(gas_db, grace=timedelta(0)) == 0
    [event] = announcements(gas_db)
    assert event.venue_name == "烧烤店" and event.reasons == ["no shut-off valve installed"]


def test_protection_restored_ends_the_spell(gas_db):
    handlers.ingest(gas_db, "d-1", [ev("heartbeat")])
    protection.sweep(gas_db)
    handlers.upsert_device(
        gas_db, gas_pb2.Device(device_id="valve-9", venue_id="v-bbq", kind="shutoff_valve")
    )
    handlers.ingest(gas_db, "valve-9", [ev("heartbeat")])
    protection.sweep(gas_db, grace=timedelta(0))
    with gas_db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(db.protection)).scalar_one() == 0
    assert announcements(gas_db) == []
