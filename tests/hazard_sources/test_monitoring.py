"""Sensor alarm rules: limits with deadband and sustain, rate of change, stale data, the chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.hazard_sources.domain.monitoring import (
    Change,
    Kind,
    Limits,
    SensorState,
    Zone,
    classify,
    escalation_step,
    on_clock,
    on_reading,
)

pytestmark = pytest.mark.unit
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
PRESSURE = Limits(
    high=1.6, high_high=1.8, low=0.2, low_low=0.1, deadband=0.05, sustain=2, stale_after_s=60
)


def feed(limits, values, state=None, step_s=10):
    state = state or SensorState()
    out = []
    for i, v in enumerate(values):
        state, changes = on_reading(limits, state, v, T0 + timedelta(seconds=step_s * i))
        out.extend((c.kind, c.change, c.level) for c in changes)
    return state, out


@pytest.mark.parametrize(
    ("value", "zone"),
    [
        (1.5999, Zone.normal),
        (1.6, Zone.high),
        (1.7999, Zone.high),
        (1.8, Zone.high_high),
        (0.2001, Zone.normal),
        (0.2, Zone.low),
        (0.1001, Zone.low),
        (0.1, Zone.low_low),
    ],
)
def test_a_limit_reached_counts_as_passed(value, zone):
    assert classify(PRESSURE, value) == zone


def test_one_spike_is_not_an_alarm_with_sustain_2():
    _, changes = feed(PRESSURE, [1.0, 1.9, 1.0, 1.0])
    assert changes == []


def test_two_readings_over_high_raise_once_then_escalate_to_high_high():
    state, changes = feed(PRESSURE, [1.0, 1.65, 1.66, 1.67, 1.85, 1.86])
    assert changes == [
        (Kind.limit, Change.raised, "high"),
        (Kind.limit, Change.escalated, "high_high"),
    ]
    assert state.zone == Zone.high_high


def test_flapping_around_the_limit_inside_the_deadband_keeps_one_alarm():
    _, changes = feed(PRESSURE, [1.61, 1.62, 1.59, 1.61, 1.58, 1.6, 1.56])
    assert changes == [(Kind.limit, Change.raised, "high")]


def test_back_past_the_deadband_clears():
    _, changes = feed(PRESSURE, [1.61, 1.62, 1.55])
    assert changes[-1] == (Kind.limit, Change.cleared, "high")


def test_high_high_eases_to_high_below_its_deadband():
    _, changes = feed(PRESSURE, [1.85, 1.85, 1.76, 1.7])
    assert changes == [(Kind.limit, Change.raised, "high_high"), (Kind.limit, Change.eased, "high")]


def test_low_low_side():
    _, changes = feed(PRESSURE, [0.5, 0.15, 0.15, 0.05, 0.05, 0.5])
    assert changes == [
        (Kind.limit, Change.raised, "low"),
        (Kind.limit, Change.escalated, "low_low"),
        (Kind.limit, Change.cleared, "low_low"),
    ]


def test_rate_of_change_alarm_needs_a_sustained_rise():
    limits = Limits(high=100, rate_per_min=1.0, sustain=2, stale_after_s=600)
    # +0.5 per 10 s = 3/min, twice in a row
    _, changes = feed(limits, [10, 10.5, 11.0, 11.0])
    assert changes == [(Kind.rate, Change.raised, "rate"), (Kind.rate, Change.cleared, "rate")]
    # a spike up and straight down is not a sustained rate
    _, spike = feed(limits, [10, 12, 10, 10])
    assert spike == []


def test_silent_sensor_raises_stale_once_and_a_reading_clears_it():
    state, _ = feed(PRESSURE, [1.0])
    assert on_clock(PRESSURE, state, T0 + timedelta(seconds=60))[1] == []
    state, changes = on_clock(PRESSURE, state, T0 + timedelta(seconds=61))
    assert [(c.kind, c.change, c.level) for c in changes] == [(Kind.stale, Change.raised, "silent")]
    assert on_clock(PRESSURE, state, T0 + timedelta(seconds=300))[1] == []
    _, changes = on_reading(PRESSURE, state, 1.01, T0 + timedelta(seconds=301))
    assert [(c.kind, c.change) for c in changes] == [(Kind.stale, Change.cleared)]


def test_stuck_sensor_repeating_one_value_is_frozen_stale():
    state, _ = feed(PRESSURE, [1.0] * 8)  # 70 s of the same value, last reading at +70 s
    _, changes = on_clock(PRESSURE, state, T0 + timedelta(seconds=75))
    assert [(c.kind, c.level) for c in changes] == [(Kind.stale, "frozen")]


def test_a_sensor_that_never_reported_is_stale_from_registration():
    _, changes = on_clock(PRESSURE, SensorState(), T0 + timedelta(seconds=61), since=T0)
    assert [c.level for c in changes] == ["silent"]


@pytest.mark.parametrize(
    ("after_s", "step"), [(0, 1), (599, 1), (600, 2), (1200, 3), (1800, 4), (99999, 4)]
)
def test_escalation_goes_one_step_per_wait_up_to_the_town(after_s, step):
    assert escalation_step(T0, T0 + timedelta(seconds=after_s), 600) == step


def test_limits_must_be_ordered():
    with pytest.raises(ValueError):
        Limits(high=2, high_high=1)


def test_readings_without_time_between_them_are_no_rate():
    limits = Limits(high=100, rate_per_min=1.0, sustain=1, stale_after_s=600)
    state, _ = on_reading(limits, SensorState(), 10, T0)
    _, changes = on_reading(limits, state, 50, T0 + timedelta(microseconds=1))
    assert changes == []
