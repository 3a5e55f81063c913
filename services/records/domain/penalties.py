"""Penalty proposals and decisions (行政处罚), as far as records checks them.

Whether a proposal is major and needs legal review is the review service's call; records
only refuses what is not a proposal at all, and keeps the facts the reviewer needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.records.domain.cases import Stage
from services.records.domain.lifecycle import IllegalTransition, allowed_from


class PenaltyKind:
    """Kinds of administrative penalty (行政处罚种类)."""

    warning = "warning"  # 警告
    fine = "fine"  # 罚款
    confiscation = "confiscation"  # 没收违法所得、非法财物
    suspension = "suspension"  # 责令停产停业
    closure = "closure"  # 关闭
    practice_restriction = "practice-restriction"  # 限制从业
    qualification_lowering = "qualification-lowering"  # 降低资质等级
    licence_revocation = "licence-revocation"  # 吊销许可证件

    ALL = frozenset(
        {
            warning,
            fine,
            confiscation,
            suspension,
            closure,
            practice_restriction,
            qualification_lowering,
            licence_revocation,
        }
    )


CIRCUMSTANCES = frozenset({"minor", "ordinary", "serious"})  # 裁量情节: 轻微, 一般, 严重

# A proposal can be made from these stages; at review only after the last one came back.
PROPOSE_FROM = frozenset({Stage.investigation, Stage.review})
REPROPOSE_AFTER = frozenset({"returned", "rejected"})

MAX_FINE_YUAN = 10**10


class InvalidProposal(ValueError):
    pass


@dataclass(frozen=True)
class Proposal:
    kinds: tuple[str, ...]
    fine_yuan: int = 0
    confiscation_yuan: int = 0
    legal_basis: tuple[str, ...] = ()
    facts: str = ""
    benchmark_id: str = ""
    violation_type: str = ""
    circumstance: str = ""
    departs: bool = False
    departure_reason: str = ""
    mitigated: bool = False
    hearing_requested: bool = False
    public_interest: bool = False
    complex_case: bool = False
    secret_related: bool = False  # 涉密: the decision is never published
    extra: dict = field(default_factory=dict)


def validate_proposal(p: Proposal) -> None:
    if not p.kinds:
        raise InvalidProposal("name at least one penalty kind")
    unknown = sorted(set(p.kinds) - PenaltyKind.ALL)
    if unknown:
        allowed = ", ".join(sorted(PenaltyKind.ALL))
        raise InvalidProposal(f"unknown penalty kind {unknown[0]!r}; one of: {allowed}")
    if len(set(p.kinds)) != len(p.kinds):
        raise InvalidProposal("a penalty kind is named twice")
    if not 0 <= p.fine_yuan <= MAX_FINE_YUAN or not 0 <= p.confiscation_yuan <= MAX_FINE_YUAN:
        raise InvalidProposal("amounts must be between 0 and 10,000,000,000 yuan")
    if (PenaltyKind.fine in p.kinds) != (p.fine_yuan > 0):
        raise InvalidProposal("a fine needs an amount, and an amount needs the kind 'fine'")
    if (PenaltyKind.confiscation in p.kinds) != (p.confiscation_yuan > 0):
        raise InvalidProposal(
            "a confiscation needs an amount, and an amount needs the kind 'confiscation'"
        )
    if not p.legal_basis or not all(b.strip() for b in p.legal_basis):
        raise InvalidProposal("name the legal basis (法律依据) of the penalty")
    if not p.facts.strip():
        raise InvalidProposal("state the facts of the violation")
    if p.circumstance and p.circumstance not in CIRCUMSTANCES:
        raise InvalidProposal(f"circumstance must be one of: {', '.join(sorted(CIRCUMSTANCES))}")
    if p.departs and not p.departure_reason.strip():
        raise InvalidProposal(
            "an amount that departs from the discretion benchmark (裁量基准) needs a written reason"
        )


def check_can_propose(stage: Stage, review_status: str) -> None:
    if stage not in PROPOSE_FROM:
        raise IllegalTransition(
            f"a penalty is proposed after investigation; the case is at stage {stage.value}",
            current=stage,
            allowed=allowed_from(stage),
        )
    if stage is Stage.review and review_status not in REPROPOSE_AFTER:
        raise IllegalTransition(
            "the current proposal is under legal review; propose again only after it was "
            "returned or rejected",
            current=stage,
            allowed=allowed_from(stage),
        )


# -- what the public record (双公示) of a decision needs ---------------------------------------

# The national 行政处罚 双公示 record names, for an organisation, its 统一社会信用代码 and its
# 法定代表人, and for every party the type of violation (违法行为类型); a decision that lacks
# one would be published with an empty field. Field name -> its name on the public record.
DISCLOSURE_FIELDS = {
    "credit_code": "统一社会信用代码",
    "legal_representative": "法定代表人",
    "violation_type": "违法行为类型",
}


class MissingForDisclosure(ValueError):
    """A decision that the public record (双公示) could not be made from; `missing` lists the
    fields, each as `name (中文)`."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        named = ", ".join(f"{name} ({DISCLOSURE_FIELDS[name]})" for name in missing)
        super().__init__(
            f"the public record (双公示) of this decision needs: {named}; give "
            "legal_representative and violation_type in the decision when the case lacks them"
        )


def missing_for_disclosure(
    *,
    organization: bool,
    credit_code: str,
    legal_representative: str,
    violation_type: str,
    secret_related: bool,
) -> list[str]:
    """The 双公示 fields a decision lacks (empty: it can be published as it is).

    A decision that is never published (涉密) needs none of them.
    """
    if secret_related:
        return []
    missing = []
    if organization and not credit_code.strip():
        missing.append("credit_code")
    if organization and not legal_representative.strip():
        missing.append("legal_representative")
    if not violation_type.strip():
        missing.append("violation_type")
    return missing
