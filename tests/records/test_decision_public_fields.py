"""A decision holds what its public record (双公示) needs, or is refused naming what is
missing; and the lifecycle says in advance which moves are open."""

from __future__ import annotations

import pytest

from services.records import handlers
from services.records.domain.cases import Stage
from services.records.domain.lifecycle import CaseFacts, next_stages
from services.records.domain.parties import Party, PartyKind
from services.records.domain.penalties import MissingForDisclosure

from .conftest import (
    NUMBERING,
    advance,
    meta,
    open_case,
    proposal,
    review_outcome,
    to_investigation,
)


def cleared_case(records_db, party: Party, **changes):
    case = open_case(records_db, party=party)
    to_investigation(records_db, case.case_id)
    c, _, _ = handlers.propose_penalty(
        records_db, case_id=case.case_id, proposal=proposal(**changes), meta=meta()
    )
    review_outcome(records_db, c, "approved")
    advance(records_db, case.case_id, "notice")
    return case


@pytest.mark.integration
def test_a_decision_without_the_legal_representative_names_what_is_missing(records_db):
    party = Party(PartyKind.organization, "常州某化工有限公司", credit_code="914403001922038216")
    case = cleared_case(records_db, party, violation_type="")
    with pytest.raises(MissingForDisclosure) as refused:
        handlers.decide_penalty(
            records_db, NUMBERING, case_id=case.case_id, decision_text="罚款三万元", meta=meta()
        )
    assert refused.value.missing == ["legal_representative", "violation_type"]
    assert "法定代表人" in str(refused.value) and "违法行为类型" in str(refused.value)
    assert handlers.get_case(records_db, case.case_id).stage is Stage.notice


@pytest.mark.integration
def test_the_decision_completes_what_the_case_lacks(records_db):
    party = Party(PartyKind.organization, "常州某化工有限公司", credit_code="914403001922038216")
    case = cleared_case(records_db, party)
    c, entry, _ = handlers.decide_penalty(
        records_db,
        NUMBERING,
        case_id=case.case_id,
        decision_text="罚款三万元",
        meta=meta(),
        legal_representative="周建国",
    )
    assert c.stage is Stage.decision
    assert entry.payload["completed"] == {"legal_representative": "周建国"}


@pytest.mark.unit
def test_after_approval_the_notice_is_open_and_the_decision_waits_for_it():
    facts = CaseFacts(Stage.review, has_proposal=True, review_status="approved")
    stages = {s.stage: s for s in next_stages(facts)}
    assert stages[Stage.notice].ready and stages[Stage.notice].needs == ()
    assert Stage.decision not in stages
    pending = CaseFacts(Stage.review, has_proposal=True, review_status="pending")
    notice = {s.stage: s for s in next_stages(pending)}[Stage.notice]
    assert not notice.ready and "legal review" in notice.needs[0]
