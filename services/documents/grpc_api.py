"""DocumentsService over gRPC: proto <-> handlers, nothing more."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

import grpc

from enforcement.documents.v1 import documents_pb2, documents_pb2_grpc
from services.chassis.db import Database
from services.chassis.grpc_server import blocking_caller
from services.chassis.storage import ObjectStore
from services.documents import handlers
from services.documents.config import Settings
from services.documents.domain.kinds import InvalidDocument

_CODES: list[tuple[type[Exception], grpc.StatusCode]] = [
    (handlers.NotFound, grpc.StatusCode.NOT_FOUND),
    (handlers.Mismatch, grpc.StatusCode.FAILED_PRECONDITION),
    (InvalidDocument, grpc.StatusCode.INVALID_ARGUMENT),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
]
_call = blocking_caller(_CODES)


def _fields(text: str) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidDocument("fields_json is not JSON") from exc
    if not isinstance(value, dict):
        raise InvalidDocument("fields_json is a JSON object")
    return value


class DocumentsServicer(documents_pb2_grpc.DocumentsServiceServicer):
    def __init__(
        self, database: Database, settings: Settings, store: ObjectStore, presigner: ObjectStore
    ) -> None:
        self._db = database
        self._settings = settings
        self._store = store
        self._presigner = presigner

    async def IssueDocument(self, request, context):
        def issue():
            return handlers.issue_document(
                self._db,
                self._store,
                self._settings,
                client_document_id=request.client_document_id,
                kind=request.kind,
                timeline=request.timeline,
                fields=_fields(request.fields_json),
                issued_by=request.issued_by,
                agency_id=request.agency_id,
                verify_base_url=request.verify_base_url,
            )

        row, created = await _call(context, issue)
        return documents_pb2.IssueDocumentResponse(
            document=handlers.document_to_pb(row), created=created
        )

    async def AttachLogEntry(self, request, context):
        if request.case_file:
            await _call(
                context,
                handlers.attach_case_file_entry,
                self._db,
                request.document_id,
                request.entry_id,
            )
            return documents_pb2.AttachLogEntryResponse()
        row = await _call(
            context,
            handlers.attach_log_entry,
            self._db,
            document_id=request.document_id,
            entry_id=request.entry_id,
            sha256=request.sha256,
        )
        return documents_pb2.AttachLogEntryResponse(document=handlers.document_to_pb(row))

    async def GetDocument(self, request, context):
        row = await _call(
            context, handlers.get_document, self._db, request.document_id, request.agency_id
        )
        pdf = b""
        if request.with_pdf:
            pdf = await _call(context, handlers.read_pdf, self._store, self._settings, row)
        return documents_pb2.GetDocumentResponse(document=handlers.document_to_pb(row), pdf=pdf)

    async def ListDocuments(self, request, context):
        rows, case_file = await _call(
            context, handlers.list_documents, self._db, request.case_id, request.agency_id
        )
        reply = documents_pb2.ListDocumentsResponse(
            documents=[handlers.document_to_pb(r) for r in rows]
        )
        if case_file is not None:
            reply.case_file.CopyFrom(handlers.case_file_to_pb(case_file))
            if request.case_file_link:
                reply.case_file.download_url = self._presigner.presigned_get_url(
                    self._settings.archive_bucket,
                    case_file.object_key,
                    timedelta(seconds=self._settings.download_url_ttl_s),
                    media_type="application/pdf",
                    filename=f"案卷-{case_file.case_id}.pdf",
                )
        return reply

    async def RecordService(self, request, context):
        s = request.service
        if not s.HasField("served_at"):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "served_at is required")
        row = await _call(
            context,
            handlers.record_service,
            self._db,
            document_id=request.document_id,
            agency_id=request.agency_id,
            service={
                "method": s.method,
                "served_at": s.served_at.ToDatetime(tzinfo=UTC),
                "recipient": s.recipient,
                "recorded_by": s.recorded_by,
                "witnesses": list(s.witnesses),
                "consent_ref": s.consent_ref,
                "address": s.address,
            },
        )
        return documents_pb2.RecordServiceResponse(document=handlers.document_to_pb(row))

    async def AddSignature(self, request, context):
        row, signature = await _call(
            context,
            handlers.add_signature,
            self._db,
            self._store,
            self._settings,
            document_id=request.document_id,
            agency_id=request.agency_id,
            role=request.role,
            signer_name=request.signer_name,
            image_png=request.image_png,
            refused=request.refused,
            witness=request.witness,
            client_signature_id=request.client_signature_id,
            verify_base_url=request.verify_base_url,
        )
        doc = handlers.document_to_pb(row)
        sig = next(s for s in doc.signatures if s.signature_id == signature["signature_id"])
        return documents_pb2.AddSignatureResponse(document=doc, signature=sig)

    async def AssembleCaseFile(self, request, context):
        row, created = await _call(
            context,
            handlers.assemble_case_file,
            self._db,
            self._store,
            self._settings,
            case_id=request.case_id,
            timeline=request.timeline,
            assembled_by=request.assembled_by,
            agency_id=request.agency_id,
        )
        return documents_pb2.AssembleCaseFileResponse(
            case_file=handlers.case_file_to_pb(row), created=created
        )


def servicers(database: Database, settings: Settings):
    def store_at(endpoint: str) -> ObjectStore:
        return ObjectStore(
            endpoint,
            settings.s3_access_key,
            settings.s3_secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
        )

    store = store_at(settings.s3_endpoint)
    public = settings.s3_public_endpoint or settings.s3_endpoint
    presigner = store if public == settings.s3_endpoint else store_at(public)
    return [
        (
            documents_pb2_grpc.add_DocumentsServiceServicer_to_server,
            DocumentsServicer(database, settings, store, presigner),
        )
    ]
