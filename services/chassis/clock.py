"""The services' clock: what "now" and "today" are.

In production it is the system clock. A development or test stack may start a service's clock
at a given instant (`<SERVICE>_CLOCK_START`, refused in production mode); it then runs on from
there at the system clock's pace, so a scenario dated in the future (a review opened on 28
December) runs end to end without waiting for the date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def start_at(moment: datetime | None) -> None:
    """Run the clock from `moment` (None: the system clock)."""
    global _offset
    _offset = (moment - datetime.now(UTC)) if moment is not None else timedelta(0)
