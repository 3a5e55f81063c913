"""DisclosureService over gRPC: proto <-> handlers, nothing more."""

from __future__ import annotations

import grpc

from enforcement.disclosure.v1 import disclosure_pb2, disclosure_pb2_grpc
from services.chassis.db import Database, as_utc
from services.chassis.grpc_server import blocking_caller
from services.disclosure import handlers
from services.disclosure.config import Settings
from services.disclosure.domain.publication import Authority, JointRules, Period
from services.disclosure.domain.redaction import Tagger

_CODES: list[tuple[type[Exception], grpc.StatusCode]] = [
    (handlers.NotFound, grpc.StatusCode.NOT_FOUND),
    (ValueError, grpc.StatusCode.INVALID_ARGUMENT),
]


_call = blocking_caller(_CODES)


def disclosure_to_pb(row) -> disclosure_pb2.Disclosure:
    fields = {k: v for k, v in row.fields.items() if k != "min_end"}
    msg = disclosure_pb2.Disclosure(
        **fields,
        disclosure_id=row.disclosure_id,
        domain=row.domain,
        status=row.status,
        withdrawal_reason=row.withdrawal_reason or "",
        agency_id=row.agency_id,
    )
    msg.published_at.FromDatetime(as_utc(row.published_at))
    if row.withdrawn_at is not None:
        msg.withdrawn_at.FromDatetime(as_utc(row.withdrawn_at))
    return msg


class DisclosureServicer(disclosure_pb2_grpc.DisclosureServiceServicer):
    def __init__(self, database: Database, settings: Settings) -> None:
        self._db = database
        self._settings = settings

    async def SearchDisclosures(self, request, context):
        rows, cursor = await _call(context, handlers.search, self._db, request)
        return disclosure_pb2.SearchDisclosuresResponse(
            disclosures=[disclosure_to_pb(r) for r in rows], next_cursor=cursor
        )

    async def GetDisclosure(self, request, context):
        row = await _call(context, handlers.get, self._db, request.disclosure_id)
        return disclosure_pb2.GetDisclosureResponse(disclosure=disclosure_to_pb(row))

    async def RequestCreditRepair(self, request, context):
        approved, decision = await _call(
            context,
            handlers.credit_repair,
            self._db,
            disclosure_id=request.disclosure_id,
            credit_code=request.credit_code,
            reason=request.reason,
        )
        return disclosure_pb2.RequestCreditRepairResponse(approved=approved, decision=decision)

    async def CheckJointPunishment(self, request, context):
        rows = await _call(context, handlers.joint_entries, self._db, request.credit_code)
        return disclosure_pb2.CheckJointPunishmentResponse(
            listed=bool(rows),
            entries=[
                disclosure_pb2.JointPunishmentEntry(
                    credit_code=r.credit_code,
                    party_name=r.party_name,
                    reason=r.reason,
                    listed_on=r.listed_on.isoformat(),
                    listed_until=r.listed_until.isoformat(),
                    decision_nos=[r.decision_no],
                )
                for r in rows
            ],
        )

    async def ListWithheld(self, request, context):
        if not request.agency_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "agency_id is required")
        rows = await _call(context, handlers.withheld, self._db, request.agency_id)
        out = disclosure_pb2.ListWithheldResponse()
        for r in rows:
            item = out.withheld.add(case_id=r.case_id, decision_no=r.decision_no, reason=r.reason)
            item.recorded_at.FromDatetime(as_utc(r.recorded_at))
        return out

    async def ListLate(self, request, context):
        rows = await _call(
            context,
            handlers.late,
            self._db,
            request.agency_id,
            self._settings.deadline_working_days,
        )
        return disclosure_pb2.ListLateResponse(
            late=[
                disclosure_pb2.LateDisclosure(
                    case_id=r.case_id,
                    decision_no=r.decision_no,
                    decision_date=r.decision_date.isoformat(),
                    due_date=r.due_date.isoformat(),
                    published_at=as_utc(r.published_at).isoformat(),
                    status=r.status,
                    due_date_provisional=r.due_provisional,
                )
                for r in rows
            ]
        )

    async def ListPublications(self, request, context):
        rows = await _call(
            context,
            handlers.publications,
            self._db,
            request.agency_id,
            request.date_from,
            request.date_to,
        )
        limit = self._settings.deadline_working_days
        out = disclosure_pb2.ListPublicationsResponse(deadline_working_days=limit)
        for r in rows:
            item = out.publications.add(
                case_id=r.case_id, decision_no=r.decision_no,
                decision_date=r.decision_date.isoformat(), due_date=r.due_date.isoformat(),
                working_days_to_publish=r.working_days_to_publish,
                on_time=r.working_days_to_publish <= limit, status=r.status,
                due_date_provisional=r.due_provisional, party_name=r.party_name,
            )  # fmt: skip
            item.published_at.FromDatetime(as_utc(r.published_at))
        return out


def policy_of(settings: Settings, tagger: Tagger | None = None) -> handlers.Policy:
    period = Period(settings.min_publication_months, settings.max_publication_months)
    return handlers.Policy(
        tagger=tagger,
        authorities={k: Authority(*v) for k, v in settings.authorities.items()},
        periods=dict.fromkeys(handlers.DEFAULT_PERIODS, period),
        joint=JointRules(
            repeat_count=settings.joint_repeat_count,
            repeat_window_days=settings.joint_repeat_window_days,
            period_months=settings.joint_period_months,
        ),
        deadline_days=settings.deadline_working_days,
    )


def servicers(database: Database, settings: Settings) -> list:
    return [
        (
            disclosure_pb2_grpc.add_DisclosureServiceServicer_to_server,
            DisclosureServicer(database, settings),
        )
    ]
