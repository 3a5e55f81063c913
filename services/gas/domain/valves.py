"""Emergency shut-off (紧急切断): close commands persisted with a time to live, retried until
the valve acknowledges, escalated when it stays silent. A valve reopens only by hand on site.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class CommandStatus(StrEnum):
    pending = "pending"  # waiting for the valve to fetch it
    delivered = "delivered"  # handed to the valve, no acknowledgement yet
    acknowledged = "acknowledged"  # the valve reports closed
    expired = "expired"  # its time to live passed without an acknowledgement


@dataclass(frozen=True)
class ValvePolicy:
    ttl: timedelta = timedelta(minutes=10)
    redeliver_after: timedelta = timedelta(seconds=5)  # a delivered command is offered again
    confirm_within: timedelta = timedelta(seconds=30)  # then the alarm escalates to critical


@dataclass(frozen=True)
class CloseCommand:
    command_id: str
    valve_id: str
    issued_at: datetime
    status: CommandStatus = CommandStatus.pending
    delivered_at: datetime | None = None
    deliveries: int = 0
    acknowledged_at: datetime | None = None


def due_for_delivery(cmd: CloseCommand, now: datetime, policy: ValvePolicy) -> bool:
    """Whether the valve should get this command in its next response or long-poll."""
    if cmd.status in (CommandStatus.acknowledged, CommandStatus.expired):
        return False
    if now - cmd.issued_at > policy.ttl:
        return False
    if cmd.status is CommandStatus.pending:
        return True
    return cmd.delivered_at is None or now - cmd.delivered_at >= policy.redeliver_after


def delivered(cmd: CloseCommand, now: datetime) -> CloseCommand:
    return replace(
        cmd, status=CommandStatus.delivered, delivered_at=now, deliveries=cmd.deliveries + 1
    )


def acknowledged(cmd: CloseCommand, now: datetime) -> CloseCommand:
    if cmd.status is CommandStatus.expired:
        return cmd
    return replace(cmd, status=CommandStatus.acknowledged, acknowledged_at=now)


def expire(cmd: CloseCommand, now: datetime, policy: ValvePolicy) -> CloseCommand:
    if cmd.status is not CommandStatus.acknowledged and now - cmd.issued_at > policy.ttl:
        return replace(cmd, status=CommandStatus.expired)
    return cmd


def needs_escalation(cmd: CloseCommand, now: datetime, policy: ValvePolicy) -> bool:
    """Not confirmed closed within `confirm_within`: the alarm becomes critical."""
    return (
        cmd.status is not CommandStatus.acknowledged and now - cmd.issued_at > policy.confirm_within
    )


class ValveState(StrEnum):
    open = "open"
    closed = "closed"


def valve_report(current: ValveState, reported: ValveState, *, manual: bool) -> ValveState:
    """A valve reports its state; reopening is only accepted as a manual on-site act."""
    if current is ValveState.closed and reported is ValveState.open and not manual:
        raise ValueError("a closed valve reopens only by hand on site (manual=true)")
    return reported
