"""HazardsService over gRPC: proto <-> handlers, nothing more."""

from __future__ import annotations

import json
from datetime import timedelta

import grpc

from enforcement.hazards.v1 import hazards_pb2, hazards_pb2_grpc
from services.chassis.db import Database
from services.chassis.grpc_server import blocking_caller
from services.chassis.storage import ObjectStore
from services.hazards import handlers
from services.hazards.domain.registry import InvalidHazard

_CODES = [
    (handlers.NotFound, grpc.StatusCode.NOT_FOUND),
    (handlers.NotAllowed, grpc.StatusCode.FAILED_PRECONDITION),
    (handlers.Forbidden, grpc.StatusCode.PERMISSION_DENIED),
    (handlers.TooMany, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (InvalidHazard, grpc.StatusCode.INVALID_ARGUMENT),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
]
_call = blocking_caller(_CODES)
UPLOAD_TTL = timedelta(minutes=30)
VIEW_TTL = timedelta(minutes=15)


def _actor(a: hazards_pb2.Actor) -> handlers.Actor:
    return handlers.Actor(a.agency_id, a.user_id, a.town, tuple(a.roles))


def _body(text: str) -> dict:
    if not text:
        return {}
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidHazard("body_json is not JSON") from exc
    if not isinstance(body, dict):
        raise InvalidHazard("body_json must be an object")
    return body


def _view(value: dict) -> hazards_pb2.View:
    return hazards_pb2.View(json=json.dumps(value, ensure_ascii=False, default=str))


class HazardsServicer(hazards_pb2_grpc.HazardsServiceServicer):
    def __init__(
        self,
        database: Database,
        policy: handlers.Policy,
        presigner: ObjectStore | None,
        bucket: str,
    ) -> None:
        self._db = database
        self._policy = policy
        self._presigner = presigner
        self._bucket = bucket

    def _urls(self, out: dict) -> dict:
        """Each photo slot gets a presigned PUT bound to its SHA-256 (no other bytes fit)."""
        for slot in out.get("photo_uploads", []):
            if self._presigner is not None:
                slot["put_url"] = self._presigner.presigned_put_url(
                    self._bucket, slot["object_key"], UPLOAD_TTL, sha256_hex=slot["sha256"]
                )
        return out

    async def _cmd(self, context, fn, request, *extra):
        body = _body(request.body_json)
        out = await _call(context, fn, self._db, *extra, _actor(request.actor), request.id, body)
        return _view(out)

    async def ListChecklists(self, request, context):
        return _view(handlers.checklists())

    async def RegisterHazard(self, request, context):
        body = _body(request.body_json)
        out = await _call(
            context, handlers.register_command, self._db, self._policy, _actor(request.actor), body
        )
        return _view(self._urls(out))

    async def GetHazard(self, request, context):
        out = await _call(context, handlers.get_hazard, self._db, _actor(request.actor), request.id)
        # Short-lived links to show the photos in the app; the bucket stays private.
        for photo in out.get("photos", []):
            if self._presigner is not None:
                photo["url"] = self._presigner.presigned_get_url(
                    self._bucket, photo["object_key"], VIEW_TTL
                )
        return _view(out)

    async def ListHazards(self, request, context):
        return _view(
            await _call(
                context,
                handlers.list_hazards,
                self._db,
                _actor(request.actor),
                dict(request.params),
            )
        )

    async def GradeHazard(self, request, context):
        return await self._cmd(context, handlers.grade_hazard, request)

    async def IssueOrder(self, request, context):
        return await self._cmd(context, handlers.issue_order, request)

    async def SuperviseHazard(self, request, context):
        return await self._cmd(context, handlers.supervise, request)

    async def ReportRectification(self, request, context):
        out = await _call(
            context,
            handlers.report_rectification,
            self._db,
            _actor(request.actor),
            request.id,
            _body(request.body_json),
        )
        return _view(self._urls(out))

    async def Reinspect(self, request, context):
        out = await _call(
            context,
            handlers.reinspect,
            self._db,
            _actor(request.actor),
            request.id,
            _body(request.body_json),
        )
        return _view(self._urls(out))

    async def RenewPhotoUploads(self, request, context):
        out = await _call(
            context,
            handlers.renew_photo_uploads,
            self._db,
            _actor(request.actor),
            request.id,
            _body(request.body_json),
        )
        return _view(self._urls(out))

    async def ReviewSupervision(self, request, context):
        return await self._cmd(context, handlers.review_supervision, request)

    async def Escalate(self, request, context):
        return await self._cmd(context, handlers.escalate, request)

    async def IssueRectificationLink(self, request, context):
        return _view(
            await _call(
                context,
                handlers.issue_link,
                self._db,
                self._policy,
                _actor(request.actor),
                request.id,
            )
        )

    async def GetByLink(self, request, context):
        return _view(await _call(context, handlers.get_by_link, self._db, request.token))

    async def ReportByLink(self, request, context):
        out = await _call(
            context, handlers.report_by_link, self._db, request.token, _body(request.body_json)
        )
        return _view(self._urls(out))

    async def Overdue(self, request, context):
        return _view(
            await _call(
                context, handlers.overdue, self._db, _actor(request.actor), dict(request.params)
            )
        )

    async def Ledger(self, request, context):
        return _view(
            await _call(
                context, handlers.ledger, self._db, _actor(request.actor), dict(request.params)
            )
        )

    async def Stats(self, request, context):
        return _view(
            await _call(
                context, handlers.stats, self._db, _actor(request.actor), dict(request.params)
            )
        )

    async def MajorSummary(self, request, context):
        return _view(await _call(context, handlers.major_summary, self._db, dict(request.params)))

    async def SubmitReport(self, request, context):
        out = await _call(
            context,
            handlers.submit_report,
            self._db,
            self._policy,
            _body(request.body_json),
            request.address_key,
            request.device_key,
        )
        return _view(self._urls(out))

    async def ReportStatus(self, request, context):
        return _view(
            await _call(context, handlers.report_status, self._db, request.params.get("code", ""))
        )

    async def ListReports(self, request, context):
        return _view(
            await _call(
                context,
                handlers.list_reports,
                self._db,
                self._policy,
                _actor(request.actor),
                dict(request.params),
            )
        )

    async def GetReport(self, request, context):
        return _view(
            await _call(
                context,
                handlers.get_report,
                self._db,
                self._policy,
                _actor(request.actor),
                request.id,
            )
        )

    async def VerifyReport(self, request, context):
        return await self._cmd(context, handlers.verify_report, request, self._policy)

    async def ComputeReward(self, request, context):
        return await self._cmd(context, handlers.compute_reward, request, self._policy)

    async def PayReward(self, request, context):
        return await self._cmd(context, handlers.pay_reward, request, self._policy)


def servicers(database: Database, settings) -> list:
    policy = handlers.Policy.from_settings(settings)
    store = ObjectStore(
        settings.s3_endpoint,
        settings.s3_access_key,
        settings.s3_secret_key,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
    store.ensure_bucket(settings.photo_bucket)
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
    servicer = HazardsServicer(database, policy, presigner, settings.photo_bucket)
    return [(hazards_pb2_grpc.add_HazardsServiceServicer_to_server, servicer)]
