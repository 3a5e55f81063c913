"""Device events on a real database: alarms raised once, close commands, acknowledgements,
escalation, duplicates and refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from enforcement.gas.v1 import gas_events_pb2, gas_pb2
from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import parse_envelope, unpack
from services.gas import db, handlers
from services.gas.domain.valves import ValvePolicy

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
            venue_id="v-noodle", name="老街面馆", credit_code="914403001922038216",
            agency_id="xinbei-yjj", town="薛家镇", first_lel=20, second_lel=40, sustain=2,
        ),
    )  # fmt: skip
    for device_id, kind in (
        ("det-1", "gas_detector"),
        ("det-2", "gas_detector"),
        ("valve-1", "shutoff_valve"),
    ):
        handlers.upsert_device(
            database, gas_pb2.Device(device_id=device_id, venue_id="v-noodle", kind=kind)
        )
    yield database
    database.dispose()


_seq = iter(range(1, 10**6))


def ev(type_: str, **kw) -> gas_pb2.DeviceEvent:
    e = gas_pb2.DeviceEvent(seq=kw.pop("seq", next(_seq)), type=type_, **kw)
    e.device_time.FromDatetime(datetime.now(UTC))
    return e


def alarm_events(database) -> list[gas_events_pb2.AlarmRaised]:
    with database.read() as conn:
        rows = conn.execute(sa.select(db.outbox.c.payload).order_by(db.outbox.c.id)).all()
    return [unpack(parse_envelope(r.payload), gas_events_pb2.AlarmRaised) for r in rows]


def test_a_leak_raises_one_alarm_the_valve_gets_its_command_and_closes_the_loop(gas_db):
    accepted, dup, _ = handlers.ingest(
        gas_db, "det-1", [ev("reading", lel=25), ev("reading", lel=30)]
    )
    assert (accepted, dup) == (2, 0)
    handlers.ingest(gas_db, "det-1", [ev("reading", lel=33), ev("reading", lel=35)])
    [raised] = alarm_events(gas_db)
    assert raised.level == "level-1" and raised.venue_name == "老街面馆"
    _, _, commands = handlers.ingest(gas_db, "valve-1", [ev("heartbeat")])
    [command] = commands
    _, _, again = handlers.ingest(gas_db, "valve-1", [ev("heartbeat")])
    assert again == []  # delivered a moment ago: not offered again yet
    handlers.ingest(
        gas_db, "valve-1", [ev("valve", valve_state="closed", command_id=command.command_id)]
    )
    with gas_db.read() as conn:
        status = conn.execute(sa.select(db.commands.c.status)).scalar_one()
    assert status == "acknowledged"
    assert handlers.escalate(gas_db, policy=ValvePolicy(confirm_within=timedelta(0))) == 0


def test_a_silent_valve_escalates_the_alarm_to_critical_once(gas_db):
    handlers.ingest(gas_db, "det-1", [ev("alarm", level=2, lel=45)])
    policy = ValvePolicy(confirm_within=timedelta(0))
    assert handlers.escalate(gas_db, policy=policy) == 1
    assert handlers.escalate(gas_db, policy=policy) == 0
    assert [e.level for e in alarm_events(gas_db)] == ["level-2", "critical"]
    [alarm] = handlers.list_alarms(gas_db, agency_id="xinbei-yjj", town=None, active_only=True)
    assert alarm.critical


def test_the_same_batch_twice_is_stored_once(gas_db):
    batch = [ev("reading", lel=30, seq=900001), ev("reading", lel=31, seq=900002)]
    assert handlers.ingest(gas_db, "det-2", batch)[:2] == (2, 0)
    assert handlers.ingest(gas_db, "det-2", batch)[:2] == (0, 2)
    assert len(alarm_events(gas_db)) == 1


def test_an_alarm_from_another_detector_goes_through_while_one_is_faulty(gas_db):
    handlers.ingest(gas_db, "det-1", [ev("fault", fault="line-open")])
    handlers.ingest(gas_db, "det-2", [ev("alarm", level=1, lel=22)])
    assert [e.level for e in alarm_events(gas_db)] == ["level-1"]


@pytest.mark.parametrize(
    ("device", "event", "error"),
    [
        ("nobody", ("heartbeat", {}), handlers.NotFound),
        ("det-1", ("reading", {"lel": 140}), handlers.InvalidEvent),
        ("det-1", ("explosion", {}), handlers.InvalidEvent),
        ("det-1", ("alarm", {"level": 3}), handlers.InvalidEvent),
    ],
)
def test_refused_events_store_nothing(gas_db, device, event, error):
    with pytest.raises(error):
        handlers.ingest(gas_db, device, [ev(event[0], **event[1])])
    with gas_db.read() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(db.device_events)).scalar_one() == 0
        )


def test_a_stale_device_clock_is_refused(gas_db):
    stale = gas_pb2.DeviceEvent(seq=1, type="heartbeat")
    stale.device_time.FromDatetime(datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(handlers.InvalidEvent, match="clock"):
        handlers.ingest(gas_db, "det-1", [stale])


def test_a_closed_valve_reopens_only_by_hand(gas_db):
    handlers.ingest(gas_db, "valve-1", [ev("valve", valve_state="closed")])
    with pytest.raises(ValueError, match="by hand"):
        handlers.ingest(gas_db, "valve-1", [ev("valve", valve_state="open")])
    handlers.ingest(gas_db, "valve-1", [ev("valve", valve_state="open", manual=True)])


def test_a_new_alarm_gets_its_own_command_while_an_earlier_one_is_unanswered(gas_db):
    # First leak: the valve is told to close but never answers; the gas clears.
    handlers.ingest(gas_db, "det-1", [ev("alarm", level=1, lel=25)])
    handlers.ingest(gas_db, "det-1", [ev("reading", lel=0), ev("reading", lel=0)])
    # A second leak is a new alarm: it gets its own command, so it can escalate on its own.
    handlers.ingest(gas_db, "det-1", [ev("alarm", level=2, lel=60)])
    with gas_db.read() as conn:
        rows = conn.execute(sa.select(db.commands).order_by(db.commands.c.issued_at)).all()
        alarms = conn.execute(sa.select(db.alarms.c.alarm_id)).scalars().all()
    assert len(alarms) == 2 and {r.alarm_id for r in rows} == set(alarms)
    # The valve closes, answering one of them: a closed valve satisfies both.
    handlers.ingest(
        gas_db, "valve-1", [ev("valve", valve_state="closed", command_id=rows[-1].command_id)]
    )
    with gas_db.read() as conn:
        statuses = conn.execute(sa.select(db.commands.c.status)).scalars().all()
    assert statuses == ["acknowledged", "acknowledged"]
