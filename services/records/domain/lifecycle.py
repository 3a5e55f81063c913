"""The case lifecycle as a state machine (执法全过程: 启动 ... 归档).

`check_transition` is the only place that says which stage may follow which. A transition
that is not in the table is refused naming the allowed ones; a transition that is in the
table but whose condition does not hold (e.g. a decision before legal review) is refused
naming the condition.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.records.domain.cases import Stage

ENDINGS = frozenset({Stage.archived})

# Stages from which the generic transition may move, and where to.
TRANSITIONS: dict[Stage, tuple[Stage, ...]] = {
    Stage.inspection: (Stage.filing, Stage.no_penalty, Stage.withdrawn),
    Stage.filing: (Stage.investigation, Stage.withdrawn),
    Stage.investigation: (Stage.review, Stage.no_penalty, Stage.withdrawn),
    # A review that is returned for correction sends the case back to investigation.
    Stage.review: (Stage.notice, Stage.investigation, Stage.no_penalty, Stage.withdrawn),
    # The party's statement or defence may bring new facts (陈述申辩 -> 复核).
    Stage.notice: (Stage.decision, Stage.investigation, Stage.no_penalty, Stage.withdrawn),
    Stage.decision: (Stage.service,),
    Stage.service: (Stage.execution,),
    Stage.execution: (Stage.closing,),
    Stage.closing: (Stage.archived,),
    Stage.no_penalty: (Stage.archived,),
    Stage.withdrawn: (Stage.archived,),
    Stage.archived: (),
}

# Stages that only a dedicated command reaches, because they carry more than a reason.
COMMAND_FOR = {
    Stage.review: "propose a penalty (POST /v1/cases/{id}/penalty-proposals)",
    Stage.decision: "decide the penalty (POST /v1/cases/{id}/decision)",
}

# A decision after one of these exists; revocation (撤销) after reconsideration or litigation.
DECIDED = frozenset({Stage.decision, Stage.service, Stage.execution, Stage.closing, Stage.archived})

REVIEW_CLEARED = frozenset({"approved", "not-required"})


class IllegalTransition(ValueError):
    """A stage change the lifecycle does not allow; `allowed` names what it does allow."""

    def __init__(self, message: str, *, current: Stage, allowed: tuple[Stage, ...]) -> None:
        super().__init__(message)
        self.current = current
        self.allowed = allowed


@dataclass(frozen=True)
class CaseFacts:
    """What the guards look at, read from the case and its record."""

    stage: Stage
    has_proposal: bool = False
    review_status: str = ""  # of the current proposal: pending, approved, returned, ...
    decided: bool = False


def allowed_from(stage: Stage) -> tuple[Stage, ...]:
    return TRANSITIONS[stage]


def _names(stages: tuple[Stage, ...]) -> str:
    return ", ".join(s.value for s in stages) or "none (the case is archived)"


def check_transition(facts: CaseFacts, to: Stage, *, by_command: bool = False) -> None:
    """Raise IllegalTransition unless the case may move from its stage to `to`.

    `by_command` is True when the dedicated command (propose, decide) asks for the move.
    """
    allowed = allowed_from(facts.stage)
    if to not in allowed:
        waiting = ""
        through = [s for s in allowed if to in TRANSITIONS[s]]
        if through:
            waiting = (
                f"; {to.value} comes after {through[0].value}: move to {through[0].value} first"
            )
        if to in (Stage.notice, Stage.decision) and facts.has_proposal:
            if facts.review_status not in REVIEW_CLEARED:
                waiting += (
                    "; the notice and the decision wait for the legal review (法制审核), "
                    f"which is {facts.review_status or 'pending'}"
                )
        raise IllegalTransition(
            f"a case at stage {facts.stage.value} cannot move to {to.value}; "
            f"allowed: {_names(allowed)}{waiting}",
            current=facts.stage,
            allowed=allowed,
        )
    if to in COMMAND_FOR and not by_command:
        raise IllegalTransition(
            f"moving to {to.value} is done by the dedicated step: {COMMAND_FOR[to]}",
            current=facts.stage,
            allowed=allowed,
        )
    # 重大执法决定法制审核: no notice or decision until the review has cleared the proposal.
    if to in (Stage.notice, Stage.decision):
        if not facts.has_proposal:
            raise IllegalTransition(
                f"moving to {to.value} needs a penalty proposal first",
                current=facts.stage,
                allowed=allowed,
            )
        if facts.review_status not in REVIEW_CLEARED:
            status = facts.review_status or "pending"
            raise IllegalTransition(
                f"moving to {to.value} needs the legal review (法制审核) to approve the "
                f"proposal or find it not required; its review is {status}",
                current=facts.stage,
                allowed=allowed,
            )


def check_revocation(facts: CaseFacts) -> None:
    """A penalty can be revoked only once it was decided, and only once."""
    if not facts.decided or facts.stage not in DECIDED:
        raise IllegalTransition(
            f"only a decided penalty can be revoked; the case is at stage {facts.stage.value}",
            current=facts.stage,
            allowed=allowed_from(facts.stage),
        )


# How a phone makes each move (the gateway's routes), for the next-stages lookup.
TRANSITION_CALL = "POST /v1/cases/{id}/transitions"
CALL_FOR = {
    Stage.review: "POST /v1/cases/{id}/penalty-proposals",
    Stage.decision: "POST /v1/cases/{id}/decision",
}
REVOCATION_CALL = "POST /v1/cases/{id}/revocation"


@dataclass(frozen=True)
class NextStage:
    stage: Stage
    ready: bool  # the move would be accepted now
    via: str  # the call that makes it
    needs: tuple[str, ...]  # what is still missing (empty when ready)


def next_stages(facts: CaseFacts) -> list[NextStage]:
    """Every stage the case may move to from where it is, each with what it still needs:
    the same guards as `check_transition`, asked in advance (执法全过程: 启动 ... 归档)."""
    out = []
    for stage in allowed_from(facts.stage):
        try:
            check_transition(facts, stage, by_command=stage in COMMAND_FOR)
            needs: tuple[str, ...] = ()
        except IllegalTransition as refused:
            needs = (str(refused),)
        out.append(NextStage(stage, not needs, CALL_FOR.get(stage, TRANSITION_CALL), needs))
    if facts.decided and facts.stage in DECIDED:
        # 撤销 after reconsideration, litigation or the agency's own correction.
        out.append(NextStage(Stage.withdrawn, True, REVOCATION_CALL, ()))
    return out


@dataclass(frozen=True)
class LifecycleStage:
    stage: Stage
    next: tuple[Stage, ...]  # the stages the table allows from this one
    via: str  # the call that reaches this stage


def lifecycle() -> list[LifecycleStage]:
    """The whole table, for a phone that must offer stage moves while offline: which stage
    may follow which and the call that reaches each. The guards (a decision after the legal
    review, ...) are asked of the server when the move is made (and in `next_stages`)."""
    return [
        LifecycleStage(stage, allowed_from(stage), CALL_FOR.get(stage, TRANSITION_CALL))
        for stage in Stage
    ]
