"""Who fines what: a road authority's confirmed overload refers the 超载 fine and the driver's
points to the traffic police (抄告/移送, 62号令 Art. 45; 行政处罚法 Art. 29), and staff track
the receipt."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.chassis.workdays import add_working_days, china_date
from services.overload import db, handlers
from services.overload.domain.rules import FinePolicy, Rounding
from services.overload.grpc_api import verdict_to_pb

from .conftest import AGENCY, weighing
from .test_flow import confirmed_events

pytestmark = pytest.mark.integration


def acknowledged_events(database) -> list:
    with database.read() as conn:
        return conn.execute(
            sa.select(db.outbox.c.payload).where(
                db.outbox.c.topic == "overload.referral-acknowledged.v1"
            )
        ).all()


def test_a_road_authority_refers_the_overload_and_points_to_the_traffic_police(overload_db):
    # 102.34 t on a rated 35 t (curb 15 t): 超限 53.28 t and 超载 149.37 % after the scale's error.
    _, v, insp, _ = handlers.record_weighing(overload_db, weighing("102.34", plate="苏D40001"))
    assert insp.status == "confirmed" and v["overload_fine_yuan"] == 2000
    [event] = confirmed_events(overload_db)
    assert list(event.agency_powers) == ["road-authority"]
    [sent] = event.referrals
    assert sent.to_power == "traffic-police" and sent.to_agency == "公安机关交通管理部门"
    assert any("第九十二条" in m for m in sent.matters)
    assert any("记分" in m for m in sent.matters)
    assert any("第四十五条" in b for b in sent.basis) and any("第二十九条" in b for b in sent.basis)
    assert event.fine_reading.startswith("per full tonne") and event.fine_reading_source
    [(referral, photos)] = handlers.list_referrals(overload_db, AGENCY, True)
    assert referral.referral_id == sent.referral_id and referral.status == "sent"
    assert referral.due_date == add_working_days(china_date(), 5)
    # The fine this agency proposes goes along, so the act gets one fine (Art. 29).
    assert referral.own_fine_yuan == 26_500 and "第四十三条" in referral.own_fine_basis
    assert "本机关拟处罚款26500元" in referral.facts and "苏D40001" in referral.facts
    assert photos == []


def test_an_overload_within_the_scales_error_gets_no_fine_and_no_referral(overload_db):
    # 50.05 t: over 49 t by 0.99 t after the 60 kg error (a warning); 50.05 - 15 = 35.05 t on a
    # rated 35 t reads over, but 34.99 t once the scale's error is deducted: no 超载.
    _, v, insp, _ = handlers.record_weighing(overload_db, weighing("50.05", plate="苏D40002"))
    assert insp.status == "confirmed" and v["fine_yuan"] == 0
    assert v["overload_fine_yuan"] == 0 and "scale's error" in v["overload_rule"]
    [event] = confirmed_events(overload_db)
    assert event.overload_fine_yuan == 0 and list(event.referrals) == []
    assert handlers.list_referrals(overload_db, AGENCY, False) == []


def test_an_agency_holding_both_powers_refers_nothing(overload_db):
    policy = handlers.Policy(agency_powers={AGENCY: ["road-authority", "traffic-police"]})
    handlers.record_weighing(overload_db, weighing("102.34", plate="苏D40003"), policy)
    [event] = confirmed_events(overload_db)
    assert sorted(event.agency_powers) == ["road-authority", "traffic-police"]
    assert list(event.referrals) == []


def test_a_traffic_police_agency_refers_the_overlimit_to_the_road_authority(overload_db):
    policy = handlers.Policy(
        agency_powers={AGENCY: ["traffic-police"]},
        recipients={"road-authority": "新北区交通运输综合行政执法大队"},
    )
    handlers.record_weighing(overload_db, weighing("102.34", plate="苏D40004"), policy)
    [event] = confirmed_events(overload_db)
    [sent] = event.referrals
    assert sent.to_power == "road-authority" and sent.to_agency == "新北区交通运输综合行政执法大队"
    assert any("超限" in m for m in sent.matters)
    [(referral, _)] = handlers.list_referrals(overload_db, AGENCY, True)
    assert referral.own_fine_yuan == 2000 and "第九十二条" in referral.own_fine_basis


def test_the_configured_benchmark_reading_is_applied_and_named(overload_db):
    policy = handlers.Policy(
        fine=FinePolicy(rounding=Rounding.up, source="某区交通运输行政处罚裁量基准第12项")
    )
    _, v, _, _ = handlers.record_weighing(overload_db, weighing("102.34", plate="苏D40005"), policy)
    assert v["fine_yuan"] == 27_000  # 53.28 t over: 54 started tonnes
    assert v["fine_reading_source"] == "某区交通运输行政处罚裁量基准第12项"


def test_staff_record_the_receipt_once_and_overdue_ones_show(overload_db):
    handlers.record_weighing(overload_db, weighing("102.34", plate="苏D40006"))
    [(referral, _)] = handlers.list_referrals(overload_db, AGENCY, True)
    with overload_db.unit_of_work() as uow:  # as if sent two weeks ago and never answered
        uow.conn.execute(
            db.referrals.update()
            .where(db.referrals.c.referral_id == referral.referral_id)
            .values(
                sent_on=china_date() - timedelta(days=14),
                due_date=china_date() - timedelta(days=7),
            )
        )
        uow.commit()
    [(late, _)] = handlers.list_referrals(overload_db, AGENCY, True)
    from services.overload.grpc_api import referral_to_pb

    assert referral_to_pb(late, []).overdue
    with pytest.raises(handlers.NotFound):
        handlers.acknowledge_referral(
            overload_db, referral_id=referral.referral_id, agency_id="elsewhere",
            actor_id="u", reference="x",
        )  # fmt: skip
    with pytest.raises(handlers.InvalidWeighing, match="between"):
        handlers.acknowledge_referral(
            overload_db, referral_id=referral.referral_id, agency_id=AGENCY,
            actor_id="u-zhang", reference="新公交(2026)第88号",
            acknowledged_on=(china_date() + timedelta(days=1)).isoformat(),
        )  # fmt: skip
    row, _ = handlers.acknowledge_referral(
        overload_db,
        referral_id=referral.referral_id,
        agency_id=AGENCY,
        actor_id="u-zhang",
        reference="新公交(2026)第88号",
    )
    assert row.status == "acknowledged" and row.acknowledgement_ref == "新公交(2026)第88号"
    assert not referral_to_pb(row, []).overdue
    again, _ = handlers.acknowledge_referral(
        overload_db, referral_id=referral.referral_id, agency_id=AGENCY,
        actor_id="u-li", reference="other",
    )  # fmt: skip
    assert again.acknowledged_by == "u-zhang" and len(acknowledged_events(overload_db)) == 1
    assert handlers.list_referrals(overload_db, AGENCY, True) == []


@pytest.mark.unit
def test_a_verdict_stored_under_v1_still_reads():
    v1 = {
        "rules_version": "jt-2016-62/gb1589-2016/v1",
        "limit_t": "49",
        "limit_basis": "交通运输部令2016年第62号第三条",
        "adjustments": [],
        "measured_t": "102.34",
        "tolerance_t": "0.060",
        "over_t": "53.280",
        "over_limit": True,
        "suspicion_only": False,
        "fine_yuan": 27000,
        "fine_rule": "500 yuan per tonne over, 54 t (第四十三条, rounding up)",
        "overload_percent": "149.54",
        "overload_fine_yuan": 2000,
        "overload_rule": "over the rated load by 100 % or more",
        "size_violations": [],
        "hundred_tonne_king": True,
        "notes": [],
    }
    pb = verdict_to_pb(v1)
    assert pb.fine_yuan == 27000 and pb.fine_rule.endswith("rounding up)")
    assert pb.fine_reading == "" and pb.mass_over_limit
    assert "started tonne" in pb.rules_description


def test_a_truck_too_high_is_over_the_limit_and_announced_with_its_dimensions(overload_db):
    # 40 t is within 49 t, but 4.6 m high is over 4 m (62号令 Art. 3 para. 1 (一)): 超限, the
    # Art. 43(1)(一) band 1,000-3,000 yuan, proposed at its lowest.
    req = weighing("40", plate="苏D40007", height_m="4.6")
    _, v, insp, _ = handlers.record_weighing(overload_db, req)
    assert insp.status == "confirmed" and v["over_limit"] and not v["mass_over_limit"]
    assert v["fine_yuan"] == 1000 and v["size_violations"] == ["height 4.6 m over 4 m"]
    [event] = confirmed_events(overload_db)
    assert list(event.size_violations) == ["height 4.6 m over 4 m"] and event.over_t == 0
    assert list(event.referrals) == []  # 40 - 0.06 - 15 = 24.94 t on a rated 35 t: no 超载
