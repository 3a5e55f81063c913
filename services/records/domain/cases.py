"""Cases of the full-process enforcement record (执法全过程记录)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from services.records.domain.parties import Party, validate_party


class Stage(StrEnum):
    """Stages of a case, in order, with the two early endings."""

    inspection = "inspection"  # 启动, 检查
    filing = "filing"  # 立案
    investigation = "investigation"  # 调查取证
    review = "review"  # 审查 (法制审核 when major)
    notice = "notice"  # 告知, 陈述申辩, 听证
    decision = "decision"  # 决定
    service = "service"  # 送达
    execution = "execution"  # 执行
    closing = "closing"  # 结案
    archived = "archived"  # 归档
    no_penalty = "no_penalty"  # 不予处罚
    withdrawn = "withdrawn"  # 撤销


class Domain(StrEnum):
    """The regulated field a case belongs to."""

    hazardous_chemicals = "hazardous-chemicals"
    gas = "gas"
    road_transport = "road-transport"
    construction = "construction"
    fire = "fire"
    mining = "mining"
    industry_trade = "industry-trade"
    special_equipment = "special-equipment"
    other = "other"


MIN_OFFICERS_ON_SITE = 2  # on-site acts need at least two certified officers


@dataclass(frozen=True)
class Officer:
    officer_id: str
    name: str
    certificate_no: str  # 执法证号


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float
    accuracy_m: float = 0.0


class InvalidCase(ValueError):
    pass


@dataclass(frozen=True)
class OpenCase:
    """Command: open an inspection case from the field."""

    client_case_id: str
    agency_id: str
    town: str
    domain: Domain
    title: str
    party: Party
    officers: tuple[Officer, ...]
    opened_by: str
    device_time: datetime | None = None
    location: GeoPoint | None = None
    task_id: str | None = None  # the inspection task this case takes up
    app_version: str = ""  # the phone app, and why there is no location (as in WriteMeta)
    location_missing: str = ""


@dataclass
class Case:
    case_id: str
    client_case_id: str
    agency_id: str
    town: str
    domain: Domain
    title: str
    party: Party
    officers: tuple[Officer, ...]
    stage: Stage
    opened_by: str
    opened_at: datetime
    device_time: datetime | None = None
    location: GeoPoint | None = None
    version: int = 1
    case_no: str | None = None  # 立案 number, given at filing
    decision_no: str | None = None  # 处罚决定书 number, given at decision
    entry_count: int = 0
    head_hash: str = "0" * 64  # hash of the last entry of the case's chain
    updated_at: datetime | None = None
    proposal_id: str | None = None  # the current penalty proposal
    review_status: str = ""  # its legal review: pending, approved, returned, ...
    source_topic: str = ""  # the event its inspection task came from, if any
    source_ref: str = ""
    officer_ids: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.officer_ids = tuple(o.officer_id for o in self.officers)


def validate_open_case(cmd: OpenCase) -> None:
    """Check the command before anything is stored.

    Inspection is an on-site act: at least two officers with enforcement certificates
    (执法证), one of whom is the officer opening it.
    """
    if not cmd.client_case_id.strip() or len(cmd.client_case_id) > 100:
        raise InvalidCase("client_case_id is required (at most 100 characters)")
    if not cmd.agency_id:
        raise InvalidCase("agency_id is required")
    if not cmd.title.strip() or len(cmd.title) > 200:
        raise InvalidCase("title is required (at most 200 characters)")
    validate_party(cmd.party)
    certified = {o.officer_id for o in cmd.officers if o.certificate_no.strip()}
    if len(certified) < MIN_OFFICERS_ON_SITE:
        raise InvalidCase(
            f"an on-site inspection needs at least {MIN_OFFICERS_ON_SITE} officers "
            "with enforcement certificate numbers"
        )
    if cmd.opened_by not in certified:
        raise InvalidCase("the officer opening the case must be one of its officers")
    if cmd.location is not None and not (
        -90 <= cmd.location.latitude <= 90 and -180 <= cmd.location.longitude <= 180
    ):
        raise InvalidCase("location is outside valid latitude/longitude ranges")


def open_case(cmd: OpenCase, *, case_id: str, now: datetime) -> Case:
    """A new case at the inspection stage; the command must be valid."""
    validate_open_case(cmd)
    return Case(
        case_id=case_id,
        client_case_id=cmd.client_case_id,
        agency_id=cmd.agency_id,
        town=cmd.town,
        domain=cmd.domain,
        title=cmd.title.strip(),
        party=cmd.party,
        officers=cmd.officers,
        stage=Stage.inspection,
        opened_by=cmd.opened_by,
        opened_at=now,
        device_time=cmd.device_time,
        location=cmd.location,
    )
