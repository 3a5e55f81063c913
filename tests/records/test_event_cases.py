"""一超四罚 cases opened from a confirmed overload: filed, numbered, with the confirming
officers, the facts and a penalty proposal from the benchmark, opened once per source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from enforcement.common.v1 import common_pb2
from enforcement.overload.v1 import overload_events_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.consumer import ConsumerRunner
from services.chassis.events import build_event, parse_envelope, unpack
from services.records import db, handlers
from services.records.consumers import make_handlers
from services.records.domain.recording import recording_flags

from .conftest import AGENCY, NUMBERING, uid

pytestmark = pytest.mark.integration

TOPIC = "overload.violation-confirmed.v1"
ZHANG = common_pb2.Officer(officer_id="u-zhang", name="张伟", certificate_no="32041120001")
LI = common_pb2.Officer(officer_id="u-li", name="李娜", certificate_no="32041120002")


def confirmed(weighing_id: str, *, officers=(ZHANG, LI), **changes):
    party = overload_events_pb2.Party
    base = dict(
        weighing_id=weighing_id,
        inspection_id=uid("i"),
        station_id="station-g312-km45",
        agency_id=AGENCY,
        town="罗溪镇",
        plate="苏D9X123",
        gross_t=102.34,
        limit_t=49.0,
        tolerance_t=0.06,
        over_t=53.28,
        fine_yuan=27_000,
        fine_rule="500 yuan per tonne over, 54 t (第四十三条, rounding up)",
        rated_load_t="35",
        curb_mass_t="15",
        overload_percent="149.54",
        overload_fine_yuan=2_000,
        overload_rule="over the rated load by 100 % or more",
        hundred_tonne_king=True,
        rules_version="jt-2016-62/gb1589-2016/v1",
        cargo="砂石",
        driver=party(name="赵六", id_number="11010519491231002X"),
        carrier=party(name="常州某运输有限公司", credit_code="914403001922038216"),
        loading_source=party(name="某砂石场", credit_code="91110108551385082Q"),
        officers=list(officers),
        agency_powers=["road-authority"],
        referrals=[
            overload_events_pb2.ReferralSent(
                referral_id=f"ref-{weighing_id}",
                to_power="traffic-police",
                to_agency="公安机关交通管理部门",
                matters=["超载: 扣除称重误差后超过核定载质量 149.54%", "驾驶人记分"],
                basis=["《超限运输车辆行驶公路管理规定》第四十五条", "《行政处罚法》第二十九条"],
                due_date="2026-12-08",
                photo_keys=["weighings/w/photo-1.jpg"],
            )
        ],
    )
    event = overload_events_pb2.ViolationConfirmed(**{**base, **changes})
    event.confirmed_at.FromDatetime(datetime.now(UTC) - timedelta(seconds=30))
    return build_event(topic=TOPIC, aggregate_id=event.inspection_id, payload=event, producer="o")


def runner(database) -> ConsumerRunner:
    return ConsumerRunner(
        name="records", bootstrap="unused:1", db=database, handlers=make_handlers(NUMBERING)
    )


def cases_of(database, weighing_id: str) -> dict:
    with database.read() as conn:
        ids = conn.execute(
            sa.select(db.cases.c.case_id).where(db.cases.c.source_ref.like(f"{weighing_id}:%"))
        ).scalars()
        found = [db.get_case(conn, i) for i in ids]
    return {c.source_ref.rpartition(":")[2]: c for c in found}


def tasks_of(database, weighing_id: str) -> list:
    tasks = handlers.list_tasks(database, agency_id=AGENCY, town=None, status="open", page_size=500)
    return [t for t in tasks if t.source_ref.startswith(weighing_id)]


def outbox(database, topic: str, message):
    with database.read() as conn:
        rows = conn.execute(
            sa.select(db.outbox.c.payload)
            .where(db.outbox.c.topic == topic)
            .order_by(db.outbox.c.id)
        ).all()
    return [unpack(parse_envelope(r.payload), message) for r in rows]


def test_a_confirmed_overload_opens_three_filed_cases_and_a_supervision_task(records_db):
    weighing = uid("w")
    assert runner(records_db).handle(TOPIC, 0, 1, confirmed(weighing).payload) == "applied"
    cases = cases_of(records_db, weighing)
    assert sorted(cases) == ["carrier", "driver", "loading-source"]
    numbers = set()
    for role, case in cases.items():
        assert case.stage.value == "review" and case.review_status == "pending"
        assert case.domain.value == "road-transport" and case.town == "罗溪镇"
        assert case.source_topic == TOPIC and case.source_ref == f"{weighing}:{role}"
        assert case.officer_ids == ("u-zhang", "u-li") and case.opened_by == "u-zhang"
        assert case.case_no.startswith("新北应急立〔") and "(百吨王)" in case.title
        numbers.add(case.case_no)
    assert len(numbers) == 3
    assert cases["driver"].party.kind.value == "person"
    assert cases["driver"].party.id_number == "11010519491231002X"
    assert cases["carrier"].party.credit_code == "914403001922038216"
    assert cases["loading-source"].party.name == "某砂石场"
    [task] = tasks_of(records_db, weighing)
    assert task.details["role"] == "supervision-notice" and task.party is None

    _, entries = handlers.timeline(records_db, cases["driver"].case_id, AGENCY)
    assert [e.kind for e in entries] == [
        "opened",
        "transition",
        "transition",
        "document",
        "step",
        "document",
        "proposal",
    ]
    assert [e.payload.get("to") for e in entries[1:3]] == ["filing", "investigation"]
    document, step, proposal = entries[3].payload, entries[4].payload, entries[6].payload
    assert document["document"] == "车辆超限检测单" and document["over_t"] == 53.28
    assert document["overload_percent"] == "149.54" and document["hundred_tonne_king"]
    assert step["act"] == "inspection" and step["officers"] == ["u-zhang", "u-li"]
    # The on-site inspection still needs its audio-video record (执法记录仪) attached.
    assert [f.act for f in recording_flags(entries)] == ["inspection"]
    # The entries keep the time the officers confirmed it; they reached records 30 s later.
    assert all(e.actor_id == "u-zhang" and 25 < e.delay_s < 120 for e in entries)

    # The referral to the traffic police is in the driver's record, with what it carried.
    referral = entries[5].payload
    assert referral["document"] == "案件移送函(抄告)" and referral["status"] == "sent"
    assert referral["to_agency"] == "公安机关交通管理部门"
    assert referral["photo_keys"] == ["weighings/w/photo-1.jpg"]
    assert referral["weighing_id"] == weighing and referral["referral_id"] == f"ref-{weighing}"
    # The driver: the road authority proposes only its own fine, Art. 43 (27,000); the 超载
    # fine and the points are the traffic police's, referred to them.
    assert proposal["fine_yuan"] == 27_000 and proposal["kinds"] == ["fine"]
    assert proposal["discretion"]["benchmark_id"] == "jt62-43-overlimit"
    assert proposal["discretion"]["circumstance"] == "serious"
    assert any("第四十三条" in b for b in proposal["legal_basis"])
    assert not any("第九十二条" in b for b in proposal["legal_basis"])
    assert "已移送公安机关交通管理部门" in proposal["facts"]
    proposals = outbox(records_db, "records.penalty-proposed.v1", records_pb2.PenaltyProposed)
    mine = {p.case.case_id: p for p in proposals if p.case.source_ref.startswith(weighing)}
    assert len(mine) == 3
    carrier = mine[cases["carrier"].case_id].proposal
    assert (carrier.fine_yuan, carrier.discretion.benchmark_id) == (25_000, "gl-68-instigation")
    assert "《公路安全保护条例》第六十八条" in carrier.legal_basis
    source = mine[cases["loading-source"].case_id]
    assert source.proposal.fine_yuan == 25_000 and source.case.officers[1].certificate_no
    opened = outbox(records_db, "records.case-opened.v1", records_pb2.CaseOpened)
    assert {c.case.case_id for c in opened} >= {c.case_id for c in cases.values()}


def test_a_redelivered_or_resent_violation_opens_nothing_twice(records_db):
    weighing = uid("w")
    event = confirmed(weighing)
    r = runner(records_db)
    assert r.handle(TOPIC, 0, 1, event.payload) == "applied"
    assert r.handle(TOPIC, 0, 1, event.payload) == "duplicate"  # the same message again
    # The same violation in a new envelope (a new event id) finds its cases by their source.
    again = confirmed(weighing)
    assert r.handle(TOPIC, 3, 9, again.payload) == "applied"
    assert len(cases_of(records_db, weighing)) == 3 and len(tasks_of(records_db, weighing)) == 1
    with records_db.read() as conn:
        proposals = conn.execute(sa.select(sa.func.count()).select_from(db.proposals)).scalar_one()
    assert proposals == 3


def test_a_small_overload_gives_the_driver_the_fine_within_the_agencys_powers(records_db):
    # 1.6 t over (1,000 yuan by Art. 43) but 120 % over the rated load (2,000 by Art. 92).
    small = dict(
        gross_t=50.66, over_t=1.6, fine_yuan=1_000, hundred_tonne_king=False,
        overload_percent="120.00", overload_fine_yuan=2_000,
    )  # fmt: skip
    # A road authority proposes its own Art. 43 fine; Art. 92 went to the traffic police.
    road = uid("w")
    runner(records_db).handle(TOPIC, 0, 1, confirmed(road, **small).payload)
    _, entries = handlers.timeline(records_db, cases_of(records_db, road)["driver"].case_id, AGENCY)
    assert entries[-1].payload["fine_yuan"] == 1_000
    assert entries[-1].payload["discretion"]["benchmark_id"] == "jt62-43-overlimit"
    # An agency holding both powers (joint enforcement) applies Art. 29 itself: the higher.
    heavy_load = uid("w")
    event = confirmed(
        heavy_load, agency_powers=["road-authority", "traffic-police"], referrals=[], **small
    )
    runner(records_db).handle(TOPIC, 0, 3, event.payload)
    driver = cases_of(records_db, heavy_load)["driver"]
    _, entries = handlers.timeline(records_db, driver.case_id, AGENCY)
    proposal = entries[-1].payload
    assert proposal["fine_yuan"] == 2_000
    assert proposal["discretion"]["benchmark_id"] == "rtsl-92-overload"
    assert proposal["discretion"]["circumstance"] == "serious"
    assert any("第二十九条" in b for b in proposal["legal_basis"])
    carrier = cases_of(records_db, heavy_load)["carrier"]
    _, entries = handlers.timeline(records_db, carrier.case_id, AGENCY)
    assert entries[-1].payload["fine_yuan"] == 15_000  # ordinary: not a 百吨王
    # 0.8 t over, rated load unknown: a warning only (Art. 43: up to 1 t).
    slight = uid("w")
    runner(records_db).handle(
        TOPIC, 0, 2,
        confirmed(
            slight, gross_t=49.86, over_t=0.8, fine_yuan=0, hundred_tonne_king=False,
            overload_percent="", overload_fine_yuan=0,
        ).payload,
    )  # fmt: skip
    _, entries = handlers.timeline(
        records_db, cases_of(records_db, slight)["driver"].case_id, AGENCY
    )
    assert entries[-1].payload["kinds"] == ["warning"] and entries[-1].payload["fine_yuan"] == 0


def test_a_violation_that_cannot_be_a_lawful_case_becomes_a_task_with_the_reason(records_db):
    weighing = uid("w")
    bad_code = overload_events_pb2.Party(name="某物流公司", credit_code="91320400MA1XXXXXX1")
    event = confirmed(weighing, carrier=bad_code)
    runner(records_db).handle(TOPIC, 0, 1, event.payload)
    assert sorted(cases_of(records_db, weighing)) == ["driver", "loading-source"]
    tasks = {t.details["role"]: t for t in tasks_of(records_db, weighing)}
    assert sorted(tasks) == ["carrier", "supervision-notice"]
    assert "credit code" in tasks["carrier"].details["case_not_opened"]
    lone = uid("w")
    runner(records_db).handle(TOPIC, 0, 2, confirmed(lone, officers=(ZHANG,)).payload)
    assert cases_of(records_db, lone) == {}
    reasons = {t.details.get("case_not_opened", "") for t in tasks_of(records_db, lone)}
    assert any("at least 2 officers" in r for r in reasons)


def test_a_traffic_police_agency_opens_only_the_drivers_case_with_its_own_fine(records_db):
    weighing = uid("w")
    event = confirmed(
        weighing,
        agency_powers=["traffic-police"],
        referrals=[
            overload_events_pb2.ReferralSent(
                referral_id=f"ref-{weighing}", to_power="road-authority",
                to_agency="公路管理机构", matters=["超限"], due_date="2026-12-08",
            )
        ],
    )  # fmt: skip
    runner(records_db).handle(TOPIC, 0, 1, event.payload)
    cases = cases_of(records_db, weighing)
    # The carrier's and the loading source's instigation is the road authority's (Art. 68).
    assert sorted(cases) == ["driver"]
    _, entries = handlers.timeline(records_db, cases["driver"].case_id, AGENCY)
    assert entries[-1].payload["fine_yuan"] == 2_000
    assert entries[-1].payload["discretion"]["benchmark_id"] == "rtsl-92-overload"


def test_the_referrals_receipt_is_written_into_the_drivers_case_once(records_db):
    weighing = uid("w")
    r = runner(records_db)
    r.handle(TOPIC, 0, 1, confirmed(weighing).payload)
    ack = overload_events_pb2.ReferralAcknowledged(
        referral_id=f"ref-{weighing}",
        agency_id=AGENCY,
        weighing_id=weighing,
        to_agency="公安机关交通管理部门",
        acknowledged_on="2026-12-03",
        acknowledged_by="u-zhang",
        acknowledgement_ref="新公交(2026)第88号",
    )
    topic = "overload.referral-acknowledged.v1"
    first = build_event(topic=topic, aggregate_id="i", payload=ack, producer="overload")
    assert r.handle(topic, 0, 7, first.payload) == "applied"
    again = build_event(topic=topic, aggregate_id="i", payload=ack, producer="overload")
    assert r.handle(topic, 1, 8, again.payload) == "applied"  # a resend: no second entry
    _, entries = handlers.timeline(
        records_db, cases_of(records_db, weighing)["driver"].case_id, AGENCY
    )
    receipts = [e.payload for e in entries if e.payload.get("document") == "案件移送回执"]
    assert len(receipts) == 1 and receipts[0]["acknowledgement_ref"] == "新公交(2026)第88号"
    assert receipts[0]["status"] == "acknowledged" and receipts[0]["referral_id"] == ack.referral_id
