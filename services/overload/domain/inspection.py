"""The inspection of one truck: pre-check -> intercept -> static weighing -> ... -> release.

Weighings move it by what they show; the other steps are officers' acts. A static reading
over the limit becomes a confirmed violation only when two or more officers holding
enforcement certificates confirm it on site; a confirmed violation is the only basis for
penalties, and is announced once per inspection.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    suspected = "suspected"  # 预检超限嫌疑 (weigh-in-motion)
    intercepted = "intercepted"  # 引导/拦截 into the station
    weighed = "weighed"  # 静态复检 over the limit, awaiting the officers' confirmation
    confirmed = "confirmed"  # 静态复检 over the limit, confirmed on site by the officers
    cleared = "cleared"  # 静态复检 within the limit
    unloaded = "unloaded"  # 卸载/转运
    reweighed = "reweighed"  # 复秤 within the limit after unloading
    released = "released"  # 放行


OPEN = frozenset(set(Status) - {Status.released})

# Officers' acts (the weighings make the other moves).
MANUAL: dict[Status, tuple[Status, ...]] = {
    Status.suspected: (Status.intercepted, Status.released),
    Status.intercepted: (),
    Status.weighed: (Status.confirmed,),
    Status.confirmed: (Status.unloaded,),
    Status.cleared: (Status.released,),
    Status.unloaded: (),
    Status.reweighed: (Status.released,),
    Status.released: (),
}


class IllegalStep(ValueError):
    pass


MIN_OFFICERS_ON_SITE = 2  # on-site acts are done by at least two certified officers


class OfficersMissing(ValueError):
    pass


def check_confirming_officers(officers: Iterable[tuple[str, str]]) -> None:
    """(officer id, 执法证号) pairs: at least two different officers, each with a certificate.

    DOMAIN "Full-process record": on-site acts are done by at least two officers holding
    enforcement certificates (执法证).
    """
    certified = {officer_id for officer_id, cert in officers if officer_id and cert.strip()}
    if len(certified) < MIN_OFFICERS_ON_SITE:
        raise OfficersMissing(
            f"confirming a violation on site needs at least {MIN_OFFICERS_ON_SITE} officers "
            "with enforcement certificate numbers (执法证)"
        )


def manual_step(current: Status, to: Status) -> Status:
    allowed = MANUAL[current]
    if to not in allowed:
        names = ", ".join(s.value for s in allowed) or "none until the next weighing"
        raise IllegalStep(
            f"an inspection at {current.value} cannot move to {to.value}; allowed: {names}"
        )
    return to


def after_weighing(
    current: Status | None, *, static: bool, over: bool, officers_present: bool = False
) -> Status | None:
    """Where a weighing leaves the truck's inspection (None: no inspection needed).

    A static reading over the limit is confirmed at once when the officers on site sign it
    (`officers_present`), else it waits at `weighed` for their confirmation.
    """
    if not static:
        if current is None:
            return Status.suspected if over else None
        return current  # a second pre-check changes nothing
    if current in (None, Status.suspected, Status.intercepted, Status.weighed, Status.cleared):
        if not over:
            return Status.cleared
        return Status.confirmed if officers_present else Status.weighed
    if current in (Status.confirmed, Status.unloaded, Status.reweighed):
        # 复秤: after unloading the truck must be within the limit before it leaves.
        if current is Status.confirmed and over:
            return Status.confirmed
        return Status.unloaded if over else Status.reweighed
    raise IllegalStep(f"no weighing is expected at {current.value}")
