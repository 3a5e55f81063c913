"""Issue 13, items 5 and 6 in the review service: conflicts count only within the agency that
recorded them, a conflicted reviewer cannot read the task, a reviewer who leaves hands back
their open tasks, and a task can be handed to another reviewer."""

from __future__ import annotations

import pytest

from enforcement.records.v1 import records_pb2
from services.chassis.events import parse_envelope, unpack
from services.review import handlers
from services.review.domain.tasks import InvalidReview, NotAllowed

from .conftest import AGENCY, deliver, proposed, task_of

pytestmark = pytest.mark.integration

CREDIT_CODE = "914403001922038216"  # the party of `proposed()`


def major_task(database):
    event = proposed(kinds=["suspension"], fine_yuan=0)
    deliver(database, event)
    proposal = unpack(parse_envelope(event.payload), records_pb2.PenaltyProposed).proposal
    return task_of(database, proposal.proposal_id)


def register(database, *reviewer_ids: str, agency_id: str = AGENCY) -> None:
    for reviewer_id in reviewer_ids:
        handlers.register_reviewer(
            database, reviewer_id=reviewer_id, agency_id=agency_id, name=reviewer_id
        )


def test_another_agencys_conflict_does_not_bench_a_reviewer(review_db):
    register(review_db, "u-r1")
    register(review_db, "u-far", agency_id="wujin-yjj")
    with pytest.raises(handlers.NotFound):  # a reviewer known to be of another agency
        handlers.record_conflict(
            review_db, reviewer_id="u-r1", agency_id="wujin-yjj",
            party_key=CREDIT_CODE, reason="恶意回避",
        )  # fmt: skip
    # Recorded against a reviewer review does not know yet, it still counts only there.
    handlers.record_conflict(
        review_db, reviewer_id="u-r2", agency_id="wujin-yjj", party_key=CREDIT_CODE, reason="x"
    )
    register(review_db, "u-r2")
    task = major_task(review_db)
    assert task.reviewer_id in ("u-r1", "u-r2")
    handlers.get_task(review_db, task.review_id, AGENCY, "u-r2")  # not conflicted here


def test_a_conflicted_reviewer_cannot_read_the_task(review_db):
    register(review_db, "u-r1", "u-r2")
    handlers.record_conflict(
        review_db, reviewer_id="u-r1", agency_id=AGENCY, party_key=CREDIT_CODE, reason="亲属"
    )
    task = major_task(review_db)
    assert task.reviewer_id == "u-r2"
    with pytest.raises(NotAllowed, match="conflict"):
        handlers.get_task(review_db, task.review_id, AGENCY, "u-r1")
    with pytest.raises(NotAllowed, match="officer"):
        handlers.get_task(review_db, task.review_id, AGENCY, "u-zhang")  # a case officer
    assert handlers.get_task(review_db, task.review_id, AGENCY, "u-r2")[0].review_id


def test_a_reviewer_who_leaves_hands_back_their_open_tasks_and_gets_no_new_ones(review_db):
    register(review_db, "u-r1")
    first = major_task(review_db)
    assert first.reviewer_id == "u-r1"
    # Nobody else yet: the task waits.
    assert handlers.deactivate_reviewer(review_db, reviewer_id="u-r1", agency_id=AGENCY) == (1, 0)
    assert (task_of(review_db, first.proposal_id).status, task_of(
        review_db, first.proposal_id).reviewer_id) == ("waiting", None)  # fmt: skip
    assert major_task(review_db).status == "waiting"  # the departed gets no new task
    assert handlers.deactivate_reviewer(review_db, reviewer_id="u-r1", agency_id=AGENCY) == (0, 0)
    register(review_db, "u-r2")  # a new reviewer takes both
    assert task_of(review_db, first.proposal_id).reviewer_id == "u-r2"
    register(review_db, "u-r3")
    assert handlers.deactivate_reviewer(review_db, reviewer_id="u-r2", agency_id=AGENCY) == (2, 2)
    assert task_of(review_db, first.proposal_id).reviewer_id == "u-r3"
    # Another agency cannot take an agency's reviewer off.
    assert handlers.deactivate_reviewer(review_db, reviewer_id="u-r3", agency_id="other") == (0, 0)
    assert task_of(review_db, first.proposal_id).reviewer_id == "u-r3"


def test_a_task_is_handed_to_a_reviewer_by_the_usual_rules(review_db):
    register(review_db, "u-r1")
    task = major_task(review_db)
    moved = handlers.assign_task(
        review_db, review_id=task.review_id, agency_id=AGENCY, town="",
        reviewer_id="u-new", reviewer_name="新人",
    )  # fmt: skip
    assert (moved.status, moved.reviewer_id) == ("assigned", "u-new")
    with pytest.raises(NotAllowed, match="officer"):
        handlers.assign_task(
            review_db, review_id=task.review_id, agency_id=AGENCY, town="",
            reviewer_id="u-zhang", reviewer_name="张",
        )  # fmt: skip
    with pytest.raises(handlers.NotFound):  # another town's supervisor
        handlers.assign_task(
            review_db, review_id=task.review_id, agency_id=AGENCY, town="龙虎塘街道",
            reviewer_id="u-r1", reviewer_name="甲",
        )  # fmt: skip
    with pytest.raises(handlers.NotFound):
        handlers.assign_task(
            review_db, review_id=task.review_id, agency_id="other", town="",
            reviewer_id="u-r1", reviewer_name="甲",
        )  # fmt: skip
    handlers.deactivate_reviewer(review_db, reviewer_id="u-new", agency_id=AGENCY)
    assert task_of(review_db, task.proposal_id).reviewer_id == "u-r1"
    with pytest.raises(InvalidReview):
        handlers.assign_task(
            review_db, review_id=task.review_id, agency_id=AGENCY, town="",
            reviewer_id="", reviewer_name="",
        )  # fmt: skip


def test_a_conflict_recorded_after_assignment_takes_the_task_back(review_db):
    register(review_db, "u-r1")
    task = major_task(review_db)
    assert task.reviewer_id == "u-r1"
    register(review_db, "u-r2")
    taken = handlers.record_conflict(
        review_db, reviewer_id="u-r1", agency_id=AGENCY, party_key=CREDIT_CODE, reason="亲属"
    )
    assert taken == 1
    assert task_of(review_db, task.proposal_id).reviewer_id == "u-r2"
