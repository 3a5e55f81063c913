"""Domain objects <-> protobuf messages (gRPC and event payloads)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from enforcement.common.v1 import common_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.db import as_utc
from services.records.domain.cases import Case, Domain, GeoPoint, Officer, OpenCase
from services.records.domain.entries import Entry, canonical_json
from services.records.domain.meta import WriteMeta
from services.records.domain.parties import Party, PartyKind
from services.records.domain.penalties import Proposal
from services.records.domain.treehead import TreeHead

_KIND_TO_PB = {
    PartyKind.organization: common_pb2.Party.KIND_ORGANIZATION,
    PartyKind.person: common_pb2.Party.KIND_PERSON,
}
_KIND_FROM_PB = {v: k for k, v in _KIND_TO_PB.items()}


class BadRequest(ValueError):
    """A request that cannot be turned into a command."""


def ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    out = Timestamp()
    out.FromDatetime(value)
    return out


def from_ts(value: Timestamp, present: bool) -> datetime | None:
    return value.ToDatetime(tzinfo=UTC) if present else None


def case_to_pb(case: Case) -> records_pb2.Case:
    msg = records_pb2.Case(
        case_id=case.case_id,
        client_case_id=case.client_case_id,
        agency_id=case.agency_id,
        town=case.town,
        domain=case.domain.value,
        title=case.title,
        party=common_pb2.Party(
            kind=_KIND_TO_PB[case.party.kind],
            name=case.party.name,
            credit_code=case.party.credit_code,
            id_number=case.party.id_number,
            legal_representative=case.party.legal_representative,
            address=case.party.address,
        ),
        officers=[
            common_pb2.Officer(
                officer_id=o.officer_id, name=o.name, certificate_no=o.certificate_no
            )
            for o in case.officers
        ],
        stage=case.stage.value,
        opened_by=case.opened_by,
        opened_at=ts(case.opened_at),
        version=case.version,
        case_no=case.case_no or "",
        decision_no=case.decision_no or "",
        entry_count=case.entry_count,
        head_hash=case.head_hash,
        review_status=case.review_status,
        source_topic=case.source_topic,
        source_ref=case.source_ref,
    )
    if case.updated_at is not None:
        msg.updated_at.CopyFrom(ts(case.updated_at))
    if case.device_time is not None:
        msg.device_time.CopyFrom(ts(case.device_time))
    if case.location is not None:
        msg.location.CopyFrom(
            common_pb2.GeoPoint(
                latitude=case.location.latitude,
                longitude=case.location.longitude,
                accuracy_m=case.location.accuracy_m,
            )
        )
    return msg


def open_case_from_pb(req: records_pb2.OpenCaseRequest) -> OpenCase:
    try:
        domain = Domain(req.domain)
    except ValueError as exc:
        allowed = ", ".join(d.value for d in Domain)
        raise BadRequest(f"unknown domain {req.domain!r}; one of: {allowed}") from exc
    if req.party.kind not in _KIND_FROM_PB:
        raise BadRequest("party kind must be organization or person")
    party = Party(
        kind=_KIND_FROM_PB[req.party.kind],
        name=req.party.name,
        credit_code=req.party.credit_code.upper(),
        id_number=req.party.id_number.upper(),
        legal_representative=req.party.legal_representative,
        address=req.party.address,
    )
    return OpenCase(
        client_case_id=req.client_case_id,
        agency_id=req.agency_id,
        town=req.town,
        domain=domain,
        title=req.title,
        party=party,
        officers=tuple(Officer(o.officer_id, o.name, o.certificate_no) for o in req.officers),
        opened_by=req.opened_by,
        device_time=from_ts(req.device_time, req.HasField("device_time")),
        location=(
            GeoPoint(req.location.latitude, req.location.longitude, req.location.accuracy_m)
            if req.HasField("location")
            else None
        ),
        task_id=req.task_id or None,
        app_version=req.app_version,
        location_missing=req.location_missing,
    )


def entry_to_pb(entry: Entry) -> records_pb2.Entry:
    msg = records_pb2.Entry(
        entry_id=entry.entry_id,
        case_id=entry.case_id,
        seq=entry.seq,
        leaf_index=entry.leaf_index or 0,
        queued=entry.leaf_index is None,
        kind=entry.kind,
        client_entry_id=entry.client_entry_id,
        actor_id=entry.actor_id,
        server_time=ts(entry.server_time),
        delay_s=entry.delay_s,
        payload_json=canonical_json(entry.payload),
        evidence=[records_pb2.Evidence(**e.as_dict()) for e in entry.evidence],
        corrects_entry_id=entry.corrects_entry_id,
        prev_hash=entry.prev_hash,
        entry_hash=entry.entry_hash,
        has_location=entry.location is not None,
    )
    if entry.device_time is not None:
        msg.device_time.CopyFrom(ts(entry.device_time))
    if entry.location is not None:
        msg.location.CopyFrom(common_pb2.GeoPoint(**entry.location))
    return msg


def meta_from_pb(meta: records_pb2.WriteMeta) -> WriteMeta:
    return WriteMeta(
        client_entry_id=meta.client_entry_id,
        actor_id=meta.actor_id,
        agency_id=meta.agency_id,
        device_time=from_ts(meta.device_time, meta.HasField("device_time")),
        location=(
            {
                "latitude": meta.location.latitude,
                "longitude": meta.location.longitude,
                "accuracy_m": meta.location.accuracy_m,
            }
            if meta.HasField("location")
            else None
        ),
        app_version=meta.app_version,
        location_missing=meta.location_missing,
    )


def proposal_to_pb(
    proposal_id: str, round_: int, body: dict, proposed_by: str, proposed_at: datetime
) -> records_pb2.PenaltyProposal:
    d = body.get("discretion", {})
    return records_pb2.PenaltyProposal(
        proposal_id=proposal_id,
        round=round_,
        kinds=body["kinds"],
        fine_yuan=body["fine_yuan"],
        confiscation_yuan=body["confiscation_yuan"],
        legal_basis=body["legal_basis"],
        facts=body["facts"],
        discretion=records_pb2.Discretion(
            benchmark_id=d.get("benchmark_id", ""),
            violation_type=d.get("violation_type", ""),
            circumstance=d.get("circumstance", ""),
            departs=d.get("departs", False),
            departure_reason=d.get("departure_reason", ""),
        ),
        mitigated=body["mitigated"],
        hearing_requested=body["hearing_requested"],
        public_interest=body["public_interest"],
        complex_case=body["complex_case"],
        secret_related=body.get("secret_related", False),
        proposed_by=proposed_by,
        proposed_at=ts(proposed_at),
    )


def proposal_from_pb(p: records_pb2.PenaltyProposal) -> Proposal:
    return Proposal(
        kinds=tuple(p.kinds),
        fine_yuan=p.fine_yuan,
        confiscation_yuan=p.confiscation_yuan,
        legal_basis=tuple(p.legal_basis),
        facts=p.facts,
        benchmark_id=p.discretion.benchmark_id,
        violation_type=p.discretion.violation_type,
        circumstance=p.discretion.circumstance,
        departs=p.discretion.departs,
        departure_reason=p.discretion.departure_reason,
        mitigated=p.mitigated,
        hearing_requested=p.hearing_requested,
        public_interest=p.public_interest,
        complex_case=p.complex_case,
        secret_related=p.secret_related,
    )


def tree_head_to_pb(head: TreeHead, public_key_b64: str) -> records_pb2.TreeHead:
    msg = records_pb2.TreeHead(
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        signature=head.signature,
        key_id=head.key_id,
        public_key=public_key_b64,
    )
    msg.timestamp.FromMilliseconds(head.timestamp_ms)
    return msg


def task_to_pb(row) -> records_pb2.InspectionTask:
    party = row.party or {}
    msg = records_pb2.InspectionTask(
        task_id=row.task_id,
        agency_id=row.agency_id,
        town=row.town,
        domain=row.domain,
        title=row.title,
        details_json=canonical_json(row.details),
        source_topic=row.source_topic,
        source_ref=row.source_ref,
        priority=row.priority,
        status=row.status,
        case_id=row.case_id or "",
        created_at=ts(as_utc(row.created_at)),
        updated_at=ts(as_utc(row.updated_at)),
    )
    if party:
        msg.party.CopyFrom(
            common_pb2.Party(
                kind=_KIND_TO_PB[PartyKind(party["kind"])],
                name=party.get("name", ""),
                credit_code=party.get("credit_code", ""),
                id_number=party.get("id_number", ""),
            )
        )
    return msg
