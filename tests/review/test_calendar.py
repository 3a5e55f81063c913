"""The official calendar kept by review: entering a year, versions, recounting open reviews.

Rules: the review deadline is 7 working days (local rule) on China's official calendar; a
year without its State Council notice counts only the statutory holidays (全国年节及纪念日放假
办法, 2024 revision) and its dates are provisional until the notice is entered.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from enforcement.calendar.v1 import calendar_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.events import parse_envelope, unpack
from services.chassis.workdays import InvalidCalendar
from services.review import calendar, calendar_cli, db, handlers
from tests.review.conftest import AGENCY, deliver, proposed, task_of
from tests.support.calendar_example import example_2027_body

pytestmark = pytest.mark.integration

POLICY = handlers.Policy()


def enter(review_db, body=None, **changes):
    body = {**(body or example_2027_body()), **changes}
    return calendar.publish_year(
        review_db,
        POLICY,
        year=body["year"],
        notice_no=body["notice_no"],
        holidays=body["holidays"],
        makeup_days=body["makeup_days"],
        entered_by="u-admin",
        agency_id=AGENCY,
        note=body.get("note", ""),
    )


def proposal_on(review_db, when: datetime):
    event = proposed(complex_case=True, proposed_at=when)
    deliver(review_db, event)
    p = unpack(parse_envelope(event.payload), records_pb2.PenaltyProposed).proposal
    return task_of(review_db, p.proposal_id)


def outbox(review_db, topic: str, key: str | None = None) -> list:
    with review_db.read() as conn:
        query = sa.select(db.outbox.c.payload).where(db.outbox.c.topic == topic)
        if key is not None:
            query = query.where(db.outbox.c.key == key)
        return [parse_envelope(r.payload) for r in conn.execute(query.order_by(db.outbox.c.id))]


def test_a_review_opened_28_december_2026_is_provisional_until_2027_is_entered(review_db):
    task = proposal_on(review_db, datetime(2026, 12, 28, 2, tzinfo=UTC))
    # 29, 30, 31 Dec; 1 Jan is a statutory holiday; 4, 5, 6, 7 Jan.
    assert (task.due_date, task.due_provisional) == (date(2027, 1, 7), True)
    year, recounted, created = enter(review_db)
    assert created and year.version == 1 and recounted >= 1
    task = task_of(review_db, task.proposal_id)
    assert (task.due_date, task.due_provisional) == (date(2027, 1, 7), False)
    [moved] = [
        unpack(e, calendar_pb2.DeadlineRecomputed)
        for e in outbox(review_db, "review.deadline-recomputed.v1", task.case_id)
    ]
    assert (moved.deadline, moved.previous_provisional, moved.provisional) == (
        "legal-review",
        True,
        False,
    )
    assert moved.calendar_year == 2027 and moved.notice_no == year.notice_no
    [published] = outbox(review_db, "review.calendar-year-published.v1", "calendar-2027")
    assert unpack(published, calendar_pb2.CalendarYearPublished).year.version == 1


def test_entering_the_notice_moves_a_deadline_across_the_spring_festival(review_db):
    task = proposal_on(review_db, datetime(2027, 1, 28, 2, tzinfo=UTC))
    # Without the notice: 29 Jan, 1-4 Feb, then 5-10 Feb off (Art. 2 and Art. 6), 11, 12 Feb.
    assert (task.due_date, task.due_provisional) == (date(2027, 2, 12), True)
    enter(review_db)
    # The example notice: Sunday 31 Jan is worked, 5-13 Feb are off: due Monday 15 Feb.
    task = task_of(review_db, task.proposal_id)
    assert (task.due_date, task.due_provisional) == (date(2027, 2, 15), False)
    [moved] = [
        unpack(e, calendar_pb2.DeadlineRecomputed)
        for e in outbox(review_db, "review.deadline-recomputed.v1", task.case_id)
    ]
    assert (moved.previous_due_date, moved.due_date) == ("2027-02-12", "2027-02-15")


def test_a_completed_review_keeps_the_deadline_it_was_decided_under(review_db):
    handlers.register_reviewer(review_db, reviewer_id="u-reviewer", agency_id=AGENCY, name="法")
    task = proposal_on(review_db, datetime(2027, 1, 28, 2, tzinfo=UTC))
    with review_db.unit_of_work() as uow:
        db.update_task(uow.conn, task.review_id, status="approved")
        uow.commit()
    enter(review_db)
    assert task_of(review_db, task.proposal_id).due_date == date(2027, 2, 12)
    assert outbox(review_db, "review.deadline-recomputed.v1", task.case_id) == []


def test_an_extended_review_is_recounted_with_its_extension(review_db):
    handlers.register_reviewer(review_db, reviewer_id="u-reviewer", agency_id=AGENCY, name="法")
    task = proposal_on(review_db, datetime(2027, 1, 28, 2, tzinfo=UTC))
    extended = handlers.extend_deadline(
        review_db, POLICY, review_id=task.review_id, agency_id=AGENCY,
        reviewer_id=task.reviewer_id, reason="需要补充鉴定意见",
    )  # fmt: skip
    assert (extended.due_date, extended.due_provisional) == (date(2027, 2, 17), True)
    enter(review_db)
    # 15 Feb + 3 working days: 16, 17, 18 Feb.
    assert task_of(review_db, task.proposal_id).due_date == date(2027, 2, 18)


def test_a_correction_is_a_new_version_and_the_old_one_stays(review_db):
    enter(review_db)
    again, _, created = enter(review_db)
    assert (again.version, created) == (1, False)  # the same entry twice stores nothing
    body = example_2027_body()
    body["makeup_days"] = [d for d in body["makeup_days"] if d != "2027-01-31"]
    with pytest.raises(InvalidCalendar, match="needs a note"):
        enter(review_db, body)
    corrected, _, created = enter(review_db, body, note="更正: 1月31日不调休")
    assert (corrected.version, created) == (2, True)
    _, _, [state] = calendar.calendar_state(review_db, 2027)
    assert [v.version for v in state.versions] == [2, 1] and state.source.value == "notice"
    assert len(outbox(review_db, "review.calendar-year-published.v1")) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"makeup_days": ["2027-02-01"]}, "Saturday or Sunday"),
        ({"makeup_days": ["2027-01-02"]}, "both a holiday"),
        ({"holidays": example_2027_body()["holidays"][:3]}, "春节"),
        ({"holidays": ["2027-13-01"]}, "YYYY-MM-DD"),
        ({"notice_no": ""}, "文号"),
    ],
)
def test_an_arrangement_that_cannot_be_the_notice_stores_nothing(review_db, changes, message):
    with pytest.raises(InvalidCalendar, match=message):
        enter(review_db, **changes)
    with review_db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(db.calendar_years)).scalar() == 0


def test_supervisors_see_the_warning_until_next_year_is_entered(review_db, monkeypatch):
    monkeypatch.setattr(handlers, "china_today", lambda now=None: date(2026, 12, 1))
    monkeypatch.setattr(calendar, "china_today", lambda now=None: date(2026, 12, 1))
    assert "2027" in handlers.statistics(review_db, AGENCY).calendar_warning
    _, warning, states = calendar.calendar_state(review_db)
    assert "2027" in warning and [s.source.value for s in states] == ["package", "statutory"]
    enter(review_db)
    assert handlers.statistics(review_db, AGENCY).calendar_warning == ""


def test_the_operator_cli_enters_a_year(review_db, tmp_path, monkeypatch, capsys):
    url = review_db.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("REVIEW_DATABASE_URL", url)
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(example_2027_body(), ensure_ascii=False), encoding="utf-8")
    assert calendar_cli.main(["enter", str(path), "--by", "operator-wang"]) == 0
    assert "2027 version 1 stored" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**example_2027_body(), "makeup_days": ["2027-02-01"]}))
    assert calendar_cli.main(["enter", str(bad), "--by", "operator-wang"]) == 2
    assert "Saturday or Sunday" in capsys.readouterr().err
    assert calendar_cli.main(["show", "2027"]) == 0
    assert "2027: notice (version 1" in capsys.readouterr().out
