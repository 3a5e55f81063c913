"""China's working days: the statutory fallback, entered years, validation, provisional dates.

Rules: 全国年节及纪念日放假办法 (国务院令第793号 revision, in force 1 January 2025) Art. 2
(the 13 statutory days off) and Art. 6 (a holiday on a weekend is made up on a weekday); the
State Council's yearly notice fixes the rest (调休).
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from services.chassis.workdays import (
    Calendar,
    InvalidCalendar,
    OfficialYear,
    Source,
    fallback_days_off,
    statutory_holidays,
    validate_year,
)
from tests.support.calendar_example import (
    EXAMPLE_2027_HOLIDAYS,
    EXAMPLE_2027_MAKEUP,
    EXAMPLE_2027_NOTICE,
)

pytestmark = pytest.mark.unit


def example_2027(version: int = 1) -> OfficialYear:
    y = validate_year(2027, EXAMPLE_2027_HOLIDAYS, EXAMPLE_2027_MAKEUP, EXAMPLE_2027_NOTICE)
    return OfficialYear(y.year, y.holidays, y.makeup_days, y.notice_no, version)


@pytest.mark.parametrize(
    ("year", "name", "expected"),
    [
        # Lunar and solar-term dates, checked against the package's known holidays below.
        (
            2025,
            "春节",
            [date(2025, 1, 28), date(2025, 1, 29), date(2025, 1, 30), date(2025, 1, 31)],
        ),
        (
            2026,
            "春节",
            [date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19)],
        ),
        (2027, "春节", [date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)]),
        (2025, "清明节", [date(2025, 4, 4)]),
        (2026, "清明节", [date(2026, 4, 5)]),
        (2027, "清明节", [date(2027, 4, 5)]),
        (2025, "端午节", [date(2025, 5, 31)]),
        (2026, "端午节", [date(2026, 6, 19)]),
        (2027, "端午节", [date(2027, 6, 9)]),
        (2025, "中秋节", [date(2025, 10, 6)]),
        (2026, "中秋节", [date(2026, 9, 25)]),
        (2027, "中秋节", [date(2027, 9, 15)]),
        (2027, "新年", [date(2027, 1, 1)]),
        (2027, "劳动节", [date(2027, 5, 1), date(2027, 5, 2)]),
        (2027, "国庆节", [date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3)]),
    ],
)
def test_art_2_statutory_days_off(year, name, expected):
    days = statutory_holidays(year)
    assert sorted(d for d, n in days.items() if n == name) == expected


def test_art_2_gives_13_days_off_a_year_since_the_2024_revision():
    for year in range(2025, 2040):
        days = statutory_holidays(year)
        assert sum(len(n.split("、")) for n in days.values()) == 13, year


def test_mid_autumn_on_national_day_still_gives_its_day_off():
    # 2028: Mid-Autumn is 3 October; the fallback gives one more weekday off after the block.
    assert statutory_holidays(2028)[date(2028, 10, 3)] == "中秋节、国庆节"
    off = fallback_days_off(2028)
    # 1 Oct is a Sunday: substitutes 4 Oct (for Sunday) and 5 Oct (for the shared day).
    assert {date(2028, 10, 4), date(2028, 10, 5)} <= off and date(2028, 10, 6) not in off


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_fallback_day_off_is_a_holiday_of_the_package_year(year):
    # The fallback never invents a day off: each one, statutory or Art. 6 substitute, is a
    # holiday in the State Council's arrangement as chinese-calendar carries it.
    for day in fallback_days_off(year):
        assert chinese_calendar.is_holiday(day), day
    # and the official arrangement's extra days off are only 调休 swaps, covered by make-up days
    official_weekdays_off = {
        date(year, 1, 1) + timedelta(days=i)
        for i in range(365)
        if (date(year, 1, 1) + timedelta(days=i)).weekday() < 5
        and chinese_calendar.is_holiday(date(year, 1, 1) + timedelta(days=i))
    }
    makeup = {
        date(year, 1, 1) + timedelta(days=i)
        for i in range(365)
        if (date(year, 1, 1) + timedelta(days=i)).weekday() >= 5
        and chinese_calendar.is_workday(date(year, 1, 1) + timedelta(days=i))
    }
    assert len(official_weekdays_off - fallback_days_off(year)) == len(makeup)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2027, 1, 1), False),  # Art. 2 新年, a Friday
        (date(2027, 1, 4), True),
        (date(2027, 2, 5), False),  # 除夕
        (date(2027, 2, 8), False),  # 初三
        (date(2027, 2, 9), False),  # Art. 6: 初一 fell on Saturday 6 February
        (date(2027, 2, 10), False),  # Art. 6: 初二 fell on Sunday 7 February
        (date(2027, 2, 11), True),  # a swap (调休) needs the notice
        (date(2027, 5, 3), False),  # Art. 6: 1-2 May are a weekend
        (date(2027, 5, 4), False),
        (date(2027, 5, 5), True),
        (date(2027, 10, 4), False),  # Art. 6: 2-3 October are a weekend
        (date(2027, 10, 5), False),
        (date(2027, 10, 6), True),
    ],
)
def test_2027_without_its_notice_follows_art_2_and_art_6(day, working):
    calendar = Calendar()
    assert calendar.source(2027) is Source.statutory
    assert calendar.is_working_day(day) is working


def test_a_due_date_through_a_statutory_only_year_is_provisional():
    calendar = Calendar()
    # 28 Dec 2026 + 7: 29, 30, 31 Dec, (1 Jan off), 4, 5, 6, 7 Jan.
    due = calendar.add_working_days(date(2026, 12, 28), 7)
    assert (due.date, due.provisional, due.years) == (date(2027, 1, 7), True, (2026, 2027))
    inside_2026 = calendar.add_working_days(date(2026, 12, 18), 7)
    assert (inside_2026.date, inside_2026.provisional) == (date(2026, 12, 29), False)


def test_an_entered_year_decides_and_is_not_provisional():
    calendar = Calendar([example_2027()])
    assert calendar.source(2027) is Source.notice
    assert calendar.is_working_day(date(2027, 1, 31))  # a make-up Sunday
    assert not calendar.is_working_day(date(2027, 2, 12))  # a swapped Friday
    due = calendar.add_working_days(date(2027, 1, 28), 7)
    # 29 Jan, Sun 31 Jan, 1-4 Feb, then 5-13 Feb off: 15 Feb; the fallback says 12 Feb.
    assert (due.date, due.provisional) == (date(2027, 2, 15), False)
    assert Calendar().add_working_days(date(2027, 1, 28), 7).date == date(2027, 2, 12)


def test_the_newest_version_of_a_year_wins():
    v1 = example_2027(1)
    v2 = OfficialYear(2027, v1.holidays, v1.makeup_days - {date(2027, 1, 31)}, v1.notice_no, 2)
    assert not Calendar([v2, v1]).is_working_day(date(2027, 1, 31))
    assert Calendar([v1]).is_working_day(date(2027, 1, 31))


def test_an_entered_year_overrides_the_package():
    y = validate_year(2026, statutory_holidays(2026), [], "更正〔2026〕1号")
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # the package's make-up Saturday
    assert not Calendar([y]).is_working_day(date(2026, 10, 10))  # not in the entered year
    assert Calendar([y]).source(2026) is Source.notice


def test_working_days_between_says_when_it_is_provisional():
    counted = Calendar().working_days_between(date(2026, 12, 28), date(2027, 1, 7))
    assert (counted.days, counted.provisional) == (7, True)
    known = Calendar([example_2027()]).working_days_between(date(2026, 12, 28), date(2027, 1, 7))
    assert (known.days, known.provisional) == (7, False)


@pytest.mark.parametrize(
    ("holidays", "makeup", "notice", "message"),
    [
        (
            EXAMPLE_2027_HOLIDAYS,
            [*EXAMPLE_2027_MAKEUP, date(2027, 2, 1)],
            "n",
            "Saturday or Sunday",
        ),
        (EXAMPLE_2027_HOLIDAYS, [*EXAMPLE_2027_MAKEUP, date(2027, 1, 2)], "n", "both a holiday"),
        ([d for d in EXAMPLE_2027_HOLIDAYS if d != date(2027, 9, 15)], [], "n", "中秋节"),
        ([d for d in EXAMPLE_2027_HOLIDAYS if d.month != 2], [], "n", "春节"),
        ([*EXAMPLE_2027_HOLIDAYS, date(2028, 1, 1)], [], "n", "outside 2027"),
        (EXAMPLE_2027_HOLIDAYS, [], " ", "文号"),
    ],
)
def test_an_arrangement_that_cannot_be_the_notice_is_refused(holidays, makeup, notice, message):
    with pytest.raises(InvalidCalendar, match=message):
        validate_year(2027, holidays, makeup, notice)


def test_a_complete_arrangement_is_accepted():
    y = example_2027()
    assert y.notice_no == EXAMPLE_2027_NOTICE and len(y.makeup_days) == 4


@pytest.mark.parametrize(
    ("today", "warned_year"),
    [
        (date(2026, 9, 30), None),  # before 1 October: nothing yet
        (date(2026, 10, 1), 2027),  # from 1 October: next year's notice is missing
        (date(2026, 12, 1), 2027),
        (date(2027, 3, 1), 2027),  # a year already running without its notice
    ],
)
def test_supervisors_are_warned_from_1_october(today, warned_year):
    warning = Calendar().missing_year_warning(today)
    assert (warning is None) if warned_year is None else (str(warned_year) in warning)
    assert Calendar([example_2027()]).missing_year_warning(date(2026, 12, 1)) is None
