"""Review tasks: the checklist, who may review, and what an outcome needs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The legal review checklist (法制审核内容), in the order of the written opinion.
CHECKLIST: tuple[tuple[str, str], ...] = (
    ("subject", "执法主体合法, 执法人员具备资格 (主体, 资格)"),
    ("powers", "未超越法定权限 (权限)"),
    ("facts", "事实清楚"),
    ("evidence", "证据确凿充分"),
    ("procedure", "程序合法, 当事人权利得到保障"),
    ("legal-basis", "适用依据正确"),
    ("discretion", "裁量适当"),
    ("documents", "文书规范"),
    ("criminal-referral", "是否涉嫌犯罪需要移送司法机关"),
)
CHECKLIST_KEYS = tuple(k for k, _ in CHECKLIST)
OUTCOMES = ("approved", "returned", "rejected")
OPEN = ("waiting", "assigned")


class InvalidReview(ValueError):
    pass


class InvalidOutcome(InvalidReview):
    """The outcome itself is incomplete or inconsistent: bad input, not a state conflict."""


class NotAllowed(PermissionError):
    pass


@dataclass(frozen=True)
class CheckItem:
    item: str
    passed: bool
    comment: str = ""


def validate_outcome(outcome: str, checklist: Iterable[CheckItem], opinion: str) -> None:
    """An outcome names every checklist item once; approval has no failed item, a return or a
    rejection at least one, each with its reason (《重大执法决定法制审核办法》 审核内容)."""
    items = list(checklist)
    if outcome not in OUTCOMES:
        raise InvalidOutcome(f"outcome must be one of: {', '.join(OUTCOMES)}")
    keys = [i.item for i in items]
    missing = [k for k in CHECKLIST_KEYS if k not in keys]
    unknown = sorted(set(keys) - set(CHECKLIST_KEYS))
    if unknown:
        raise InvalidOutcome(f"unknown checklist item {unknown[0]!r}")
    if missing or len(keys) != len(set(keys)):
        raise InvalidOutcome(
            "fill every checklist item exactly once; missing: " + (", ".join(missing) or "none")
        )
    if not opinion.strip() or len(opinion) > 20_000:
        raise InvalidOutcome(
            "the written opinion (审核意见) is required (at most 20,000 characters)"
        )
    failed = [i for i in items if not i.passed]
    if outcome == "approved" and failed:
        raise InvalidOutcome(
            f"a review with failed items cannot approve: {', '.join(i.item for i in failed)}"
        )
    if outcome != "approved" and not failed:
        raise InvalidOutcome(f"{outcome} needs at least one failed checklist item saying why")
    if any(not i.comment.strip() for i in failed):
        raise InvalidOutcome("every failed checklist item needs a comment")


# A collective meeting (集体讨论) of the agency's leadership settles a dispute the reviewer
# cannot (DOMAIN: "Disputes go to a collective meeting"). Local rule: at least 3 members.
MEETING_MIN_PARTICIPANTS = 3


@dataclass(frozen=True)
class Meeting:
    """The meeting that decided a referred review: when, who took part, what was said."""

    held_on: str  # YYYY-MM-DD
    participants: tuple[str, ...]
    minutes: str


def validate_meeting(referred: bool, meeting: Meeting | None, today: str) -> None:
    """A review referred to a collective meeting (集体讨论) is decided with the meeting's
    record: its date (not in the future), at least `MEETING_MIN_PARTICIPANTS` named members
    and its minutes (会议纪要); a review not referred carries no meeting."""
    if not referred:
        if meeting is not None:
            raise InvalidOutcome("only a review referred to a collective meeting records one")
        return
    if meeting is None:
        raise InvalidOutcome("a referred review is decided with the collective meeting's record")
    if len(meeting.held_on) != 10 or meeting.held_on > today:
        raise InvalidOutcome("the meeting's date is YYYY-MM-DD and not in the future")
    names = [n.strip() for n in meeting.participants if n.strip()]
    if len(set(names)) < MEETING_MIN_PARTICIPANTS:
        raise InvalidOutcome(
            f"a collective meeting has at least {MEETING_MIN_PARTICIPANTS} named participants"
        )
    if not meeting.minutes.strip() or len(meeting.minutes) > 20_000:
        raise InvalidOutcome("the meeting's minutes (会议纪要) are required")


def check_reviewer(reviewer_id: str, officer_ids: Iterable[str], conflicted: bool) -> None:
    """A reviewer is never one of the case's officers and has no recorded conflict."""
    if reviewer_id in set(officer_ids):
        raise NotAllowed("a legal reviewer may not review a case they work on as an officer")
    if conflicted:
        raise NotAllowed("the reviewer has a recorded conflict of interest with the party")


def choose_reviewer(
    candidates: list[tuple[str, int]], officer_ids: Iterable[str], conflicted: set[str]
) -> str | None:
    """The eligible reviewer with the fewest open tasks (then by id, for a stable choice)."""
    officers = set(officer_ids)
    eligible = [(n, rid) for rid, n in candidates if rid not in officers and rid not in conflicted]
    return min(eligible)[1] if eligible else None
