"""A truck's inspection on a real database: pre-check, static weighing, unloading, release."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from enforcement.common.v1 import common_pb2
from enforcement.overload.v1 import overload_events_pb2
from services.chassis.events import parse_envelope, unpack
from services.overload import db, handlers
from services.overload.domain.inspection import IllegalStep, OfficersMissing
from services.overload.domain.rules import InvalidWeighing

from .conftest import AGENCY, OFFICERS, weighing

pytestmark = pytest.mark.integration


def confirmed_events(database) -> list[overload_events_pb2.ViolationConfirmed]:
    with database.read() as conn:
        rows = conn.execute(
            sa.select(db.outbox.c.payload).where(
                db.outbox.c.topic == "overload.violation-confirmed.v1"
            )
        ).all()
    return [unpack(parse_envelope(r.payload), overload_events_pb2.ViolationConfirmed) for r in rows]


def test_a_hundred_tonne_king_from_pre_check_to_release(overload_db):
    _, v, pre, _ = handlers.record_weighing(overload_db, weighing("102", scale="wim"))
    assert v["suspicion_only"] and pre.status == "suspected" and confirmed_events(overload_db) == []
    handlers.advance(
        overload_db, inspection_id=pre.inspection_id, agency_id=AGENCY, to_status="intercepted"
    )
    # The station's scale posts the static reading; the officers have not confirmed it yet.
    req = weighing("102.34", officers=())
    static_id, v, insp, created = handlers.record_weighing(overload_db, req)
    assert created and insp.inspection_id == pre.inspection_id
    assert insp.status == "weighed" and insp.hundred_tonne_king
    assert v["fine_yuan"] == 26500 and v["limit_t"] == "49"  # 53.28 t over: 53 full t x 500
    assert confirmed_events(overload_db) == []
    confirmed = handlers.advance(
        overload_db,
        inspection_id=insp.inspection_id,
        agency_id=AGENCY,
        to_status="confirmed",
        officers=OFFICERS,
        actor_id="u-zhang",
    )
    assert confirmed.status == "confirmed" and confirmed.static_weighing_id == static_id
    [event] = confirmed_events(overload_db)
    assert event.weighing_id == static_id and event.inspection_id == insp.inspection_id
    assert event.plate == "苏D12345" and event.carrier.credit_code == "914403001922038216"
    assert event.loading_source.name == "某砂石场" and event.driver.name == "赵六"
    assert [(o.officer_id, o.certificate_no) for o in event.officers] == [
        ("u-zhang", "32041120001"),
        ("u-li", "32041120002"),
    ]
    assert event.fine_yuan == 26500 and event.hundred_tonne_king and event.gross_t == 102.34
    # 102.34 - 0.06 t scale error - 15 t curb = 87.28 t carried on a rated 35 t: 149.37 %
    # over, the 2,000 tier.
    assert event.overload_percent == "149.37" and event.overload_fine_yuan == 2000
    assert event.rated_load_t == "35" and event.curb_mass_t == "15" and event.cargo == "砂石"
    # The station resends after a timeout: the same weighing, nothing new.
    again = handlers.record_weighing(overload_db, req)
    assert again[3] is False and len(confirmed_events(overload_db)) == 1
    handlers.advance(
        overload_db, inspection_id=insp.inspection_id, agency_id=AGENCY, to_status="unloaded"
    )
    _, _, still, _ = handlers.record_weighing(overload_db, weighing("55"))
    assert still.status == "unloaded"  # still over: unload more
    _, _, ok, _ = handlers.record_weighing(overload_db, weighing("48.9"))
    assert ok.status == "reweighed"
    with pytest.raises(IllegalStep, match="allowed: released"):
        handlers.advance(
            overload_db, inspection_id=ok.inspection_id, agency_id=AGENCY, to_status="unloaded"
        )
    done = handlers.advance(
        overload_db, inspection_id=ok.inspection_id, agency_id=AGENCY, to_status="released"
    )
    assert done.status == "released" and len(confirmed_events(overload_db)) == 1


def test_officers_signing_the_static_weighing_confirm_it_at_once(overload_db):
    weighing_id, _, insp, _ = handlers.record_weighing(
        overload_db, weighing("60", plate="苏D22222")
    )
    assert insp.status == "confirmed"
    [event] = confirmed_events(overload_db)
    assert event.weighing_id == weighing_id and len(event.officers) == 2


@pytest.mark.parametrize(
    "officers",
    [
        (),
        (OFFICERS[0],),
        (OFFICERS[0], OFFICERS[0]),
        (OFFICERS[0], common_pb2.Officer(officer_id="u-wu", name="吴", certificate_no="")),
    ],
)
def test_a_confirmation_needs_two_certified_officers(overload_db, officers):
    _, _, insp, _ = handlers.record_weighing(
        overload_db, weighing("60", plate="苏D11111", officers=())
    )
    assert insp.status == "weighed"
    with pytest.raises(OfficersMissing, match="at least 2 officers"):
        handlers.advance(
            overload_db,
            inspection_id=insp.inspection_id,
            agency_id=AGENCY,
            to_status="confirmed",
            officers=officers,
        )
    with pytest.raises(OfficersMissing):
        handlers.record_weighing(
            overload_db, weighing("60", plate="苏D11111", officers=(OFFICERS[0],))
        )
    with pytest.raises(IllegalStep, match="allowed: confirmed"):
        handlers.advance(
            overload_db, inspection_id=insp.inspection_id, agency_id=AGENCY, to_status="unloaded"
        )
    with pytest.raises(OfficersMissing, match="one of the confirming officers"):
        handlers.advance(
            overload_db,
            inspection_id=insp.inspection_id,
            agency_id=AGENCY,
            to_status="confirmed",
            officers=OFFICERS,
            actor_id="u-somebody-else",
        )
    assert handlers.get(overload_db, insp.inspection_id, AGENCY).status == "weighed"
    assert confirmed_events(overload_db) == []


def test_a_truck_within_the_limit_leaves_no_inspection(overload_db):
    _, v, insp, _ = handlers.record_weighing(overload_db, weighing("30", scale="wim"))
    assert not v["over_limit"] and insp is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"plate": "ABC123"}, "licence plate"),
        ({"axles": 2}, "limit table"),
        ({"gross_t": "heavy"}, "decimal"),
        ({"gross_t": "-3"}, "positive"),
    ],
)
def test_impossible_weighings_are_refused_and_store_nothing(overload_db, changes, message):
    changes = dict(changes)  # the parameters are shared between the database backends
    gross = changes.pop("gross_t", "40")
    with pytest.raises(InvalidWeighing, match=message):
        handlers.record_weighing(overload_db, weighing(gross, **changes))
    with overload_db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(db.weighings)).scalar_one() == 0


def test_repeat_offenders_and_statistics(overload_db):
    for _ in range(4):
        _, _, insp, _ = handlers.record_weighing(overload_db, weighing("60", plate="苏D88888"))
        handlers.advance(
            overload_db, inspection_id=insp.inspection_id, agency_id=AGENCY, to_status="unloaded"
        )
        _, _, insp, _ = handlers.record_weighing(overload_db, weighing("40", plate="苏D88888"))
        handlers.advance(
            overload_db, inspection_id=insp.inspection_id, agency_id=AGENCY, to_status="released"
        )
    for _ in range(3):
        _, _, insp, _ = handlers.record_weighing(overload_db, weighing("60", plate="苏E77777"))
        handlers.advance(
            overload_db, inspection_id=insp.inspection_id, agency_id=AGENCY, to_status="unloaded"
        )
        _, _, insp, _ = handlers.record_weighing(overload_db, weighing("40", plate="苏E77777"))
        handlers.advance(
            overload_db, inspection_id=insp.inspection_id, agency_id=AGENCY, to_status="released"
        )
    vehicles, carriers, sources = handlers.repeat_offenders(overload_db, AGENCY)
    assert [(v.key, v.n) for v in vehicles] == [("苏D88888", 4)]
    assert carriers[0].key == "914403001922038216" and carriers[0].n == 7
    assert sources[0].name == "某砂石场"
    today = date.today()
    days, _, _ = handlers.statistics(
        overload_db, AGENCY, today - timedelta(days=2), today + timedelta(days=2)
    )
    assert sum(d.weighed for d in days) == 14 and sum(d.confirmed for d in days) == 7


def test_another_agency_cannot_see_or_move_an_inspection(overload_db):
    _, _, insp, _ = handlers.record_weighing(overload_db, weighing("60"))
    with pytest.raises(handlers.NotFound):
        handlers.get(overload_db, insp.inspection_id, "elsewhere")
    with pytest.raises(handlers.NotFound):
        handlers.advance(
            overload_db,
            inspection_id=insp.inspection_id,
            agency_id="elsewhere",
            to_status="unloaded",
        )
