"""Enforcement documents (执法文书) for officers, and their public verification page.

An officer issues a document of a case: the gateway reads the case's timeline from records,
the documents service numbers and renders it, and the PDF's SHA-256 is appended to the case's
record as a `document` entry (so it is in the signed Merkle log). Anyone holding the PDF or a
printout scans its QR code to `/v/{id}`: the page hashes the file on the reader's device
(WebCrypto) and shows whether it matches, with the entry's inclusion proof under a signed tree
head. The page shows the number, kind, agency and date only.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, field_validator

from enforcement.documents.v1 import documents_pb2
from enforcement.records.v1 import records_pb2
from gateway.deps import Officer, State, public_rate_limit
from gateway.fields import IsoAwareDateTime
from gateway.grpc_errors import call_service
from gateway.problems import PROBLEM_RESPONSES, RATE_LIMITED_RESPONSES, ProblemError
from gateway.routes.cases import CaseId, CaseReader, check_visible
from gateway.routes.records import WRITE_RESPONSES, ClientId, TreeHead, _answered, tree_head_out
from gateway.security.principals import Principal
from services.chassis.workdays import CHINA_TZ

router = APIRouter(tags=["documents"])
public = APIRouter(
    tags=["public"], dependencies=[Depends(public_rate_limit)], responses=RATE_LIMITED_RESPONSES
)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
VERIFY_JS = Path(__file__).resolve().parent.parent / "templates" / "public" / "verify.js"

DocumentId = Annotated[str, PathParam(max_length=64, pattern=r"^[0-9a-zA-Z-]+$")]
DocumentKind = Literal[
    "inspection-record",  # 现场检查记录
    "rectification-order",  # 责令限期整改指令书
    "reinspection-opinion",  # 整改复查意见书
    "interview-record",  # 询问笔录
    "penalty-notice",  # 行政处罚告知书
    "hearing-notice",  # 听证告知书
    "statement-record",  # 陈述申辩记录
    "penalty-decision",  # 行政处罚决定书
    "no-penalty-decision",  # 不予行政处罚决定书
    "service-receipt",  # 文书送达回执
    "closing-approval",  # 结案审批表
    "legal-review-opinion",  # 重大执法决定法制审核意见书
]
ServiceMethod = Literal["direct", "left-at-premises", "post", "electronic"]
MAX_FIELDS_BYTES = 32 * 1024
MAX_SIGNATURE_B64 = 700_000  # a 512 KB PNG in base64


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_document_id: ClientId
    kind: DocumentKind
    fields: dict[str, Any] = Field(
        default_factory=dict,
        description="what the case data lacks, by kind: inspection-record place, findings; "
        "rectification-order problems, rectify_by; interview-record interviewee, place, "
        "questions [{q, a}]; hearing-notice hearing_at, hearing_place, host; "
        "no-penalty-decision reason, basis; service-receipt served_document_id; "
        "closing-approval execution (docs/documents.md)",
    )

    @field_validator("fields")
    @classmethod
    def _size(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_FIELDS_BYTES:
            raise ValueError(f"fields are larger than {MAX_FIELDS_BYTES} bytes")
        return value


class ServiceIn(BaseModel):
    """送达: how, when and to whom the document was handed over."""

    model_config = ConfigDict(extra="forbid")

    client_entry_id: ClientId
    method: ServiceMethod = Field(
        description="direct 直接送达, left-at-premises 留置送达 (witnesses), post 邮寄, "
        "electronic 电子送达 (the party's written consent)"
    )
    served_at: IsoAwareDateTime
    recipient: str = Field(min_length=1, max_length=100)
    witnesses: list[Annotated[str, Field(max_length=100)]] = Field(default=[], max_length=5)
    consent_ref: str = Field(default="", max_length=200)
    address: str = Field(default="", max_length=300)


class SignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_signature_id: ClientId
    role: Literal["officer", "party", "witness"]
    signer_name: str = Field(min_length=1, max_length=100)
    image_png_base64: str = Field(
        default="", max_length=MAX_SIGNATURE_B64, description="the PNG drawn on the screen"
    )
    refused: bool = Field(default=False, description="the party refused to sign (拒签)")
    witness: str = Field(default="", max_length=100, description="who saw the refusal")


class ServiceOut(BaseModel):
    method: str
    served_at: datetime
    recipient: str
    witnesses: list[str]
    consent_ref: str
    address: str


class DeadlineOut(BaseModel):
    name: str
    label: str
    due_date: str
    basis: str
    working_days: bool
    provisional: bool = Field(
        description="counted through a year whose official holiday calendar has not been "
        "entered yet; recounted when it is"
    )


class SignatureOut(BaseModel):
    signature_id: str
    role: str
    signer_name: str
    sha256: str
    refused: bool
    witness: str
    signed_at: datetime


class DocumentOut(BaseModel):
    document_id: str
    case_id: str
    kind: str
    title: str
    number: str
    sha256: str
    size: int
    version: int
    earlier_sha256: list[str]
    issued_at: datetime
    issued_by: str
    entry_id: str | None
    verify_url: str
    pdf_url: str
    service: ServiceOut | None
    deadlines: list[DeadlineOut]
    signatures: list[SignatureOut]


class CaseFileOut(BaseModel):
    case_id: str
    sha256: str
    size: int
    pages: int
    retention: str
    retain_until: str | None
    object_locked: bool
    assembled_at: datetime
    entry_id: str | None
    pdf_url: str


class DocumentList(BaseModel):
    documents: list[DocumentOut]
    case_file: CaseFileOut | None


class ArchiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_entry_id: ClientId


class InclusionOut(BaseModel):
    leaf_index: int
    leaf_hash: str
    audit_path: list[str]
    tree_head: TreeHead
    root_matches: bool


class VerificationOut(BaseModel):
    """What anyone may see about a document: nothing personal."""

    document_id: str
    number: str
    title: str
    kind: str
    agency: str
    issued_on: str
    version: int
    sha256: str | None = Field(description="the hash checked (query parameter), if any")
    matches: bool | None = Field(description="whether it is the current or an earlier version")
    superseded: bool = Field(description="it matches an earlier version, before a signature")
    entry_matches: bool
    inclusion: InclusionOut | None


def _base(state) -> str:
    return state.settings.public_base()


def document_out(state, d: documents_pb2.Document) -> DocumentOut:
    service = None
    if d.HasField("service"):
        s = d.service
        service = ServiceOut(
            method=s.method,
            served_at=s.served_at.ToDatetime(tzinfo=UTC),
            recipient=s.recipient,
            witnesses=list(s.witnesses),
            consent_ref=s.consent_ref,
            address=s.address,
        )
    return DocumentOut(
        document_id=d.document_id,
        case_id=d.case_id,
        kind=d.kind,
        title=d.title,
        number=d.number,
        sha256=d.sha256,
        size=d.size,
        version=d.version,
        earlier_sha256=list(d.earlier_sha256),
        issued_at=d.issued_at.ToDatetime(tzinfo=UTC),
        issued_by=d.issued_by,
        entry_id=d.entry_id or None,
        verify_url=f"{_base(state)}/v/{d.document_id}",
        pdf_url=f"/v1/documents/{d.document_id}/pdf",
        service=service,
        deadlines=[
            DeadlineOut(
                name=x.name,
                label=x.label,
                due_date=x.due_date,
                basis=x.basis,
                working_days=x.working_days,
                provisional=x.provisional,
            )
            for x in d.deadlines
        ],
        signatures=[
            SignatureOut(
                signature_id=s.signature_id,
                role=s.role,
                signer_name=s.signer_name,
                sha256=s.sha256,
                refused=s.refused,
                witness=s.witness,
                signed_at=s.signed_at.ToDatetime(tzinfo=UTC),
            )
            for s in d.signatures
        ],
    )


def case_file_out(f: documents_pb2.CaseFile) -> CaseFileOut:
    return CaseFileOut(
        case_id=f.case_id,
        sha256=f.sha256,
        size=f.size,
        pages=f.pages,
        retention=f.retention,
        retain_until=f.retain_until or None,
        object_locked=f.object_locked,
        assembled_at=f.assembled_at.ToDatetime(tzinfo=UTC),
        entry_id=f.entry_id or None,
        pdf_url=f"/v1/cases/{f.case_id}/case-file/pdf",
    )


def _documents(state):
    if state.clients.documents is None:
        raise ProblemError(
            status=503,
            type="service-unavailable",
            title="Service unavailable",
            detail="the documents service is not configured",
        )
    return state.clients.documents


async def _timeline(state, principal: Principal, case_id: str):
    reply = await call_service(
        "records",
        state.clients.records.GetTimeline,
        records_pb2.GetTimelineRequest(case_id=case_id, agency_id=principal.agency_id),
    )
    check_visible(principal, reply.case)
    return reply


async def _log_document(state, principal: Principal, d: documents_pb2.Document):
    """Append the PDF's hash to the case's record, then tell documents the entry (a retry
    finds the same entry by its client id)."""
    entry = await call_service(
        "records",
        state.clients.records.AppendEntry,
        records_pb2.AppendEntryRequest(
            case_id=d.case_id,
            kind="document",
            payload_json=json.dumps(
                {
                    "document_id": d.document_id,
                    "document_kind": d.kind,
                    "title": d.title,
                    "number": d.number,
                    "sha256": d.sha256,
                    "size": d.size,
                    "version": d.version,
                },
                ensure_ascii=False,
            ),
            meta=records_pb2.WriteMeta(
                client_entry_id=f"doc:{d.document_id}:v{d.version}",
                actor_id=principal.user_id,
                agency_id=principal.agency_id,
            ),
        ),
    )
    attached = await call_service(
        "documents",
        _documents(state).AttachLogEntry,
        documents_pb2.AttachLogEntryRequest(
            document_id=d.document_id, entry_id=entry.entry.entry_id, sha256=d.sha256
        ),
    )
    return attached.document


async def _own_document(state, principal: Principal, document_id: str, *, writing=False):
    reply = await call_service(
        "documents",
        _documents(state).GetDocument,
        documents_pb2.GetDocumentRequest(document_id=document_id, agency_id=principal.agency_id),
    )
    # a town-bound supervisor sees only their town's cases
    timeline = await _timeline(state, principal, reply.document.case_id)
    if writing and timeline.case.stage == "archived":
        raise ProblemError(
            status=409,
            type="not-allowed-now",
            title="Not allowed in this state",
            detail="the case is archived: its documents and record take no more changes",
        )
    return reply.document


CASE = "/v1/cases/{case_id}"


@router.post(
    f"{CASE}/documents",
    operation_id="issueDocument",
    status_code=201,
    response_model=DocumentOut,
    responses=WRITE_RESPONSES,
    summary="Issue an enforcement document (执法文书) of the case as a PDF",
)
async def issue_document(
    case_id: CaseId, body: DocumentIn, principal: Officer, state: State, response: Response
) -> DocumentOut:
    """Number (文号, gap-free per kind and year), render from the case's data and store the
    document as PDF/A, then append its SHA-256 to the case's record. `fields` carries what the
    case data lacks (see docs/documents.md). A retry with the same `client_document_id`
    answers 200 with the first document."""
    timeline = await _timeline(state, principal, case_id)
    reply = await call_service(
        "documents",
        _documents(state).IssueDocument,
        documents_pb2.IssueDocumentRequest(
            client_document_id=body.client_document_id,
            kind=body.kind,
            timeline=timeline,
            fields_json=json.dumps(body.fields, ensure_ascii=False),
            issued_by=principal.user_id,
            agency_id=principal.agency_id,
            verify_base_url=_base(state),
        ),
        timeout=60.0,
    )
    d = reply.document
    if d.case_id != case_id:
        raise ProblemError(
            status=409,
            type="already-exists",
            title="Conflict",
            detail="client_document_id was used for another case",
        )
    if not d.entry_id:
        d = await _log_document(state, principal, d)
    _answered(response, reply.created)
    return document_out(state, d)


@router.get(
    f"{CASE}/documents",
    operation_id="listDocuments",
    response_model=DocumentList,
    responses=PROBLEM_RESPONSES,
    summary="The case's documents and its case file (案卷), if bound",
)
async def list_documents(case_id: CaseId, principal: CaseReader, state: State) -> DocumentList:
    """Every document issued for the case, oldest first, with its service (送达), the
    deadlines that run from it, signatures, and the archived case file once it is bound."""
    await _timeline(state, principal, case_id)
    reply = await call_service(
        "documents",
        _documents(state).ListDocuments,
        documents_pb2.ListDocumentsRequest(case_id=case_id, agency_id=principal.agency_id),
    )
    return DocumentList(
        documents=[document_out(state, d) for d in reply.documents],
        case_file=case_file_out(reply.case_file) if reply.HasField("case_file") else None,
    )


@router.get(
    "/v1/documents/{document_id}/pdf",
    operation_id="getDocumentPdf",
    response_class=Response,
    responses={**PROBLEM_RESPONSES, 200: {"content": {"application/pdf": {}}}},
    summary="The document's PDF as issued (its current version)",
)
async def get_document_pdf(document_id: DocumentId, principal: CaseReader, state: State):
    """The PDF whose SHA-256 is in the case's record; the documents service refuses (409) to
    hand out stored bytes that no longer match it."""
    await _own_document(state, principal, document_id)
    reply = await call_service(
        "documents",
        _documents(state).GetDocument,
        documents_pb2.GetDocumentRequest(
            document_id=document_id, agency_id=principal.agency_id, with_pdf=True
        ),
    )
    name = f"{reply.document.document_id}.pdf"
    return Response(
        reply.pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/v1/documents/{document_id}/service",
    operation_id="recordService",
    status_code=201,
    response_model=DocumentOut,
    responses=WRITE_RESPONSES,
    summary="Record the service (送达) of a document; deadlines start from it",
)
async def record_service(
    document_id: DocumentId, body: ServiceIn, principal: Officer, state: State, response: Response
) -> DocumentOut:
    """送达 by method (直接, 留置 with witnesses, 邮寄, 电子 with written consent), time and
    recipient. The deadlines that run from service (陈述申辩 3 and 听证 5 working days after a
    notice; payment 15 days after a decision) are counted from it, `provisional` while a year
    they run through has no official calendar yet. A `served_at` before the document was issued
    or in the future is a 422. The act is also a `step` entry (act `service`) of the record,
    which asks for its audio-video recording."""
    doc = await _own_document(state, principal, document_id, writing=True)
    served_at = documents_pb2.Service(
        method=body.method,
        recipient=body.recipient,
        recorded_by=principal.user_id,
        witnesses=body.witnesses,
        consent_ref=body.consent_ref,
        address=body.address,
    )
    served_at.served_at.FromDatetime(body.served_at.astimezone(UTC))
    reply = await call_service(
        "documents",
        _documents(state).RecordService,
        documents_pb2.RecordServiceRequest(
            document_id=document_id, agency_id=principal.agency_id, service=served_at
        ),
    )
    step = await call_service(
        "records",
        state.clients.records.AppendEntry,
        records_pb2.AppendEntryRequest(
            case_id=doc.case_id,
            kind="step",
            payload_json=json.dumps(
                {
                    "act": "service",
                    "document_id": document_id,
                    "number": doc.number,
                    "method": body.method,
                    "served_at": body.served_at.isoformat(),
                    "recipient": body.recipient,
                    "witnesses": body.witnesses,
                    "deadlines": {x.name: x.due_date for x in reply.document.deadlines},
                },
                ensure_ascii=False,
            ),
            meta=records_pb2.WriteMeta(
                client_entry_id=body.client_entry_id,
                actor_id=principal.user_id,
                agency_id=principal.agency_id,
            ),
        ),
    )
    _answered(response, step.created)
    return document_out(state, reply.document)


@router.post(
    "/v1/documents/{document_id}/signatures",
    operation_id="addSignature",
    status_code=201,
    response_model=DocumentOut,
    responses=WRITE_RESPONSES,
    summary="Add a handwritten signature (or the party's refusal) to a document",
)
async def add_signature(
    document_id: DocumentId, body: SignatureIn, principal: Officer, state: State, response: Response
) -> DocumentOut:
    """The signature drawn on the phone, as a PNG: kept as evidence by its SHA-256 and placed
    on the document's signature line, which makes a new version of the PDF whose hash is
    appended to the record (the earlier version's hash stays genuine on the public page). A
    party who refuses to sign: `refused` with the `witness` who saw it (拒签)."""
    doc = await _own_document(state, principal, document_id, writing=True)
    try:
        png = base64.b64decode(body.image_png_base64, validate=True)
    except ValueError as exc:
        raise ProblemError(
            status=422,
            type="validation-error",
            title="The request is not valid",
            detail="image_png_base64 is not base64",
        ) from exc
    reply = await call_service(
        "documents",
        _documents(state).AddSignature,
        documents_pb2.AddSignatureRequest(
            document_id=document_id,
            agency_id=principal.agency_id,
            role=body.role,
            signer_name=body.signer_name,
            image_png=png,
            refused=body.refused,
            witness=body.witness,
            client_signature_id=body.client_signature_id,
            verify_base_url=_base(state),
        ),
        timeout=60.0,
    )
    d = reply.document
    created = len(d.signatures) > len(doc.signatures)
    if not d.entry_id:
        d = await _log_document(state, principal, d)
    _answered(response, created)
    return document_out(state, d)


@router.get(
    f"{CASE}/case-file/pdf",
    operation_id="getCaseFilePdf",
    status_code=307,
    responses={**PROBLEM_RESPONSES, 307: {"description": "To a short-lived download URL"}},
    summary="Download the archived case file (案卷) as one PDF",
)
async def get_case_file_pdf(case_id: CaseId, principal: CaseReader, state: State) -> Response:
    """A redirect to a download URL of the archived case file in S3, valid for minutes; the
    file is an attachment (application/pdf). 404 until the case file is bound."""
    await _timeline(state, principal, case_id)
    reply = await call_service(
        "documents",
        _documents(state).ListDocuments,
        documents_pb2.ListDocumentsRequest(
            case_id=case_id, agency_id=principal.agency_id, case_file_link=True
        ),
    )
    if not reply.HasField("case_file"):
        raise ProblemError(
            status=404,
            type="not-found",
            title="Not found",
            detail=f"case {case_id} has no case file yet",
        )
    return Response(status_code=307, headers={"location": reply.case_file.download_url})


@router.post(
    f"{CASE}/case-file",
    operation_id="assembleCaseFile",
    status_code=201,
    response_model=CaseFileOut,
    responses=WRITE_RESPONSES,
    summary="Bind and archive the case file (案卷) of a closing case",
)
async def assemble_case_file(
    case_id: CaseId, body: ArchiveIn, principal: Officer, state: State, response: Response
) -> CaseFileOut:
    """At closing (or after no penalty or withdrawal): the cover (案卷首页), the index (卷内
    目录), every document in the order of the 立卷 rules as issued, and the evidence list with
    hashes, as one PDF archived in S3 with its retention period (永久, 30 or 10 years) and
    object lock where the server has it. Its hash goes into the record; then the case may move
    to `archived`."""
    timeline = await _timeline(state, principal, case_id)
    reply = await call_service(
        "documents",
        _documents(state).AssembleCaseFile,
        documents_pb2.AssembleCaseFileRequest(
            case_id=case_id,
            timeline=timeline,
            assembled_by=principal.user_id,
            agency_id=principal.agency_id,
        ),
        timeout=120.0,
    )
    f = reply.case_file
    if not f.entry_id:
        entry = await call_service(
            "records",
            state.clients.records.AppendEntry,
            records_pb2.AppendEntryRequest(
                case_id=case_id,
                kind="document",
                payload_json=json.dumps(
                    {
                        "case_file": True,
                        "title": "案卷",
                        "sha256": f.sha256,
                        "size": f.size,
                        "pages": f.pages,
                        "retention": f.retention,
                    },
                    ensure_ascii=False,
                ),
                meta=records_pb2.WriteMeta(
                    client_entry_id=body.client_entry_id,
                    actor_id=principal.user_id,
                    agency_id=principal.agency_id,
                ),
            ),
        )
        await call_service(
            "documents",
            _documents(state).AttachLogEntry,
            documents_pb2.AttachLogEntryRequest(
                document_id=case_id, entry_id=entry.entry.entry_id, case_file=True
            ),
        )
        f.entry_id = entry.entry.entry_id
    _answered(response, reply.created)
    return case_file_out(f)


# -- the public verification page ---------------------------------------------------------------

Sha256 = Annotated[str | None, Query(pattern=r"^[0-9a-fA-F]{64}$", description="hex SHA-256")]


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes | None:
    """RFC 9162 2.1.3.2: the root an inclusion proof leads to, or None if it is malformed."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            r = _node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


async def verification(state, document_id: str, sha256: str | None) -> VerificationOut:
    reply = await call_service(
        "documents",
        _documents(state).GetDocument,
        documents_pb2.GetDocumentRequest(document_id=document_id),
    )
    d = reply.document
    inclusion, entry_matches = None, False
    if d.entry_id:
        proof = await call_service(
            "records",
            state.clients.records.GetInclusionProof,
            records_pb2.GetInclusionProofRequest(entry_id=d.entry_id, agency_id=d.agency_id),
        )
        payload = json.loads(proof.entry.payload_json or "{}")
        entry_matches = payload.get("sha256") == d.sha256
        root = root_from_path(
            proof.entry.leaf_index,
            proof.tree_head.tree_size,
            bytes.fromhex(proof.leaf_hash),
            [bytes.fromhex(p) for p in proof.audit_path],
        )
        inclusion = InclusionOut(
            leaf_index=proof.entry.leaf_index,
            leaf_hash=proof.leaf_hash,
            audit_path=list(proof.audit_path),
            tree_head=tree_head_out(proof.tree_head),
            root_matches=root is not None and root.hex() == proof.tree_head.root_hash,
        )
    matches = superseded = None
    if sha256:
        sha256 = sha256.lower()
        superseded = sha256 in d.earlier_sha256
        matches = sha256 == d.sha256 or superseded
    return VerificationOut(
        document_id=d.document_id,
        number=d.number,
        title=d.title,
        kind=d.kind,
        agency=d.agency_name,
        issued_on=d.issued_at.ToDatetime(tzinfo=UTC).astimezone(CHINA_TZ).date().isoformat(),
        version=d.version,
        sha256=sha256,
        matches=matches,
        superseded=bool(superseded),
        entry_matches=entry_matches,
        inclusion=inclusion,
    )


@public.get(
    "/v1/public/documents/{document_id}/verification",
    operation_id="verifyDocument",
    response_model=VerificationOut,
    responses=PROBLEM_RESPONSES,
    summary="Whether a PDF (by its SHA-256) is a genuine, unaltered enforcement document",
)
async def verify_document(
    document_id: DocumentId, state: State, sha256: Sha256 = None
) -> VerificationOut:
    """No login. The document's number, kind, agency and date; with `sha256` (computed by
    the holder, the file never leaves their device) whether it is the issued PDF, and the
    inclusion proof of the record entry that carries its hash under a signed tree head."""
    return await verification(state, document_id, sha256)


@public.get("/v/verify.js", include_in_schema=False)
async def verify_script() -> Response:
    return Response(_verify_js(), media_type="text/javascript; charset=utf-8")


@functools.cache
def _verify_js() -> str:
    return VERIFY_JS.read_text(encoding="utf-8")


@public.get("/v/{document_id}", include_in_schema=False, response_class=HTMLResponse)
async def verify_page(
    request: Request, document_id: DocumentId, state: State, sha256: Sha256 = None
) -> HTMLResponse:
    try:
        v = await verification(state, document_id, sha256)
    except ProblemError as problem:
        if problem.status != 404:
            raise
        return templates.TemplateResponse(request, "public/missing.html", {}, status_code=404)
    return templates.TemplateResponse(
        request, "public/verify.html", {"v": v, "proof_json": v.model_dump_json()}
    )
