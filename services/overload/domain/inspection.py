"""The inspection of one truck: pre-check -> intercept -> static weighing -> ... -> release.

Weighings move it by what they show; the other steps are officers' acts. A confirmed
violation is the only basis for penalties, and is announced once per inspection.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    suspected = "suspected"  # 预检超限嫌疑 (weigh-in-motion)
    intercepted = "intercepted"  # 引导/拦截 into the station
    confirmed = "confirmed"  # 静态复检 over the limit
    cleared = "cleared"  # 静态复检 within the limit
    unloaded = "unloaded"  # 卸载/转运
    reweighed = "reweighed"  # 复秤 within the limit after unloading
    released = "released"  # 放行


OPEN = frozenset(set(Status) - {Status.released})

# Officers' acts (the weighings make the other moves).
MANUAL: dict[Status, tuple[Status, ...]] = {
    Status.suspected: (Status.intercepted, Status.released),
    Status.intercepted: (),
    Status.confirmed: (Status.unloaded,),
    Status.cleared: (Status.released,),
    Status.unloaded: (),
    Status.reweighed: (Status.released,),
    Status.released: (),
}


class IllegalStep(ValueError):
    pass


def manual_step(current: Status, to: Status) -> Status:
    allowed = MANUAL[current]
    if to not in allowed:
        names = ", ".join(s.value for s in allowed) or "none until the next weighing"
        raise IllegalStep(
            f"an inspection at {current.value} cannot move to {to.value}; allowed: {names}"
        )
    return to


def after_weighing(current: Status | None, *, static: bool, over: bool) -> Status | None:
    """Where a weighing leaves the truck's inspection (None: no inspection needed)."""
    if not static:
        if current is None:
            return Status.suspected if over else None
        return current  # a second pre-check changes nothing
    if current in (None, Status.suspected, Status.intercepted, Status.cleared):
        return Status.confirmed if over else Status.cleared
    if current in (Status.confirmed, Status.unloaded, Status.reweighed):
        # 复秤: after unloading the truck must be within the limit before it leaves.
        if current is Status.confirmed and over:
            return Status.confirmed
        return Status.unloaded if over else Status.reweighed
    raise IllegalStep(f"no weighing is expected at {current.value}")
