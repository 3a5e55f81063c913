"""The people a case's record names reach disclosure's redaction (issue 13 item 7)."""

from __future__ import annotations

import pytest

from services.records.domain.entries import named_persons

pytestmark = pytest.mark.unit


def test_witnesses_interviewees_and_agents_are_collected_once_in_order():
    payloads = [
        {"act": "seal-up", "persons": [{"name": "赵敏", "role": "witness"}, "钱多多"]},
        {"act": "interview", "interviewee": {"name": "马国庆", "id_number": "x"}},
        {"kind": "service", "document": {"witnesses": ["赵敏", "孙丽 "]}},
        {"agent": "徐明", "text": "委托代理人到场"},
    ]
    assert named_persons(payloads) == ["赵敏", "钱多多", "马国庆", "孙丽", "徐明"]


def test_entries_that_name_nobody_give_nothing():
    assert named_persons([{"text": "现场检查"}, {"act": "sampling", "persons": []}]) == []
    assert named_persons([{"persons": ["", "王"]}]) == []  # too short to be a name
