"""DisclosureService through real gRPC stubs: what other services and the gateway call."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest

from enforcement.disclosure.v1 import disclosure_pb2, disclosure_pb2_grpc
from services.chassis.grpc_client import make_channel
from services.chassis.grpc_server import GrpcServer
from services.disclosure.config import Settings
from services.disclosure.grpc_api import servicers

from .conftest import decided, deliver

pytestmark = pytest.mark.integration


@pytest.fixture
async def stub(disclosure_db, db_url):
    server = GrpcServer("127.0.0.1", 0, servicers(disclosure_db, Settings(database_url=db_url)), [])
    port = await server.start()
    channel = make_channel(f"127.0.0.1:{port}", default_timeout=10)
    yield disclosure_pb2_grpc.DisclosureServiceStub(channel)
    await channel.close()
    await server.stop(0)


async def test_other_services_ask_for_the_joint_punishment_list_by_credit_code(stub, disclosure_db):
    code = "91320411MA3ZZZZZ7"
    deliver(disclosure_db, decided(company=("某被吊销企业", code), kinds=("licence-revocation",)))
    reply = await stub.CheckJointPunishment(
        disclosure_pb2.CheckJointPunishmentRequest(credit_code=code)
    )
    assert reply.listed and "吊销许可证件" in reply.entries[0].reason
    clean = await stub.CheckJointPunishment(
        disclosure_pb2.CheckJointPunishmentRequest(credit_code="914403001922038216")
    )
    assert not clean.listed


async def test_search_get_credit_repair_and_late_over_grpc(stub, disclosure_db):
    deliver(disclosure_db, decided(decided_at=datetime(2026, 9, 30, 2, tzinfo=UTC)))
    found = await stub.SearchDisclosures(
        disclosure_pb2.SearchDisclosuresRequest(date_from="2026-09-30", date_to="2026-09-30")
    )
    [d] = found.disclosures
    one = await stub.GetDisclosure(
        disclosure_pb2.GetDisclosureRequest(disclosure_id=d.disclosure_id)
    )
    assert one.disclosure.decision_no == d.decision_no and one.disclosure.status == "published"
    repair = await stub.RequestCreditRepair(
        disclosure_pb2.RequestCreditRepairRequest(
            disclosure_id=d.disclosure_id, credit_code=d.credit_code, reason="已全部整改"
        )
    )
    assert not repair.approved and "minimum publication period" in repair.decision
    late = await stub.ListLate(disclosure_pb2.ListLateRequest(agency_id="xinbei-yjj"))
    assert d.decision_no in {x.decision_no for x in late.late}
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.SearchDisclosures(disclosure_pb2.SearchDisclosuresRequest(date_from="soon"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
