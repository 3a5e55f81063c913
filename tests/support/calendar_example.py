"""AN EXAMPLE 2027 holiday arrangement for the tests, in the shape of a State Council notice.

It is NOT the real notice for 2027 (not published when this was written): it follows the
statutory days of 全国年节及纪念日放假办法 (2024 revision) and the usual pattern of the
notices (periods bridged by weekend make-up days, 调休), so that tests can enter a year and see
deadlines move.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

EXAMPLE_2027_NOTICE = "示例〔2026〕1号 (example, not the real notice)"
EXAMPLE_2027_HOLIDAYS = [
    *(date(2027, 1, d) for d in (1, 2, 3)),  # 元旦 Fri-Sun
    *(date(2027, 2, 5) + timedelta(days=i) for i in range(9)),  # 春节 除夕 5 Feb .. 13 Feb
    *(date(2027, 4, d) for d in (3, 4, 5)),  # 清明 Sat-Mon
    *(date(2027, 5, d) for d in (1, 2, 3, 4, 5)),  # 劳动节
    date(2027, 6, 9),  # 端午
    date(2027, 9, 15),  # 中秋
    *(date(2027, 10, d) for d in range(1, 8)),  # 国庆
]
# Sun 31 Jan and Sat 20 Feb bridge the Spring Festival; Sat 8 May, Sat 9 Oct the others.
EXAMPLE_2027_MAKEUP = [date(2027, 1, 31), date(2027, 2, 20), date(2027, 5, 8), date(2027, 10, 9)]


def example_2027_body(note: str = "") -> dict:
    """The arrangement as the admin route and the CLI take it."""
    return {
        "year": 2027,
        "notice_no": EXAMPLE_2027_NOTICE,
        "holidays": [d.isoformat() for d in EXAMPLE_2027_HOLIDAYS],
        "makeup_days": [d.isoformat() for d in EXAMPLE_2027_MAKEUP],
        "note": note,
    }


def published_2027_event(version: int = 1, makeup_days: list[date] | None = None):
    """review.calendar-year-published.v1 carrying the example year, as review sends it."""
    from enforcement.calendar.v1 import calendar_pb2
    from services.chassis.calendar_store import TOPIC_YEAR_PUBLISHED
    from services.chassis.events import build_event

    year = calendar_pb2.CalendarYear(
        year=2027,
        version=version,
        notice_no=EXAMPLE_2027_NOTICE,
        holidays=[d.isoformat() for d in EXAMPLE_2027_HOLIDAYS],
        makeup_days=[d.isoformat() for d in (makeup_days or EXAMPLE_2027_MAKEUP)],
        entered_by="u-admin",
        agency_id="xinbei-yjj",
    )
    year.entered_at.GetCurrentTime()
    return build_event(
        topic=TOPIC_YEAR_PUBLISHED,
        aggregate_id="calendar-2027",
        payload=calendar_pb2.CalendarYearPublished(year=year),
        producer="review",
    )


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """The services' clock runs from `moment` inside the block."""
    from services.chassis import clock

    clock.start_at(moment)
    try:
        yield
    finally:
        clock.start_at(None)
