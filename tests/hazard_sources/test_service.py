"""The hazard sources use cases on a real database (SQLite, and PostgreSQL when set): grading
and re-grading with the reason, readings once only, alarms raised once and escalated along
the 包保 chain with one event per step, 消警 stops the escalation, stale sensors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from enforcement.hazard_sources.v1 import hazard_sources_events_pb2 as events_pb
from enforcement.hazard_sources.v1 import hazard_sources_pb2 as pb
from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import parse_envelope, unpack
from services.hazard_sources import db, handlers

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "hazard_sources" / "migrations"
CHAIN = [
    pb.Person(role="principal", name="王建华"),
    pb.Person(role="technical", name="李工"),
    pb.Person(role="operational", name="赵班长"),
    pb.Person(role="town", name="张伟", user_id="u-officer1"),
]


class Slow:
    escalate_after_s = 600.0


def unit(people: int = 120, chlorine_t: float = 50) -> pb.Unit:
    return pb.Unit(
        unit_id="cl-tank", enterprise_id="e-1", enterprise_name="常州某化工", agency_id="a-1",
        town="薛家镇", kind="storage", name="液氯储罐区",
        holdings=[pb.Holding(chemical="氯", max_t=chlorine_t)], people_within_500m=people,
        chain=CHAIN,
    )  # fmt: skip


@pytest.fixture
def sources(db_url):
    engine = make_engine(db_url)
    migrate(engine, MIGRATIONS)
    database = Database(engine)
    handlers.upsert_unit(database, unit())
    sensor = pb.Sensor(
        sensor_id="pt-1", unit_id="cl-tank", quantity="pressure", high=1.6, high_high=1.8,
        deadband=0.05, sustain=2, stale_after_s=60,
    )  # fmt: skip
    handlers.upsert_sensor(database, sensor, "a-1")
    yield database
    database.dispose()


def readings(*values: float, start: int) -> pb.RecordReadingsRequest:
    req = pb.RecordReadingsRequest(sensor_id="pt-1", agency_id="a-1", unit_id="cl-tank")
    now = datetime.now(UTC)
    for i, v in enumerate(values):
        r = req.readings.add(seq=start + i, value=v)
        r.device_time.FromDatetime(now + timedelta(seconds=i))
    return req


def alarm_events(database) -> list[events_pb.SensorAlarmRaised]:
    with database.read() as conn:
        rows = conn.execute(sa.select(db.outbox.c.payload).order_by(db.outbox.c.id)).all()
    return [unpack(parse_envelope(r.payload), events_pb.SensorAlarmRaised) for r in rows]


def test_a_unit_is_graded_and_regraded_with_the_reason(sources):
    row, regraded = handlers.upsert_unit(sources, unit(people=20))
    assert regraded and row.grading["grade"] == "三级"
    assert "α 2.0→1.0" in row.grading["reason"]
    _, again = handlers.upsert_unit(sources, unit(people=20))
    assert again is False  # nothing moved: no new grading
    _, history, _ = handlers.get_unit(sources, "cl-tank", "a-1")
    assert [h.grading["grade"] for h in history] == ["二级", "三级"]


def test_another_agency_cannot_change_or_see_the_unit(sources):
    other = unit()
    other.agency_id = "a-2"
    with pytest.raises(handlers.NotFound):
        handlers.upsert_unit(sources, other)
    with pytest.raises(handlers.NotFound):
        handlers.get_unit(sources, "cl-tank", "a-2")


def test_readings_are_taken_once_in_seq_order(sources):
    first = handlers.record_readings(sources, readings(1.2, 1.3, start=1))
    assert (first.accepted, first.duplicates, first.stored_up_to) == (2, 0, 2)
    again = handlers.record_readings(sources, readings(1.3, 1.4, start=2))
    assert (again.accepted, again.duplicates, again.stored_up_to) == (1, 1, 3)
    with sources.read() as conn:
        sensor = db.one(conn, db.sensors, "sensor_id", "pt-1")
    assert (sensor.last_seq, sensor.readings_taken, sensor.last_value) == (3, 3, 1.4)


def linked(*values: float, start: int, after: int | None) -> pb.RecordReadingsRequest:
    req = readings(*values, start=start)
    if after is not None:
        req.after_seq = after
    return req


def test_a_batch_after_one_that_was_lost_is_not_taken_until_the_lost_one_is(sources):
    """Batch 1-2 was lost on the way (a broker that died after its PUBACK); 3-4 names 2 as
    the reading before it, so it is not taken over the hole; once 1-2 arrives, the resend of
    3-4 is, and nothing is taken twice."""
    hole = handlers.record_readings(sources, linked(1.2, 1.2, start=3, after=2))
    assert (hole.accepted, hole.gap, hole.stored_up_to) == (0, True, None)
    lost = handlers.record_readings(sources, linked(1.2, 1.3, start=1, after=None))
    assert (lost.accepted, lost.gap, lost.stored_up_to) == (2, False, 2)
    resent = handlers.record_readings(sources, linked(1.2, 1.2, 1.4, start=3, after=2))
    assert (resent.accepted, resent.duplicates, resent.stored_up_to) == (3, 0, 5)
    # a later hole: 6-7 lost, 8 refused, 6-8 resent from the first unconfirmed one
    assert handlers.record_readings(sources, linked(1.4, start=8, after=7)).gap
    both = handlers.record_readings(sources, linked(1.4, 1.4, 1.4, start=6, after=5))
    assert (both.accepted, both.stored_up_to) == (3, 8)
    dup = handlers.record_readings(sources, linked(1.4, 1.4, 1.4, start=6, after=5))
    assert (dup.accepted, dup.duplicates, dup.stored_up_to) == (0, 3, 8)
    with sources.read() as conn:
        sensor = db.one(conn, db.sensors, "sensor_id", "pt-1")
    assert (sensor.last_seq, sensor.readings_taken) == (8, 8)


def test_after_seq_must_lie_below_the_batch(sources):
    with pytest.raises(handlers.Invalid):
        handlers.record_readings(sources, linked(1.2, start=3, after=3))
    with sources.read() as conn:
        assert db.one(conn, db.sensors, "sensor_id", "pt-1").readings_taken == 0


def of(sensor_id: str, req: pb.RecordReadingsRequest) -> pb.RecordReadingsRequest:
    req.sensor_id = sensor_id
    return req


def test_many_batches_in_one_transaction_are_each_answered_as_alone(sources):
    """RecordReadingsMany: batches of several sensors in one commit, each answered as it
    would be alone after the ones before it; the bad ones (unknown sensor, another agency's,
    after_seq not below) are refused and change nothing, the others are stored."""
    pt2 = pb.Sensor(sensor_id="pt-2", unit_id="cl-tank", quantity="pressure", high=1.6, sustain=1)
    handlers.upsert_sensor(sources, pt2, "a-1")
    foreign = of("pt-2", readings(1.2, start=50))
    foreign.agency_id = "a-2"
    batches = [
        of("pt-1", linked(1.2, 1.3, start=1, after=None)),
        of("pt-2", linked(1.7, start=1, after=None)),  # over high, sustain 1: an alarm
        of("pt-9", readings(1.2, start=1)),  # no such sensor
        of("pt-1", linked(1.2, start=3, after=2)),  # after the first batch of this call
        of("pt-1", linked(1.2, start=9, after=8)),  # over a hole: a gap, nothing taken
        of("pt-2", linked(1.2, start=5, after=5)),  # after_seq not below: refused
        foreign,  # another agency's: refused
        of("pt-1", linked(1.2, 1.2, start=3, after=2)),  # a resend: 3 duplicate, 4 new
    ]
    done = handlers.record_many(sources, batches)
    answers = [
        type(d).__name__
        if isinstance(d, Exception)
        else (d.accepted, d.duplicates, d.stored_up_to, d.gap)
        for d in done
    ]
    assert answers == [
        (2, 0, 2, False),
        (1, 0, 1, False),
        "NotFound",
        (1, 0, 3, False),
        (0, 0, 3, True),
        "Invalid",
        "NotFound",
        (1, 1, 4, False),
    ]
    assert done[1].alarms == 1
    with sources.read() as conn:
        rows = {r.sensor_id: r for r in conn.execute(sa.select(db.sensors))}
        alarms = conn.execute(sa.select(db.alarms.c.sensor_id)).scalars().all()
    assert (rows["pt-1"].last_seq, rows["pt-1"].readings_taken) == (4, 4)
    assert (rows["pt-2"].last_seq, rows["pt-2"].readings_taken) == (1, 1)
    assert alarms == ["pt-2"]
    # the same batches again: all duplicates or refusals, nothing more stored
    again = handlers.record_many(sources, batches)
    assert [d.accepted for d in again if not isinstance(d, Exception)] == [0, 0, 0, 0, 0]
    with sources.read() as conn:
        rows = conn.execute(sa.select(db.sensors.c.sensor_id, db.sensors.c.readings_taken))
        taken = {sensor_id: n for sensor_id, n in rows}
    assert taken == {"pt-1": 4, "pt-2": 1}


def test_many_refuses_a_call_over_its_limits_and_stores_nothing(sources):
    big = [of("pt-1", readings(*[1.2] * 100, start=1 + 100 * i)) for i in range(201)]
    with pytest.raises(handlers.Invalid):
        handlers.record_many(sources, big)  # 20,100 readings
    with sources.read() as conn:
        assert db.one(conn, db.sensors, "sensor_id", "pt-1").last_seq is None


def test_an_excursion_raises_one_alarm_and_escalates_step_by_step_until_handled(sources):
    handlers.record_readings(sources, readings(1.7, 1.75, 1.72, start=1))
    alarms = handlers.list_alarms(sources, "a-1", "cl-tank", open_only=True)
    assert len(alarms) == 1 and alarms[0].level == "high" and alarms[0].step == 1
    raised = (
        alarms[0].raised_at
        if alarms[0].raised_at.tzinfo
        else alarms[0].raised_at.replace(tzinfo=UTC)
    )
    handlers.sweep(sources, Slow(), now=raised + timedelta(seconds=1250))  # two waits later
    # (the sensor fell silent meanwhile: its stale alarm is an alarm of its own)
    steps = [(e.step, e.role, e.person_name) for e in alarm_events(sources) if e.kind == "limit"]
    assert steps == [
        (1, "principal", "王建华"),
        (2, "technical", "李工"),
        (3, "operational", "赵班长"),
    ]
    handlers.handle(sources, alarms[0].alarm_id, "a-1", "u-officer1", "现场核实, 已泄压")
    handlers.sweep(sources, Slow(), now=raised + timedelta(seconds=5000))
    assert len([e for e in alarm_events(sources) if e.kind == "limit"]) == 3  # no town step
    everything = handlers.list_alarms(sources, "a-1", "cl-tank", open_only=False)
    closed = next(a for a in everything if a.alarm_id == alarms[0].alarm_id)
    assert (closed.open, closed.handled_reason) == (False, "现场核实, 已泄压")


def test_handling_needs_a_written_reason(sources):
    handlers.record_readings(sources, readings(1.7, 1.75, start=1))
    alarm = handlers.list_alarms(sources, "a-1", "", open_only=True)[0]
    with pytest.raises(handlers.Invalid):
        handlers.handle(sources, alarm.alarm_id, "a-1", "u-officer1", "  ok ")


def test_a_silent_sensor_raises_one_stale_alarm(sources):
    handlers.record_readings(sources, readings(1.2, start=1))
    later = datetime.now(UTC) + timedelta(seconds=120)
    handlers.sweep(sources, Slow(), now=later)
    handlers.sweep(sources, Slow(), now=later + timedelta(seconds=30))
    stale = [a for a in handlers.list_alarms(sources, "a-1", "", True) if a.kind == "stale"]
    assert len(stale) == 1 and stale[0].level == "silent"


def _due(database: Database) -> dict[str, datetime | None]:
    with database.read() as conn:
        rows = conn.execute(sa.select(db.sensors.c.sensor_id, db.sensors.c.stale_due_at)).all()
    return {r.sensor_id: r.stale_due_at and r.stale_due_at.replace(tzinfo=UTC) for r in rows}


def _sensor(database: Database, sensor_id: str, stale_after_s: int) -> None:
    body = pb.Sensor(
        sensor_id=sensor_id, unit_id="cl-tank", quantity="pressure", high=1.6,
        stale_after_s=stale_after_s,
    )  # fmt: skip
    handlers.upsert_sensor(database, body, "a-1")


def test_the_sweep_reads_only_sensors_whose_stale_alarm_is_due(sources):
    """stale_due_at follows each reading and the sensor's own stale limit; the sweep's query
    returns only sensors past it, and a raised stale alarm takes the sensor out until a
    reading comes."""
    _sensor(sources, "pt-slow", 3600)
    _sensor(sources, "pt-fast", 30)
    t0 = datetime.now(UTC)
    handlers.record_readings(sources, readings(1.2, start=1))  # pt-1, 60 s limit
    due = _due(sources)
    assert due["pt-1"] - t0 == pytest.approx(timedelta(seconds=60), abs=timedelta(seconds=5))
    assert due["pt-slow"] > due["pt-1"] > due["pt-fast"]

    def picked(at: datetime) -> set[str]:
        with sources.read() as conn:
            return {r.sensor_id for r in conn.execute(handlers.due_sensors(at))}

    assert picked(t0) == set()
    assert picked(t0 + timedelta(seconds=45)) == {"pt-fast"}
    assert picked(t0 + timedelta(seconds=90)) == {"pt-fast", "pt-1"}
    handlers.sweep(sources, Slow(), now=t0 + timedelta(seconds=90))
    stale = {a.sensor_id for a in handlers.list_alarms(sources, "a-1", "", True)}
    assert stale == {"pt-fast", "pt-1"}
    after = _due(sources)
    assert after["pt-1"] is None and after["pt-fast"] is None  # raised: out of the sweep
    assert picked(t0 + timedelta(seconds=7200)) == {"pt-slow"}
    # a reading that moves ends the stale alarm and puts the sensor back under watch
    handlers.record_readings(sources, readings(1.4, start=2))
    assert _due(sources)["pt-1"] > t0 + timedelta(seconds=50)


def test_the_sweep_query_uses_the_stale_due_index(sources):
    query = handlers.due_sensors(datetime.now(UTC))
    with sources.read() as conn:
        dialect = conn.dialect.name
        compiled = query.compile(conn, compile_kwargs={"literal_binds": False})
        params = compiled.params
        sql = str(compiled)
        if dialect == "sqlite":
            sql = sql.replace(" FOR UPDATE", "")
            args = tuple(params[k] for k in compiled.positiontup)
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", args)
            text = " ".join(str(r[-1]) for r in plan)
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = conn.exec_driver_sql(f"EXPLAIN {sql}", params)
            text = " ".join(r[0] for r in plan)
    assert "ix_sensors_stale_due" in text, text


def test_the_migrations_build_the_tables(sources):
    with sources.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []


def test_migration_0003_makes_every_existing_sensor_due_once(db_url):
    """Sensors from before 0003 have no due time: the migration makes them due at once, and
    the first sweep stores each one's real time."""
    from alembic import command
    from alembic.config import Config

    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    since = datetime.now(UTC) - timedelta(seconds=30)
    limits = {"high": 1.6, "high_high": None, "low": None, "low_low": None, "deadband": 0.0,
              "sustain": 1, "rate_per_min": None, "stale_after_s": 600.0}  # fmt: skip
    state = handlers._state_json(handlers.SensorState())
    unit_row = {"unit_id": "u", "enterprise_id": "e", "enterprise_name": "e", "agency_id": "a",
                "town": "t", "kind": "storage", "name": "u", "holdings": [],
                "people_within_500m": 0, "chain": [], "grading": {}}  # fmt: skip
    with engine.begin() as conn:  # the columns of 0002 only
        conn.execute(db.units.insert().values(**unit_row))
        conn.execute(
            db.sensors.insert().values(
                sensor_id="old", unit_id="u", quantity="pressure", unit_of_measure="MPa",
                limits=limits, state=state, watched_since=since,
            )
        )  # fmt: skip
    migrate(engine, MIGRATIONS)
    database = Database(engine)
    try:
        assert _due(database)["old"] == since
        handlers.sweep(database, Slow(), now=datetime.now(UTC))
        due = _due(database)["old"]
        assert due - since == pytest.approx(timedelta(seconds=600), abs=timedelta(seconds=1))
    finally:
        database.dispose()


def test_the_console_list_puts_the_gravest_grade_and_most_alarms_first_and_keeps_to_a_town(
    sources,
):
    # a second 二级 unit in another town with no alarms, and a 四级 one in 薛家镇
    quiet = unit()
    quiet.unit_id, quiet.town, quiet.name = "cl-tank-2", "龙虎塘街道", "二号液氯储罐区"
    handlers.upsert_unit(sources, quiet)
    small = unit(people=0, chlorine_t=6)
    small.unit_id, small.name = "cl-small", "液氯钢瓶库"
    handlers.upsert_unit(sources, small)
    handlers.record_readings(sources, readings(1.7, 1.75, start=1))
    rows = handlers.list_units(sources, "a-1", "")
    assert [(r["unit"].unit_id, r["unit"].grading["grade"], r["open_alarms"]) for r in rows] == [
        ("cl-tank", "二级", 1),
        ("cl-tank-2", "二级", 0),
        ("cl-small", "四级", 0),
    ]
    first = rows[0]
    assert (first["active_alarms"], first["sensors"]) == (1, 1)
    assert first["last_reading_at"] is not None and rows[1]["last_reading_at"] is None
    assert [r["unit"].unit_id for r in handlers.list_units(sources, "a-1", "薛家镇")] == [
        "cl-tank",
        "cl-small",
    ]
    assert handlers.list_units(sources, "a-2", "") == []
    # a town-bound reader finds no unit, alarm or trend of another town
    with pytest.raises(handlers.NotFound):
        handlers.get_unit(sources, "cl-tank", "a-1", "龙虎塘街道")
    assert handlers.list_alarms(sources, "a-1", "", True, town="龙虎塘街道") == []
    assert len(handlers.list_alarms(sources, "a-1", "", True, town="薛家镇")) == 1
