"""Domain objects <-> protobuf messages (gRPC and event payloads)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from enforcement.common.v1 import common_pb2
from enforcement.records.v1 import records_pb2
from services.records.domain.cases import Case, Domain, GeoPoint, Officer, OpenCase
from services.records.domain.parties import Party, PartyKind

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
    )
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
    )
