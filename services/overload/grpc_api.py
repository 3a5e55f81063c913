"""OverloadService over gRPC: proto <-> handlers, nothing more."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import grpc

from enforcement.common.v1 import common_pb2
from enforcement.overload.v1 import overload_pb2, overload_pb2_grpc
from services.chassis.db import Database, as_utc
from services.chassis.grpc_server import blocking_caller
from services.chassis.storage import ObjectStore
from services.chassis.workdays import china_date
from services.overload import handlers, photos, reports
from services.overload.config import Settings
from services.overload.domain.competence import UnknownPower
from services.overload.domain.inspection import IllegalStep, OfficersMissing
from services.overload.domain.rules import RULE_SETS, InvalidWeighing

_CODES: list[tuple[type[Exception], grpc.StatusCode]] = [
    (handlers.NotFound, grpc.StatusCode.NOT_FOUND),
    (photos.NotFound, grpc.StatusCode.NOT_FOUND),
    (reports.NotFound, grpc.StatusCode.NOT_FOUND),
    (photos.PhotoMismatch, grpc.StatusCode.FAILED_PRECONDITION),
    (IllegalStep, grpc.StatusCode.FAILED_PRECONDITION),
    (InvalidWeighing, grpc.StatusCode.INVALID_ARGUMENT),
    (OfficersMissing, grpc.StatusCode.INVALID_ARGUMENT),
    (UnknownPower, grpc.StatusCode.FAILED_PRECONDITION),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
]


_call = blocking_caller(_CODES)
MAX_STATISTICS_DAYS = 731  # two years of station-days per answer


def verdict_to_pb(v: dict) -> overload_pb2.Verdict:
    """A stored verdict of any rules version: fields a version did not have read empty."""
    return overload_pb2.Verdict(
        rules_version=v["rules_version"],
        limit_t=v["limit_t"],
        limit_basis=v["limit_basis"],
        adjustments=v["adjustments"],
        measured_t=v["measured_t"],
        tolerance_t=v["tolerance_t"],
        over_t=v["over_t"],
        over_limit=v["over_limit"],
        suspicion_only=v["suspicion_only"],
        fine_yuan=v["fine_yuan"],
        fine_rule=v["fine_rule"],
        overload_percent=v["overload_percent"] or "",
        overload_fine_yuan=v["overload_fine_yuan"],
        overload_rule=v["overload_rule"],
        size_violations=v["size_violations"],
        hundred_tonne_king=v["hundred_tonne_king"],
        notes=v["notes"],
        fine_reading=v.get("fine_reading", ""),
        fine_reading_source=v.get("fine_reading_source", ""),
        axle_findings=v.get("axle_findings", []),
        axle_over=v.get("axle_over", False),
        size_fine_yuan=v.get("size_fine_yuan", 0),
        size_rule=v.get("size_rule", ""),
        permit_no=v.get("permit_no", ""),
        overload_load_t=v.get("overload_load_t") or "",
        mass_over_limit=v.get("mass_over_limit", v["over_limit"]),
        rules_description=RULE_SETS.get(v["rules_version"], ""),
    )


PHOTO_LINK_TTL = timedelta(minutes=10)


def _summary(row, station_name: str) -> overload_pb2.InspectionSummary:
    return overload_pb2.InspectionSummary(
        inspection=inspection_to_pb(row), town=row.town or "", station_name=station_name
    )


def inspection_to_pb(row) -> overload_pb2.Inspection:
    msg = overload_pb2.Inspection(
        inspection_id=row.inspection_id,
        plate=row.plate,
        station_id=row.station_id,
        agency_id=row.agency_id,
        status=row.status,
        last_verdict=verdict_to_pb(row.last_verdict),
        hundred_tonne_king=row.hundred_tonne_king,
    )
    msg.opened_at.FromDatetime(as_utc(row.opened_at))
    msg.updated_at.FromDatetime(as_utc(row.updated_at))
    return msg


def report_to_pb(r) -> overload_pb2.Report:
    today = china_date()
    return overload_pb2.Report(
        report_id=r.report_id,
        case_id=r.case_id,
        weighing_id=r.weighing_id,
        role=r.role,
        plate=r.plate,
        closed_on=r.closed_on.isoformat(),
        due_date=r.due_date.isoformat(),
        overdue=r.sent_on is None and r.due_date < today,
        sent_on=r.sent_on.isoformat() if r.sent_on else "",
        sent_by=r.sent_by or "",
        due_date_provisional=r.due_provisional,
    )


def referral_to_pb(row, photo_keys: list[str]) -> overload_pb2.Referral:
    today = china_date()
    return overload_pb2.Referral(
        referral_id=row.referral_id,
        inspection_id=row.inspection_id,
        weighing_id=row.weighing_id,
        plate=row.plate,
        to_power=row.to_power,
        to_agency=row.to_agency,
        matters=row.matters,
        basis=row.basis,
        status=row.status,
        sent_on=row.sent_on.isoformat(),
        due_date=row.due_date.isoformat(),
        overdue=row.status == "sent" and row.due_date < today,
        acknowledged_on=row.acknowledged_on.isoformat() if row.acknowledged_on else "",
        acknowledged_by=row.acknowledged_by or "",
        acknowledgement_ref=row.acknowledgement_ref or "",
        photo_keys=photo_keys,
        facts=row.facts,
        own_fine_yuan=row.own_fine_yuan,
        own_fine_basis=row.own_fine_basis,
    )


def _count(r) -> overload_pb2.Count:
    return overload_pb2.Count(key=r.key, name=r.name or "", count=r.n)


class OverloadServicer(overload_pb2_grpc.OverloadServiceServicer):
    def __init__(
        self,
        database: Database,
        store: ObjectStore | None = None,
        presigner: ObjectStore | None = None,
        bucket: str = "overload-evidence",
        policy: handlers.Policy | None = None,
    ) -> None:
        self._db = database
        self._policy = policy or handlers.Policy()
        self._store = store
        self._presigner = presigner or store
        self._bucket = bucket

    async def ListReferrals(self, request, context):
        rows = await _call(
            context, handlers.list_referrals, self._db, request.agency_id, request.open_only
        )
        return overload_pb2.ListReferralsResponse(
            referrals=[referral_to_pb(r, keys) for r, keys in rows]
        )

    async def AcknowledgeReferral(self, request, context):
        row, keys = await _call(
            context,
            handlers.acknowledge_referral,
            self._db,
            referral_id=request.referral_id,
            agency_id=request.agency_id,
            actor_id=request.actor_id,
            reference=request.reference,
            acknowledged_on=request.acknowledged_on,
        )
        return overload_pb2.AcknowledgeReferralResponse(referral=referral_to_pb(row, keys))

    async def ListReports(self, request, context):
        rows = await _call(
            context, reports.list_reports, self._db, request.agency_id, request.open_only
        )
        return overload_pb2.ListReportsResponse(reports=[report_to_pb(r) for r in rows])

    async def MarkReportSent(self, request, context):
        row = await _call(
            context,
            reports.mark_sent,
            self._db,
            report_id=request.report_id,
            agency_id=request.agency_id,
            actor_id=request.actor_id,
        )
        return overload_pb2.MarkReportSentResponse(report=report_to_pb(row))

    async def RequestPhotoSlot(self, request, context):
        if self._presigner is None:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "object storage is not configured")
        photo_id, url = await _call(
            context,
            photos.request_slot,
            self._db,
            self._presigner,
            self._bucket,
            weighing_id=request.weighing_id,
            agency_id=request.agency_id,
            station_id=request.station_id,
            device_agency_id=request.device_agency_id,
            sha256=request.sha256,
            size=request.size,
            media_type=request.media_type,
        )
        return overload_pb2.RequestPhotoSlotResponse(
            photo_id=photo_id, put_url=url, status="pending"
        )

    async def ConfirmPhoto(self, request, context):
        if self._store is None:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "object storage is not configured")
        status, key = await _call(
            context,
            photos.confirm,
            self._db,
            self._store,
            self._bucket,
            photo_id=request.photo_id,
            agency_id=request.agency_id,
            station_id=request.station_id,
            device_agency_id=request.device_agency_id,
        )
        return overload_pb2.ConfirmPhotoResponse(
            photo_id=request.photo_id, status=status, object_key=key
        )

    async def UpsertStation(self, request, context):
        station = await _call(context, handlers.upsert_station, self._db, request.station)
        return overload_pb2.UpsertStationResponse(station=station)

    async def GetStation(self, request, context):
        row = await _call(
            context, handlers.get_station, self._db, request.station_id, request.agency_id
        )
        return overload_pb2.GetStationResponse(
            station=overload_pb2.Station(
                station_id=row.station_id,
                name=row.name,
                kind=row.kind,
                agency_id=row.agency_id,
                town=row.town or "",
            )
        )

    async def ListStations(self, request, context):
        rows = await _call(
            context, handlers.list_stations, self._db, request.agency_id, request.town
        )
        return overload_pb2.ListStationsResponse(
            stations=[
                overload_pb2.Station(
                    station_id=r.station_id, name=r.name, kind=r.kind, agency_id=r.agency_id,
                    town=r.town or "",
                    scale=overload_pb2.ScaleInfo(
                        kind=r.scale_kind, accuracy_class=r.accuracy_class,
                        interval_kg=r.interval_kg,
                        verified_on=r.verified_on.isoformat() if r.verified_on else "",
                    ),
                )
                for r in rows
            ]
        )  # fmt: skip

    async def RecordWeighing(self, request, context):
        weighing_id, verdict, inspection, created = await _call(
            context, handlers.record_weighing, self._db, request, self._policy
        )
        reply = overload_pb2.RecordWeighingResponse(
            weighing_id=weighing_id, verdict=verdict_to_pb(verdict), created=created
        )
        if inspection is not None:
            reply.inspection.CopyFrom(inspection_to_pb(inspection))
        return reply

    async def AdvanceInspection(self, request, context):
        row = await _call(
            context,
            handlers.advance,
            self._db,
            inspection_id=request.inspection_id,
            agency_id=request.agency_id,
            to_status=request.to_status,
            officers=list(request.officers),
            actor_id=request.actor_id,
            policy=self._policy,
        )
        return overload_pb2.AdvanceInspectionResponse(inspection=inspection_to_pb(row))

    async def GetInspection(self, request, context):
        row = await _call(context, handlers.get, self._db, request.inspection_id, request.agency_id)
        return overload_pb2.GetInspectionResponse(inspection=inspection_to_pb(row))

    async def ListInspections(self, request, context):
        rows = await _call(
            context,
            handlers.list_inspections,
            self._db,
            request.agency_id,
            request.open_only,
            request.limit or 100,
        )
        return overload_pb2.ListInspectionsResponse(
            inspections=[_summary(r, r.station_name or "") for r in rows]
        )

    async def GetInspectionFile(self, request, context):
        row, station, weighings, photo_rows = await _call(
            context, handlers.inspection_file, self._db, request.inspection_id, request.agency_id
        )
        reply = overload_pb2.GetInspectionFileResponse(
            summary=_summary(row, station.name if station is not None else ""),
            static_weighing_id=row.static_weighing_id or "",
            confirmed_by=[common_pb2.Officer(**o) for o in (row.confirmed_by or [])],
        )
        by_weighing: dict[str, list] = {}
        for p in photo_rows:
            by_weighing.setdefault(p.weighing_id, []).append(p)
        presigner = self._presigner
        # The SDK may ask the S3 server for the bucket's region: not on the event loop.
        urls = await asyncio.to_thread(
            lambda: (
                {
                    p.photo_id: presigner.presigned_get_url(
                        self._bucket, p.object_key, PHOTO_LINK_TTL
                    )
                    for p in photo_rows
                }
                if presigner is not None
                else {}
            )
        )
        for w in weighings:
            record = reply.weighings.add(
                weighing_id=w.weighing_id,
                scale_kind=w.scale_kind,
                gross_t=w.gross_t,
                verdict=verdict_to_pb(w.verdict),
                recorded_by=w.recorded_by,
            )
            record.weighed_at.FromDatetime(as_utc(w.weighed_at))
            for p in by_weighing.get(w.weighing_id, []):
                record.photos.add(
                    photo_id=p.photo_id,
                    media_type=p.media_type,
                    sha256=p.sha256,
                    url=urls.get(p.photo_id, ""),
                )
        return reply

    async def GetStatistics(self, request, context):
        today = china_date()  # weighings are counted by their day in China (UTC+8)
        try:
            day_to = date.fromisoformat(request.date_to) if request.date_to else today
            day_from = (
                date.fromisoformat(request.date_from)
                if request.date_from
                else day_to - timedelta(days=30)
            )
        except (ValueError, OverflowError):  # 0001-01-01 minus 30 days overflows
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                "dates are YYYY-MM-DD, date_to at least a month after 0001-01-01",
            )
        if day_from > day_to:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "date_from is after date_to")
        if (day_to - day_from).days > MAX_STATISTICS_DAYS:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"at most {MAX_STATISTICS_DAYS} days at a time; ask for the years one by one",
            )
        days, carriers, sources = await _call(
            context,
            handlers.statistics,
            self._db,
            request.agency_id,
            day_from,
            day_to,
            request.town,
        )
        return overload_pb2.GetStatisticsResponse(
            days=[
                overload_pb2.StationDay(
                    station_id=d.station_id,
                    day=d.day.isoformat() if hasattr(d.day, "isoformat") else str(d.day),
                    weighed=d.weighed,
                    suspected=d.suspected or 0,
                    confirmed=d.confirmed or 0,
                    hundred_tonne_kings=d.kings or 0,
                )
                for d in days
            ],
            top_carriers=[_count(r) for r in carriers],
            top_loading_sources=[_count(r) for r in sources],
        )

    async def ListRepeatOffenders(self, request, context):
        vehicles, carriers, sources = await _call(
            context, handlers.repeat_offenders, self._db, request.agency_id, request.town
        )
        return overload_pb2.ListRepeatOffendersResponse(
            vehicles=[_count(r) for r in vehicles],
            carriers=[_count(r) for r in carriers],
            loading_sources=[_count(r) for r in sources],
        )


def servicers(database: Database, settings: Settings | None) -> list:
    if settings is None:  # tests without object storage
        return [
            (overload_pb2_grpc.add_OverloadServiceServicer_to_server, OverloadServicer(database))
        ]
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
    store.ensure_bucket(settings.evidence_bucket)
    servicer = OverloadServicer(
        database,
        store,
        presigner,
        settings.evidence_bucket,
        policy=handlers.Policy.from_settings(settings),
    )
    return [(overload_pb2_grpc.add_OverloadServiceServicer_to_server, servicer)]
