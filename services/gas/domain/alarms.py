"""Gas alarm rules (燃气报警): levels by % LEL, sustained readings, one alarm per venue.

GB/T 50493-2019: the first level at or below 25 % LEL, the second at or below 50 % LEL;
kitchens often set 20 %. Thresholds are per venue. An alarm is raised once per venue and
type and then updated (a higher level, a new peak), never duplicated; it is active or
cleared, acknowledged or not. A device-side alarm counts at once; a reading must stay over
the threshold for `sustain` readings in a row, so one spike does not close a kitchen's gas.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import IntEnum, StrEnum


class Level(IntEnum):
    none = 0
    first = 1  # 一级报警
    second = 2  # 二级报警


class Change(StrEnum):
    raised = "raised"
    escalated = "escalated"
    updated = "updated"  # same level, new peak or reading
    cleared = "cleared"
    unchanged = "unchanged"


@dataclass(frozen=True)
class Thresholds:
    first_lel: float = 25.0
    second_lel: float = 50.0
    sustain: int = 2  # consecutive readings at or over a threshold
    clear_below_lel: float | None = None  # default: below the first level

    def __post_init__(self) -> None:
        if not 0 < self.first_lel < self.second_lel <= 100:
            raise ValueError("thresholds need 0 < first < second <= 100 % LEL")
        if self.sustain < 1:
            raise ValueError("sustain is at least one reading")

    @property
    def clear_lel(self) -> float:
        return self.first_lel if self.clear_below_lel is None else self.clear_below_lel


@dataclass(frozen=True)
class AlarmState:
    """The venue's gas alarm as the rules see it; the service stores it between events."""

    level: Level = Level.none
    active: bool = False
    acknowledged: bool = False
    peak_lel: float = 0.0
    streak_first: int = 0  # consecutive readings at or over the first level
    streak_second: int = 0
    raised_at: datetime | None = None
    updated_at: datetime | None = None
    sources: tuple[str, ...] = field(default=())  # devices that reported it


def _level_of(lel: float, t: Thresholds) -> Level:
    if lel >= t.second_lel:
        return Level.second
    if lel >= t.first_lel:
        return Level.first
    return Level.none


def _apply(
    state: AlarmState, level: Level, lel: float, device_id: str, at: datetime
) -> tuple[AlarmState, Change]:
    sources = state.sources if device_id in state.sources else (*state.sources, device_id)
    if not state.active:
        return (
            replace(
                state, level=level, active=True, acknowledged=False, peak_lel=lel,
                raised_at=at, updated_at=at, sources=(device_id,),
            ),
            Change.raised,
        )  # fmt: skip
    if level > state.level:
        # A higher level needs attention again even if the first was acknowledged.
        escalated = replace(
            state,
            level=level,
            acknowledged=False,
            peak_lel=max(state.peak_lel, lel),
            updated_at=at,
            sources=sources,
        )
        return escalated, Change.escalated
    return (
        replace(state, peak_lel=max(state.peak_lel, lel), updated_at=at, sources=sources),
        Change.updated,
    )


def on_reading(
    state: AlarmState, lel: float, t: Thresholds, *, device_id: str, at: datetime
) -> tuple[AlarmState, Change]:
    """A concentration reading (% LEL) from one detector of the venue."""
    if not 0 <= lel <= 100:
        raise ValueError("a reading is between 0 and 100 % LEL")
    level = _level_of(lel, t)
    first = state.streak_first + 1 if level >= Level.first else 0
    second = state.streak_second + 1 if level >= Level.second else 0
    state = replace(state, streak_first=first, streak_second=second)
    sustained = (
        Level.second if second >= t.sustain else Level.first if first >= t.sustain else Level.none
    )
    if sustained > Level.none:
        return _apply(state, sustained, lel, device_id, at)
    if state.active and lel < t.clear_lel:
        return replace(state, active=False, level=Level.none, updated_at=at), Change.cleared
    if state.active:
        return replace(state, peak_lel=max(state.peak_lel, lel), updated_at=at), Change.updated
    return state, Change.unchanged


def on_device_alarm(
    state: AlarmState, level: Level, *, device_id: str, at: datetime, lel: float = 0.0
) -> tuple[AlarmState, Change]:
    """The detector raised its own alarm: it counts at once, no sustain needed."""
    if level is Level.none:
        raise ValueError("a device alarm has level 1 or 2")
    return _apply(state, level, lel, device_id, at)


def acknowledge(state: AlarmState) -> AlarmState:
    if not state.active:
        raise ValueError("only an active alarm is acknowledged")
    return replace(state, acknowledged=True)
