"""ReviewService through real gRPC stubs against an in-process server."""

from __future__ import annotations

import grpc
import pytest

from enforcement.records.v1 import records_pb2
from enforcement.review.v1 import review_pb2, review_pb2_grpc
from services.chassis.events import parse_envelope, unpack
from services.chassis.grpc_client import make_channel
from services.chassis.grpc_server import GrpcServer
from services.review.config import Settings
from services.review.domain.tasks import CHECKLIST_KEYS
from services.review.grpc_api import servicers

from .conftest import AGENCY, deliver, outcomes, proposed

pytestmark = pytest.mark.integration


@pytest.fixture
async def stub(review_db, db_url):
    settings = Settings(database_url=db_url)
    server = GrpcServer("127.0.0.1", 0, servicers(review_db, settings), [])
    port = await server.start()
    channel = make_channel(f"127.0.0.1:{port}", default_timeout=10)
    yield review_pb2_grpc.ReviewServiceStub(channel)
    await channel.close()
    await server.stop(0)


def items(**failed: str) -> list[review_pb2.CheckItem]:
    return [
        review_pb2.CheckItem(item=k, passed=k not in failed, comment=failed.get(k, ""))
        for k in CHECKLIST_KEYS
    ]


async def test_a_reviewer_works_a_major_case_over_grpc(stub, review_db):
    await stub.RegisterReviewer(
        review_pb2.RegisterReviewerRequest(reviewer_id="u-rev", agency_id=AGENCY, name="法制员")
    )
    event = proposed(fine_yuan=200_000, discretion=records_pb2.Discretion(
        benchmark_id="aq-99-safety-equipment", circumstance="serious"))  # fmt: skip
    deliver(review_db, event)
    case_id = unpack(parse_envelope(event.payload), records_pb2.PenaltyProposed).case.case_id
    mine = await stub.ListTasks(
        review_pb2.ListTasksRequest(agency_id=AGENCY, reviewer_id="u-rev", open_only=True)
    )
    [task] = [t for t in mine.tasks if t.case_id == case_id]
    assert task.major and task.status == "assigned" and task.placement.finding == "within-band"
    assert task.due_date and not task.overdue
    detail = await stub.GetTask(
        review_pb2.GetTaskRequest(review_id=task.review_id, agency_id=AGENCY)
    )
    assert detail.task.proposal_json and list(detail.previous_rounds) == []
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.CompleteReview(
            review_pb2.CompleteReviewRequest(
                review_id=task.review_id, agency_id=AGENCY, reviewer_id="u-rev",
                outcome="approved", checklist=items(evidence="缺照片"), opinion="同意",
            )
        )  # fmt: skip
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # bad input, not a state
    done = await stub.CompleteReview(
        review_pb2.CompleteReviewRequest(
            review_id=task.review_id, agency_id=AGENCY, reviewer_id="u-rev",
            outcome="approved", checklist=items(), opinion="经审核, 同意",
        )
    )  # fmt: skip
    assert done.created and done.task.status == "approved"
    assert [o.outcome for o in outcomes(review_db, case_id)] == ["approved"]
    stats = await stub.GetStatistics(review_pb2.GetStatisticsRequest(agency_id=AGENCY))
    assert stats.completed == 1 and stats.approval_rate == 1.0


async def test_another_agency_sees_no_task(stub, review_db):
    event = proposed(kinds=["closure"], fine_yuan=0)
    deliver(review_db, event)
    tasks = await stub.ListTasks(review_pb2.ListTasksRequest(agency_id=AGENCY))
    review_id = tasks.tasks[0].review_id
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetTask(review_pb2.GetTaskRequest(review_id=review_id, agency_id="elsewhere"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
