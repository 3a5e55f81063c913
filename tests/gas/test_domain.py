"""Gas rules: levels, sustain counts, one alarm per leak, valve commands, liveness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.gas.domain.alarms import (
    AlarmState,
    Change,
    Level,
    Thresholds,
    acknowledge,
    on_device_alarm,
    on_reading,
)
from services.gas.domain.liveness import DeviceKind, DeviceStatus, is_offline, unprotected_reasons
from services.gas.domain.valves import (
    CloseCommand,
    CommandStatus,
    ValvePolicy,
    ValveState,
    acknowledged,
    delivered,
    due_for_delivery,
    expire,
    needs_escalation,
    valve_report,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 28, 11, 30, tzinfo=UTC)
DEFAULT = Thresholds()


def feed(readings, t=DEFAULT, state=None):
    state = state or AlarmState()
    changes = []
    for i, lel in enumerate(readings):
        state, change = on_reading(state, lel, t, device_id="det-1", at=T0 + timedelta(seconds=i))
        changes.append(change)
    return state, changes


@pytest.mark.parametrize(
    ("readings", "level", "raised_at_index"),
    [
        ([10, 24.9, 24.9], Level.none, None),
        ([25, 25], Level.first, 1),  # at the threshold, sustained twice
        ([30, 10, 30], Level.none, None),  # a spike is not sustained
        ([50, 50], Level.second, 1),
        ([30, 55, 60], Level.second, 1),  # first raised, then escalated
    ],
)
def test_thresholds_and_sustain_counts(readings, level, raised_at_index):
    state, changes = feed(readings)
    assert state.level is level
    if raised_at_index is None:
        assert Change.raised not in changes
    else:
        assert changes.index(Change.raised) == raised_at_index


def test_a_continuing_leak_raises_one_alarm_and_updates_it():
    state, changes = feed([30, 30, 35, 40, 45, 48, 60, 62, 58])
    assert changes.count(Change.raised) == 1 and changes.count(Change.escalated) == 1
    assert state.peak_lel == 62 and state.active


def test_an_alarm_clears_below_the_first_level_and_a_new_leak_raises_again():
    state, _ = feed([30, 30])
    state, change = on_reading(state, 5, DEFAULT, device_id="det-1", at=T0)
    assert change is Change.cleared and not state.active
    state, changes = feed([40, 40], state=state)
    assert Change.raised in changes


def test_per_venue_thresholds_like_a_kitchens_20_percent():
    kitchen = Thresholds(first_lel=20, second_lel=40, sustain=3)
    state, changes = feed([21, 22, 23], t=kitchen)
    assert state.level is Level.first and changes[-1] is Change.raised
    with pytest.raises(ValueError):
        Thresholds(first_lel=50, second_lel=25)


def test_a_device_alarm_counts_at_once_and_a_second_detector_joins_the_same_alarm():
    state, change = on_device_alarm(AlarmState(), Level.first, device_id="det-1", at=T0)
    assert change is Change.raised
    state = acknowledge(state)
    state, change = on_device_alarm(state, Level.first, device_id="det-2", at=T0)
    assert change is Change.updated and state.sources == ("det-1", "det-2") and state.acknowledged
    state, change = on_device_alarm(state, Level.second, device_id="det-2", at=T0)
    assert change is Change.escalated and not state.acknowledged


def test_readings_out_of_range_are_refused():
    with pytest.raises(ValueError):
        on_reading(AlarmState(), 120, DEFAULT, device_id="d", at=T0)


POLICY = ValvePolicy()


def test_a_close_command_is_delivered_redelivered_and_closed_by_the_acknowledgement():
    cmd = CloseCommand("c-1", "valve-1", issued_at=T0)
    assert due_for_delivery(cmd, T0, POLICY)
    cmd = delivered(cmd, T0 + timedelta(seconds=1))
    assert not due_for_delivery(cmd, T0 + timedelta(seconds=2), POLICY)
    assert due_for_delivery(cmd, T0 + timedelta(seconds=7), POLICY)  # no ack: offered again
    cmd = acknowledged(cmd, T0 + timedelta(seconds=8))
    assert cmd.status is CommandStatus.acknowledged
    assert not due_for_delivery(cmd, T0 + timedelta(seconds=20), POLICY)
    assert not needs_escalation(cmd, T0 + timedelta(seconds=60), POLICY)


def test_a_silent_valve_escalates_after_30_seconds_and_the_command_expires():
    cmd = delivered(CloseCommand("c-2", "valve-1", issued_at=T0), T0)
    assert not needs_escalation(cmd, T0 + timedelta(seconds=29), POLICY)
    assert needs_escalation(cmd, T0 + timedelta(seconds=31), POLICY)
    late = T0 + POLICY.ttl + timedelta(seconds=1)
    assert expire(cmd, late, POLICY).status is CommandStatus.expired
    assert not due_for_delivery(cmd, late, POLICY)


def test_a_closed_valve_reopens_only_by_hand():
    with pytest.raises(ValueError, match="by hand"):
        valve_report(ValveState.closed, ValveState.open, manual=False)
    assert valve_report(ValveState.closed, ValveState.open, manual=True) is ValveState.open


def test_offline_after_three_missed_heartbeats_and_why_a_venue_is_unprotected():
    det = DeviceStatus("det-1", DeviceKind.detector, last_seen=T0)
    assert not is_offline(det, T0 + timedelta(seconds=180))
    assert is_offline(det, T0 + timedelta(seconds=181))
    valve = DeviceStatus("valve-1", DeviceKind.valve, last_seen=T0, fault="power")
    reasons = unprotected_reasons([det, valve], T0 + timedelta(seconds=10))
    assert reasons == ["no working shut-off valve: faulty: valve-1 (power)"]
    assert unprotected_reasons([det], T0)[0] == "no shut-off valve installed"
    healthy = DeviceStatus("valve-2", DeviceKind.valve, last_seen=T0)
    assert unprotected_reasons([det, valve, healthy], T0 + timedelta(seconds=10)) == []
