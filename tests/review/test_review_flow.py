"""The legal review on a real database: proposals in, tasks worked, outcomes out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from enforcement.records.v1 import records_pb2
from services.chassis.events import parse_envelope, unpack
from services.review import db, handlers
from services.review.domain.tasks import (
    CHECKLIST_KEYS,
    CheckItem,
    InvalidReview,
    Meeting,
    NotAllowed,
)

from .conftest import AGENCY, deliver, outcomes, proposed, task_of

pytestmark = pytest.mark.integration


def checklist(failed: dict[str, str] | None = None) -> list[CheckItem]:
    failed = failed or {}
    return [CheckItem(k, k not in failed, failed.get(k, "")) for k in CHECKLIST_KEYS]


def complete(database, task, reviewer="u-reviewer", outcome="approved", failed=None):
    return handlers.complete_review(
        database,
        review_id=task.review_id,
        agency_id=AGENCY,
        reviewer_id=reviewer,
        outcome=outcome,
        checklist=checklist(failed),
        opinion="经审核, 同意" if outcome == "approved" else "证据不足, 建议补充",
    )


def event_case(event) -> str:
    return unpack(parse_envelope(event.payload), records_pb2.PenaltyProposed).case.case_id


def test_a_proposal_that_is_not_major_is_answered_at_once(review_db):
    event = proposed(fine_yuan=40_000)
    assert deliver(review_db, event) == "applied"
    [answer] = outcomes(review_db, event_case(event))
    assert answer.outcome == "not-required"
    assert "none of the major-decision rules applies" in answer.reasons
    assert any("within the ordinary band" in r for r in answer.reasons)


def test_a_major_proposal_waits_for_a_reviewer_who_is_not_a_case_officer(review_db):
    handlers.register_reviewer(review_db, reviewer_id="u-zhang", agency_id=AGENCY, name="张伟")
    event = proposed(fine_yuan=200_000, discretion=records_pb2.Discretion(
        benchmark_id="aq-99-safety-equipment", circumstance="serious"))  # fmt: skip
    deliver(review_db, event)
    proposal = unpack(parse_envelope(event.payload), records_pb2.PenaltyProposed).proposal
    task = task_of(review_db, proposal.proposal_id)
    assert task.major and task.status == "waiting"  # the only reviewer is a case officer
    assert any("fine over 100,000 yuan" in r for r in task.reasons)
    with pytest.raises(NotAllowed, match="officer"):
        complete(review_db, task, reviewer="u-zhang")
    assert (
        handlers.register_reviewer(
            review_db, reviewer_id="u-reviewer", agency_id=AGENCY, name="法制员"
        )
        == 1
    )
    task = task_of(review_db, proposal.proposal_id)
    assert (task.status, task.reviewer_id) == ("assigned", "u-reviewer")
    assert outcomes(review_db, task.case_id) == []  # nothing goes out before the review


def test_a_reviewer_with_a_recorded_conflict_is_passed_over_and_refused(review_db):
    handlers.register_reviewer(review_db, reviewer_id="u-r1", agency_id=AGENCY, name="甲")
    handlers.register_reviewer(review_db, reviewer_id="u-r2", agency_id=AGENCY, name="乙")
    handlers.record_conflict(
        review_db, reviewer_id="u-r1", agency_id=AGENCY,
        party_key="914403001922038216", reason="亲属在该企业任职",
    )  # fmt: skip
    event = proposed(kinds=["suspension"], fine_yuan=0)
    deliver(review_db, event)
    task = task_of(
        review_db,
        unpack(parse_envelope(event.payload), records_pb2.PenaltyProposed).proposal.proposal_id,
    )
    assert task.reviewer_id == "u-r2"
    handlers.register_reviewer(review_db, reviewer_id="u-r1", agency_id=AGENCY, name="甲")
    with pytest.raises(NotAllowed):
        complete(review_db, task, reviewer="u-r1")


def test_approve_needs_every_item_passed_and_sends_the_outcome_once(review_db):
    handlers.register_reviewer(review_db, reviewer_id="u-reviewer", agency_id=AGENCY, name="法")
    event = proposed(mitigated=True)
    deliver(review_db, event)
    case_id = event_case(event)
    task = task_of(
        review_db,
        unpack(parse_envelope(event.payload), records_pb2.PenaltyProposed).proposal.proposal_id,
    )
    with pytest.raises(InvalidReview, match="cannot approve"):
        complete(review_db, task, failed={"evidence": "缺少现场照片"})
    with pytest.raises(InvalidReview, match="every checklist item"):
        handlers.complete_review(
            review_db, review_id=task.review_id, agency_id=AGENCY, reviewer_id="u-reviewer",
            outcome="approved", checklist=checklist()[:-1], opinion="同意",
        )  # fmt: skip
    done, created = complete(review_db, task)
    assert created and done.status == "approved"
    _, created = complete(review_db, task)
    assert not created
    [answer] = outcomes(review_db, case_id)
    assert answer.outcome == "approved" and answer.reviewer_id == "u-reviewer"
    assert answer.opinion == "经审核, 同意"
    with pytest.raises(handlers.NotFound):
        handlers.get_task(review_db, task.review_id, "other-agency")


def test_a_disputed_review_goes_to_the_collective_meeting_and_is_decided_with_its_record(
    review_db,
):
    handlers.register_reviewer(review_db, reviewer_id="u-reviewer", agency_id=AGENCY, name="法")
    event = proposed(mitigated=True)
    deliver(review_db, event)
    task = task_of(
        review_db,
        unpack(parse_envelope(event.payload), records_pb2.PenaltyProposed).proposal.proposal_id,
    )
    meeting = Meeting("2026-11-30", ("张局长", "李副局长", "王科长"), "经集体讨论，同意减轻处罚。")
    with pytest.raises(InvalidReview, match="only a review referred"):
        handlers.complete_review(
            review_db, review_id=task.review_id, agency_id=AGENCY, reviewer_id="u-reviewer",
            outcome="approved", checklist=checklist(), opinion="同意", meeting=meeting,
        )  # fmt: skip
    with pytest.raises(NotAllowed):
        handlers.refer_to_meeting(
            review_db, review_id=task.review_id, agency_id=AGENCY, reviewer_id="u-other",
            reason="分歧",
        )  # fmt: skip
    referred = handlers.refer_to_meeting(
        review_db, review_id=task.review_id, agency_id=AGENCY, reviewer_id="u-reviewer",
        reason="对是否适用减轻处罚存在分歧",
    )  # fmt: skip
    assert referred.status == "assigned" and referred.meeting["reason"].startswith("对是否")
    with pytest.raises(InvalidReview, match="already referred"):
        handlers.refer_to_meeting(
            review_db, review_id=task.review_id, agency_id=AGENCY, reviewer_id="u-reviewer",
            reason="again",
        )  # fmt: skip
    with pytest.raises(InvalidReview, match="meeting's record"):
        complete(review_db, task)
    too_few = Meeting("2026-11-30", ("张局长", "张局长", "王科长"), "纪要")
    with pytest.raises(InvalidReview, match="at least 3"):
        handlers.complete_review(
            review_db, review_id=task.review_id, agency_id=AGENCY, reviewer_id="u-reviewer",
            outcome="approved", checklist=checklist(), opinion="同意", meeting=too_few,
        )  # fmt: skip
    done, created = handlers.complete_review(
        review_db, review_id=task.review_id, agency_id=AGENCY, reviewer_id="u-reviewer",
        outcome="approved", checklist=checklist(), opinion="按集体讨论意见，同意", meeting=meeting,
    )  # fmt: skip
    assert created and done.status == "approved"
    assert done.meeting["participants"] == ["张局长", "李副局长", "王科长"]
    assert done.meeting["held_on"] == "2026-11-30" and done.meeting["reason"]
    # the case's record learns that the agency's collective meeting decided it
    [answer] = outcomes(review_db, task.case_id)
    assert answer.HasField("meeting")
    assert list(answer.meeting.participants) == ["张局长", "李副局长", "王科长"]
    assert answer.meeting.minutes == "经集体讨论，同意减轻处罚。"
    assert answer.meeting.reason.startswith("对是否")


def test_return_then_repropose_then_approve_and_the_new_round_sees_the_old(review_db):
    handlers.register_reviewer(review_db, reviewer_id="u-reviewer", agency_id=AGENCY, name="法")
    first = proposed(hearing_requested=True)
    case_id = event_case(first)
    deliver(review_db, first)
    t1 = task_of(
        review_db,
        unpack(parse_envelope(first.payload), records_pb2.PenaltyProposed).proposal.proposal_id,
    )
    complete(review_db, t1, outcome="returned", failed={"evidence": "缺少听证笔录"})
    second = proposed(case_id=case_id, round_=2, hearing_requested=True)
    deliver(review_db, second)
    t2 = task_of(
        review_db,
        unpack(parse_envelope(second.payload), records_pb2.PenaltyProposed).proposal.proposal_id,
    )
    _, previous = handlers.get_task(review_db, t2.review_id, AGENCY)
    assert [p.status for p in previous] == ["returned"]
    assert previous[0].checklist[3]["comment"] == "缺少听证笔录"
    complete(review_db, t2)
    assert [o.outcome for o in outcomes(review_db, case_id)] == ["returned", "approved"]
    stats = handlers.statistics(review_db, AGENCY)
    assert stats.completed == 2 and stats.approval_rate == 0.5
    assert stats.return_reasons == [("evidence", 1)]
    assert stats.returns_by_officer == [("u-zhang", 1)]


def test_the_deadline_counts_working_days_and_extends_once(review_db):
    handlers.register_reviewer(review_db, reviewer_id="u-reviewer", agency_id=AGENCY, name="法")
    event = proposed(complex_case=True, proposed_at=datetime(2026, 9, 30, 2, tzinfo=UTC))
    deliver(review_db, event)
    task = task_of(
        review_db,
        unpack(parse_envelope(event.payload), records_pb2.PenaltyProposed).proposal.proposal_id,
    )
    assert task.due_date.isoformat() == "2026-10-15"
    policy = handlers.Policy()
    extended = handlers.extend_deadline(
        review_db, policy, review_id=task.review_id, agency_id=AGENCY,
        reviewer_id="u-reviewer", reason="需要补充鉴定意见",
    )  # fmt: skip
    assert extended.due_date.isoformat() == "2026-10-20" and extended.extended
    with pytest.raises(InvalidReview, match="once"):
        handlers.extend_deadline(
            review_db, policy, review_id=task.review_id, agency_id=AGENCY,
            reviewer_id="u-reviewer", reason="again",
        )  # fmt: skip


def test_overdue_tasks_raise_one_event_and_show_on_the_supervisors_list(review_db):
    event = proposed(public_interest=True, proposed_at=datetime(2026, 1, 5, tzinfo=UTC))
    deliver(review_db, event)
    assert handlers.sweep_overdue(review_db) >= 1
    assert handlers.sweep_overdue(review_db) == 0
    with review_db.read() as conn:
        n = conn.execute(
            sa.select(sa.func.count())
            .select_from(db.outbox)
            .where(db.outbox.c.topic == "review.overdue.v1", db.outbox.c.key == event_case(event))
        ).scalar_one()
    assert n == 1
    late = handlers.list_tasks(
        review_db, agency_id=AGENCY, reviewer_id=None, open_only=True, overdue_only=True, limit=50
    )
    assert event_case(event) in {t.case_id for t in late}
    assert handlers.statistics(review_db, AGENCY).overdue >= 1


def test_a_redelivered_proposal_makes_no_second_task(review_db):
    event = proposed(kinds=["closure"], fine_yuan=0)
    assert deliver(review_db, event) == "applied"
    assert deliver(review_db, event) == "duplicate"
    with review_db.read() as conn:
        assert len(db.tasks_of_case(conn, event_case(event))) == 1


def test_yi_chao_si_fa_proposals_are_placed_in_the_overload_benchmarks(review_db):
    driver = proposed(
        person=True, fine_yuan=27_000,
        legal_basis=["《超限运输车辆行驶公路管理规定》(交通运输部令2016年第62号)第四十三条"],
        discretion=records_pb2.Discretion(
            benchmark_id="jt62-43-overlimit", violation_type="overlimit-transport",
            circumstance="serious",
        ),
    )  # fmt: skip
    deliver(review_db, driver)
    proposal = unpack(parse_envelope(driver.payload), records_pb2.PenaltyProposed).proposal
    task = task_of(review_db, proposal.proposal_id)
    assert task.major and any("fine over 10,000 yuan for a person" in r for r in task.reasons)
    assert task.placement["finding"] == "within-band"
    assert task.placement["benchmark_id"] == "jt62-43-overlimit"
    carrier = proposed(
        fine_yuan=25_000,
        discretion=records_pb2.Discretion(
            benchmark_id="gl-68-instigation", violation_type="overload-instigation",
            circumstance="serious",
        ),
    )  # fmt: skip
    deliver(review_db, carrier)
    [answer] = outcomes(review_db, event_case(carrier))
    assert answer.outcome == "not-required"
    assert any("within the serious band 20,001-30,000" in r for r in answer.reasons)
