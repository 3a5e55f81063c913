"""RecordsService over gRPC: proto <-> handlers, nothing more."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import grpc

from enforcement.records.v1 import records_pb2, records_pb2_grpc
from services.chassis.db import Database
from services.chassis.grpc_server import blocking_caller
from services.chassis.storage import ObjectStore
from services.records import evidence, handlers, transparency
from services.records.config import Settings
from services.records.domain.cases import InvalidCase
from services.records.domain.entries import InvalidEntry, RecordClosed
from services.records.domain.lifecycle import IllegalTransition, lifecycle
from services.records.domain.meta import InvalidMeta
from services.records.domain.parties import InvalidParty
from services.records.domain.penalties import InvalidProposal, MissingForDisclosure
from services.records.domain.recording import recording_flags
from services.records.domain.treehead import TreeHeadSigner
from services.records.messages import (
    BadRequest,
    case_to_pb,
    entry_to_pb,
    meta_from_pb,
    open_case_from_pb,
    proposal_from_pb,
    task_to_pb,
    tree_head_to_pb,
    ts,
)
from services.records.sequencer import log_sequencer

# Domain refusals -> gRPC codes; the message is the user-facing explanation.
_CODES: list[tuple[type[Exception], grpc.StatusCode]] = [
    (handlers.NotFound, grpc.StatusCode.NOT_FOUND),
    (LookupError, grpc.StatusCode.NOT_FOUND),
    (handlers.NotAllowed, grpc.StatusCode.PERMISSION_DENIED),
    (handlers.Conflict, grpc.StatusCode.ALREADY_EXISTS),
    (IllegalTransition, grpc.StatusCode.FAILED_PRECONDITION),
    (MissingForDisclosure, grpc.StatusCode.INVALID_ARGUMENT),
    (evidence.EvidenceMismatch, grpc.StatusCode.FAILED_PRECONDITION),
    (evidence.TooManySlots, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (RecordClosed, grpc.StatusCode.FAILED_PRECONDITION),
    (
        (
            BadRequest,
            InvalidCase,
            InvalidParty,
            InvalidEntry,
            InvalidMeta,
            InvalidProposal,
            ValueError,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
]


_call = blocking_caller(_CODES)


class RecordsServicer(records_pb2_grpc.RecordsServiceServicer):
    def __init__(
        self,
        database: Database,
        settings: Settings,
        store: ObjectStore,
        presigner: ObjectStore,
        signer: TreeHeadSigner,
    ) -> None:
        self._db = database
        self._settings = settings
        self._store = store
        self._presigner = presigner
        self._signer = signer
        self._numbering = handlers.Numbering(dict(settings.number_prefixes))
        self._policy = evidence.UploadPolicy(
            bucket=settings.evidence_bucket,
            url_ttl=timedelta(seconds=settings.upload_url_ttl_s),
            multipart_threshold=settings.multipart_threshold_bytes,
            part_size=settings.part_size_bytes,
            max_size=settings.max_evidence_bytes,
            max_pending_slots=settings.max_pending_slots_per_user,
            pending_retention=timedelta(seconds=settings.pending_slot_retention_s),
        )

    async def OpenCase(self, request, context):
        cmd = await _call(context, open_case_from_pb, request)
        case, created = await _call(context, handlers.open_inspection_case, self._db, cmd)
        return records_pb2.OpenCaseResponse(case=case_to_pb(case), created=created)

    async def GetCase(self, request, context):
        case = await _call(context, handlers.get_case, self._db, request.case_id)
        if case is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"case {request.case_id} not found")
        return records_pb2.GetCaseResponse(case=case_to_pb(case))

    async def ListCases(self, request, context):
        if not request.agency_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "agency_id is required")
        cases, token = await _call(
            context,
            handlers.list_cases,
            self._db,
            agency_id=request.agency_id,
            town=request.town or None,
            page_size=request.page_size,
            page_token=request.page_token or None,
            officer_id=request.officer_id or None,
            stage=request.stage or None,
        )
        return records_pb2.ListCasesResponse(
            cases=[case_to_pb(c) for c in cases], next_page_token=token or ""
        )

    async def TransitionCase(self, request, context):
        case, entry, created = await _call(
            context,
            handlers.transition_case,
            self._db,
            self._numbering,
            case_id=request.case_id,
            to_stage=request.to_stage,
            reason=request.reason,
            meta=meta_from_pb(request.meta),
        )
        return records_pb2.TransitionCaseResponse(
            case=case_to_pb(case), entry=entry_to_pb(entry), created=created
        )

    async def AppendEntry(self, request, context):
        payload = await _call(context, _json_object, request.payload_json)
        entry, created = await _call(
            context,
            handlers.append_entry,
            self._db,
            case_id=request.case_id,
            kind=request.kind,
            payload=payload,
            corrects_entry_id=request.corrects_entry_id,
            meta=meta_from_pb(request.meta),
        )
        return records_pb2.AppendEntryResponse(entry=entry_to_pb(entry), created=created)

    async def GetTimeline(self, request, context):
        case, entries = await _call(
            context, handlers.timeline, self._db, request.case_id, request.agency_id
        )
        return records_pb2.GetTimelineResponse(
            case=case_to_pb(case),
            entries=[entry_to_pb(e) for e in entries],
            recording_flags=[
                records_pb2.RecordingFlag(entry_id=f.entry_id, act=f.act, problem=f.problem)
                for f in recording_flags(entries)
            ],
        )

    async def RequestEvidenceSlot(self, request, context):
        slot = await _call(
            context,
            evidence.request_slot,
            self._db,
            self._store,
            self._presigner,
            self._policy,
            case_id=request.case_id,
            client_slot_id=request.client_slot_id,
            sha256=request.sha256,
            size=request.size,
            media_type=request.media_type,
            filename=request.filename,
            actor_id=request.actor_id,
            agency_id=request.agency_id,
        )
        reply = records_pb2.RequestEvidenceSlotResponse(
            slot_id=slot.slot_id,
            status=slot.status,
            put_url=slot.put_url,
            parts=[records_pb2.UploadPart(part_number=n, url=u, size=s) for n, u, s in slot.parts],
            object_key=slot.object_key,
        )
        if slot.expires_at is not None:
            reply.expires_at.CopyFrom(ts(slot.expires_at))
        if slot.entry is not None:
            reply.entry.CopyFrom(entry_to_pb(slot.entry))
        return reply

    async def ConfirmEvidence(self, request, context):
        entry, created = await _call(
            context,
            evidence.confirm_upload,
            self._db,
            self._store,
            self._policy,
            slot_id=request.slot_id,
            case_id=request.case_id,
            parts=[(p.part_number, p.etag) for p in request.parts],
            caption=request.caption,
            relates_to_entry_id=request.relates_to_entry_id,
            meta=meta_from_pb(request.meta),
        )
        return records_pb2.ConfirmEvidenceResponse(entry=entry_to_pb(entry), created=created)

    async def ProposePenalty(self, request, context):
        case, proposal, created = await _call(
            context,
            handlers.propose_penalty,
            self._db,
            case_id=request.case_id,
            proposal=proposal_from_pb(request.proposal),
            meta=meta_from_pb(request.meta),
        )
        return records_pb2.ProposePenaltyResponse(
            case=case_to_pb(case), proposal=proposal, created=created
        )

    async def DecidePenalty(self, request, context):
        case, entry, created = await _call(
            context,
            handlers.decide_penalty,
            self._db,
            self._numbering,
            case_id=request.case_id,
            decision_text=request.decision_text,
            meta=meta_from_pb(request.meta),
            legal_representative=request.legal_representative,
            violation_type=request.violation_type,
        )
        return records_pb2.DecidePenaltyResponse(
            case=case_to_pb(case), entry=entry_to_pb(entry), created=created
        )

    async def RevokePenalty(self, request, context):
        case, entry, created = await _call(
            context,
            handlers.revoke_penalty,
            self._db,
            case_id=request.case_id,
            reason=request.reason,
            basis=request.basis,
            meta=meta_from_pb(request.meta),
        )
        return records_pb2.RevokePenaltyResponse(
            case=case_to_pb(case), entry=entry_to_pb(entry), created=created
        )

    async def SyncChanges(self, request, context):
        cases, entries, cursor, more = await _call(
            context,
            handlers.sync_changes,
            self._db,
            officer_id=request.officer_id,
            agency_id=request.agency_id,
            cursor=request.cursor,
            limit=request.limit,
        )
        return records_pb2.SyncChangesResponse(
            cases=[case_to_pb(c) for c in cases],
            entries=[entry_to_pb(e) for e in entries],
            next_cursor=cursor,
            more=more,
        )

    async def GetTreeHead(self, request, context):
        head = await _call(context, transparency.current_tree_head, self._db, self._signer)
        return records_pb2.GetTreeHeadResponse(
            tree_head=tree_head_to_pb(head, self._signer.public_key_b64)
        )

    async def GetInclusionProof(self, request, context):
        proof = await _call(
            context,
            transparency.inclusion_proof,
            self._db,
            self._signer,
            request.entry_id,
            request.agency_id,
            request.tree_size,
        )
        return records_pb2.GetInclusionProofResponse(
            entry=entry_to_pb(proof.entry),
            leaf_hash=proof.leaf_hash,
            audit_path=proof.audit_path,
            tree_head=tree_head_to_pb(proof.tree_head, self._signer.public_key_b64),
        )

    async def GetConsistencyProof(self, request, context):
        proof, head = await _call(
            context,
            transparency.consistency_proof,
            self._db,
            self._signer,
            request.first,
            request.second,
        )
        return records_pb2.GetConsistencyProofResponse(
            first=request.first,
            second=head.tree_size,
            proof=proof,
            tree_head=tree_head_to_pb(head, self._signer.public_key_b64),
        )

    async def GetTimeliness(self, request, context):
        since = request.since.ToDatetime(tzinfo=UTC) if request.HasField("since") else None
        officers, agency = await _call(
            context,
            handlers.timeliness,
            self._db,
            agency_id=request.agency_id,
            since=since,
            allowed_s=float(self._settings.timely_registration_s),
            town=request.town,
        )
        return records_pb2.GetTimelinessResponse(
            officers=[_timeliness_pb(t) for t in officers],
            agency=_timeliness_pb(agency),
            allowed_delay_s=float(self._settings.timely_registration_s),
        )

    async def ListTasks(self, request, context):
        rows = await _call(
            context,
            handlers.list_tasks,
            self._db,
            agency_id=request.agency_id,
            town=request.town or None,
            status=request.status or "open",
            page_size=request.page_size,
        )
        return records_pb2.ListTasksResponse(tasks=[task_to_pb(r) for r in rows])

    async def GetEvidenceLinks(self, request, context):
        links = await _call(
            context,
            evidence.evidence_links,
            self._db,
            self._presigner,
            self._policy,
            case_id=request.case_id,
            agency_id=request.agency_id,
            sha256=request.sha256,
            attachment=request.attachment,
        )
        return records_pb2.GetEvidenceLinksResponse(
            links=[
                records_pb2.EvidenceLink(
                    entry_id=entry.entry_id,
                    evidence=records_pb2.Evidence(**ref.as_dict()),
                    url=url,
                    expires_at=ts(expires),
                )
                for entry, ref, url, expires in links
            ]
        )

    async def GetLifecycle(self, request, context):
        return records_pb2.GetLifecycleResponse(
            stages=[
                records_pb2.LifecycleStage(
                    stage=s.stage.value, next=[n.value for n in s.next], via=s.via
                )
                for s in lifecycle()
            ]
        )

    async def GetNextStages(self, request, context):
        case, stages = await _call(
            context,
            handlers.next_stages,
            self._db,
            case_id=request.case_id,
            agency_id=request.agency_id,
        )
        return records_pb2.GetNextStagesResponse(
            case=case_to_pb(case),
            stages=[
                records_pb2.NextStage(
                    stage=s.stage.value, ready=s.ready, via=s.via, needs=list(s.needs)
                )
                for s in stages
            ],
        )


def _timeliness_pb(t: handlers.Timeliness) -> records_pb2.OfficerTimeliness:
    return records_pb2.OfficerTimeliness(
        officer_id=t.officer_id,
        entries=t.entries,
        in_time=t.in_time,
        in_time_ratio=t.ratio,
        p95_delay_s=t.p95_delay_s,
        max_delay_s=t.max_delay_s,
    )


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError as exc:
        raise InvalidEntry(f"payload_json is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidEntry("payload_json must be a JSON object")
    return value


def make_stores(settings: Settings) -> tuple[ObjectStore, ObjectStore]:
    """The store records reads and writes, and one that presigns for the phones' address."""
    store = ObjectStore(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
    public = settings.s3_public_endpoint or settings.s3_endpoint
    presigner = (
        store
        if public == settings.s3_endpoint
        else ObjectStore(
            public,
            settings.s3_access_key,
            settings.s3_secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )
    )
    return store, presigner


def servicers(database: Database, settings: Settings) -> list:
    # Every replica stands by to sequence the log; the lease holder does it.
    log_sequencer(database).wait_s = settings.log_sequence_wait_s
    store, presigner = make_stores(settings)
    store.ensure_bucket(settings.evidence_bucket)
    signer = TreeHeadSigner(settings.signing_seed_b64())
    servicer = RecordsServicer(database, settings, store, presigner, signer)
    return [(records_pb2_grpc.add_RecordsServiceServicer_to_server, servicer)]
