"""Legal review routes through the gateway, against the real review service."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from enforcement.records.v1 import records_pb2
from gateway import db as gwdb
from gateway.app import create_app
from gateway.config import Settings as GatewaySettings
from gateway.security.principals import Role
from gateway.security.tokens import TokenService
from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import parse_envelope, unpack
from services.chassis.grpc_server import GrpcServer
from services.review.config import Settings as ReviewSettings
from services.review.domain.tasks import CHECKLIST_KEYS
from services.review.grpc_api import servicers
from tests.gateway.conftest import SECRET
from tests.review.conftest import MIGRATIONS, deliver, proposed

pytestmark = pytest.mark.integration

GATEWAY_MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"
USERS = {
    "reviewer": ((Role.legal_reviewer,), "xinbei-yjj"),
    "far_reviewer": ((Role.legal_reviewer,), "wujin-yjj"),
    "officer": ((Role.officer,), "xinbei-yjj"),
    "supervisor": ((Role.supervisor,), "xinbei-yjj"),
}


@pytest.fixture
async def api(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'review.db'}")
    migrate(engine, MIGRATIONS)
    review_db = Database(engine)
    gw = f"sqlite:///{tmp_path / 'gateway.db'}"
    gw_db = Database(make_engine(gw))
    migrate(gw_db.engine, GATEWAY_MIGRATIONS)
    tokens = TokenService(SECRET, "i", "a")
    headers = {}
    with gw_db.unit_of_work() as uow:
        for name, (roles, agency) in USERS.items():
            gwdb.create_user(
                uow.conn, username=name, password="correct horse battery", display_name=name,
                roles=roles, agency_id=agency, town=None,
                certificate_no="1" if Role.officer in roles else None, user_id=f"u-{name}",
            )  # fmt: skip
        uow.commit()
    with gw_db.read() as conn:
        for name in USERS:
            token, _ = tokens.issue_access(gwdb.get_user(conn, f"u-{name}").to_principal())
            headers[name] = {"Authorization": f"Bearer {token}"}
    server = GrpcServer(
        "127.0.0.1", 0, servicers(review_db, ReviewSettings(database_url=str(engine.url))), []
    )
    port = await server.start()
    app = create_app(
        GatewaySettings(
            database_url=gw, jwt_secret=SECRET, jwt_issuer="i", jwt_audience="a",
            review_addr=f"127.0.0.1:{port}",
        )
    )  # fmt: skip
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway", timeout=30
            ) as http,
        ):
            yield http, headers, review_db
    finally:
        await server.stop(0)
        review_db.dispose()
        gw_db.dispose()


def checklist(**failed: str) -> list[dict]:
    return [
        {"item": k, "passed": k not in failed, "comment": failed.get(k, "")} for k in CHECKLIST_KEYS
    ]


async def test_a_reviewer_works_the_queue_and_a_supervisor_sees_the_figures(api):
    http, h, review_db = api
    assert (await http.get("/v1/reviews/mine", headers=h["reviewer"])).json()["tasks"] == []
    event = proposed(kinds=["closure"], fine_yuan=0)
    deliver(review_db, event)
    case_id = unpack(parse_envelope(event.payload), records_pb2.PenaltyProposed).case.case_id
    [task] = (await http.get("/v1/reviews/mine", headers=h["reviewer"])).json()["tasks"]
    assert task["case_id"] == case_id and task["major"] and task["status"] == "assigned"
    refused = await http.post(
        f"/v1/reviews/{task['review_id']}/outcome",
        json={"outcome": "approved", "checklist": checklist(facts="事实不清"), "opinion": "同意"},
        headers=h["reviewer"],
    )
    # Approving with a failed item is bad input (422), not a state conflict.
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["loc"] for e in refused.json()["errors"]] == [["body", "outcome"]]
    returned = await http.post(
        f"/v1/reviews/{task['review_id']}/outcome",
        json={
            "outcome": "returned",
            "checklist": checklist(facts="事实不清"),
            "opinion": "退回补充调查",
        },
        headers=h["reviewer"],
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    stats = (await http.get("/v1/reviews/stats", headers=h["supervisor"])).json()
    assert stats["completed"] == 1 and stats["return_reasons"] == [{"key": "facts", "count": 1}]


async def test_review_routes_are_for_their_roles_and_agency(api):
    http, h, review_db = api
    event = proposed(kinds=["closure"], fine_yuan=0)
    deliver(review_db, event)
    await http.get("/v1/reviews/mine", headers=h["reviewer"])
    assert (await http.get("/v1/reviews/mine", headers=h["officer"])).status_code == 403
    assert (await http.get("/v1/reviews/stats", headers=h["reviewer"])).status_code == 403
    tasks = (await http.get("/v1/reviews", headers=h["supervisor"])).json()["tasks"]
    review_id = tasks[0]["review_id"]
    far = await http.post(
        f"/v1/reviews/{review_id}/outcome",
        json={"outcome": "approved", "checklist": checklist(), "opinion": "同意"},
        headers=h["far_reviewer"],
    )
    assert far.status_code == 404
    bad = await http.post(
        f"/v1/reviews/{review_id}/outcome",
        json={"outcome": "maybe", "checklist": checklist(), "opinion": "?"},
        headers=h["reviewer"],
    )
    assert bad.status_code == 422


async def test_deadlines_list_the_open_reviews_and_name_the_services_that_did_not_answer(api):
    http, h, review_db = api
    deliver(review_db, proposed(kinds=["closure"], fine_yuan=0))
    await http.get("/v1/reviews/mine", headers=h["reviewer"])  # assigned
    assert (await http.get("/v1/stats/deadlines", headers=h["officer"])).status_code == 403
    answer = await http.get("/v1/stats/deadlines?within=10", headers=h["supervisor"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # Only the review service runs here: the others' parts are missing, and said to be.
    assert body["unavailable"] == ["disclosure", "overload", "records"]
    [review] = [i for i in body["items"] if i["kind"] == "review"]
    assert review["state"] == "due_soon" and 0 < review["working_days_left"] <= 10
    counts = {c["kind"]: c for c in body["counts"]}
    assert counts["review"]["open"] == 1 and counts["review"]["due_soon"] == 1
    # Due in 7 working days: not within the default 2.
    default = (await http.get("/v1/stats/deadlines", headers=h["supervisor"])).json()
    assert default["items"] == [] and default["counts"][0]["open"] == 1
