"""Is a penalty proposal a major decision (重大执法决定) that needs legal review?

The default rule set is DOMAIN.md's typical local list; each agency can change it through
settings. The answer names every rule that fired, so the officer and the reviewer see why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Penalty kinds that are major by themselves.
MAJOR_KINDS_DEFAULT = frozenset(
    {
        "suspension",  # 责令停产停业
        "closure",  # 关闭
        "practice-restriction",  # 限制从业
        "qualification-lowering",  # 降低资质等级
        "licence-revocation",  # 吊销许可证件
    }
)


@dataclass(frozen=True)
class ProposalFacts:
    party_kind: str  # organization | person
    kinds: frozenset[str]
    fine_yuan: int = 0
    confiscation_yuan: int = 0
    mitigated: bool = False
    departs_from_benchmark: bool = False
    hearing_requested: bool = False
    public_interest: bool = False
    complex_case: bool = False


@dataclass(frozen=True)
class MajorRules:
    """Configurable; a threshold is exceeded when the amount is strictly over it."""

    person_amount_over: int = 10_000
    organization_amount_over: int = 100_000
    major_kinds: frozenset[str] = field(default_factory=lambda: MAJOR_KINDS_DEFAULT)
    mitigation: bool = True
    benchmark_departure: bool = True
    hearing: bool = True
    public_interest: bool = True
    complex_case: bool = True


KIND_NAMES = {
    "suspension": "ordering suspension of production or business (责令停产停业)",
    "closure": "closure (关闭)",
    "practice-restriction": "restricting practice (限制从业)",
    "qualification-lowering": "lowering a qualification (降低资质等级)",
    "licence-revocation": "revoking a licence (吊销许可证件)",
}


def major_reasons(facts: ProposalFacts, rules: MajorRules | None = None) -> list[str]:
    """Every rule that makes the proposal major; [] when legal review is not required."""
    rules = rules or MajorRules()
    reasons: list[str] = []
    for kind in sorted(facts.kinds & rules.major_kinds):
        reasons.append(KIND_NAMES.get(kind, kind))
    limit = (
        rules.person_amount_over if facts.party_kind == "person" else rules.organization_amount_over
    )
    who = "a person" if facts.party_kind == "person" else "an organisation"
    if facts.fine_yuan > limit:
        reasons.append(f"a fine over {limit:,} yuan for {who} (较大数额罚款)")
    if facts.confiscation_yuan > limit:
        reasons.append(f"a confiscation over {limit:,} yuan for {who} (没收较大数额)")
    if rules.mitigation and facts.mitigated:
        reasons.append("a mitigated penalty (减轻处罚)")
    if rules.benchmark_departure and facts.departs_from_benchmark:
        reasons.append("the amount departs from the discretion benchmark (裁量基准)")
    if rules.hearing and facts.hearing_requested:
        reasons.append("the case needs a hearing (听证)")
    if rules.public_interest and facts.public_interest:
        reasons.append("major public interest or social impact")
    if rules.complex_case and facts.complex_case:
        reasons.append("a complex case")
    return reasons
