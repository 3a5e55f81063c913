"""Records' timeline (GetTimelineResponse) -> the CaseData the documents are built from."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from enforcement.common.v1 import common_pb2
from enforcement.records.v1 import records_pb2
from services.chassis.workdays import CHINA_TZ
from services.documents.domain.content import CaseData


def _china(ts) -> datetime:
    return ts.ToDatetime(tzinfo=UTC).astimezone(CHINA_TZ)


def case_data(timeline: records_pb2.GetTimelineResponse) -> CaseData:
    c = timeline.case
    party = {
        "kind": "organization" if c.party.kind == common_pb2.Party.KIND_ORGANIZATION else "person",
        "name": c.party.name,
        "credit_code": c.party.credit_code,
        "id_number": c.party.id_number,
        "legal_representative": c.party.legal_representative,
        "address": c.party.address,
    }
    data = CaseData(
        case_id=c.case_id,
        agency_id=c.agency_id,
        case_no=c.case_no,
        decision_no=c.decision_no,
        title=c.title,
        town=c.town,
        party=party,
        officers=[{"name": o.name, "certificate_no": o.certificate_no} for o in c.officers],
        opened_at=_china(c.opened_at),
        stage=c.stage,
    )
    for e in timeline.entries:
        payload = json.loads(e.payload_json or "{}")
        at = _china(e.server_time)
        if e.kind == "proposal":
            data.proposal = payload
        elif e.kind == "decision":
            data.decision, data.decided_at = payload, at
            if payload.get("completed", {}).get("legal_representative"):
                data.party["legal_representative"] = payload["completed"]["legal_representative"]
        elif e.kind == "review-outcome":
            data.review, data.reviewed_at = payload, at
        elif e.kind == "statement":
            data.statements.append(payload)
        elif e.kind == "hearing-request":
            data.hearing_requests.append(payload)
        for ev in e.evidence:
            data.evidence.append(
                {
                    "caption": payload.get("caption") or ev.filename or e.kind,
                    "media_type": ev.media_type,
                    "sha256": ev.sha256,
                    "at": f"{at:%Y-%m-%d %H:%M}",
                }
            )
    return data
