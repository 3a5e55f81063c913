"""The lifecycle published for phones (GET /v1/lifecycle) is the table the moves obey."""

from __future__ import annotations

import pytest

from services.records.domain.cases import Stage
from services.records.domain.lifecycle import TRANSITIONS, lifecycle

pytestmark = pytest.mark.unit


def test_the_published_lifecycle_lists_every_stage_with_the_moves_the_table_allows():
    published = {s.stage: s for s in lifecycle()}
    assert set(published) == set(Stage)
    for stage, allowed in TRANSITIONS.items():
        assert published[stage].next == allowed


def test_review_and_decision_are_reached_by_their_own_commands_not_a_transition():
    published = {s.stage: s for s in lifecycle()}
    assert published[Stage.review].via.endswith("/penalty-proposals")
    assert published[Stage.decision].via.endswith("/decision")
    assert published[Stage.filing].via.endswith("/transitions")
