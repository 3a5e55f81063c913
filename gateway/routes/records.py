"""The full-process record (执法全过程记录) for officers' phones: stage changes, entries,
evidence uploads, penalties, offline sync, and the tamper-evident log.

Every write names the acting officer and agency from the access token, never from the body,
and carries a `client_entry_id` made on the phone: a retry answers 200 with what the first
call made (201). The records service decides who may write to which case; its refusals come
back as problem+json through `problem_from_rpc_error`.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, field_validator

from enforcement.common.v1 import common_pb2
from enforcement.records.v1 import records_pb2
from enforcement.review.v1 import review_pb2
from gateway.deps import CurrentPrincipal, Officer, State, require_roles
from gateway.fields import IsoAwareDateTime
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, RATE_LIMITED_RESPONSES, ProblemError
from gateway.protobuf import message_dict
from gateway.routes.cases import (
    CaseId,
    CaseOut,
    CaseReader,
    ClientIn,
    GeoPointIn,
    StageName,
    _ts,
    case_out,
    check_visible,
    supervised_town,
)
from gateway.routes.lookups import next_stages_of
from gateway.security.principals import Principal, Role

log = logging.getLogger(__name__)

router = APIRouter(tags=["records"])

Supervisor = Annotated[Principal, Depends(require_roles(Role.supervisor, Role.admin))]
EntryId = Annotated[str, PathParam(max_length=64)]
SlotId = Annotated[str, PathParam(max_length=64)]

# Kinds a phone appends itself; opened, transition, evidence, proposal, review-outcome,
# decision and revocation come from their own routes or services.
ClientKind = Literal[
    "note",
    "step",  # an on-site act: inspection, sampling, seal-up, service, ...
    "document",  # 文书
    "signature",
    "statement",  # 陈述申辩
    "hearing-request",  # 听证申请
    "correction",  # corrects an earlier entry, which stays as it was
]
PenaltyKind = Literal[
    "warning",  # 警告
    "fine",  # 罚款
    "confiscation",  # 没收违法所得、非法财物
    "suspension",  # 责令停产停业
    "closure",  # 关闭
    "practice-restriction",  # 限制从业
    "qualification-lowering",  # 降低资质等级
    "licence-revocation",  # 吊销许可证件
]
Circumstance = Literal["minor", "ordinary", "serious"]  # 裁量情节: 轻微, 一般, 严重
RevocationBasis = Literal["reconsideration", "litigation", "self-correction"]  # 复议, 诉讼, 自纠

ClientId = Annotated[
    str,
    Field(
        min_length=8,
        max_length=100,
        pattern=r"^[\x21-\x7e]+$",
        description="made on the phone (e.g. a UUID), printable ASCII; a retry reuses it",
    ),
]
MAX_PAYLOAD_BYTES = 64 * 1024  # the records service's limit, checked here before the call
INT64_MAX = 2**63 - 1  # protobuf int64: a larger number must be a 422, not a failed call


# -- request bodies ---------------------------------------------------------------------------


class WriteIn(BaseModel):
    """What every write from the field carries besides its own content."""

    model_config = ConfigDict(extra="forbid")

    client_entry_id: ClientId
    device_time: IsoAwareDateTime | None = Field(
        default=None, description="the phone's clock when the act happened, with its UTC offset"
    )
    location: GeoPointIn | None = None
    client: ClientIn = Field(default_factory=ClientIn)


class TransitionIn(WriteIn):
    to: StageName
    reason: str = Field(default="", max_length=2000)


class EntryIn(WriteIn):
    kind: ClientKind
    payload: dict[str, Any] = Field(
        default_factory=dict,
        description="the act's content; a step names its `act` (e.g. sampling, seal-up)",
    )
    corrects_entry_id: str | None = Field(
        default=None, max_length=64, description="a correction names the entry it corrects"
    )

    @field_validator("payload")
    @classmethod
    def _payload_size(cls, value: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        if size > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload is larger than {MAX_PAYLOAD_BYTES} bytes")
        return value


class EvidenceSlotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_slot_id: ClientId
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="hex SHA-256 of the file")
    size: int = Field(ge=1, le=INT64_MAX, description="bytes")
    media_type: str = Field(
        pattern=r"^(image|video|audio)/[a-z0-9.+-]{1,60}$|^application/pdf$",
        examples=["video/mp4", "image/jpeg"],
    )
    filename: str = Field(default="", max_length=200)


class PartETagIn(BaseModel):
    part_number: int = Field(ge=1, le=10_000)
    etag: str = Field(min_length=1, max_length=200, description="the ETag header of the part's PUT")


class ConfirmEvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_entry_id: ClientId | None = Field(
        default=None, description="optional: the slot itself makes a confirmation idempotent"
    )
    parts: list[PartETagIn] = Field(default_factory=list, max_length=10_000)
    caption: str = Field(default="", max_length=500)
    relates_to_entry_id: str = Field(
        default="", max_length=64, description="the act (e.g. a step) this evidence records"
    )
    device_time: IsoAwareDateTime | None = None
    location: GeoPointIn | None = None
    client: ClientIn = Field(default_factory=ClientIn)


class Discretion(BaseModel):
    """Where the amount sits in the discretion benchmark (裁量基准)."""

    benchmark_id: str = Field(default="", max_length=100)
    violation_type: str = Field(default="", max_length=100)
    circumstance: Circumstance | None = None
    departs: bool = Field(default=False, description="the amount is outside the band")
    departure_reason: str = Field(default="", max_length=2000)


class ProposalIn(WriteIn):
    kinds: list[PenaltyKind] = Field(min_length=1, max_length=8)
    fine_yuan: int = Field(default=0, ge=0, le=10**10)
    confiscation_yuan: int = Field(default=0, ge=0, le=10**10)
    legal_basis: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        min_length=1, max_length=20, description="法律依据"
    )
    facts: str = Field(min_length=1, max_length=20_000)
    discretion: Discretion = Field(default_factory=Discretion)
    mitigated: bool = Field(default=False, description="减轻处罚")
    hearing_requested: bool = False
    public_interest: bool = Field(default=False, description="major public interest or impact")
    complex_case: bool = False
    secret_related: bool = Field(
        default=False, description="涉及国家秘密、商业秘密或个人隐私: never published"
    )


class DecisionIn(WriteIn):
    decision_text: str = Field(min_length=1, max_length=20_000, description="处罚决定书 text")
    legal_representative: str = Field(
        default="",
        max_length=100,
        description="法定代表人 of an organisation, when the case's party lacks it: the public "
        "record (双公示) needs it",
    )
    violation_type: str = Field(
        default="",
        max_length=100,
        description="违法行为类型, when the proposal's `discretion` lacks it (GET /v1/benchmarks)",
    )


class RevocationIn(WriteIn):
    reason: str = Field(min_length=1, max_length=2000)
    basis: RevocationBasis


# -- answers ----------------------------------------------------------------------------------


class EvidenceOut(BaseModel):
    sha256: str
    size: int
    media_type: str
    object_key: str
    filename: str


class EntryOut(BaseModel):
    entry_id: str
    case_id: str
    seq: int = Field(description="1, 2, ... within the case")
    leaf_index: int | None = Field(
        description="position in the agency-wide Merkle log; null while `queued`"
    )
    queued: bool = Field(
        default=False,
        description="written and sealed in its case's chain, still waiting for the log's "
        "sequencer to give it its place (answered only when the sequencer is slow to take "
        "over; its inclusion proof is asked for again later)",
    )
    kind: str
    client_entry_id: str
    actor_id: str
    device_time: datetime | None
    server_time: datetime
    delay_s: float = Field(description="server_time - device_time: how late the act arrived")
    location: GeoPointIn | None
    payload: dict[str, Any]
    evidence: list[EvidenceOut]
    corrects_entry_id: str | None
    prev_hash: str
    entry_hash: str


class EntryAnswer(BaseModel):
    entry: EntryOut


class CaseEntry(BaseModel):
    case: CaseOut
    entry: EntryOut


class RecordingFlag(BaseModel):
    entry_id: str
    act: str
    problem: str


class Timeline(BaseModel):
    case: CaseOut
    entries: list[EntryOut]
    recording_flags: list[RecordingFlag] = Field(
        description="mandatory audio-video acts (全程音像记录) with no recording and no reason"
    )


class UploadPart(BaseModel):
    part_number: int
    url: str
    size: int


class EvidenceSlot(BaseModel):
    slot_id: str
    status: Literal["pending", "attached"]
    put_url: str | None = Field(description="PUT the whole file here (files up to the threshold)")
    parts: list[UploadPart] = Field(description="or PUT each part's bytes to its url (large files)")
    expires_at: datetime | None
    entry: EntryOut | None = Field(description="the evidence entry, once attached")


class ProposalOut(BaseModel):
    proposal_id: str
    round: int
    kinds: list[str]
    fine_yuan: int
    confiscation_yuan: int
    legal_basis: list[str]
    facts: str
    discretion: Discretion
    mitigated: bool
    hearing_requested: bool
    public_interest: bool
    complex_case: bool
    secret_related: bool
    proposed_by: str
    proposed_at: datetime


class PlacementOut(BaseModel):
    benchmark_id: str
    version: int
    finding: str = Field(
        description="within-band, departure, outside-legal-range, no-band or no-benchmark"
    )
    message: str


class AssessmentOut(BaseModel):
    """What the legal review makes of the proposal, by the rules the review applies."""

    major: bool = Field(description="a major decision (重大执法决定): the legal review decides")
    reasons: list[str] = Field(
        description="the major-decision rules that apply; when not major, why not"
    )
    placement: PlacementOut = Field(description="where the fine sits in its discretion benchmark")
    review_due_date: date | None = Field(
        description="the review's deadline (China's working days); null when not major"
    )
    deadline_working_days: int | None = Field(description="working days the review has")
    review_due_date_provisional: bool = Field(
        default=False,
        description="the deadline is counted through a year whose official calendar (调休) is "
        "not entered yet: it may move when it is (GET /v1/calendar)",
    )


class CaseProposal(BaseModel):
    case: CaseOut
    proposal: ProposalOut
    assessment: AssessmentOut | None = Field(
        description="major or not, why, and the review deadline; null if the review service "
        "did not answer (the proposal is made all the same, and the review task says it)"
    )


class SyncPage(BaseModel):
    cases: list[CaseOut]
    entries: list[EntryOut]
    next_cursor: int = Field(description="send it as `cursor` next time")
    more: bool = Field(description="true: ask again at once with next_cursor")


class TreeHead(BaseModel):
    tree_size: int
    root_hash: str = Field(description="hex")
    timestamp_ms: int
    signature: str = Field(description="base64 Ed25519 over the canonical tree head")
    key_id: str = Field(description="hex SHA-256 of the public key")
    public_key: str = Field(description="base64 raw Ed25519 public key; pin it in the app")


class InclusionProof(BaseModel):
    entry: EntryOut
    leaf_hash: str = Field(description="hex RFC 6962 leaf hash of the entry")
    audit_path: list[str] = Field(description="hex, nearest sibling first")
    tree_head: TreeHead


class ConsistencyProof(BaseModel):
    first: int
    second: int
    proof: list[str] = Field(description="hex, RFC 6962")
    tree_head: TreeHead


class OfficerTimeliness(BaseModel):
    officer_id: str | None
    entries: int
    in_time: int
    in_time_ratio: float
    p95_delay_s: float
    max_delay_s: float


class Timeliness(BaseModel):
    officers: list[OfficerTimeliness]
    agency: OfficerTimeliness
    allowed_delay_s: float


# -- protobuf <-> JSON ------------------------------------------------------------------------


def _time(value, present: bool) -> datetime | None:
    return value.ToDatetime(tzinfo=UTC) if present else None


def _geo(point: common_pb2.GeoPoint) -> GeoPointIn:
    return GeoPointIn(
        latitude=point.latitude, longitude=point.longitude, accuracy_m=point.accuracy_m
    )


def entry_out(e: records_pb2.Entry) -> EntryOut:
    return EntryOut(
        entry_id=e.entry_id,
        case_id=e.case_id,
        seq=e.seq,
        leaf_index=None if e.queued else e.leaf_index,
        queued=e.queued,
        kind=e.kind,
        client_entry_id=e.client_entry_id,
        actor_id=e.actor_id,
        device_time=_time(e.device_time, e.HasField("device_time")),
        server_time=e.server_time.ToDatetime(tzinfo=UTC),
        delay_s=e.delay_s,
        location=_geo(e.location) if e.HasField("location") else None,
        payload=json.loads(e.payload_json or "{}"),
        evidence=[
            EvidenceOut(
                sha256=x.sha256,
                size=x.size,
                media_type=x.media_type,
                object_key=x.object_key,
                filename=x.filename,
            )
            for x in e.evidence
        ],
        corrects_entry_id=e.corrects_entry_id or None,
        prev_hash=e.prev_hash,
        entry_hash=e.entry_hash,
    )


def proposal_out(p: records_pb2.PenaltyProposal) -> ProposalOut:
    d = p.discretion
    return ProposalOut(
        proposal_id=p.proposal_id,
        round=p.round,
        kinds=list(p.kinds),
        fine_yuan=p.fine_yuan,
        confiscation_yuan=p.confiscation_yuan,
        legal_basis=list(p.legal_basis),
        facts=p.facts,
        discretion=Discretion(
            benchmark_id=d.benchmark_id,
            violation_type=d.violation_type,
            circumstance=d.circumstance or None,
            departs=d.departs,
            departure_reason=d.departure_reason,
        ),
        mitigated=p.mitigated,
        hearing_requested=p.hearing_requested,
        public_interest=p.public_interest,
        complex_case=p.complex_case,
        secret_related=p.secret_related,
        proposed_by=p.proposed_by,
        proposed_at=p.proposed_at.ToDatetime(tzinfo=UTC),
    )


def tree_head_out(h: records_pb2.TreeHead) -> TreeHead:
    return TreeHead(
        tree_size=h.tree_size,
        root_hash=h.root_hash,
        timestamp_ms=h.timestamp.ToMilliseconds(),
        signature=h.signature,
        key_id=h.key_id,
        public_key=h.public_key,
    )


def timeliness_out(t: records_pb2.OfficerTimeliness) -> OfficerTimeliness:
    return OfficerTimeliness(
        officer_id=t.officer_id or None,
        entries=t.entries,
        in_time=t.in_time,
        in_time_ratio=t.in_time_ratio,
        p95_delay_s=t.p95_delay_s,
        max_delay_s=t.max_delay_s,
    )


def write_meta(
    principal: Principal,
    client_entry_id: str | None,
    device_time: datetime | None,
    location: GeoPointIn | None,
    client: ClientIn | None = None,
) -> records_pb2.WriteMeta:
    """Who and where of a write: the officer and agency always from the token."""
    meta = records_pb2.WriteMeta(
        client_entry_id=client_entry_id or "",
        actor_id=principal.user_id,
        agency_id=principal.agency_id,
        **(client.model_dump() if client is not None else {}),
    )
    if device_time is not None:
        meta.device_time.CopyFrom(_ts(device_time))
    if location is not None:
        meta.location.CopyFrom(common_pb2.GeoPoint(**location.model_dump()))
    return meta


def _meta(principal: Principal, body: WriteIn) -> records_pb2.WriteMeta:
    return write_meta(principal, body.client_entry_id, body.device_time, body.location, body.client)


async def _records(method, request, timeout: float | None = None):
    """One call to the records service; its refusal becomes a problem answer."""
    return await call_service("records", method, request, timeout=timeout)


async def _moving(state, principal: Principal, case_id: str, method, request):
    """A call that moves the case: a refusal in this state (409) names the stages the case
    may move to now, each with what it still needs (`next_stages`, as GET .../next-stages)."""
    try:
        return await _records(method, request)
    except ProblemError as refused:
        if refused.status != 409 or refused.slug == "already-exists":
            raise
        try:
            found = await next_stages_of(state, principal, case_id)
        except ProblemError:
            raise refused from None
        refused.extra["allowed_stages"] = [s.stage for s in found.next_stages]
        refused.extra["next_stages"] = [s.model_dump() for s in found.next_stages]
        raise


# Writes answer 201, or 200 when the client id was seen before: the first call's result.
WRITE_RESPONSES = {
    **PROBLEM_RESPONSES,
    200: {"description": "Nothing new was made (a replay of an earlier call); body as for 201"},
}


def _answered(response: Response, created: bool) -> None:
    """201 for what this call made, 200 for a replay of an earlier call."""
    response.status_code = 201 if created else 200


# -- the case's record ------------------------------------------------------------------------

CASE = "/v1/cases/{case_id}"


@router.post(
    f"{CASE}/transitions",
    operation_id="transitionCase",
    status_code=201,
    response_model=CaseEntry,
    responses=WRITE_RESPONSES,
    summary="Move a case to another stage (409 names the stages allowed next)",
)
async def transition_case(
    case_id: CaseId, body: TransitionIn, principal: Officer, state: State, response: Response
) -> CaseEntry:
    """Move the case along its lifecycle (立案, 调查取证, 告知, 送达, 执行, 结案, 归档,
    不予处罚, 撤销). `GET .../next-stages` says beforehand which moves are open; a refused
    move answers 409 with `allowed_stages` and `next_stages`. The move is an entry of the
    tamper-evident record; a retry with the same `client_entry_id` answers 200."""
    reply = await _moving(
        state,
        principal,
        case_id,
        state.clients.records.TransitionCase,
        records_pb2.TransitionCaseRequest(
            case_id=case_id, to_stage=body.to, reason=body.reason, meta=_meta(principal, body)
        ),
    )
    _answered(response, reply.created)
    return CaseEntry(case=case_out(reply.case), entry=entry_out(reply.entry))


@router.post(
    f"{CASE}/entries",
    operation_id="appendEntry",
    status_code=201,
    response_model=EntryAnswer,
    responses=WRITE_RESPONSES,
    summary="Add an act to the record: note, step, document, signature, statement, ...",
)
async def append_entry(
    case_id: CaseId, body: EntryIn, principal: Officer, state: State, response: Response
) -> EntryAnswer:
    """Add an act to the case's record (执法全过程记录): a note, an on-site step (`payload.act`:
    inspection, sampling, seal-up, service, ...), a document, a signature, the party's
    statement or hearing request, or a correction of an earlier entry (which stays as it
    was). Each entry is hash-chained and logged in the Merkle log."""
    reply = await _records(
        state.clients.records.AppendEntry,
        records_pb2.AppendEntryRequest(
            case_id=case_id,
            kind=body.kind,
            payload_json=json.dumps(body.payload, ensure_ascii=False),
            corrects_entry_id=body.corrects_entry_id or "",
            meta=_meta(principal, body),
        ),
    )
    _answered(response, reply.created)
    return EntryAnswer(entry=entry_out(reply.entry))


@router.get(
    f"{CASE}/timeline",
    operation_id="getTimeline",
    response_model=Timeline,
    responses=PROBLEM_RESPONSES,
    summary="The case's whole record, oldest entry first, with missing-recording flags",
)
async def get_timeline(case_id: CaseId, principal: CaseReader, state: State) -> Timeline:
    """Every entry of the case's record, oldest first, with the evidence attached to each and
    `recording_flags`: mandatory audio-video acts (全程音像记录) with no recording and no
    reason."""
    reply = await _records(
        state.clients.records.GetTimeline,
        records_pb2.GetTimelineRequest(case_id=case_id, agency_id=principal.agency_id),
    )
    check_visible(principal, reply.case)
    return Timeline(
        case=case_out(reply.case),
        entries=[entry_out(e) for e in reply.entries],
        recording_flags=[
            RecordingFlag(entry_id=f.entry_id, act=f.act, problem=f.problem)
            for f in reply.recording_flags
        ],
    )


# -- evidence ---------------------------------------------------------------------------------


@router.post(
    f"{CASE}/evidence-slots",
    operation_id="requestEvidenceSlot",
    status_code=201,
    response_model=EvidenceSlot,
    responses={**WRITE_RESPONSES, **RATE_LIMITED_RESPONSES},  # 429: too many open slots
    summary="Get presigned URLs to upload a file; asking again renews them",
)
async def request_evidence_slot(
    case_id: CaseId, body: EvidenceSlotIn, principal: Officer, state: State, response: Response
) -> EvidenceSlot:
    """Declare a file (SHA-256, size, media type) and get presigned URLs to upload it straight
    to object storage: one `put_url`, or one URL per part for a large video. Asking again
    with the same `client_slot_id` renews expired URLs; after the upload call `.../confirm`."""
    reply = await _records(
        state.clients.records.RequestEvidenceSlot,
        records_pb2.RequestEvidenceSlotRequest(
            case_id=case_id,
            client_slot_id=body.client_slot_id,
            sha256=body.sha256.lower(),
            size=body.size,
            media_type=body.media_type,
            filename=body.filename,
            actor_id=principal.user_id,
            agency_id=principal.agency_id,
        ),
    )
    _answered(response, reply.status != "attached")
    return EvidenceSlot(
        slot_id=reply.slot_id,
        status=reply.status,
        put_url=reply.put_url or None,
        parts=[UploadPart(part_number=p.part_number, url=p.url, size=p.size) for p in reply.parts],
        expires_at=_time(reply.expires_at, reply.HasField("expires_at")),
        entry=entry_out(reply.entry) if reply.HasField("entry") else None,
    )


@router.post(
    f"{CASE}/evidence-slots/{{slot_id}}/confirm",
    operation_id="confirmEvidence",
    status_code=201,
    response_model=EntryAnswer,
    responses=WRITE_RESPONSES,
    summary="After the upload: check the stored file's SHA-256 and add it to the record",
)
async def confirm_evidence(
    case_id: CaseId,
    slot_id: SlotId,
    body: ConfirmEvidenceIn,
    principal: Officer,
    state: State,
    response: Response,
) -> EntryAnswer:
    """After the upload: the service reads the stored bytes back, checks them against the
    declared SHA-256, and only then adds the file to the record as an evidence entry. A
    mismatch answers 409 and attaches nothing."""
    reply = await _records(
        state.clients.records.ConfirmEvidence,
        records_pb2.ConfirmEvidenceRequest(
            slot_id=slot_id,
            case_id=case_id,
            parts=[
                records_pb2.PartETag(part_number=p.part_number, etag=p.etag) for p in body.parts
            ],
            caption=body.caption,
            relates_to_entry_id=body.relates_to_entry_id,
            meta=write_meta(
                principal, body.client_entry_id, body.device_time, body.location, body.client
            ),
        ),
        # Reading a large video back through SHA-256 takes longer than the usual deadline.
        timeout=state.settings.evidence_confirm_timeout_s,
    )
    _answered(response, reply.created)
    return EntryAnswer(entry=entry_out(reply.entry))


# -- penalty ----------------------------------------------------------------------------------


@router.post(
    f"{CASE}/penalty-proposals",
    operation_id="proposePenalty",
    status_code=201,
    response_model=CaseProposal,
    responses=WRITE_RESPONSES,
    summary="Propose a penalty after investigation; the case goes to legal review",
)
async def propose_penalty(
    case_id: CaseId, body: ProposalIn, principal: Officer, state: State, response: Response
) -> CaseProposal:
    """Propose a penalty after investigation (调查终结): kinds, amounts in yuan, legal basis,
    facts and where the amount sits in the discretion benchmark (`GET /v1/benchmarks`). The
    case goes to stage `review`; the answer's `assessment` says whether the decision is major
    (重大执法决定), why, and the legal review's deadline. A proposal that names only
    `benchmark_id` gets the benchmark's `violation_type`."""
    d = body.discretion
    violation_type = d.violation_type or await _violation_type_of(state, d.benchmark_id)
    reply = await _moving(
        state,
        principal,
        case_id,
        state.clients.records.ProposePenalty,
        records_pb2.ProposePenaltyRequest(
            case_id=case_id,
            proposal=records_pb2.PenaltyProposal(
                kinds=body.kinds,
                fine_yuan=body.fine_yuan,
                confiscation_yuan=body.confiscation_yuan,
                legal_basis=body.legal_basis,
                facts=body.facts,
                discretion=records_pb2.Discretion(
                    benchmark_id=d.benchmark_id,
                    violation_type=violation_type,
                    circumstance=d.circumstance or "",
                    departs=d.departs,
                    departure_reason=d.departure_reason,
                ),
                mitigated=body.mitigated,
                hearing_requested=body.hearing_requested,
                public_interest=body.public_interest,
                complex_case=body.complex_case,
                secret_related=body.secret_related,
            ),
            meta=_meta(principal, body),
        ),
    )
    _answered(response, reply.created)
    return CaseProposal(
        case=case_out(reply.case),
        proposal=proposal_out(reply.proposal),
        assessment=await _assessment(state, reply.case, reply.proposal),
    )


async def _violation_type_of(state, benchmark_id: str) -> str:
    """The violation type (违法行为类型) of a named benchmark, so a proposal that names only
    the benchmark still carries what its public record needs; "" when unknown."""
    if not benchmark_id:
        return ""
    try:
        reply = await call_service(
            "review", state.clients.review.ListBenchmarks, review_pb2.ListBenchmarksRequest()
        )
    except ProblemError:
        return ""  # the decision asks for it then
    return next((b.violation_type for b in reply.benchmarks if b.benchmark_id == benchmark_id), "")


async def _assessment(
    state, case: records_pb2.Case, proposal: records_pb2.PenaltyProposal
) -> AssessmentOut | None:
    try:
        a = await call_service(
            "review",
            state.clients.review.AssessProposal,
            review_pb2.AssessProposalRequest(case=case, proposal=proposal),
        )
    except ProblemError:
        log.warning("no assessment of proposal %s", proposal.proposal_id, exc_info=True)
        return None
    return AssessmentOut(
        major=a.major,
        reasons=list(a.reasons),
        placement=PlacementOut(
            benchmark_id=a.placement.benchmark_id,
            version=a.placement.version,
            finding=a.placement.finding,
            message=a.placement.message,
        ),
        review_due_date=date.fromisoformat(a.due_date) if a.due_date else None,
        deadline_working_days=a.deadline_working_days or None,
        review_due_date_provisional=a.due_date_provisional,
    )


@router.post(
    f"{CASE}/decision",
    operation_id="decidePenalty",
    status_code=201,
    response_model=CaseEntry,
    responses=WRITE_RESPONSES,
    summary="Decide the penalty (处罚决定); 409 until the legal review cleared the proposal",
)
async def decide_penalty(
    case_id: CaseId, body: DecisionIn, principal: Officer, state: State, response: Response
) -> CaseEntry:
    """Decide the penalty (处罚决定) once the legal review approved the proposal or found it not
    required and the case passed `notice` (告知). The decision must hold what its public
    record (双公示) needs: an organisation's 法定代表人 and the 违法行为类型 come from the
    case and the proposal, or from this body; missing ones answer 422 naming them. The
    decision number (决定书文号) is assigned here, and the decision is published within 7
    working days."""
    reply = await _moving(
        state,
        principal,
        case_id,
        state.clients.records.DecidePenalty,
        records_pb2.DecidePenaltyRequest(
            case_id=case_id,
            decision_text=body.decision_text,
            meta=_meta(principal, body),
            legal_representative=body.legal_representative,
            violation_type=body.violation_type,
        ),
    )
    _answered(response, reply.created)
    return CaseEntry(case=case_out(reply.case), entry=entry_out(reply.entry))


@router.post(
    f"{CASE}/revocation",
    operation_id="revokePenalty",
    status_code=201,
    response_model=CaseEntry,
    responses=WRITE_RESPONSES,
    summary="Revoke a decided penalty (撤销) after reconsideration, litigation or self-correction",
)
async def revoke_penalty(
    case_id: CaseId, body: RevocationIn, principal: Officer, state: State, response: Response
) -> CaseEntry:
    """Revoke a decided penalty (撤销) after administrative reconsideration, litigation or the
    agency's own correction; the public record becomes a withdrawal notice with the reason."""
    reply = await _records(
        state.clients.records.RevokePenalty,
        records_pb2.RevokePenaltyRequest(
            case_id=case_id, reason=body.reason, basis=body.basis, meta=_meta(principal, body)
        ),
    )
    _answered(response, reply.created)
    return CaseEntry(case=case_out(reply.case), entry=entry_out(reply.entry))


# -- offline phones ---------------------------------------------------------------------------


@router.get(
    "/v1/sync",
    operation_id="syncChanges",
    response_model=SyncPage,
    responses=PROBLEM_RESPONSES,
    summary="Entries of your cases written since a cursor (start at 0), oldest first",
)
async def sync_changes(
    principal: Officer,
    state: State,
    cursor: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> SyncPage:
    """Offline sync for the officer app: the caller's cases and their entries written since
    `cursor` (start at 0), oldest first. Ask again with `next_cursor` while `more` is true."""
    reply = await _records(
        state.clients.records.SyncChanges,
        records_pb2.SyncChangesRequest(
            officer_id=principal.user_id, agency_id=principal.agency_id, cursor=cursor, limit=limit
        ),
    )
    return SyncPage(
        cases=[case_out(c) for c in reply.cases],
        entries=[entry_out(e) for e in reply.entries],
        next_cursor=reply.next_cursor,
        more=reply.more,
    )


# -- inspection tasks from other services' events ---------------------------------------------


class TaskOut(BaseModel):
    task_id: str
    town: str
    domain: str
    title: str
    party: dict[str, Any] | None
    details: dict[str, Any]
    source_topic: str
    source_ref: str
    priority: str
    status: str
    case_id: str | None
    created_at: datetime
    updated_at: datetime


class TaskList(BaseModel):
    tasks: list[TaskOut]


@router.get(
    "/v1/tasks",
    operation_id="listTasks",
    response_model=TaskList,
    responses=PROBLEM_RESPONSES,
    summary="Inspection tasks from gas alarms and overload violations, urgent first",
)
async def list_tasks(
    principal: Officer,
    state: State,
    status: Literal["open", "case-opened"] = "open",
    town: Annotated[str | None, Query(max_length=64)] = None,
) -> TaskList:
    """Inspection tasks made from other services' events (a gas alarm, an unprotected venue, a
    confirmed overload), urgent first. Take one up by opening a case with its `task_id`."""
    reply = await _records(
        state.clients.records.ListTasks,
        records_pb2.ListTasksRequest(
            agency_id=principal.agency_id, town=town or "", status=status, page_size=200
        ),
    )
    tasks = [
        TaskOut(
            task_id=t.task_id,
            town=t.town,
            domain=t.domain,
            title=t.title,
            party=message_dict(t.party) if t.HasField("party") else None,
            details=json.loads(t.details_json or "{}"),
            source_topic=t.source_topic,
            source_ref=t.source_ref,
            priority=t.priority,
            status=t.status,
            case_id=t.case_id or None,
            created_at=t.created_at.ToDatetime(tzinfo=UTC),
            updated_at=t.updated_at.ToDatetime(tzinfo=UTC),
        )
        for t in reply.tasks
    ]
    tasks.sort(key=lambda t: (t.priority != "urgent", -t.created_at.timestamp()))
    return TaskList(tasks=tasks)


# -- the tamper-evident log -------------------------------------------------------------------


# The entry in a proof carries its payload: agency staff only, never a venue owner.
Staff = Annotated[
    Principal,
    Depends(require_roles(Role.officer, Role.legal_reviewer, Role.supervisor, Role.admin)),
]


@router.get(
    "/v1/log/tree-head",
    operation_id="getTreeHead",
    response_model=TreeHead,
    responses=PROBLEM_RESPONSES,
    summary="The log's current signed tree head",
)
async def get_tree_head(principal: CurrentPrincipal, state: State) -> TreeHead:
    """The current signed tree head (RFC 6962) of the agency-wide Merkle log of every record
    entry. Keep it: a later head must be consistent with it (`GET
    /v1/log/consistency-proof`)."""
    reply = await _records(state.clients.records.GetTreeHead, records_pb2.GetTreeHeadRequest())
    return tree_head_out(reply.tree_head)


@router.get(
    "/v1/log/entries/{entry_id}/inclusion-proof",
    operation_id="getInclusionProof",
    response_model=InclusionProof,
    responses=PROBLEM_RESPONSES,
    summary="Proof that an entry of your agency is in the log under a signed tree head",
)
async def get_inclusion_proof(
    entry_id: EntryId,
    principal: Staff,
    state: State,
    tree_size: Annotated[
        int, Query(ge=0, le=INT64_MAX, description="0: the current tree head")
    ] = 0,
) -> InclusionProof:
    """The audit path that proves an entry of the caller's agency is in the log under a signed
    tree head; with the entry itself, so the app can recompute its hash."""
    reply = await _records(
        state.clients.records.GetInclusionProof,
        records_pb2.GetInclusionProofRequest(
            entry_id=entry_id, tree_size=tree_size, agency_id=principal.agency_id
        ),
    )
    # The entry carries its payload: a town-bound supervisor sees only their town's cases, and
    # a legal reviewer only the cases whose review is (or was) theirs, never one they are
    # conflicted from (回避: a conflict takes the task back).
    hidden = ProblemError(
        status=404, type="not-found", title="Not found", detail=f"entry {entry_id} not found"
    )
    if supervised_town(principal) is not None:
        case = await _records(
            state.clients.records.GetCase, records_pb2.GetCaseRequest(case_id=reply.entry.case_id)
        )
        try:
            check_visible(principal, case.case)
        except ProblemError as exc:
            raise hidden from exc
    if not principal.has_role(Role.officer, Role.supervisor, Role.admin):
        theirs = await call_service(
            "review",
            state.clients.review.ListTasks,
            review_pb2.ListTasksRequest(
                agency_id=principal.agency_id, reviewer_id=principal.user_id, page_size=500
            ),
        )
        if reply.entry.case_id not in {t.case_id for t in theirs.tasks}:
            raise hidden
    return InclusionProof(
        entry=entry_out(reply.entry),
        leaf_hash=reply.leaf_hash,
        audit_path=list(reply.audit_path),
        tree_head=tree_head_out(reply.tree_head),
    )


@router.get(
    "/v1/log/consistency-proof",
    operation_id="getConsistencyProof",
    response_model=ConsistencyProof,
    responses=PROBLEM_RESPONSES,
    summary="Proof that the log of size `second` extends the one of size `first`",
)
async def get_consistency_proof(
    principal: CurrentPrincipal,
    state: State,
    first: Annotated[int, Query(ge=1, le=INT64_MAX)],
    second: Annotated[int, Query(ge=0, le=INT64_MAX, description="0: the current tree head")] = 0,
) -> ConsistencyProof:
    """The proof (RFC 6962) that the log of size `second` extends the log of size `first`
    without changing it: nothing written was altered or removed."""
    reply = await _records(
        state.clients.records.GetConsistencyProof,
        records_pb2.GetConsistencyProofRequest(first=first, second=second),
    )
    return ConsistencyProof(
        first=reply.first,
        second=reply.second,
        proof=list(reply.proof),
        tree_head=tree_head_out(reply.tree_head),
    )


# -- supervision ------------------------------------------------------------------------------


@router.get(
    "/v1/stats/timeliness",
    operation_id="getTimeliness",
    response_model=Timeliness,
    responses=PROBLEM_RESPONSES,
    summary="Registered online in time (及时上网登记): per officer and for the agency",
)
async def get_timeliness(
    principal: Supervisor,
    state: State,
    since: Annotated[IsoAwareDateTime | None, Query(description="count acts since then")] = None,
) -> Timeliness:
    """及时上网登记 for supervisors: per officer and for the agency, how many acts reached the
    server within the allowed delay after they happened on the phone, with the
    95th-percentile and longest delay."""
    request = records_pb2.GetTimelinessRequest(
        agency_id=principal.agency_id, town=supervised_town(principal) or ""
    )
    if since is not None:
        request.since.CopyFrom(_ts(since))
    reply = await _records(state.clients.records.GetTimeliness, request)
    return Timeliness(
        officers=[timeliness_out(t) for t in reply.officers],
        agency=timeliness_out(reply.agency),
        allowed_delay_s=reply.allowed_delay_s,
    )
