"""From a decided penalty to the public record, on a real database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from enforcement.disclosure.v1 import disclosure_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.events import parse_envelope, unpack
from services.disclosure import db, handlers
from services.disclosure.domain.publication import add_months, age_on

from .conftest import COMPANY, decided, deliver, revoked

pytestmark = pytest.mark.integration


def case_id_of(event) -> str:
    return unpack(parse_envelope(event.payload), records_pb2.PenaltyDecided).case.case_id


def search(database, **kw):
    rows, cursor = handlers.search(database, disclosure_pb2.SearchDisclosuresRequest(**kw))
    return rows, cursor


def test_a_decided_penalty_is_published_redacted_with_the_national_fields(disclosure_db):
    event = decided()
    assert deliver(disclosure_db, event) == "applied"
    [row], _ = search(disclosure_db, credit_code=COMPANY[1])
    f = row.fields
    assert f["party_name"] == COMPANY[0] and f["credit_code"] == COMPANY[1]
    assert f["party_category"] == "法人及非法人组织"
    assert f["fine_10k_yuan"] == "3" and f["penalty_category"] == "罚款"
    assert f["authority"] and f["decision_no"].startswith("新北应急罚")
    blob = json.dumps(f, ensure_ascii=False)
    for secret in ("13912345678", "6222021001123456789", "刘德华"):
        assert secret not in blob
    decided_on = date.fromisoformat(f["decision_date"])
    assert f["publication_end"] == add_months(decided_on, 36).isoformat()
    assert row.working_days_to_publish == 0 and row.status == "published"


def test_a_person_party_shows_as_surname_and_asterisks_and_no_id(disclosure_db):
    event = decided(
        person=("王小明", "320411198503120023"),
        facts="王小明经营的面馆未安装燃气报警装置，王小明当场承认。",
    )
    deliver(disclosure_db, event)
    [row], _ = search(disclosure_db, query="王")
    assert row.fields["party_name"] == "王**"
    assert row.fields["party_category"] == "自然人"
    blob = json.dumps(row.fields, ensure_ascii=False)
    assert "王小明" not in blob and "320411198503120023" not in blob
    assert row.credit_code == ""


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"person": ("李小龙", "320411201001010012")}, "minor"),
        ({"secret": True}, "secrets"),
    ],
)
def test_minors_and_secret_cases_are_never_published_and_the_refusal_is_kept(
    disclosure_db, kw, why
):
    event = decided(decided_at=datetime(2026, 11, 2, tzinfo=UTC), **kw)
    deliver(disclosure_db, event)
    rows, _ = search(disclosure_db)
    assert case_id_of(event) not in {r.case_id for r in rows}
    with disclosure_db.read() as conn:
        reason = conn.execute(
            sa.select(db.withheld.c.reason).where(db.withheld.c.case_id == case_id_of(event))
        ).scalar_one()
    assert why in reason


def test_age_is_read_from_the_id_number_on_the_decision_day():
    assert age_on("320411201001010012", date(2026, 11, 28)) == 16
    assert age_on("320411200811280011", date(2026, 11, 28)) == 18
    assert age_on("not-an-id", date(2026, 1, 1)) is None


def test_a_revoked_decision_stays_visible_as_a_withdrawal_with_its_reason(disclosure_db):
    event = decided()
    deliver(disclosure_db, event)
    deliver(disclosure_db, revoked(case_id_of(event)))
    rows, _ = search(disclosure_db, credit_code=COMPANY[1])
    [row] = [r for r in rows if r.case_id == case_id_of(event)]
    assert row.status == "withdrawn" and "行政复议" in row.withdrawal_reason


def test_search_pages_newest_first_with_a_cursor(disclosure_db):
    for day in (3, 4, 5, 6, 7):
        deliver(disclosure_db, decided(decided_at=datetime(2026, 11, day, 3, tzinfo=UTC)))
    first, cursor = search(disclosure_db, page_size=2, date_from="2026-11-03", date_to="2026-11-07")
    second, cursor2 = search(
        disclosure_db, page_size=2, date_from="2026-11-03", date_to="2026-11-07", cursor=cursor
    )
    third, end = search(
        disclosure_db, page_size=2, date_from="2026-11-03", date_to="2026-11-07", cursor=cursor2
    )
    days = [r.decision_date.day for r in first + second + third]
    assert days == [7, 6, 5, 4, 3] and end == ""
    with pytest.raises(ValueError):
        search(disclosure_db, cursor="not-a-cursor")


def test_publication_deadline_and_late_list_count_working_days_across_a_holiday(disclosure_db):
    # Decided 30 September 2026: due 7 working days later, across National Day, on 15 October.
    event = decided(decided_at=datetime(2026, 9, 30, 2, tzinfo=UTC))
    deliver(disclosure_db, event)
    with disclosure_db.read() as conn:
        row = db.disclosure_of_case(conn, case_id_of(event))
    assert row.due_date == date(2026, 10, 15)
    assert row.working_days_to_publish > 7  # it reached disclosure only now
    late = handlers.late(disclosure_db, "xinbei-yjj", 7)
    assert case_id_of(event) in {r.case_id for r in late}


def test_publications_of_a_period_say_which_met_the_7_working_day_deadline(disclosure_db):
    late = decided(decided_at=datetime(2026, 9, 30, 2, tzinfo=UTC))
    on_time = decided(company=("某按期企业", "91110108551385082Q"))
    deliver(disclosure_db, late)
    deliver(disclosure_db, on_time)
    rows = handlers.publications(disclosure_db, "xinbei-yjj", "2026-09-01", "")
    took = {r.case_id: r.working_days_to_publish for r in rows}
    assert took[case_id_of(late)] > 7 and took[case_id_of(on_time)] <= 7
    assert handlers.publications(disclosure_db, "xinbei-yjj", "2026-10-01", "2026-10-31") == []
    assert handlers.publications(disclosure_db, "other", "", "") == []
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        handlers.publications(disclosure_db, "xinbei-yjj", "30.9.2026", "")


def test_credit_repair_only_after_the_minimum_period_and_every_request_is_logged(disclosure_db):
    recent = decided()
    old = decided(
        decided_at=datetime(2024, 10, 1, tzinfo=UTC), company=("某老企业", "91110108551385082Q")
    )
    deliver(disclosure_db, recent)
    deliver(disclosure_db, old)
    [r1], _ = search(disclosure_db, credit_code=COMPANY[1])
    approved, why = handlers.credit_repair(
        disclosure_db, disclosure_id=r1.disclosure_id, credit_code=COMPANY[1], reason="已整改"
    )
    assert not approved and "minimum publication period" in why
    [r2], _ = search(disclosure_db, credit_code="91110108551385082Q")
    approved, _ = handlers.credit_repair(
        disclosure_db,
        disclosure_id=r2.disclosure_id,
        credit_code="91110108551385082Q",
        reason="已整改",
    )
    assert approved
    assert search(disclosure_db, credit_code="91110108551385082Q")[0] == []
    with pytest.raises(handlers.NotFound):
        handlers.credit_repair(
            disclosure_db,
            disclosure_id=r1.disclosure_id,
            credit_code="91110108551385082Q",
            reason="x",
        )
    with disclosure_db.read() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(db.credit_repairs)).scalar_one()
            == 2
        )


def test_serious_or_repeated_violations_put_an_enterprise_on_the_joint_list(disclosure_db):
    code = "91320411MA1XXXXX5"  # not checked here; the list keys on the code as given
    company = ("某反复违法企业", code)
    deliver(disclosure_db, decided(company=company))
    deliver(disclosure_db, decided(company=company))
    assert handlers.joint_entries(disclosure_db, code) == []
    deliver(disclosure_db, decided(company=company))
    [entry] = handlers.joint_entries(disclosure_db, code)
    assert "repeated violations: 3" in entry.reason
    closed = decided(company=("某被关闭企业", "91320411MA2YYYYY6"), kinds=("closure",), fine_yuan=0)
    deliver(disclosure_db, closed)
    assert "关闭" in handlers.joint_entries(disclosure_db, "91320411MA2YYYYY6")[0].reason


def test_records_past_their_period_expire(disclosure_db):
    event = decided(decided_at=datetime(2022, 1, 10, tzinfo=UTC))
    deliver(disclosure_db, event)
    assert handlers.expire(disclosure_db) >= 1
    rows, _ = search(disclosure_db, date_to="2022-12-31")
    assert case_id_of(event) not in {r.case_id for r in rows}
