"""OverloadService through real gRPC stubs."""

from __future__ import annotations

import hashlib
import os

import grpc
import httpx
import pytest

from enforcement.overload.v1 import overload_pb2, overload_pb2_grpc
from services.chassis.grpc_client import make_channel
from services.chassis.grpc_server import GrpcServer
from services.overload.grpc_api import OverloadServicer, servicers

from .conftest import AGENCY, weighing

pytestmark = pytest.mark.integration


@pytest.fixture
async def stub(overload_db):
    server = GrpcServer("127.0.0.1", 0, servicers(overload_db, None), [])
    port = await server.start()
    channel = make_channel(f"127.0.0.1:{port}", default_timeout=10)
    yield overload_pb2_grpc.OverloadServiceStub(channel)
    await channel.close()
    await server.stop(0)


async def test_a_station_weighs_and_an_officer_moves_the_inspection(stub):
    reply = await stub.RecordWeighing(weighing("102", plate="苏D66666"))
    assert reply.created and reply.verdict.hundred_tonne_king and reply.verdict.over_limit
    assert reply.inspection.status == "confirmed" and reply.verdict.fine_rule
    moved = await stub.AdvanceInspection(
        overload_pb2.AdvanceInspectionRequest(
            inspection_id=reply.inspection.inspection_id, agency_id=AGENCY, to_status="unloaded"
        )
    )
    assert moved.inspection.status == "unloaded"
    stats = await stub.GetStatistics(overload_pb2.GetStatisticsRequest(agency_id=AGENCY))
    assert sum(d.hundred_tonne_kings for d in stats.days) == 1
    assert stats.top_carriers[0].name == "常州某运输有限公司"


async def test_refusals_have_clear_codes(stub):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.RecordWeighing(weighing("40", plate="not a plate"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "licence plate" in err.value.details()
    reply = await stub.RecordWeighing(weighing("60", plate="苏D55555"))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.AdvanceInspection(
            overload_pb2.AdvanceInspectionRequest(
                inspection_id=reply.inspection.inspection_id, agency_id=AGENCY, to_status="released"
            )
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_a_photo_of_a_weighing_is_kept_only_when_its_bytes_match(overload_db, object_store):
    object_store.ensure_bucket("overload-evidence-tests")
    servicer = OverloadServicer(overload_db, object_store, object_store, "overload-evidence-tests")
    server = GrpcServer(
        "127.0.0.1", 0, [(overload_pb2_grpc.add_OverloadServiceServicer_to_server, servicer)], []
    )
    port = await server.start()
    channel = make_channel(f"127.0.0.1:{port}", default_timeout=10)
    stub = overload_pb2_grpc.OverloadServiceStub(channel)
    try:
        weighed = await stub.RecordWeighing(weighing("60", plate="苏D44444"))
        photo = os.urandom(30_000)
        slot = await stub.RequestPhotoSlot(
            overload_pb2.RequestPhotoSlotRequest(
                weighing_id=weighed.weighing_id, agency_id=AGENCY,
                sha256=hashlib.sha256(photo).hexdigest(), size=len(photo), media_type="image/jpeg",
            )
        )  # fmt: skip
        confirm = overload_pb2.ConfirmPhotoRequest(photo_id=slot.photo_id, agency_id=AGENCY)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.ConfirmPhoto(confirm)
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        async with httpx.AsyncClient() as http:
            # The URL is bound to the declared SHA-256: the S3 server refuses other bytes.
            assert (await http.put(slot.put_url, content=b"not the photo" * 10)).status_code == 400
        # Other bytes written past the URL (no checksum kept) are caught by reading them.
        upload_key = slot.put_url.split("/overload-evidence-tests/", 1)[1].split("?", 1)[0]
        object_store.put_bytes("overload-evidence-tests", upload_key, os.urandom(len(photo)))
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.ConfirmPhoto(confirm)
        async with httpx.AsyncClient() as http:
            assert (await http.put(slot.put_url, content=photo)).status_code == 200
        done = await stub.ConfirmPhoto(confirm)
        # Sealed under a key no upload URL named.
        assert done.status == "attached"
        assert done.object_key == f"attached/{upload_key}"
        assert object_store.stat("overload-evidence-tests", upload_key) is None
        sealed = object_store.stat("overload-evidence-tests", done.object_key)
        assert sealed is not None and sealed.content_type == "image/jpeg"
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.RequestPhotoSlot(
                overload_pb2.RequestPhotoSlotRequest(
                    weighing_id=weighed.weighing_id, agency_id="elsewhere",
                    sha256="a" * 64, size=10, media_type="image/jpeg",
                )
            )  # fmt: skip
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    finally:
        await channel.close()
        await server.stop(0)


async def test_an_inspection_awaiting_confirmation_is_listed_first_with_its_file(stub):
    waiting = await stub.RecordWeighing(weighing("60", plate="苏D70001", officers=()))
    assert waiting.inspection.status == "weighed"
    confirmed = await stub.RecordWeighing(weighing("61", plate="苏D70002"))
    assert confirmed.inspection.status == "confirmed"
    listed = await stub.ListInspections(
        overload_pb2.ListInspectionsRequest(agency_id=AGENCY, open_only=True)
    )
    ids = [s.inspection.inspection_id for s in listed.inspections]
    assert ids[0] == waiting.inspection.inspection_id
    assert confirmed.inspection.inspection_id in ids
    assert listed.inspections[0].town == "罗溪镇"
    other = await stub.ListInspections(overload_pb2.ListInspectionsRequest(agency_id="other"))
    assert not other.inspections

    file = await stub.GetInspectionFile(
        overload_pb2.GetInspectionFileRequest(
            inspection_id=waiting.inspection.inspection_id, agency_id=AGENCY
        )
    )
    assert [w.weighing_id for w in file.weighings] == [waiting.weighing_id]
    assert file.static_weighing_id == waiting.weighing_id
    assert file.weighings[0].verdict.over_limit and file.weighings[0].verdict.rules_description
    assert not file.confirmed_by
    done = await stub.GetInspectionFile(
        overload_pb2.GetInspectionFileRequest(
            inspection_id=confirmed.inspection.inspection_id, agency_id=AGENCY
        )
    )
    assert {o.officer_id for o in done.confirmed_by} == {"u-zhang", "u-li"}
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetInspectionFile(
            overload_pb2.GetInspectionFileRequest(
                inspection_id=waiting.inspection.inspection_id, agency_id="other"
            )
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
