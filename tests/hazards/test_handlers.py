"""The hazards use cases on a real SQLite database: registration once, duplicates linked,
the ladder, closure, and the gas and overload events each registering a hazard once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from enforcement.events.v1.envelope_pb2 import EventEnvelope
from enforcement.gas.v1 import gas_events_pb2
from enforcement.overload.v1 import overload_events_pb2
from services.chassis.db import Database, migrate
from services.chassis.events import build_event, parse_envelope, utcnow
from services.chassis.workdays import china_date
from services.hazards import consumers, db, handlers
from services.hazards.domain.registry import InvalidHazard

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "hazards" / "migrations"
CODE = "914403001922038216"
OFFICER = handlers.Actor("xinbei-yjj", "u-officer1", "薛家镇", ("officer",))
POLICY = handlers.Policy(prefixes={"xinbei-yjj": "新北应急"}, reporter_key=b"k" * 32)


@pytest.fixture
def database(tmp_path):
    d = Database.from_url(f"sqlite:///{tmp_path / 'hazards.db'}")
    migrate(d.engine, MIGRATIONS)
    yield d
    d.dispose()


def body(client_id: str, **over) -> dict:
    return {
        "client_id": client_id,
        "credit_code": CODE,
        "enterprise_name": "常州某化工有限公司",
        "sector": "hazardous-chemicals",
        "town": "薛家镇",
        "kind": "液化烃储罐未设注水措施",
        "location": "薛家镇富民路88号罐区",
        "criteria": ["hc-6"],
        **over,
    }


def envelope(topic: str, payload) -> EventEnvelope:
    return parse_envelope(
        build_event(topic=topic, aggregate_id="x", payload=payload, producer="test").payload
    )


def apply(database, handler, env) -> None:
    with database.unit_of_work() as uow:
        handler(uow, env)
        uow.commit()


def count(database) -> int:
    with database.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(db.hazards)).scalar_one()


def test_registration_is_numbered_gap_free_once_and_duplicates_link(database):
    first = handlers.register_command(database, POLICY, OFFICER, body("c1"))
    h = first["hazard"]
    year = china_date(utcnow()).year
    assert h["hazard_no"] == f"新北应急隐患〔{year}〕1号" and h["grade"] == "major"
    assert "第(六)项" in h["grading"]["reason"]
    again = handlers.register_command(database, POLICY, OFFICER, body("c1"))
    assert again["repeated"] and again["hazard"]["hazard_id"] == h["hazard_id"]
    dup = handlers.register_command(
        database, POLICY, OFFICER, body("c2", location="薛家镇 富民路88号 罐区")
    )
    assert dup["linked"] and dup["hazard"]["hazard_id"] == h["hazard_id"]
    with pytest.raises(InvalidHazard):
        handlers.register_command(
            database, POLICY, OFFICER, body("c3", credit_code=CODE[:-1] + "7")
        )
    other = handlers.register_command(database, POLICY, OFFICER, body("c4", kind="消防通道堵塞"))
    assert other["hazard"]["hazard_no"].endswith("〕2号")  # the refused one took no number
    assert count(database) == 2


def test_a_general_hazard_from_order_to_closure_and_the_ladder_refuses_early_steps(database):
    h = handlers.register_command(database, POLICY, OFFICER, body("g1", criteria=[]))["hazard"]
    hid = h["hazard_id"]
    order = {
        "responsible_person": "王经理",
        "measures": "设置注水措施",
        "funds_yuan": 20000,
        "deadline_working_days": 5,
        "contingency_plan": "专人值守",
    }
    handlers.issue_order(database, OFFICER, hid, order)
    with pytest.raises(InvalidHazard, match="未过"):
        handlers.escalate(database, OFFICER, hid, {"step": "warning"})
    photo = {"sha256": "a" * 64, "size": 1000, "media_type": "image/jpeg"}
    handlers.report_rectification(database, OFFICER, hid, {"summary": "已整改", "photos": [photo]})
    closed = handlers.reinspect(database, OFFICER, hid, {"passed": True, "opinion": "复查合格"})
    assert closed["status"] == "closed" and closed["working_days_open"] == 0


def test_an_overdue_order_escalates_in_order_and_a_case_is_requested(database):
    h = handlers.register_command(database, POLICY, OFFICER, body("e1"))["hazard"]
    hid = h["hazard_id"]
    long_ago = (china_date(utcnow()) - timedelta(days=25)).isoformat()
    handlers.issue_order(
        database,
        OFFICER,
        hid,
        {
            "responsible_person": "王经理",
            "measures": "设置注水措施",
            "funds_yuan": 20000,
            "deadline_working_days": 3,
            "contingency_plan": "专人值守",
            "issued_on": long_ago,
        },
    )
    assert handlers.overdue(database, OFFICER, {})["hazards"][0]["step_due"] == "warning"
    handlers.escalate(database, OFFICER, hid, {"step": "warning"})
    with pytest.raises(InvalidHazard, match="纪要"):
        handlers.escalate(database, OFFICER, hid, {"step": "summons", "minutes": "短"})
    handlers.escalate(
        database,
        OFFICER,
        hid,
        {"step": "summons", "minutes": "企业负责人到场约谈, 承诺三日内完成整改并报告"},
    )
    handlers.escalate(
        database,
        OFFICER,
        hid,
        {"step": "notice", "deadline_working_days": 2, "issued_on": long_ago},
    )
    view = handlers.escalate(database, OFFICER, hid, {"step": "case"})
    assert [e["step"] for e in view["escalations"]] == ["warning", "summons", "notice", "case"]
    with database.read() as conn:
        topics = [r.topic for r in conn.execute(sa.text("SELECT topic FROM outbox"))]
    assert "hazards.case-requested.v1" in topics
    assert handlers.sweep(database) >= 1


def test_an_unprotected_gas_venue_registers_one_hazard(database):
    handle = consumers.on_gas_unprotected(POLICY)
    for since in (1000, 1000, 2000):  # a redelivery, then the same venue reported again
        e = gas_events_pb2.VenueUnprotected(
            venue_id="venue-1",
            venue_name="老街面馆",
            venue_credit_code=CODE,
            agency_id="xinbei-yjj",
            town="薛家镇",
            address="薛家镇富民路1号",
            reasons=["offline"],
        )
        e.since.seconds = since
        apply(database, handle, envelope(consumers.GAS_UNPROTECTED, e))
    assert count(database) == 1
    with database.read() as conn:
        roles = [r.role for r in conn.execute(sa.select(db.findings))]
    assert sorted(roles) == ["linked", "registered"]


def test_a_repeated_loading_source_registers_one_hazard(database):
    handle = consumers.on_overload_confirmed(POLICY)
    for n in range(5):
        e = overload_events_pb2.ViolationConfirmed(
            weighing_id=f"w-{n}",
            agency_id="xinbei-yjj",
            town="罗溪镇",
            plate="苏D12345",
            loading_source=overload_events_pb2.Party(name="常州某砂石场", credit_code=CODE),
        )
        e.confirmed_at.FromDatetime(utcnow())
        apply(database, handle, envelope(consumers.OVERLOAD_CONFIRMED, e))
        assert count(database) == (0 if n < 2 else 1)


def test_a_public_report_keeps_the_reporter_sealed(database):
    out = handlers.submit_report(
        database,
        POLICY,
        {
            "what": "仓库堆放大量液化气钢瓶",
            "where": "薛家镇某仓库",
            "name": "张三",
            "phone": "13800000000",
        },
        "addr",
        "dev",
    )
    with database.read() as conn:
        stored = conn.execute(sa.select(db.reports)).first()
    assert "13800000000" not in str(stored) and "张三" not in str(stored)
    status = handlers.report_status(database, out["tracking_code"].lower())
    assert status["status"] == "received" and "reporter" not in status
    seen = handlers.get_report(database, POLICY, OFFICER, stored.report_id)
    assert seen["reporter"] == {"name": "张三", "phone": "13800000000"}
    for _ in range(4):
        handlers.submit_report(
            database, POLICY, {"what": "又一个问题反映", "where": "某地"}, "addr", "dev"
        )
    with pytest.raises(handlers.TooMany):
        handlers.submit_report(
            database, POLICY, {"what": "第六次反映问题", "where": "某地"}, "addr2", "dev"
        )


def test_a_case_entry_marked_as_a_hazard_registers_once(database):
    from enforcement.records.v1 import records_pb2

    handle = consumers.on_hazard_found(POLICY)
    case = records_pb2.Case(
        case_id="case-1",
        agency_id="xinbei-yjj",
        town="薛家镇",
        domain="gas",
        party={"name": "老街面馆", "credit_code": CODE},
    )
    for entry_id in ("entry-1", "entry-1", "entry-2"):  # redelivered, then found again
        e = records_pb2.HazardFound(
            case=case, entry_id=entry_id, kind="燃气软管老化", location="后厨", criteria=["hc-6"]
        )  # another sector's
        apply(database, handle, envelope(consumers.HAZARD_FOUND, e))
    with database.read() as conn:
        rows = conn.execute(sa.select(db.hazards)).all()
    assert len(rows) == 1 and rows[0].sector == "town-gas" and rows[0].grade == "general"


def test_disclosure_lists_only_a_major_hazard_of_an_organisation():
    from services.disclosure.domain.publication import hazard_candidate_reason

    args = dict(
        credit_code=CODE,
        hazard_no="新北应急隐患〔2026〕1号",
        office="区安委办",
        due="2026-11-09",
        criteria="第(六)项",
    )
    reason = hazard_candidate_reason(grade="major", **args)
    assert reason and "挂牌督办" in reason and "2026-11-09" in reason
    assert hazard_candidate_reason(grade="general", **args) is None
    assert hazard_candidate_reason(grade="major", **{**args, "credit_code": ""}) is None


def test_a_report_of_another_town_is_not_shown_to_a_town_officer(database):
    handlers.submit_report(database, POLICY, {"what": "罗溪镇某厂违规动火作业", "where": "罗溪镇",
                           "town": "罗溪镇", "phone": "13800000000"}, "a", "d")  # fmt: skip
    with database.read() as conn:
        report_id = conn.execute(sa.select(db.reports.c.report_id)).scalar_one()
    assert handlers.list_reports(database, POLICY, OFFICER, {})["reports"] == []
    with pytest.raises(handlers.NotFound):
        handlers.get_report(database, POLICY, OFFICER, report_id)
    other = handlers.Actor("xinbei-yjj", "u-officer3", "罗溪镇", ("officer",))
    assert handlers.get_report(database, POLICY, other, report_id)["reporter"]["phone"]


def test_only_the_first_report_received_of_a_hazard_may_be_rewarded(database):
    def report(what: str) -> str:
        handlers.submit_report(database, POLICY, {"what": what, "where": "薛家镇富民路88号",
                                                  "town": "薛家镇"}, "", "")  # fmt: skip
        with database.read() as conn:
            return conn.execute(
                sa.select(db.reports.c.report_id).where(db.reports.c.what == what)
            ).scalar_one()

    first, second = report("罐区储罐没有注水设施"), report("罐区液化烃储罐无注水")
    hazard = {k: v for k, v in body("x").items() if k != "client_id"}
    verify = {"valid": True, "opinion": "属实", "hazard": hazard}
    later = handlers.verify_report(database, POLICY, OFFICER, second, verify)
    assert later["reward_eligible"] is True  # the only valid one so far
    earlier = handlers.verify_report(database, POLICY, OFFICER, first, verify)
    assert earlier["reward_eligible"] is True and earlier["hazard_id"] == later["hazard_id"]
    assert handlers.get_report(database, POLICY, OFFICER, second)["reward_eligible"] is False


PHOTO = {"sha256": "b" * 64, "size": 2000, "media_type": "image/jpeg"}
ORDER = {
    "responsible_person": "王经理",
    "measures": "设置注水措施",
    "funds_yuan": 20000,
    "deadline_working_days": 5,
    "contingency_plan": "专人值守",
}


def test_the_phone_gets_its_photo_slots_again_and_a_linked_finding_keeps_its_photos(database):
    first = handlers.register_command(
        database,
        POLICY,
        OFFICER,
        body(
            "p1",
            photos=[PHOTO],
            case_id="case-7",
            gps={"latitude": 31.83, "longitude": 119.97, "accuracy_m": 8},
        ),
    )
    hid = first["hazard"]["hazard_id"]
    (slot,) = first["photo_uploads"]
    # the first answer was lost: the retry with the same client_id names the same slot
    again = handlers.register_command(database, POLICY, OFFICER, body("p1", photos=[PHOTO]))
    assert again["repeated"] and again["photo_uploads"] == [slot]
    photo2 = {**PHOTO, "sha256": "c" * 64}
    linked = handlers.register_command(
        database, POLICY, OFFICER, body("p2", location="薛家镇富民路88号 罐区", photos=[photo2])
    )
    assert linked["linked"] and len(linked["photo_uploads"]) == 1
    view = handlers.get_hazard(database, OFFICER, hid)
    assert sorted(p["owner"] for p in view["photos"]) == ["hazard", "hazard"]
    detail = next(f["detail"] for f in view["findings"] if f["role"] == "registered")
    assert detail["case_id"] == "case-7" and detail["gps"]["latitude"] == 31.83
    with pytest.raises(InvalidHazard, match="gps"):
        handlers.register_command(
            database, POLICY, OFFICER, body("p3", kind="别的", gps={"latitude": 91, "longitude": 0})
        )


def test_a_reinspection_keeps_its_photos_and_fresh_upload_urls_only_for_the_hazards_own(
    database,
):
    hid = handlers.register_command(database, POLICY, OFFICER, body("r1", criteria=[]))["hazard"][
        "hazard_id"
    ]
    ordered = handlers.issue_order(database, OFFICER, hid, ORDER)
    assert ordered["working_days_left"] == 5  # counted from today, the order's day
    handlers.report_rectification(database, OFFICER, hid, {"summary": "已整改", "photos": [PHOTO]})
    failed = handlers.reinspect(
        database, OFFICER, hid, {"passed": False, "opinion": "注水管未接通", "photos": [PHOTO]}
    )
    assert failed["status"] == "rectifying"
    (slot,) = failed["photo_uploads"]
    view = handlers.get_hazard(database, OFFICER, hid)
    act = next(t for t in view["timeline"] if t["kind"] == "reinspected")
    assert act["photo_ids"] == [slot["photo_id"]] and act["opinion"] == "注水管未接通"
    assert sorted(p["owner"] for p in view["photos"]) == ["rectification", "reinspection"]

    renewed = handlers.renew_photo_uploads(
        database, OFFICER, hid, {"photo_ids": [slot["photo_id"]]}
    )
    assert renewed["photo_uploads"] == [slot]
    other = handlers.register_command(database, POLICY, OFFICER, body("r2", kind="别的"))
    with pytest.raises(handlers.NotFound):
        handlers.renew_photo_uploads(
            database, OFFICER, other["hazard"]["hazard_id"], {"photo_ids": [slot["photo_id"]]}
        )
    with pytest.raises(InvalidHazard):
        handlers.renew_photo_uploads(database, OFFICER, hid, {"photo_ids": []})
    listed = handlers.list_hazards(database, OFFICER, {})["hazards"]
    assert {h["hazard_id"]: h["working_days_left"] for h in listed}[hid] == 5
