"""gRPC channels to the services, one per service for the life of the app."""

from __future__ import annotations

import asyncio

import grpc

from enforcement.calendar.v1 import calendar_pb2_grpc
from enforcement.disclosure.v1 import disclosure_pb2_grpc
from enforcement.documents.v1 import documents_pb2_grpc
from enforcement.gas.v1 import gas_pb2_grpc
from enforcement.hazard_sources.v1 import hazard_sources_pb2_grpc
from enforcement.hazards.v1 import hazards_pb2_grpc
from enforcement.overload.v1 import overload_pb2_grpc
from enforcement.records.v1 import records_pb2_grpc
from enforcement.review.v1 import review_pb2_grpc
from services.chassis.grpc_client import check_health, make_channel
from services.chassis.service_auth import ServiceTokenSigner


class ServiceClients:
    """With `signer`, every call carries a service token for its service (service_auth)."""

    def __init__(
        self, addrs: dict[str, str], timeout_s: float, signer: ServiceTokenSigner | None = None
    ) -> None:
        self.addrs = addrs
        self.channels: dict[str, grpc.aio.Channel] = {
            name: make_channel(
                addr,
                default_timeout=timeout_s,
                token=(lambda name=name: signer.token(name)) if signer is not None else None,
            )
            for name, addr in addrs.items()
        }
        self.records = records_pb2_grpc.RecordsServiceStub(self.channels["records"])
        review = self.channels.get("review")
        self.review = review_pb2_grpc.ReviewServiceStub(review) if review else None
        # the official calendar is kept by the review service
        self.calendar = calendar_pb2_grpc.CalendarServiceStub(review) if review else None
        gas = self.channels.get("gas")
        self.gas = gas_pb2_grpc.GasServiceStub(gas) if gas else None
        overload = self.channels.get("overload")
        self.overload = overload_pb2_grpc.OverloadServiceStub(overload) if overload else None
        sources = self.channels.get("hazard_sources")
        self.hazard_sources = (
            hazard_sources_pb2_grpc.HazardSourcesServiceStub(sources) if sources else None
        )
        hazards = self.channels.get("hazards")
        self.hazards = hazards_pb2_grpc.HazardsServiceStub(hazards) if hazards else None
        disclosure = self.channels.get("disclosure")
        self.disclosure = (
            disclosure_pb2_grpc.DisclosureServiceStub(disclosure) if disclosure else None
        )
        documents = self.channels.get("documents")
        self.documents = documents_pb2_grpc.DocumentsServiceStub(documents) if documents else None

    async def health(self) -> dict[str, bool]:
        names = list(self.channels)
        results = await asyncio.gather(
            *(check_health(self.channels[n], timeout=1.0) for n in names),
            return_exceptions=True,
        )
        return {n: r is True for n, r in zip(names, results, strict=True)}

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.channels.values()))
