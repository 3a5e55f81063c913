"""Sensor alarm rules for major hazard sources (重大危险源在线监测预警).

Each sensor (pressure, level, temperature, combustible or toxic gas) has limits: high (高报),
high-high (高高报), low (低报), low-low (低低报); a deadband (回差) so a value flapping around
a limit does not raise and clear over and over; a sustain count (a limit must be passed by
that many readings in a row, so one spike is not an alarm); a rate-of-change limit (per
minute, sustained the same way); and a stale-data limit: no reading, or a value that has not
moved, for that long is an alarm of its own (a silent or stuck sensor is blind monitoring).

One alarm per sensor and kind (limit, rate, stale) is active at a time: raised once, then
updated (escalated or eased), then cleared. These are pure functions; the service stores
`SensorState` between readings. `RULES_VERSION` names this rule set.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

RULES_VERSION = "monitoring/v1"
MIN_RATE_INTERVAL_S = 1.0


class Zone(StrEnum):
    normal = "normal"
    high = "high"  # 高报
    high_high = "high_high"  # 高高报
    low = "low"  # 低报
    low_low = "low_low"  # 低低报


_SEVERITY = {Zone.normal: 0, Zone.high: 1, Zone.low: 1, Zone.high_high: 2, Zone.low_low: 2}
_UP = {Zone.high, Zone.high_high}


class Kind(StrEnum):
    limit = "limit"
    rate = "rate"
    stale = "stale"


class Change(StrEnum):
    raised = "raised"
    escalated = "escalated"
    eased = "eased"  # back from high-high to high, say
    cleared = "cleared"


@dataclass(frozen=True)
class Limits:
    """A sensor's alarm configuration; any limit may be None (not watched)."""

    high: float | None = None
    high_high: float | None = None
    low: float | None = None
    low_low: float | None = None
    deadband: float = 0.0
    sustain: int = 1
    rate_per_min: float | None = None
    stale_after_s: float = 300.0

    def __post_init__(self) -> None:
        if self.deadband < 0 or self.sustain < 1 or self.stale_after_s <= 0:
            raise ValueError("deadband >= 0, sustain >= 1, stale_after_s > 0")
        if self.rate_per_min is not None and self.rate_per_min <= 0:
            raise ValueError("rate_per_min > 0")
        ordered = [x for x in (self.low_low, self.low, self.high, self.high_high) if x is not None]
        if ordered != sorted(ordered) or len(set(ordered)) != len(ordered):
            raise ValueError("limits need low_low < low < high < high_high")


@dataclass(frozen=True)
class SensorState:
    """What the rules remember of a sensor between readings."""

    zone: Zone = Zone.normal  # the active limit alarm's zone (normal: none)
    pending: Zone = Zone.normal  # a more severe zone being sustained
    streak: int = 0
    rate_active: bool = False
    rate_streak: int = 0
    rate_sign: int = 0
    stale_active: bool = False
    last_value: float | None = None
    last_at: datetime | None = None
    changed_at: datetime | None = None  # when the value last moved


@dataclass(frozen=True)
class AlarmChange:
    kind: Kind
    change: Change
    level: str  # the zone, "rate" or "silent"/"frozen"
    value: float | None
    at: datetime


def classify(limits: Limits, value: float) -> Zone:
    """The zone a value falls in, without deadband (a limit reached counts as passed)."""
    if limits.high_high is not None and value >= limits.high_high:
        return Zone.high_high
    if limits.high is not None and value >= limits.high:
        return Zone.high
    if limits.low_low is not None and value <= limits.low_low:
        return Zone.low_low
    if limits.low is not None and value <= limits.low:
        return Zone.low
    return Zone.normal


def _held(limits: Limits, active: Zone, value: float) -> Zone:
    """The zone with the deadband: an active alarm holds until the value is back past its
    limit by the deadband."""
    db = limits.deadband
    raw = classify(limits, value)
    if active in _UP and raw not in (Zone.low, Zone.low_low):
        if active == Zone.high_high and value > limits.high_high - db:  # type: ignore[operator]
            return Zone.high_high
        if limits.high is not None and value > limits.high - db:
            return raw if _SEVERITY[raw] > 1 else Zone.high
    if active in (Zone.low, Zone.low_low) and raw not in _UP:
        if active == Zone.low_low and value < limits.low_low + db:  # type: ignore[operator]
            return Zone.low_low
        if limits.low is not None and value < limits.low + db:
            return raw if _SEVERITY[raw] > 1 else Zone.low
    return raw


def on_reading(
    limits: Limits, state: SensorState, value: float, at: datetime
) -> tuple[SensorState, list[AlarmChange]]:
    """Apply one reading: limit alarms with deadband and sustain, the rate-of-change alarm,
    and the end of a stale alarm when the value moves again."""
    changes: list[AlarmChange] = []
    # limit
    zone, pending, streak = state.zone, state.pending, state.streak
    candidate = _held(limits, state.zone, value)
    same_side = (candidate in _UP) == (zone in _UP) or zone == Zone.normal
    if _SEVERITY[candidate] > _SEVERITY[zone] and same_side:
        streak = streak + 1 if pending == candidate else 1
        pending = candidate
        if streak >= limits.sustain:
            change = Change.raised if zone == Zone.normal else Change.escalated
            zone, pending, streak = candidate, Zone.normal, 0
            changes.append(AlarmChange(Kind.limit, change, zone.value, value, at))
    elif candidate != zone:
        # Easing or clearing needs no sustain: the deadband already keeps flapping out.
        if candidate == Zone.normal or not same_side:
            changes.append(AlarmChange(Kind.limit, Change.cleared, zone.value, value, at))
            zone = Zone.normal
            pending, streak = (candidate, 1) if candidate != Zone.normal else (Zone.normal, 0)
            if pending != Zone.normal and streak >= limits.sustain:
                zone, pending, streak = candidate, Zone.normal, 0
                changes.append(AlarmChange(Kind.limit, Change.raised, zone.value, value, at))
        else:
            zone, pending, streak = candidate, Zone.normal, 0
            changes.append(AlarmChange(Kind.limit, Change.eased, zone.value, value, at))
    else:
        pending, streak = Zone.normal, 0
    # rate of change
    rate_active, rate_streak, rate_sign = state.rate_active, state.rate_streak, state.rate_sign
    # Readings closer than MIN_RATE_INTERVAL_S (a batch sent without device times) say
    # nothing about a rate: skipped, not counted as a jump.
    if (
        limits.rate_per_min is not None
        and state.last_at is not None
        and (at - state.last_at).total_seconds() >= MIN_RATE_INTERVAL_S
    ):
        minutes = (at - state.last_at).total_seconds() / 60
        rate = (value - (state.last_value or 0.0)) / minutes
        sign = 1 if rate > 0 else -1
        if abs(rate) > limits.rate_per_min:
            rate_streak = rate_streak + 1 if sign == rate_sign else 1
            rate_sign = sign
            if not rate_active and rate_streak >= limits.sustain:
                rate_active = True
                changes.append(AlarmChange(Kind.rate, Change.raised, "rate", value, at))
        else:
            rate_streak, rate_sign = 0, 0
            if rate_active:
                rate_active = False
                changes.append(AlarmChange(Kind.rate, Change.cleared, "rate", value, at))
    # stale: a value that moves again ends it (a silent sensor is back when it moves too)
    moved = state.last_value is None or value != state.last_value
    changed_at = at if moved else (state.changed_at or at)
    stale_active = state.stale_active
    if stale_active and moved:
        stale_active = False
        changes.append(AlarmChange(Kind.stale, Change.cleared, "stale", value, at))
    new = replace(
        state,
        zone=zone,
        pending=pending,
        streak=streak,
        rate_active=rate_active,
        rate_streak=rate_streak,
        rate_sign=rate_sign,
        stale_active=stale_active,
        last_value=value,
        last_at=at,
        changed_at=changed_at,
    )
    return new, changes


def on_clock(
    limits: Limits, state: SensorState, now: datetime, since: datetime | None = None
) -> tuple[SensorState, list[AlarmChange]]:
    """The stale-data check, run on a timer: no reading (`silent`) or no movement
    (`frozen`) for `stale_after_s` raises one stale alarm. `since` is when watching began
    (registration), for a sensor that never reported."""
    if state.stale_active:
        return state, []
    last = state.last_at or since
    if last is None:
        return state, []
    if (now - last).total_seconds() > limits.stale_after_s:
        why = "silent"
    elif (
        state.changed_at is not None
        and (now - state.changed_at).total_seconds() > limits.stale_after_s
    ):
        why = "frozen"
    else:
        return state, []
    return replace(state, stale_active=True), [
        AlarmChange(Kind.stale, Change.raised, why, state.last_value, now)
    ]


def stale_due(limits: Limits, state: SensorState, since: datetime | None) -> datetime | None:
    """The earliest time `on_clock` can raise the stale alarm (silent or frozen), or None
    while it is raised: the sweep looks only at sensors that are due."""
    if state.stale_active:
        return None
    last = state.last_at or since
    if last is None:
        return None
    after = timedelta(seconds=limits.stale_after_s)
    due = last + after
    if state.changed_at is not None:
        due = min(due, state.changed_at + after)
    return due


# -- responsibility (包保责任制) ---------------------------------------------------------------

# 危险化学品企业重大危险源安全包保责任制办法(试行), 2021: each source names three persons.
# Alarms go to them in the order the issue lists them, then to the town's supervising
# officers (属地监管); each step is taken when the alarm is still unhandled after the wait.
CHAIN_ROLES = ("principal", "technical", "operational", "town")
ROLE_ZH = {
    "principal": "主要负责人",
    "technical": "技术负责人",
    "operational": "操作负责人",
    "town": "属地监管人员",
}


def escalation_step(raised_at: datetime, now: datetime, wait_s: float) -> int:
    """How many steps of the chain an unhandled alarm has reached: 1 on raising (主要负责人),
    one more every `wait_s` seconds, at most the whole chain."""
    if now < raised_at:
        return 1
    steps = 1 + int((now - raised_at).total_seconds() // wait_s)
    return min(steps, len(CHAIN_ROLES))
