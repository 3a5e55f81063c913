"""Issue 13 item 2: a revocation's reason is published, so it is redacted like the record, with
what the case knows (the penalised person, their home, the people the record names)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from enforcement.common.v1 import common_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.events import build_event, parse_envelope, unpack
from services.disclosure import db
from services.disclosure.handlers import Policy

from .conftest import AGENCY, decided, deliver

pytestmark = pytest.mark.integration

PERSON = ("王小明", "11010519491231002X")
HOME = "常州市新北区薛家镇富民路12号"


def _revoked(case: records_pb2.Case, reason: str, named: list[str]):
    event = records_pb2.PenaltyRevoked(case=case, reason=reason, named_persons=named)
    return build_event(
        topic="records.penalty-revoked.v1",
        aggregate_id=case.case_id,
        payload=event,
        producer="records",
    )


def test_a_revocation_reason_is_stored_redacted(disclosure_db, tagger):
    policy = Policy(tagger=tagger)
    event = decided(person=PERSON)
    deliver(disclosure_db, event, policy)
    case = unpack(parse_envelope(event.payload), records_pb2.PenaltyDecided).case
    case.party.address = HOME
    reason = (
        "经行政复议，撤销原处罚决定：申请人王 小明（身份证号110105 19491231 002X，"
        "手机１３８１２３４５６７８，住富民路12号）提供的证据表明，执法人员于2026年3月2日"
        "在衡山路18号检查时未出示证件，证人阿依古丽可证实。"
    )
    deliver(disclosure_db, _revoked(case, reason, ["阿依古丽"]), policy)
    with disclosure_db.read() as conn:
        row = db.disclosure_of_case(conn, case.case_id)
    assert row.status == "withdrawn"
    assert row.withdrawal_reason == (
        "经行政复议，撤销原处罚决定：申请人王**（身份证号[身份证号已隐去]，"
        "手机[电话已隐去]，住[住址已隐去]）提供的证据表明，执法人员于2026年3月2日"
        "在衡山路18号检查时未出示证件，证人阿某某可证实。"
    )


def test_a_decision_names_the_people_its_record_knows(disclosure_db, tagger):
    event = decided(person=PERSON, facts="当事人经营的面馆未安装报警装置，阿依古丽在场见证。")
    message = unpack(parse_envelope(event.payload), records_pb2.PenaltyDecided)
    message.named_persons.append("阿依古丽")
    message.case.party.CopyFrom(
        common_pb2.Party(
            kind=common_pb2.Party.KIND_PERSON, name=PERSON[0], id_number=PERSON[1], address=HOME
        )
    )
    event = build_event(
        topic="records.penalty-decided.v1",
        aggregate_id=message.case.case_id,
        payload=message,
        producer="records",
    )
    deliver(disclosure_db, event, Policy(tagger=tagger))
    with disclosure_db.read() as conn:
        row = db.disclosure_of_case(conn, message.case.case_id)
    assert row.fields["facts"] == "当事人经营的面馆未安装报警装置，阿某某在场见证。"
    assert row.agency_id == AGENCY


def test_what_was_published_before_is_redacted_by_the_migration(db_url):
    """Migration 0003: reasons stored as typed and facts redacted by the older patterns."""
    from alembic import command
    from alembic.config import Config

    from services.chassis.db import make_engine
    from tests.disclosure.conftest import MIGRATIONS

    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    fields = {
        "party_name": "王**", "party_category": "自然人", "legal_representative": "",
        "facts": "当事人王**（手机139 1234 5678）于2026年3月2日在衡山路18号经营早餐店。",
        "decision_no": "新北应急罚〔2026〕999号",
    }  # fmt: skip
    reason = "申请人王小明（身份证号32041119880611005X，家住薛家镇富民路12号）复议胜诉。"
    now = "2026-11-30 08:00:00"
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO disclosures (disclosure_id, case_id, agency_id, domain, decision_no,"
                " decision_date, party_name, credit_code, fields, status, decided_at,"
                " published_at, due_date, working_days_to_publish, publication_end, min_end,"
                " withdrawn_at, withdrawal_reason) VALUES ('d-old', 'c-old', :a, 'gas',"
                " '新北应急罚〔2026〕999号', '2026-11-30', '王**', '', :f, 'withdrawn', :t, :t,"
                " '2026-12-09', 0, '2029-11-30', '2027-11-30', :t, :r)"
            ),
            {"a": AGENCY, "f": json.dumps(fields, ensure_ascii=False), "t": now, "r": reason},
        )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(db.disclosures).where(db.disclosures.c.case_id == "c-old")
        ).one()
    assert row.withdrawal_reason == (
        "申请人王某某（身份证号[身份证号已隐去]，家住[住址已隐去]）复议胜诉。"
    )
    assert row.fields["facts"] == (
        "当事人王**（手机[电话已隐去]）于2026年3月2日在衡山路18号经营早餐店。"
    )
    engine.dispose()
