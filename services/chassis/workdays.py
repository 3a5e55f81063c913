"""Working days on China's official calendar (法定节假日 and 调休 make-up days).

Deadlines of legal review, disclosure and Art. 44 reports count working days. The official
calendar of a year is the State Council General Office's notice on that year's holiday
arrangement (国务院办公厅关于某年部分节假日安排的通知), which fixes the days off and the
weekend days that become working days (调休). The platform keeps the calendar as its own data,
in this order for each year:

1. a year entered from the notice (the newest version of it), stored by the review service and
   copied by every service that counts deadlines (`review.calendar-year-published.v1`);
2. the years the `chinese-calendar` package knows (2004-2026 in 1.11.0);
3. otherwise the statutory holidays of 全国年节及纪念日放假办法 (as revised by 国务院令第793号,
   2024, in force from 1 January 2025), with the lunar and solar-term dates computed by
   `lunar-python`, plus the substitute day off (补假) its Art. 6 grants when a holiday falls on a
   weekend. Only the make-up working days (调休) are unknown, so every date counted through
   such a year is provisional.

This module is pure: no I/O. A service builds a `Calendar` from the years it stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from functools import cache

import chinese_calendar
from lunar_python import Lunar, Solar

from services.chassis import clock

# China Standard Time: deadlines, document years and statistics days are counted in it.
CHINA_TZ = timezone(timedelta(hours=8))

# The State Council publishes next year's arrangement in the autumn; from this month on, a
# missing next year is a warning to supervisors and admins.
WARN_FROM_MONTH = 10


def china_date(moment: datetime | None = None) -> date:
    """The calendar day in China at `moment` (now on the services' clock by default)."""
    return (moment or clock.now()).astimezone(CHINA_TZ).date()


class InvalidCalendar(ValueError):
    """A year's arrangement that cannot be the State Council's notice."""


class Source(StrEnum):
    notice = "notice"  # entered from the State Council's notice
    package = "package"  # the chinese-calendar package
    statutory = "statutory"  # statutory holidays only: provisional


# -- statutory holidays (全国年节及纪念日放假办法, 2024 revision, Art. 2) ---------------------


def _solar(s: Solar) -> date:
    return date(s.getYear(), s.getMonth(), s.getDay())


def _statutory_days(year: int) -> list[tuple[date, str]]:
    """The 13 statutory days off of `year`, one entry each, coinciding ones twice."""
    new_year = _solar(Lunar.fromYmd(year, 1, 1).getSolar())
    return [
        (date(year, 1, 1), "新年"),
        *((new_year + timedelta(days=offset), "春节") for offset in range(-1, 3)),
        (_solar(Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]), "清明节"),
        (date(year, 5, 1), "劳动节"),
        (date(year, 5, 2), "劳动节"),
        (_solar(Lunar.fromYmd(year, 5, 5).getSolar()), "端午节"),
        (_solar(Lunar.fromYmd(year, 8, 15).getSolar()), "中秋节"),
        *((date(year, 10, d), "国庆节") for d in (1, 2, 3)),
    ]


@cache
def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory days off of `year` (全国年节及纪念日放假办法 Art. 2, 2024 revision):
    新年 1 January; 春节 Spring Festival eve (除夕, the last day of the 12th lunar month) and
    the 1st to 3rd days of the 1st lunar month; 清明节 the Qingming solar term; 劳动节 1-2 May;
    端午节 the 5th day of the 5th lunar month; 中秋节 the 15th day of the 8th lunar month;
    国庆节 1-3 October. Thirteen days, twelve dates when Mid-Autumn falls on 1-3 October."""
    days: dict[date, str] = {}
    for day, name in _statutory_days(year):
        days[day] = f"{days[day]}、{name}" if day in days else name
    return days


@cache
def fallback_days_off(year: int) -> frozenset[date]:
    """The statutory days off of `year` and their substitutes: a statutory day that falls on a
    Saturday or Sunday is made up on the next weekday that is not itself a day off (补假,
    全国年节及纪念日放假办法 Art. 6), and so is a second festival on the same date (the
    2020 notice gave 1-8 October when Mid-Autumn fell on 1 October). Weekends are
    off as always; make-up working days (调休) are not known without the notice."""
    off: set[date] = set()
    owed: list[date] = []
    for day, _name in sorted(_statutory_days(year)):
        if day.weekday() >= 5 or day in off:
            owed.append(day)
        off.add(day)
    for day in owed:
        substitute = day + timedelta(days=1)
        while substitute.weekday() >= 5 or substitute in off:
            substitute += timedelta(days=1)
        off.add(substitute)
    return frozenset(off)


# -- a year's official arrangement ------------------------------------------------------------


@dataclass(frozen=True)
class OfficialYear:
    """One year's arrangement from the State Council's notice: the days off (holidays and the
    weekend days inside a holiday period) and the weekend days worked instead (调休)."""

    year: int
    holidays: frozenset[date]
    makeup_days: frozenset[date]
    notice_no: str  # e.g. 国办发明电〔2025〕7号
    version: int = 1


def validate_year(
    year: int, holidays: Iterable[date], makeup_days: Iterable[date], notice_no: str
) -> OfficialYear:
    """Check an arrangement before it is stored; raise `InvalidCalendar` with every problem.

    - every date lies in `year`;
    - a make-up working day (调休上班) is a Saturday or Sunday: a weekday is a working day anyway;
    - no day is both a holiday and a make-up day;
    - the year is complete: every statutory day off of 全国年节及纪念日放假办法 Art. 2 (2024
      revision) is among the holidays;
    - the notice's number (文号) is given, so the source can be checked."""
    holidays, makeup_days = frozenset(holidays), frozenset(makeup_days)
    problems: list[str] = []
    if not 2025 <= year <= 2100:
        problems.append("the year must be between 2025 and 2100 (the 2024 revision's era)")
    if not notice_no.strip():
        problems.append("the notice's number (文号) is required")
    outside = sorted(d for d in holidays | makeup_days if d.year != year)
    if outside:
        problems.append(f"dates outside {year}: {', '.join(map(str, outside))}")
    weekdays = sorted(d for d in makeup_days if d.weekday() < 5)
    if weekdays:
        problems.append(
            "a make-up working day must be a Saturday or Sunday: " + ", ".join(map(str, weekdays))
        )
    both = sorted(holidays & makeup_days)
    if both:
        problems.append(f"both a holiday and a make-up day: {', '.join(map(str, both))}")
    if not problems:
        missing = sorted(set(statutory_holidays(year)) - holidays)
        if missing:
            problems.append(
                "incomplete: statutory holidays missing: "
                + ", ".join(f"{d} {statutory_holidays(year)[d]}" for d in missing)
            )
    if problems:
        raise InvalidCalendar("; ".join(problems))
    return OfficialYear(year, holidays, makeup_days, notice_no.strip())


# -- the calendar -----------------------------------------------------------------------------


@cache
def package_knows(year: int) -> bool:
    """Whether the chinese-calendar package carries `year`'s arrangement."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True)
class Due:
    """A date counted in working days; provisional when a year on the way is statutory only."""

    date: date
    provisional: bool
    years: tuple[int, ...]  # the calendar years the count went through


@dataclass(frozen=True)
class Counted:
    days: int
    provisional: bool


class Calendar:
    """China's working days: entered years first, then the package, then the statutory rule."""

    def __init__(self, entered: Iterable[OfficialYear] = ()) -> None:
        self._entered: dict[int, OfficialYear] = {}
        for y in entered:
            known = self._entered.get(y.year)
            if known is None or y.version > known.version:
                self._entered[y.year] = y

    def entered(self, year: int) -> OfficialYear | None:
        return self._entered.get(year)

    def source(self, year: int) -> Source:
        if year in self._entered:
            return Source.notice
        if package_knows(year):
            return Source.package
        return Source.statutory

    def is_provisional(self, year: int) -> bool:
        return self.source(year) is Source.statutory

    def is_working_day(self, day: date) -> bool:
        official = self._entered.get(day.year)
        if official is not None:
            if day in official.makeup_days:
                return True
            return day.weekday() < 5 and day not in official.holidays
        if package_knows(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5 and day not in fallback_days_off(day.year)

    def add_working_days(self, start: date, days: int) -> Due:
        """The date `days` working days after `start` (start itself does not count)."""
        end = add_working_days(start, days, self.is_working_day)
        years = tuple(_years_after(start, end))
        return Due(end, any(self.is_provisional(y) for y in years), years)

    def working_days_between(self, start: date, end: date) -> Counted:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        n = working_days_between(start, end, self.is_working_day)
        return Counted(n, any(self.is_provisional(y) for y in _years_after(start, end)))

    def missing_year_warning(self, today: date) -> str | None:
        """From 1 October, a warning that next year's notice has not been entered (and, all
        year, that this year's has not)."""
        for year in (today.year, today.year + 1):
            if year == today.year + 1 and today.month < WARN_FROM_MONTH:
                continue
            if self.is_provisional(year):
                return (
                    f"the official calendar for {year} has not been entered: deadlines in "
                    f"{year} count only the statutory holidays and are provisional; enter the "
                    "State Council's notice (POST /v1/calendar/years)"
                )
        return None


def _years_after(start: date, end: date) -> range:
    """The years of the days after `start` up to `end` (the days a count looks at)."""
    if end <= start:
        return range(0)
    return range((start + timedelta(days=1)).year, end.year + 1)


# The package's years and the statutory rule, for callers without stored years.
DEFAULT_CALENDAR = Calendar()


def is_working_day(day: date) -> bool:
    return DEFAULT_CALENDAR.is_working_day(day)


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
