"""RecordsService over gRPC: proto <-> handlers, nothing more."""

from __future__ import annotations

import asyncio

import grpc

from enforcement.records.v1 import records_pb2, records_pb2_grpc
from services.chassis.db import Database
from services.records import handlers
from services.records.domain.cases import InvalidCase
from services.records.domain.parties import InvalidParty
from services.records.messages import BadRequest, case_to_pb, open_case_from_pb


class RecordsServicer(records_pb2_grpc.RecordsServiceServicer):
    def __init__(self, database: Database) -> None:
        self._db = database

    async def OpenCase(self, request, context):
        try:
            cmd = open_case_from_pb(request)
            case, created = await asyncio.to_thread(handlers.open_inspection_case, self._db, cmd)
        except (BadRequest, InvalidCase, InvalidParty) as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return records_pb2.OpenCaseResponse(case=case_to_pb(case), created=created)

    async def GetCase(self, request, context):
        case = await asyncio.to_thread(handlers.get_case, self._db, request.case_id)
        if case is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"case {request.case_id} not found")
        return records_pb2.GetCaseResponse(case=case_to_pb(case))

    async def ListCases(self, request, context):
        if not request.agency_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "agency_id is required")
        try:
            cases, token = await asyncio.to_thread(
                handlers.list_cases,
                self._db,
                agency_id=request.agency_id,
                town=request.town or None,
                page_size=request.page_size,
                page_token=request.page_token or None,
            )
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        return records_pb2.ListCasesResponse(
            cases=[case_to_pb(c) for c in cases], next_page_token=token or ""
        )


def servicers(database: Database, _settings: object) -> list:
    return [(records_pb2_grpc.add_RecordsServiceServicer_to_server, RecordsServicer(database))]
