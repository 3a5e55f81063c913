"""Protobuf answers as JSON: 64-bit integers and decimal quantities as numbers, never text."""

from __future__ import annotations

import json

import pytest

from enforcement.overload.v1 import overload_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.jsonpb import message_to_dict, numbers_as_numbers

pytestmark = pytest.mark.unit


def test_int64_amounts_and_counts_are_json_numbers():
    stats = overload_pb2.GetStatisticsResponse(
        days=[overload_pb2.StationDay(station_id="s", day="2026-11-28", weighed=3)]
    )
    day = message_to_dict(stats)["days"][0]
    assert day["weighed"] == 3 and day["confirmed"] == 0
    proposal = records_pb2.PenaltyProposal(fine_yuan=150000, kinds=["fine"])
    assert json.dumps(message_to_dict(proposal)["fine_yuan"]) == "150000"


def test_decimal_text_becomes_a_number_and_unknown_becomes_null():
    verdict = overload_pb2.Verdict(limit_t="49", measured_t="60.500", over_t="11.5")
    out = message_to_dict(verdict, decimals=True)
    assert out["limit_t"] == 49 and isinstance(out["limit_t"], int)
    assert out["measured_t"] == 60.5 and out["over_t"] == 11.5
    assert out["overload_percent"] is None  # empty: not known
    assert out["rules_version"] == ""  # other text stays text
    assert message_to_dict(verdict)["limit_t"] == "49"  # between services: exact text


def test_a_stored_proposal_with_text_amounts_reads_back_as_numbers():
    stored = {"fine_yuan": "150000", "discretion": {"benchmark_id": "aq-99-safety-equipment"}}
    out = numbers_as_numbers(stored, records_pb2.PenaltyProposal.DESCRIPTOR)
    assert out["fine_yuan"] == 150000
