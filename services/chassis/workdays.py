"""Working days on China's official calendar (法定节假日 and 调休 make-up days).

Deadlines of legal review and disclosure count working days. The calendar comes from the
`chinese-calendar` package, which knows the State Council's arrangement year by year and
raises for a year it does not know yet; then weekends alone decide, and a warning is logged
so that someone updates the package.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import chinese_calendar

log = logging.getLogger(__name__)

# China Standard Time: deadlines, document years and statistics days are counted in it.
CHINA_TZ = timezone(timedelta(hours=8))


def china_date(moment: datetime | None = None) -> date:
    """The calendar day in China at `moment` (now by default)."""
    return (moment or datetime.now(UTC)).astimezone(CHINA_TZ).date()


_warned: set[int] = set()


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning(
                "the official calendar for %s is not known yet; counting weekends only "
                "(update chinese-calendar)",
                day.year,
            )
        return day.weekday() < 5


def add_working_days(
    start: date, days: int, is_workday: Callable[[date], bool] = is_working_day
) -> date:
    """The date `days` working days after `start` (start itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    left = days
    while left:
        current += timedelta(days=1)
        if is_workday(current):
            left -= 1
    return current


def working_days_between(
    start: date, end: date, is_workday: Callable[[date], bool] = is_working_day
) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_workday(current):
            count += 1
    return count
