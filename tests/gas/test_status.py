"""Device status changes announced on Kafka, and coverage per town/street."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from enforcement.gas.v1 import gas_events_pb2, gas_pb2
from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import parse_envelope, unpack
from services.gas import coverage, db, handlers, protection
from services.gas.domain.liveness import DeviceKind, DeviceStatus, Gap, device_status, gaps

from .test_ingest import MIGRATIONS, ev

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def dev(kind: DeviceKind, seen_s_ago: float | None, fault: str = "") -> DeviceStatus:
    seen = None if seen_s_ago is None else NOW - timedelta(seconds=seen_s_ago)
    return DeviceStatus(f"{kind}-{seen_s_ago}-{fault}", kind, seen, fault)


D, V = DeviceKind.detector, DeviceKind.valve


@pytest.mark.unit
@pytest.mark.parametrize(
    ("devices", "expected"),
    [
        ([dev(D, 10), dev(V, 10)], []),
        ([], [Gap.no_detector, Gap.no_valve]),
        ([dev(D, 10)], [Gap.no_valve]),
        ([dev(D, 181), dev(V, 10)], [Gap.detector_offline]),  # 3 missed 60 s heartbeats
        ([dev(D, 179), dev(V, 10)], []),
        ([dev(D, 10, "line-short"), dev(V, None)], [Gap.detector_fault, Gap.valve_offline]),
        # One working detector of two is enough: a faulty one does not stop the other's alarms.
        ([dev(D, 10, "power"), dev(D, 5), dev(V, 10)], []),
        (
            [dev(D, 500), dev(D, 10, "battery"), dev(V, 1)],
            [Gap.detector_offline, Gap.detector_fault],
        ),
    ],
)
def test_gaps_name_every_missing_safeguard(devices, expected):
    assert gaps(devices, NOW) == expected


@pytest.mark.unit
def test_a_fault_wins_over_being_online():
    assert device_status(dev(D, 1, "sensor"), NOW) == "fault"
    assert device_status(dev(D, 1), NOW) == "online"
    assert device_status(dev(D, None), NOW) == "offline"


@pytest.fixture
def gas_db(db_url):
    engine = make_engine(db_url)
    migrate(engine, MIGRATIONS)
    database = Database(engine)
    for venue_id, town in (("v-a", "薛家镇"), ("v-b", "薛家镇"), ("v-c", "三井街道")):
        handlers.upsert_venue(
            database,
            gas_pb2.Venue(venue_id=venue_id, name=venue_id, agency_id="xb", town=town),
        )
    for device_id, venue_id, kind in (
        ("det-a", "v-a", "gas_detector"),
        ("valve-a", "v-a", "shutoff_valve"),
        ("det-b", "v-b", "gas_detector"),
        ("det-c", "v-c", "gas_detector"),
        ("valve-c", "v-c", "shutoff_valve"),
    ):
        handlers.upsert_device(
            database, gas_pb2.Device(device_id=device_id, venue_id=venue_id, kind=kind)
        )
    yield database
    database.dispose()


def announced(database) -> list[gas_events_pb2.DeviceStatusChanged]:
    with database.read() as conn:
        rows = conn.execute(
            sa.select(db.outbox.c.payload)
            .where(db.outbox.c.topic == protection.STATUS_TOPIC)
            .order_by(db.outbox.c.id)
        ).all()
    return [unpack(parse_envelope(r.payload), gas_events_pb2.DeviceStatusChanged) for r in rows]


def age(database, device_id: str, seconds: float) -> None:
    """Pretend the device was last heard `seconds` ago."""
    with database.unit_of_work() as uow:
        uow.conn.execute(
            db.devices.update()
            .where(db.devices.c.device_id == device_id)
            .values(last_seen=datetime.now(UTC) - timedelta(seconds=seconds))
        )
        uow.commit()


@pytest.mark.integration
def test_offline_fault_and_return_are_announced_once_each(gas_db):
    for device in ("det-a", "valve-a"):
        handlers.ingest(gas_db, device, [ev("heartbeat")])
    assert protection.device_statuses(gas_db) == 0  # first sight is recorded, not announced
    assert protection.device_statuses(gas_db) == 0

    age(gas_db, "valve-a", 181)
    handlers.ingest(gas_db, "det-a", [ev("fault", fault="line-open")])
    assert protection.device_statuses(gas_db) == 2
    assert protection.device_statuses(gas_db) == 0  # nothing new: nothing repeated

    handlers.ingest(gas_db, "valve-a", [ev("heartbeat")])
    handlers.ingest(gas_db, "det-a", [ev("fault", fault="")])
    assert protection.device_statuses(gas_db) == 2
    seen = [(e.device_id, e.previous, e.status, e.fault) for e in announced(gas_db)]
    assert sorted(seen[:2]) == [
        ("det-a", "online", "fault", "line-open"),
        ("valve-a", "online", "offline", ""),
    ]
    assert sorted(seen[2:]) == [
        ("det-a", "fault", "online", ""),
        ("valve-a", "offline", "online", ""),
    ]
    [first] = [e for e in announced(gas_db) if e.device_id == "det-a"][:1]
    assert first.town == "薛家镇" and first.kind == "gas_detector" and first.venue_name == "v-a"


@pytest.mark.integration
def test_a_fault_on_a_device_never_seen_before_is_announced(gas_db):
    handlers.ingest(gas_db, "det-b", [ev("fault", fault="power")])
    assert protection.device_statuses(gas_db) == 1
    assert announced(gas_db)[0].status == "fault"


@pytest.mark.integration
def test_coverage_per_town_and_district(gas_db):
    for device in ("det-a", "valve-a", "det-c"):
        handlers.ingest(gas_db, device, [ev("heartbeat")])
    result = coverage.coverage(gas_db, agency_id="xb")
    assert (result.district.registered, result.district.protected) == (3, 1)
    towns = {t.town: t for t in result.towns}
    assert towns["薛家镇"].gaps == {"detector-offline": 1, "no-valve": 1}
    assert towns["三井街道"].gaps == {"valve-offline": 1}
    assert {v[0]: v[3] for v in result.unprotected} == {
        "v-b": ["detector-offline", "no-valve"],
        "v-c": ["valve-offline"],
    }
    only = coverage.coverage(gas_db, agency_id="xb", town="三井街道")
    assert [t.town for t in only.towns] == ["三井街道"] and only.district.registered == 1
    assert coverage.coverage(gas_db, agency_id="other").district.registered == 0


@pytest.mark.integration
def test_the_register_lists_each_venues_devices_with_their_state_now(gas_db):
    handlers.ingest(gas_db, "det-a", [ev("heartbeat")])
    handlers.ingest(gas_db, "det-c", [ev("fault", fault="line-short")])
    age(gas_db, "valve-c", 600)  # silent for 10 minutes: offline, whatever was announced
    venues = handlers.venue_devices(gas_db, agency_id="xb", town=None, venue_id=None)
    assert [v.venue_id for v, _, _ in venues] == ["v-c", "v-a", "v-b"]  # by town, then name
    state = {d.device_id: status for _, devices, _ in venues for d, status in devices}
    assert state == {
        "det-a": "online", "valve-a": "", "det-b": "", "det-c": "fault", "valve-c": "offline",
    }  # fmt: skip
    [(venue, devices, _)] = handlers.venue_devices(
        gas_db, agency_id="xb", town=None, venue_id="v-a"
    )
    assert venue.venue_id == "v-a" and len(devices) == 2
    assert handlers.venue_devices(gas_db, agency_id="other", town=None, venue_id=None) == []
    with pytest.raises(handlers.InvalidEvent):
        handlers.venue_devices(gas_db, agency_id="", town=None, venue_id=None)


@pytest.mark.integration
async def test_a_venue_state_shows_each_device_and_its_gaps(gas_db):
    from services.gas.grpc_api import GasServicer

    class Context:
        async def abort(self, code, details):
            raise AssertionError(f"{code}: {details}")

    handlers.ingest(gas_db, "valve-a", [ev("valve", valve_state="closed")])
    servicer = GasServicer(gas_db)
    reply = await servicer.GetVenueState(
        gas_pb2.GetVenueStateRequest(venue_id="v-a", agency_id="xb", town="薛家镇"), Context()
    )
    by_id = {d.device_id: d for d in reply.devices}
    assert by_id["valve-a"].status == "online" and by_id["valve-a"].valve_state == "closed"
    assert by_id["det-a"].status == "offline" and by_id["det-a"].valve_state == ""
    assert list(reply.gaps) == ["detector-offline"]
    assert reply.venue.name == "v-a"
    with pytest.raises(handlers.NotFound):
        handlers.venue_state(gas_db, "v-a", "xb", "三井街道")  # another town's venue
    with pytest.raises(handlers.NotFound):
        handlers.venue_state(gas_db, "v-a", "other", None)
