"""From a decided penalty to its public record (双公示), and when it may not be published.

Everything here is pure: the consumer hands in what records decided, and gets back either the
public record (already redacted) or the reason it must be withheld.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from services.disclosure.domain.redaction import Tagger, mask_person, redact_text

PENALTY_NAMES = {
    "warning": "警告",
    "fine": "罚款",
    "confiscation": "没收违法所得、没收非法财物",
    "suspension": "责令停产停业",
    "closure": "关闭",
    "practice-restriction": "限制从业",
    "qualification-lowering": "降低资质等级",
    "licence-revocation": "吊销许可证件",
}

DOMAIN_NAMES = {
    "hazardous-chemicals": "危险化学品",
    "gas": "燃气",
    "road-transport": "道路运输",
    "construction": "建设施工",
    "fire": "消防",
    "mining": "非煤矿山",
    "industry-trade": "工贸",
    "special-equipment": "特种设备",
    "other": "其他",
}


@dataclass(frozen=True)
class Period:
    """How long a kind of penalty stays public, in months from the decision date."""

    min_months: int
    max_months: int


# Work-safety, special-equipment and fire penalties: at least 1 year, at most 3 (local rule).
DEFAULT_PERIODS: dict[str, Period] = {kind: Period(12, 36) for kind in PENALTY_NAMES}


@dataclass(frozen=True)
class Authority:
    name: str  # 处罚机关
    credit_code: str
    data_source: str  # 数据来源单位


@dataclass(frozen=True)
class Decided:
    """What records tells about a decided penalty (records.penalty-decided.v1)."""

    case_id: str
    agency_id: str
    domain: str
    party_kind: str  # organization | person
    party_name: str
    credit_code: str
    id_number: str
    legal_representative: str
    decision_no: str
    decision_date: date
    decision_text: str
    facts: str
    legal_basis: tuple[str, ...]
    kinds: tuple[str, ...]
    fine_yuan: int
    confiscation_yuan: int
    violation_type: str
    secret_related: bool = False
    other_people: tuple[str, ...] = ()  # natural persons the case's record names
    party_address: str = ""  # a person's home; an organisation's premises are public


def redactor(d: Decided, tagger: Tagger | None = None):
    """The redaction of every free-text field of this case's public record and notices.

    Known to it: the people the record names, the penalised person (surname + asterisks) and
    their home; published anyway: an organisation's name and its legal representative (双公示
    fields). Reasons added after publication (a revocation's) go through the same function.
    """
    person = d.party_kind == "person"
    others = [n for n in d.other_people if n and n != d.party_name]
    if person and d.legal_representative:
        others.append(d.legal_representative)  # a guardian or agent, not a public field
    public = [] if person else [d.party_name, d.legal_representative]

    def clean(text: str) -> str:
        return redact_text(
            text,
            known_people=others,
            party_person=d.party_name if person else "",
            home_addresses=[d.party_address] if person and d.party_address else [],
            public_names=[n for n in public if n],
            tagger=tagger,
        )

    return clean


@dataclass(frozen=True)
class PublicRecord:
    """The 双公示 fields in their national order, each safe to show to anyone."""

    party_name: str
    party_category: str
    credit_code: str
    legal_representative: str
    decision_no: str
    violation_type: str
    facts: str
    legal_basis: str
    penalty_category: str
    penalty_content: str
    fine_10k_yuan: str
    confiscation_10k_yuan: str
    licence: str
    decision_date: str
    valid_until: str
    publication_end: str
    authority: str
    authority_credit_code: str
    data_source: str
    remarks: str = ""
    min_end: str = field(default="", compare=False)  # earliest removal by credit repair


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):  # the 31st of a short month becomes its last day
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def age_on(id_number: str, day: date) -> int | None:
    """Age from an 18-digit resident ID's birth date, or None when it has none."""
    if len(id_number) != 18 or not id_number[6:14].isdigit():
        return None
    try:
        born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def withheld_reason(d: Decided) -> str | None:
    """Why this decision must never be published, or None."""
    if d.secret_related:
        return "the case involves state, commercial or personal secrets (涉密)"
    if d.party_kind == "person":
        age = age_on(d.id_number, d.decision_date)
        if age is not None and age < 18:
            return "the party is a minor (未成年人)"
    return None


def _wan(yuan: int) -> str:
    return format((Decimal(yuan) / 10000).normalize(), "f") if yuan else "0"


def public_record(
    d: Decided,
    authority: Authority,
    periods: dict[str, Period] | None = None,
    tagger: Tagger | None = None,
) -> PublicRecord:
    periods = periods or DEFAULT_PERIODS
    chosen = [periods.get(k, Period(12, 36)) for k in d.kinds] or [Period(12, 36)]
    longest = max(chosen, key=lambda p: p.max_months)
    person = d.party_kind == "person"
    clean = redactor(d, tagger)

    licence = "、".join(
        PENALTY_NAMES[k] for k in d.kinds if k in ("licence-revocation", "qualification-lowering")
    )
    return PublicRecord(
        party_name=mask_person(d.party_name) if person else d.party_name,
        party_category="自然人" if person else "法人及非法人组织",
        credit_code="" if person else d.credit_code,
        legal_representative="" if person else d.legal_representative,
        decision_no=d.decision_no,
        violation_type=clean(d.violation_type),
        facts=clean(d.facts),
        legal_basis="；".join(clean(b) for b in d.legal_basis),
        penalty_category="；".join(PENALTY_NAMES.get(k, k) for k in d.kinds),
        penalty_content=clean(d.decision_text),
        fine_10k_yuan=_wan(d.fine_yuan),
        confiscation_10k_yuan=_wan(d.confiscation_yuan),
        licence=licence,
        decision_date=d.decision_date.isoformat(),
        valid_until=add_months(d.decision_date, longest.max_months).isoformat(),
        publication_end=add_months(d.decision_date, longest.max_months).isoformat(),
        authority=authority.name,
        authority_credit_code=authority.credit_code,
        data_source=authority.data_source,
        min_end=add_months(d.decision_date, max(p.min_months for p in chosen)).isoformat(),
    )


# Fields of the national 双公示 record that may never be published empty, with their names
# there. An organisation's 统一社会信用代码 and 法定代表人 are required of organisations only
# (a person's record leaves them empty by rule).
REQUIRED_FIELDS = {
    "party_name": "行政相对人名称",
    "decision_no": "行政处罚决定书文号",
    "violation_type": "违法行为类型",
    "facts": "违法事实",
    "legal_basis": "处罚依据",
    "penalty_category": "处罚类别",
    "penalty_content": "处罚内容",
    "decision_date": "处罚决定日期",
    "authority": "处罚机关",
    "authority_credit_code": "处罚机关统一社会信用代码",
    "data_source": "数据来源单位",
}
ORGANISATION_FIELDS = {
    "credit_code": "统一社会信用代码",
    "legal_representative": "法定代表人",
}


def missing_fields(record: PublicRecord, party_kind: str) -> list[str]:
    """The required 双公示 fields `record` would publish empty, as `name (中文)`."""
    required = dict(REQUIRED_FIELDS)
    if party_kind == "organization":
        required.update(ORGANISATION_FIELDS)
    return [
        f"{name} ({label})"
        for name, label in required.items()
        if not str(getattr(record, name)).strip()
    ]


MISSING_PREFIX = "required fields missing: "


def missing_reason(missing: list[str]) -> str:
    """The withholding reason of a record with required fields missing (fits 300 characters)."""
    return (MISSING_PREFIX + ", ".join(missing))[:300]


# -- joint punishment (联合惩戒) -------------------------------------------------------------


@dataclass(frozen=True)
class JointRules:
    listing_kinds: frozenset[str] = frozenset({"closure", "licence-revocation"})
    listing_violation_types: frozenset[str] = frozenset(
        {"major-accident", "hidden-danger-unrectified"}
    )
    repeat_count: int = 3  # this many decisions ...
    repeat_window_days: int = 365  # ... within this window
    period_months: int = 36


def joint_punishment_reason(
    d: Decided, earlier_decisions_in_window: int, rules: JointRules | None = None
) -> str | None:
    """Why the organisation goes on the joint-punishment list, or None."""
    rules = rules or JointRules()
    if d.party_kind != "organization" or not d.credit_code:
        return None
    serious = sorted(set(d.kinds) & rules.listing_kinds)
    if serious:
        return "serious penalty: " + "、".join(PENALTY_NAMES.get(k, k) for k in serious)
    if d.violation_type in rules.listing_violation_types:
        return f"serious violation: {d.violation_type}"
    if earlier_decisions_in_window + 1 >= rules.repeat_count:
        return (
            f"repeated violations: {earlier_decisions_in_window + 1} penalty decisions within "
            f"{rules.repeat_window_days} days"
        )
    return None


def hazard_candidate_reason(
    *, grade: str, credit_code: str, hazard_no: str, office: str, due: str, criteria: str
) -> str | None:
    """Why an enterprise goes on the list for a major hazard left unrectified past its 挂牌督办
    deadline (the plan, item 12: 对重大事故隐患整改不力的企业实施联合惩戒), or None: only a
    major hazard of an organisation with a 统一社会信用代码."""
    if grade != "major" or len(credit_code) != 18:
        return None
    return (
        f"重大事故隐患逾期未整改: {hazard_no} 经{office}挂牌督办, 期限 {due} 已过仍未销号"
        f" ({criteria})"
    )[:500]
