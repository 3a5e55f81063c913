"""A case through every stage on a real database, and the transitions that are refused."""

from __future__ import annotations

import re
import threading

import pytest

from enforcement.review.v1 import review_pb2
from services.records import db, handlers
from services.records.domain.cases import Stage
from services.records.domain.entries import check_chain
from services.records.domain.lifecycle import IllegalTransition

from .conftest import (
    LI,
    NUMBERING,
    WANG,
    ZHANG,
    advance,
    meta,
    open_case,
    proposal,
    review_outcome,
    to_investigation,
)

pytestmark = pytest.mark.integration


def stage_of(database, case_id) -> str:
    return handlers.get_case(database, case_id).stage.value


def test_a_case_runs_every_stage_from_inspection_to_archive(records_db):
    case = open_case(records_db)
    assert case.stage is Stage.inspection and case.entry_count == 1
    c, _, _ = advance(records_db, case.case_id, "filing")
    assert re.fullmatch(r"新北应急立〔20\d\d〕\d+号", c.case_no)
    advance(records_db, case.case_id, "investigation")
    c, prop, _ = handlers.propose_penalty(
        records_db, case_id=case.case_id, proposal=proposal(), meta=meta()
    )
    assert c.stage is Stage.review and c.review_status == "pending" and prop.round == 1
    review_outcome(records_db, c, "approved")
    advance(records_db, case.case_id, "notice")
    c, _, _ = handlers.decide_penalty(
        records_db, NUMBERING, case_id=case.case_id, decision_text="罚款三万元", meta=meta()
    )
    assert c.stage is Stage.decision and re.fullmatch(r"新北应急罚〔20\d\d〕\d+号", c.decision_no)
    for stage in ("service", "execution", "closing", "archived"):
        advance(records_db, case.case_id, stage)
        assert stage_of(records_db, case.case_id) == stage
    _, entries = handlers.timeline(records_db, case.case_id, case.agency_id)
    kinds = [e.kind for e in entries]
    assert kinds == [
        "opened",
        "transition",
        "transition",
        "proposal",
        "review-outcome",
        "transition",
        "decision",
        "transition",
        "transition",
        "transition",
        "transition",
    ]
    assert check_chain(entries) == []


@pytest.mark.parametrize(
    ("path", "ending"),
    [
        ([], "no_penalty"),
        (["filing"], "withdrawn"),
        (["filing", "investigation"], "no_penalty"),
    ],
)
def test_no_penalty_and_withdrawal_end_a_case_then_it_is_archived(records_db, path, ending):
    case = open_case(records_db)
    for stage in path:
        advance(records_db, case.case_id, stage)
    advance(records_db, case.case_id, ending)
    advance(records_db, case.case_id, "archived")
    assert stage_of(records_db, case.case_id) == "archived"


def test_skipping_a_stage_is_refused_naming_the_allowed_ones_and_changes_nothing(records_db):
    case = open_case(records_db)
    with pytest.raises(IllegalTransition) as err:
        advance(records_db, case.case_id, "execution")
    assert "allowed: filing, no_penalty, withdrawn" in str(err.value)
    after = handlers.get_case(records_db, case.case_id)
    assert after.stage is Stage.inspection and after.entry_count == 1


def test_an_archived_case_moves_nowhere(records_db):
    case = open_case(records_db)
    advance(records_db, case.case_id, "no_penalty")
    advance(records_db, case.case_id, "archived")
    with pytest.raises(IllegalTransition, match="none"):
        advance(records_db, case.case_id, "filing")


def test_notice_and_decision_wait_for_the_legal_review(records_db):
    case = open_case(records_db)
    to_investigation(records_db, case.case_id)
    c, _, _ = handlers.propose_penalty(
        records_db, case_id=case.case_id, proposal=proposal(), meta=meta()
    )
    with pytest.raises(IllegalTransition, match="review is pending"):
        advance(records_db, case.case_id, "notice")
    with pytest.raises(IllegalTransition):
        handlers.decide_penalty(
            records_db, NUMBERING, case_id=case.case_id, decision_text="x", meta=meta()
        )
    review_outcome(records_db, c, "returned")
    with pytest.raises(IllegalTransition, match="review is returned"):
        advance(records_db, case.case_id, "notice")
    # A returned proposal is corrected and proposed again; the new round is reviewed anew.
    c, p2, _ = handlers.propose_penalty(
        records_db, case_id=case.case_id, proposal=proposal(fine_yuan=20_000), meta=meta()
    )
    assert p2.round == 2 and c.review_status == "pending"
    review_outcome(records_db, c, "not-required")
    advance(records_db, case.case_id, "notice")
    assert stage_of(records_db, case.case_id) == "notice"


def test_review_and_decision_are_reached_only_by_their_own_commands(records_db):
    case = open_case(records_db)
    to_investigation(records_db, case.case_id)
    with pytest.raises(IllegalTransition, match="penalty-proposals"):
        advance(records_db, case.case_id, "review")


def test_a_decided_penalty_can_be_revoked_once(records_db):
    case = open_case(records_db)
    with pytest.raises(IllegalTransition, match="only a decided penalty"):
        handlers.revoke_penalty(
            records_db,
            case_id=case.case_id,
            reason="复议撤销",
            basis="reconsideration",
            meta=meta(),
        )
    to_investigation(records_db, case.case_id)
    c, _, _ = handlers.propose_penalty(
        records_db, case_id=case.case_id, proposal=proposal(), meta=meta()
    )
    review_outcome(records_db, c)
    advance(records_db, case.case_id, "notice")
    handlers.decide_penalty(
        records_db, NUMBERING, case_id=case.case_id, decision_text="罚款", meta=meta()
    )
    c, entry, _ = handlers.revoke_penalty(
        records_db,
        case_id=case.case_id,
        reason="行政复议决定撤销",
        basis="reconsideration",
        meta=meta(),
    )
    assert c.stage is Stage.withdrawn and entry.payload["decision_no"] == c.decision_no
    with pytest.raises(IllegalTransition):
        handlers.revoke_penalty(
            records_db, case_id=case.case_id, reason="again", basis="litigation", meta=meta()
        )


def test_only_the_cases_officers_write_and_other_agencies_do_not_see_it(records_db):
    case = open_case(records_db, officers=(ZHANG, LI))
    with pytest.raises(handlers.NotAllowed):
        advance(records_db, case.case_id, "filing", actor=WANG.officer_id)
    with pytest.raises(handlers.NotFound):
        advance(records_db, case.case_id, "filing", agency="other-agency")
    with pytest.raises(handlers.NotFound):
        handlers.timeline(records_db, case.case_id, "other-agency")


def test_concurrent_filing_gives_gap_free_unique_numbers(records_db):
    cases = [open_case(records_db) for _ in range(8)]
    errors: list[Exception] = []
    barrier = threading.Barrier(8)

    def file(case_id: str) -> None:
        try:
            barrier.wait()
            advance(records_db, case_id, "filing")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=file, args=(c.case_id,)) for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(
        int(re.search(r"〕(\d+)号", handlers.get_case(records_db, c.case_id).case_no).group(1))
        for c in cases
    )
    assert numbers == list(range(1, 9))
    # The Merkle log stayed gap-free too: 8 openings + 8 filings.
    with records_db.read() as conn:
        size, _ = db.log_size(conn)
        indexes = [e.leaf_index for c in cases for e in db.case_entries(conn, c.case_id)]
    assert size == 16 and sorted(indexes) == list(range(16))


def test_a_returned_review_or_the_partys_defence_sends_the_case_back_to_investigation(
    records_db,
):
    case = open_case(records_db)
    to_investigation(records_db, case.case_id)
    c, _, _ = handlers.propose_penalty(
        records_db, case_id=case.case_id, proposal=proposal(), meta=meta()
    )
    review_outcome(records_db, c, "returned")
    advance(records_db, case.case_id, "investigation")  # review -> investigation
    c, _, _ = handlers.propose_penalty(
        records_db, case_id=case.case_id, proposal=proposal(), meta=meta()
    )
    review_outcome(records_db, c, "approved")
    advance(records_db, case.case_id, "notice")
    advance(records_db, case.case_id, "investigation")  # notice -> investigation (陈述申辩)
    assert stage_of(records_db, case.case_id) == "investigation"
    # The earlier approval does not carry over: a new proposal needs a new review.
    c, p3, _ = handlers.propose_penalty(
        records_db, case_id=case.case_id, proposal=proposal(), meta=meta()
    )
    assert p3.round == 3 and c.review_status == "pending"


def test_a_review_decided_by_the_collective_meeting_says_so_in_the_record(records_db):
    case = open_case(records_db)
    to_investigation(records_db, case.case_id)
    c, _, _ = handlers.propose_penalty(
        records_db, case_id=case.case_id, proposal=proposal(), meta=meta()
    )
    meeting = review_pb2.CollectiveMeeting(
        reason="对是否适用减轻处罚存在分歧",
        held_on="2026-11-30",
        participants=["张局长", "李副局长", "王科长"],
        minutes="经集体讨论，同意减轻处罚。",
    )
    review_outcome(records_db, c, "approved", meeting=meeting)
    _, entries = handlers.timeline(records_db, case.case_id, case.agency_id)
    [outcome] = [e for e in entries if e.kind == "review-outcome"]
    assert outcome.payload["meeting"] == {
        "reason": "对是否适用减轻处罚存在分歧",
        "held_on": "2026-11-30",
        "participants": ["张局长", "李副局长", "王科长"],
        "minutes": "经集体讨论，同意减轻处罚。",
    }
    assert check_chain(entries) == []
