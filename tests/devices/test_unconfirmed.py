"""The device's side of delivery until stored (devices.client.Unconfirmed): what is sent,
sent again and forgotten, driven by the platform's acks and a clock the test holds."""

from __future__ import annotations

import pytest

from devices.client import Unconfirmed, seq_ranges

pytestmark = pytest.mark.unit


def readings(*seqs: int) -> list[dict]:
    return [{"seq": s, "value": 1.2} for s in seqs]


def seqs_of(body: dict, key: str = "readings") -> list[int]:
    return [i["seq"] for i in body[key]]


def test_new_readings_go_out_once_with_the_seq_before_them():
    u = Unconfirmed("readings", linked=True, resend_after_s=10)
    u.add(readings(1, 2, 3))
    [first] = u.due(now=0)
    assert seqs_of(first) == [1, 2, 3] and "after" not in first  # the first batch ever
    assert u.due(now=1) == []  # in flight: not again before the timeout
    u.add(readings(4, 5))
    [second] = u.due(now=2)
    assert seqs_of(second) == [4, 5] and second["after"] == 3
    assert len(u) == 5


def test_the_broker_s_puback_is_not_a_confirmation_only_the_platform_s_ack_is():
    u = Unconfirmed("readings", linked=True, resend_after_s=10)
    u.add(readings(1, 2))
    u.due(now=0)
    # nothing heard from the platform: the same readings again after the timeout
    [again] = u.due(now=10)
    assert seqs_of(again) == [1, 2] and u.resends == 2
    assert u.confirm({"kind": "readings", "stored_up_to": 2, "gap": False}, now=11) == [1, 2]
    assert len(u) == 0 and u.due(now=100) == []


def test_a_lost_batch_is_sent_again_from_the_first_unconfirmed_on_a_gap_answer():
    u = Unconfirmed("readings", linked=True, resend_after_s=30)
    u.add(readings(1, 2))
    u.due(now=0)
    u.confirm({"kind": "readings", "stored_up_to": 2}, now=0.5)
    u.add(readings(3, 4))
    u.due(now=1)  # lost with the broker
    u.add(readings(5, 6))
    [b] = u.due(now=3)
    assert b["after"] == 4
    # the platform does not have 4: nothing of 5-6 taken, everything again, from 3
    done = u.confirm({"kind": "readings", "stored_up_to": 2, "gap": True, "after": 4}, now=3.5)
    assert done == []
    # 3-4 go again at once, from after 2; 5-6 went out a moment ago (their answer may come)
    [first] = u.due(now=3.6)
    assert seqs_of(first) == [3, 4] and first["after"] == 2
    u.confirm({"kind": "readings", "stored_up_to": 2, "gap": True, "after": 4}, now=5)
    [resent] = u.due(now=5)
    assert seqs_of(resent) == [3, 4, 5, 6] and resent["after"] == 2
    assert u.base == 2  # a gap answer to a hole never lowers what was confirmed
    assert u.confirm({"kind": "readings", "stored_up_to": 6}, now=6) == [3, 4, 5, 6]


def test_a_reconnect_makes_everything_unconfirmed_due_at_once():
    u = Unconfirmed("readings", linked=True, resend_after_s=60)
    u.add(readings(10, 11, 12))
    u.due(now=0)
    u.confirm({"kind": "readings", "stored_up_to": 10}, now=1)
    u.all_due()
    [again] = u.due(now=2)
    assert seqs_of(again) == [11, 12] and again["after"] == 10


def test_batches_hold_consecutive_due_readings_at_most_max_batch():
    u = Unconfirmed("readings", linked=True, resend_after_s=5, max_batch=2)
    u.add(readings(1, 2, 3))
    u.due(now=0)
    u.add(readings(4, 5, 6))
    bodies = u.due(now=1)  # 1-3 in flight, 4-6 new
    assert [seqs_of(b) for b in bodies] == [[4, 5], [6]]
    assert [b["after"] for b in bodies] == [3, 5]
    bodies = u.due(now=5)  # 1-3 timed out, 4-6 not yet
    assert [seqs_of(b) for b in bodies] == [[1, 2], [3]]
    assert "after" not in bodies[0] and bodies[1]["after"] == 2


def test_an_older_ack_neither_confirms_newer_readings_nor_lowers_the_base():
    u = Unconfirmed("readings", linked=True)
    u.add(readings(1, 2, 3, 4))
    u.due(now=0)
    u.confirm({"kind": "readings", "stored_up_to": 4}, now=1)
    u.add(readings(5))
    u.confirm({"kind": "readings", "stored_up_to": 2, "gap": True, "after": 1}, now=2)
    assert u.base == 4 and list(u.items) == [5]


def test_a_platform_that_holds_less_than_it_confirmed_is_followed_not_waited_for():
    """Its database restored from before: the answer to our own `after` says it has less;
    the device goes on from there instead of being refused for ever."""
    u = Unconfirmed("readings", linked=True)
    u.add(readings(1, 2))
    u.due(now=0)
    u.confirm({"kind": "readings", "stored_up_to": 2}, now=0)
    u.add(readings(3))
    u.due(now=1)
    u.confirm({"kind": "readings", "stored_up_to": None, "gap": True, "after": 2}, now=3)
    [again] = u.due(now=3)
    assert seqs_of(again) == [3] and "after" not in again


def test_refused_readings_are_dropped_and_the_rest_goes_on_after_the_last_confirmed():
    u = Unconfirmed("readings", linked=True)
    u.add(readings(1, 2, 3))
    u.due(now=0)
    assert u.confirm({"kind": "readings", "refused": [[1, 2]], "reason": "bad"}, now=1) == [1, 2]
    u.all_due()
    [again] = u.due(now=2)
    assert seqs_of(again) == [3] and "after" not in again


def test_gas_events_are_confirmed_by_the_ranges_stored():
    u = Unconfirmed("events", linked=False, resend_after_s=5)
    u.add([{"seq": s, "type": "heartbeat"} for s in (7, 8, 9, 10)])
    [body] = u.due(now=0)
    assert seqs_of(body, "events") == [7, 8, 9, 10] and "after" not in body
    assert u.confirm({"kind": "events", "stored": [[8, 9]]}, now=1) == [8, 9]
    # a stored_up_to means nothing for events (the service keeps each (device, seq))
    assert u.confirm({"kind": "events", "stored_up_to": 10}, now=1) == []
    bodies = u.due(now=5)
    assert [seqs_of(b, "events") for b in bodies] == [[7, 10]]


def test_seqs_must_rise():
    u = Unconfirmed("readings", linked=True)
    u.add(readings(5))
    with pytest.raises(ValueError):
        u.add(readings(5))


def test_seq_ranges_are_compact_and_read_back():
    assert seq_ranges([5, 1, 2, 3, 7, 8, 3]) == [[1, 3], [5, 5], [7, 8]]
    u = Unconfirmed("events", linked=False)
    u.add([{"seq": s} for s in (1, 2, 3, 5, 7, 8)])
    ack = {"stored": [*seq_ranges([1, 2, 3, 5, 7, 8]), ["x", 1], [9, 2]]}  # junk is ignored
    assert u.confirm(ack, now=0) == [1, 2, 3, 5, 7, 8]


def test_resends_back_off_while_nothing_is_confirmed_and_start_over_on_reconnect():
    u = Unconfirmed("readings", linked=True, resend_after_s=5, max_resend_s=20)
    u.add(readings(1))
    sent_at = [t for t in range(0, 80) if u.due(now=t)]
    assert sent_at == [0, 5, 15, 35, 55, 75]  # 5, 10, 20, then at most 20 s apart
    u.all_due()
    assert u.due(now=76) and not u.due(now=80) and u.due(now=81)
