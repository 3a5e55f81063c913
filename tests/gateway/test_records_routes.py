"""The officers' record routes through the gateway, against the real records service.

A records gRPC server runs in the test over a migrated SQLite database, the session's
SeaweedFS and a tree-head signer; the gateway app (lifespan and all) talks to it, and the
phone's side is httpx: through the app for the API, straight to S3 for the uploads.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from enforcement.records.v1 import records_pb2_grpc
from enforcement.review.v1 import review_pb2
from gateway import db as gwdb
from gateway.app import create_app
from gateway.config import Settings as GatewaySettings
from gateway.problems import MEDIA_TYPE, PROBLEM_BASE
from gateway.security.principals import Role
from gateway.security.tokens import TokenService
from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import build_event, parse_envelope
from services.chassis.grpc_server import GrpcServer
from services.records import handlers
from services.records.config import Settings as RecordsSettings
from services.records.domain import merkle
from services.records.domain.treehead import TreeHead, TreeHeadSigner, verify_tree_head
from services.records.grpc_api import RecordsServicer
from tests.conftest import S3_KEYS
from tests.gateway.conftest import SECRET

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RECORDS_MIGRATIONS = ROOT / "services" / "records" / "migrations"
GATEWAY_MIGRATIONS = ROOT / "gateway" / "migrations"
AGENCY = "xinbei-yjj"
OTHER_AGENCY = "wujin-yjj"
TOWN = "薛家镇"
OTHER_TOWN = "罗溪镇"
BUCKET = "records-evidence-gateway"
SIGNER = TreeHeadSigner(base64.b64encode(b"gateway-records-test-signing-key").decode())
MIB = 1024 * 1024
ISSUER, AUDIENCE = "test-issuer", "test-audience"

# name: (roles, agency, town, 执法证号)
USERS = {
    "zhang": ((Role.officer,), AGENCY, TOWN, "32041120001"),
    "li": ((Role.officer,), AGENCY, TOWN, "32041120002"),
    "wang": ((Role.officer,), AGENCY, OTHER_TOWN, "32041120003"),
    "chen": ((Role.officer,), OTHER_AGENCY, "湖塘镇", "32041220001"),
    "reviewer": ((Role.legal_reviewer,), AGENCY, None, None),
    "supervisor": ((Role.supervisor,), AGENCY, TOWN, None),
    "far_supervisor": ((Role.supervisor,), AGENCY, OTHER_TOWN, None),
}
ENTERPRISE = {
    "kind": "organization",
    "name": "常州某化工有限公司",
    "credit_code": "914403001922038216",
    "legal_representative": "周建国",
}


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gateway_db(tmp_path_factory) -> str:
    """The gateway's database with the users above, shared by the module's tests."""
    url = f"sqlite:///{tmp_path_factory.mktemp('gateway') / 'gateway.db'}"
    engine = make_engine(url)
    migrate(engine, GATEWAY_MIGRATIONS)
    database = Database(engine)
    with database.unit_of_work() as uow:
        for name, (roles, agency, town, cert) in USERS.items():
            gwdb.create_user(
                uow.conn,
                username=name,
                password="correct horse battery",
                display_name=name.title(),
                roles=roles,
                agency_id=agency,
                town=town,
                certificate_no=cert,
                user_id=f"u-{name}",
            )
        uow.commit()
    database.dispose()
    return url


@pytest.fixture(scope="module")
def tokens(gateway_db) -> dict[str, dict[str, str]]:
    """Authorization headers per user name."""
    service = TokenService(SECRET, ISSUER, AUDIENCE)
    database = Database(make_engine(gateway_db))
    headers = {}
    with database.read() as conn:
        for name in USERS:
            token, _ = service.issue_access(gwdb.get_user(conn, f"u-{name}").to_principal())
            headers[name] = {"Authorization": f"Bearer {token}"}
    database.dispose()
    return headers


@pytest.fixture(scope="module")
def records_template(tmp_path_factory) -> Path:
    """A migrated records database, copied for each test (migrating takes half a second)."""
    path = tmp_path_factory.mktemp("records") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine, RECORDS_MIGRATIONS)
    engine.dispose()
    return path


@pytest.fixture
def records_db(records_template, tmp_path):
    path = tmp_path / "records.db"
    shutil.copyfile(records_template, path)
    database = Database(make_engine(f"sqlite:///{path}"))
    yield database
    database.dispose()


@pytest.fixture
def store(object_store):
    object_store.ensure_bucket(BUCKET)
    return object_store


@dataclass
class Api:
    http: httpx.AsyncClient
    headers: dict[str, dict[str, str]]
    records_db: Database
    records: GrpcServer

    async def post(self, path: str, who: str, body: dict, expect: int | None = 201):
        r = await self.http.post(path, json=body, headers=self.headers[who])
        if expect is not None:
            assert r.status_code == expect, r.text
        return r

    async def get(self, path: str, who: str, expect: int | None = 200, **params):
        r = await self.http.get(path, params=params, headers=self.headers[who])
        if expect is not None:
            assert r.status_code == expect, r.text
        return r


@pytest.fixture
async def api(records_db, store, gateway_db, tokens, seaweedfs):
    settings = RecordsSettings(
        database_url=str(records_db.engine.url),
        s3_endpoint=seaweedfs.endpoint,
        s3_access_key=S3_KEYS["access_key"],
        s3_secret_key=S3_KEYS["secret_key"],
        evidence_bucket=BUCKET,
        multipart_threshold_bytes=6 * MIB,
        part_size_bytes=5 * MIB,
    )
    servicer = RecordsServicer(records_db, settings, store, store, SIGNER)
    server = GrpcServer(
        "127.0.0.1", 0, [(records_pb2_grpc.add_RecordsServiceServicer_to_server, servicer)], []
    )
    port = await server.start()
    app = create_app(
        GatewaySettings(
            database_url=gateway_db,
            jwt_secret=SECRET,
            jwt_issuer=ISSUER,
            jwt_audience=AUDIENCE,
            records_addr=f"127.0.0.1:{port}",
            grpc_timeout_s=10,
        )
    )
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway", timeout=30
            ) as http,
        ):
            yield Api(http, tokens, records_db, server)
    finally:
        await server.stop(0)


# -- helpers ----------------------------------------------------------------------------------


def cid() -> str:
    return str(uuid.uuid4())


async def open_case(api: Api, who="zhang", co=("li",), **changes) -> dict:
    body = {
        "client_case_id": cid(),
        "domain": "hazardous-chemicals",
        "title": "危化品仓库现场检查",
        "party": ENTERPRISE,
        "co_officer_ids": [f"u-{c}" for c in co],
        **changes,
    }
    return (await api.post("/v1/cases", who, body)).json()


async def advance(api: Api, case_id: str, *stages: str, who="zhang") -> dict:
    reply = {}
    for stage in stages:
        body = {"to": stage, "client_entry_id": cid(), "reason": f"to {stage}"}
        reply = (await api.post(f"/v1/cases/{case_id}/transitions", who, body)).json()
    return reply


def proposal(**changes) -> dict:
    return {
        "client_entry_id": cid(),
        "kinds": ["warning", "fine"],
        "fine_yuan": 200_000,
        "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
        "facts": "燃气泄漏报警装置未按标准安装",
        "discretion": {
            "benchmark_id": "aq-99-safety-equipment",
            "violation_type": "safety-equipment-missing",
            "circumstance": "serious",
        },
        **changes,
    }


def deliver_review(database: Database, case_id: str, proposal_id: str, outcome="approved"):
    """A review.completed.v1 event handled by records as its consumer would."""
    event = build_event(
        topic="review.completed.v1",
        aggregate_id=case_id,
        payload=review_pb2.ReviewCompleted(
            review_id=f"r-{uuid.uuid4()}",
            case_id=case_id,
            proposal_id=proposal_id,
            outcome=outcome,
            reasons=["fine over 100,000 yuan for an organisation"],
            reviewer_id="u-reviewer",
            opinion="同意",
        ),
        producer="review",
        occurred_at=datetime.now(UTC),
    )
    with database.unit_of_work() as uow:
        handlers.record_review_outcome(uow, parse_envelope(event.payload))
        uow.commit()


def assert_problem(r: httpx.Response, status: int, slug: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == MEDIA_TYPE
    body = r.json()
    assert body["type"] == PROBLEM_BASE + slug
    return body


def slot_body(data: bytes, media_type="video/mp4", **changes) -> dict:
    return {
        "client_slot_id": cid(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "media_type": media_type,
        "filename": "clip.mp4",
        **changes,
    }


async def put_parts(slot: dict, data: bytes) -> list[dict]:
    """PUT each part's bytes to its presigned URL as a phone would; returns the ETags."""
    parts, offset = [], 0
    async with httpx.AsyncClient(timeout=60) as s3:
        for part in slot["parts"]:
            r = await s3.put(part["url"], content=data[offset : offset + part["size"]])
            assert r.status_code == 200, r.text
            parts.append({"part_number": part["part_number"], "etag": r.headers["ETag"]})
            offset += part["size"]
    assert offset == len(data)
    return parts


async def put_file(url: str, data: bytes) -> None:
    async with httpx.AsyncClient(timeout=60) as s3:
        r = await s3.put(url, content=data)
    assert r.status_code == 200, r.text


# -- the case's lifecycle ---------------------------------------------------------------------


async def test_an_officer_runs_a_case_from_inspection_to_decision(api):
    case = await open_case(api)
    path = f"/v1/cases/{case['case_id']}"

    filing = {"to": "filing", "client_entry_id": cid(), "reason": "发现重大事故隐患"}
    filed = (await api.post(f"{path}/transitions", "zhang", filing)).json()
    assert filed["case"]["stage"] == "filing"
    assert filed["case"]["case_no"].startswith("新北应急立〔")
    assert filed["entry"]["kind"] == "transition"
    assert filed["entry"]["payload"] == {
        "from": "inspection",
        "to": "filing",
        "reason": "发现重大事故隐患",
        "case_no": filed["case"]["case_no"],
    }
    replay = (await api.post(f"{path}/transitions", "zhang", filing, expect=200)).json()
    assert replay["entry"]["entry_id"] == filed["entry"]["entry_id"]
    assert replay["case"]["case_no"] == filed["case"]["case_no"]

    await advance(api, case["case_id"], "investigation", who="li")
    note = {
        "client_entry_id": cid(),
        "kind": "note",
        "payload": {"text": "二号库房未设置可燃气体报警装置"},
        "device_time": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "location": {"latitude": 31.81, "longitude": 119.97, "accuracy_m": 8},
    }
    written = (await api.post(f"{path}/entries", "zhang", note)).json()["entry"]
    assert written["actor_id"] == "u-zhang" and written["seq"] == 4
    assert 299 < written["delay_s"] < 400
    assert written["location"]["latitude"] == 31.81
    again = (await api.post(f"{path}/entries", "zhang", note, expect=200)).json()["entry"]
    assert again["entry_id"] == written["entry_id"]

    body = proposal()
    proposed = (await api.post(f"{path}/penalty-proposals", "zhang", body)).json()
    assert proposed["case"]["stage"] == "review"
    assert proposed["case"]["review_status"] == "pending"
    assert proposed["proposal"]["fine_yuan"] == 200_000
    assert proposed["proposal"]["discretion"]["circumstance"] == "serious"
    assert proposed["proposal"]["proposed_by"] == "u-zhang"
    re_proposed = await api.post(f"{path}/penalty-proposals", "zhang", body, expect=200)
    assert re_proposed.json()["proposal"]["proposal_id"] == proposed["proposal"]["proposal_id"]

    decision = {"client_entry_id": cid(), "decision_text": "罚款二十万元"}
    early = await api.post(f"{path}/decision", "zhang", decision, expect=None)
    assert "allowed: notice" in assert_problem(early, 409, "not-allowed-now")["detail"]
    notice = {"to": "notice", "client_entry_id": cid()}
    early = await api.post(f"{path}/transitions", "zhang", notice, expect=None)
    assert "legal review" in assert_problem(early, 409, "not-allowed-now")["detail"]

    deliver_review(api.records_db, case["case_id"], proposed["proposal"]["proposal_id"])
    assert (await api.get(path, "zhang")).json()["review_status"] == "approved"
    await api.post(f"{path}/transitions", "zhang", notice)
    decided = (await api.post(f"{path}/decision", "li", decision)).json()
    assert decided["case"]["stage"] == "decision"
    assert decided["case"]["decision_no"]
    assert decided["entry"]["payload"]["decision_text"] == "罚款二十万元"
    replayed = (await api.post(f"{path}/decision", "li", decision, expect=200)).json()
    assert replayed["entry"]["entry_id"] == decided["entry"]["entry_id"]

    revoke = {"client_entry_id": cid(), "reason": "复议决定撤销", "basis": "reconsideration"}
    revoked = (await api.post(f"{path}/revocation", "zhang", revoke)).json()
    assert revoked["case"]["stage"] == "withdrawn"
    assert revoked["entry"]["payload"]["decision_no"] == decided["case"]["decision_no"]
    again = (await api.post(f"{path}/revocation", "zhang", revoke, expect=200)).json()
    assert again["entry"]["entry_id"] == revoked["entry"]["entry_id"]

    timeline = (await api.get(f"{path}/timeline", "zhang")).json()
    assert [e["kind"] for e in timeline["entries"]] == [
        "opened",
        "transition",
        "transition",
        "note",
        "proposal",
        "review-outcome",
        "transition",
        "decision",
        "revocation",
    ]
    chain = timeline["entries"]
    assert chain[0]["prev_hash"] == "0" * 64
    assert all(b["prev_hash"] == a["entry_hash"] for a, b in itertools.pairwise(chain))
    assert timeline["case"]["head_hash"] == chain[-1]["entry_hash"]
    assert timeline["case"]["entry_count"] == len(chain)
    assert isinstance(chain[3]["payload"], dict) and chain[3]["delay_s"] > 0


async def test_an_illegal_transition_is_a_409_naming_the_allowed_stages(api):
    case = await open_case(api)
    path = f"/v1/cases/{case['case_id']}/transitions"
    r = await api.post(path, "zhang", {"to": "decision", "client_entry_id": cid()}, expect=None)
    detail = assert_problem(r, 409, "not-allowed-now")["detail"]
    assert "allowed: filing, no_penalty, withdrawn" in detail
    await advance(api, case["case_id"], "filing", "investigation")
    r = await api.post(path, "zhang", {"to": "review", "client_entry_id": cid()}, expect=None)
    assert "penalty-proposals" in assert_problem(r, 409, "not-allowed-now")["detail"]
    unknown = await api.post(path, "zhang", {"to": "closed", "client_entry_id": cid()}, None)
    assert assert_problem(unknown, 422, "invalid-request")["errors"][0]["loc"] == ["body", "to"]
    revoke = {"client_entry_id": cid(), "reason": "自纠", "basis": "self-correction"}
    r = await api.post(f"/v1/cases/{case['case_id']}/revocation", "zhang", revoke, None)
    assert "only a decided penalty" in assert_problem(r, 409, "not-allowed-now")["detail"]


async def test_a_client_id_reused_for_another_write_is_a_409(api):
    first = await open_case(api)
    second = await open_case(api)
    note = {"client_entry_id": cid(), "kind": "note", "payload": {"text": "a"}}
    await api.post(f"/v1/cases/{first['case_id']}/entries", "zhang", note)
    r = await api.post(f"/v1/cases/{second['case_id']}/entries", "zhang", note, expect=None)
    assert "client_entry_id" in assert_problem(r, 409, "already-exists")["detail"]


async def test_bad_input_is_refused_before_any_call_to_records(api):
    case = await open_case(api)
    path = f"/v1/cases/{case['case_id']}"
    await api.records.stop(0)  # from here on, a call that reached records would fail
    naive = datetime.now().replace(microsecond=0).isoformat()  # no UTC offset
    bad = [
        ("entries", {"client_entry_id": cid(), "kind": "opened", "payload": {}}),
        ("entries", {"client_entry_id": "short", "kind": "note", "payload": {}}),
        ("entries", {"client_entry_id": cid(), "kind": "note", "payload": {"t": "x" * 70_000}}),
        ("entries", {"client_entry_id": cid(), "kind": "note", "device_time": naive}),
        ("entries", {"client_entry_id": cid(), "kind": "note", "actor_id": "u-li"}),
        ("entries", {"client_entry_id": cid(), "kind": "note", "agency_id": OTHER_AGENCY}),
        ("transitions", {"to": "filing", "client_entry_id": cid(), "reason": "x" * 2001}),
        ("evidence-slots", {**slot_body(b"x"), "sha256": "not-a-hash"}),
        ("evidence-slots", {**slot_body(b"x"), "media_type": "text/html"}),
        ("evidence-slots", {**slot_body(b"x"), "size": 0}),
        ("penalty-proposals", proposal(kinds=["flogging"])),
        ("penalty-proposals", proposal(fine_yuan=-1)),
        ("penalty-proposals", proposal(legal_basis=[])),
        ("penalty-proposals", proposal(location={"latitude": 91, "longitude": 0})),
        ("decision", {"client_entry_id": cid(), "decision_text": ""}),
        ("revocation", {"client_entry_id": cid(), "reason": "x", "basis": "whim"}),
        ("evidence-slots/s-1/confirm", {"parts": [{"part_number": 0, "etag": "x"}]}),
    ]
    for route, body in bad:
        r = await api.post(f"{path}/{route}", "zhang", body, expect=None)
        assert_problem(r, 422, "invalid-request")
    too_long = await api.get(f"/v1/cases/{'c' * 65}/timeline", "zhang", expect=None)
    assert_problem(too_long, 422, "invalid-request")
    for params in ({"cursor": -1}, {"limit": 0}, {"limit": 1001}):
        assert_problem(await api.get("/v1/sync", "zhang", None, **params), 422, "invalid-request")
    r = await api.get("/v1/log/consistency-proof", "zhang", None, first=0)
    assert_problem(r, 422, "invalid-request")
    # A valid request does reach records, which is down: a 503 problem, not a crash.
    note = {"client_entry_id": cid(), "kind": "note", "payload": {"text": "ok"}}
    r = await api.post(f"{path}/entries", "zhang", note, expect=None)
    assert_problem(r, 503, "service-unavailable")


# -- who may do what --------------------------------------------------------------------------


async def _case_with_everything(api: Api) -> tuple[dict, dict, dict]:
    """A case at investigation with a pending evidence slot; (case, step entry, slot)."""
    case = await open_case(api)
    await advance(api, case["case_id"], "filing", "investigation")
    step = {"client_entry_id": cid(), "kind": "step", "payload": {"act": "inspection"}}
    entry = (await api.post(f"/v1/cases/{case['case_id']}/entries", "zhang", step)).json()
    body = slot_body(os.urandom(1000), "image/jpeg")
    slot = (await api.post(f"/v1/cases/{case['case_id']}/evidence-slots", "zhang", body)).json()
    return case, entry["entry"], slot


def _writes(case_id: str, slot_id: str) -> list[tuple[str, dict]]:
    path = f"/v1/cases/{case_id}"
    return [
        (f"{path}/transitions", {"to": "withdrawn", "client_entry_id": cid()}),
        (f"{path}/entries", {"client_entry_id": cid(), "kind": "note", "payload": {"a": 1}}),
        (f"{path}/evidence-slots", slot_body(b"0123456789", "image/png")),
        (f"{path}/evidence-slots/{slot_id}/confirm", {"client_entry_id": cid()}),
        (f"{path}/penalty-proposals", proposal()),
        (f"{path}/decision", {"client_entry_id": cid(), "decision_text": "罚款"}),
        (f"{path}/revocation", {"client_entry_id": cid(), "reason": "诉讼", "basis": "litigation"}),
    ]


async def test_another_agency_finds_none_of_the_case_routes(api):
    case, entry, slot = await _case_with_everything(api)
    path = f"/v1/cases/{case['case_id']}"
    for route in (path, f"{path}/timeline", f"/v1/log/entries/{entry['entry_id']}/inclusion-proof"):
        assert_problem(await api.get(route, "chen", expect=None), 404, "not-found")
    for route, body in _writes(case["case_id"], slot["slot_id"]):
        r = await api.post(route, "chen", body, expect=None)
        assert_problem(r, 404, "not-found")
    listed = (await api.get("/v1/cases", "chen", page_size=200)).json()["cases"]
    assert case["case_id"] not in {c["case_id"] for c in listed}
    assert (await api.get("/v1/sync", "chen")).json()["entries"] == []
    # and nothing was written
    timeline = (await api.get(f"{path}/timeline", "zhang")).json()
    assert timeline["case"]["entry_count"] == 4 and timeline["case"]["stage"] == "investigation"


async def test_an_officer_of_the_agency_not_on_the_case_reads_but_cannot_write(api):
    case, _, slot = await _case_with_everything(api)
    path = f"/v1/cases/{case['case_id']}"
    assert (await api.get(f"{path}/timeline", "wang")).json()["case"]["case_id"] == case["case_id"]
    for route, body in _writes(case["case_id"], slot["slot_id"]):
        r = await api.post(route, "wang", body, expect=None)
        assert "officers" in assert_problem(r, 403, "forbidden")["detail"], route
    assert (await api.get(f"{path}/timeline", "zhang")).json()["case"]["entry_count"] == 4


async def test_a_legal_reviewer_or_supervisor_cannot_write(api):
    case, _, slot = await _case_with_everything(api)
    for who in ("reviewer", "supervisor"):
        for route, body in _writes(case["case_id"], slot["slot_id"]):
            r = await api.post(route, who, body, expect=None)
            assert "officer" in assert_problem(r, 403, "forbidden")["detail"]
        assert_problem(await api.get("/v1/sync", who, None), 403, "forbidden")
    r = await api.get(f"/v1/cases/{case['case_id']}/timeline", "reviewer", expect=None)
    assert_problem(r, 403, "forbidden")


async def test_every_route_needs_a_login(api):
    for path in ("/v1/sync", "/v1/log/tree-head", "/v1/stats/timeliness", "/v1/cases/c/timeline"):
        assert_problem(await api.http.get(path), 401, "unauthenticated")
    r = await api.http.post("/v1/cases/c/entries", json={})
    assert_problem(r, 401, "unauthenticated")


# -- evidence ---------------------------------------------------------------------------------


async def test_evidence_goes_through_the_presigned_url_into_the_record(api):
    case, step, _ = await _case_with_everything(api)
    path = f"/v1/cases/{case['case_id']}"
    flags = (await api.get(f"{path}/timeline", "zhang")).json()["recording_flags"]
    assert [f["entry_id"] for f in flags] == [step["entry_id"]]

    video = os.urandom(300_000)
    body = slot_body(video, sha256=hashlib.sha256(video).hexdigest().upper())
    slot = (await api.post(f"{path}/evidence-slots", "zhang", body)).json()
    assert slot["status"] == "pending" and slot["put_url"] and slot["parts"] == []
    assert slot["expires_at"] and slot["entry"] is None
    await put_file(slot["put_url"], video)
    confirm = {
        "client_entry_id": cid(),
        "caption": "检查全程录像",
        "relates_to_entry_id": step["entry_id"],
    }
    confirm_path = f"{path}/evidence-slots/{slot['slot_id']}/confirm"
    entry = (await api.post(confirm_path, "li", confirm)).json()["entry"]
    assert entry["kind"] == "evidence" and entry["actor_id"] == "u-li"
    [evidence] = entry["evidence"]
    assert evidence["sha256"] == hashlib.sha256(video).hexdigest()
    assert evidence["size"] == len(video) and evidence["media_type"] == "video/mp4"
    assert entry["payload"]["relates_to_entry_id"] == step["entry_id"]

    again = (await api.post(confirm_path, "zhang", confirm, expect=200)).json()["entry"]
    assert again["entry_id"] == entry["entry_id"]
    asked_again = (await api.post(f"{path}/evidence-slots", "zhang", body, expect=200)).json()
    assert asked_again["status"] == "attached" and asked_again["slot_id"] == slot["slot_id"]
    assert asked_again["entry"]["entry_id"] == entry["entry_id"]
    assert asked_again["put_url"] is None
    timeline = (await api.get(f"{path}/timeline", "zhang")).json()
    assert timeline["recording_flags"] == []
    # The same slot id for another file is refused.
    other = {**body, "sha256": hashlib.sha256(b"other").hexdigest()}
    r = await api.post(f"{path}/evidence-slots", "zhang", other, expect=None)
    assert_problem(r, 409, "already-exists")


async def test_wrong_bytes_are_refused_and_the_right_ones_then_accepted(api):
    case, _, _ = await _case_with_everything(api)
    path = f"/v1/cases/{case['case_id']}"
    photo = os.urandom(80_000)
    body = slot_body(photo, "image/jpeg")
    slot = (await api.post(f"{path}/evidence-slots", "zhang", body)).json()
    confirm_path = f"{path}/evidence-slots/{slot['slot_id']}/confirm"

    r = await api.post(confirm_path, "zhang", {}, expect=None)
    assert "nothing was uploaded" in assert_problem(r, 409, "not-allowed-now")["detail"]
    # The URL is bound to the declared SHA-256: the S3 server refuses other bytes.
    async with httpx.AsyncClient(timeout=60) as s3:
        refused = await s3.put(slot["put_url"], content=os.urandom(80_000))
    assert refused.status_code == 400 and "BadDigest" in refused.text, refused.text
    r = await api.post(confirm_path, "zhang", {}, expect=None)
    assert "nothing was uploaded" in assert_problem(r, 409, "not-allowed-now")["detail"]
    timeline = (await api.get(f"{path}/timeline", "zhang")).json()
    assert "evidence" not in {e["kind"] for e in timeline["entries"]}

    renewed = (await api.post(f"{path}/evidence-slots", "zhang", body)).json()
    assert renewed["slot_id"] == slot["slot_id"] and renewed["status"] == "pending"
    await put_file(renewed["put_url"], photo)
    entry = (await api.post(confirm_path, "zhang", {})).json()["entry"]
    assert entry["evidence"][0]["sha256"] == body["sha256"]


async def test_a_large_video_uploads_in_two_parts(api):
    case, _, _ = await _case_with_everything(api)
    path = f"/v1/cases/{case['case_id']}"
    video = os.urandom(6 * MIB + 4321)  # over the 6 MiB threshold: parts of 5 MiB
    body = slot_body(video)
    slot = (await api.post(f"{path}/evidence-slots", "zhang", body)).json()
    assert slot["put_url"] is None
    assert [(p["part_number"], p["size"]) for p in slot["parts"]] == [
        (1, 5 * MIB),
        (2, MIB + 4321),
    ]
    confirm_path = f"{path}/evidence-slots/{slot['slot_id']}/confirm"
    r = await api.post(confirm_path, "zhang", {}, expect=None)
    assert "ETag" in assert_problem(r, 422, "invalid-request")["detail"]

    parts = await put_parts(slot, video)
    entry = (await api.post(confirm_path, "zhang", {"parts": parts})).json()["entry"]
    assert entry["evidence"][0]["size"] == len(video)
    assert entry["evidence"][0]["sha256"] == hashlib.sha256(video).hexdigest()


async def test_a_multipart_upload_with_a_wrong_part_is_retried_with_new_urls(api):
    case, _, _ = await _case_with_everything(api)
    path = f"/v1/cases/{case['case_id']}"
    video = os.urandom(6 * MIB + 10)
    body = slot_body(video)
    slot = (await api.post(f"{path}/evidence-slots", "zhang", body)).json()
    tampered = video[:100] + bytes(10) + video[110:]
    parts = await put_parts(slot, tampered)
    confirm_path = f"{path}/evidence-slots/{slot['slot_id']}/confirm"
    r = await api.post(confirm_path, "zhang", {"parts": parts}, expect=None)
    assert "upload the file again" in assert_problem(r, 409, "not-allowed-now")["detail"]

    renewed = (await api.post(f"{path}/evidence-slots", "zhang", body)).json()
    assert renewed["parts"][0]["url"] != slot["parts"][0]["url"]  # a new multipart upload
    parts = await put_parts(renewed, video)
    entry = (await api.post(confirm_path, "zhang", {"parts": parts})).json()["entry"]
    assert entry["evidence"][0]["sha256"] == body["sha256"]


# -- offline sync -----------------------------------------------------------------------------


async def test_sync_returns_the_entries_written_after_a_cursor(api):
    case = await open_case(api)
    other = await open_case(api, who="wang", co=("zhang",))
    start = (await api.get("/v1/sync", "li")).json()
    assert [e["kind"] for e in start["entries"]] == ["opened"]
    assert [c["case_id"] for c in start["cases"]] == [case["case_id"]]
    assert start["more"] is False

    await advance(api, case["case_id"], "filing")
    note = {"client_entry_id": cid(), "kind": "note", "payload": {"text": "补充"}}
    written = (await api.post(f"/v1/cases/{case['case_id']}/entries", "zhang", note)).json()
    later = (await api.get("/v1/sync", "li", cursor=start["next_cursor"])).json()
    assert [e["kind"] for e in later["entries"]] == ["transition", "note"]
    assert later["entries"][-1]["entry_id"] == written["entry"]["entry_id"]
    assert later["cases"][0]["stage"] == "filing"
    nothing = (await api.get("/v1/sync", "li", cursor=later["next_cursor"])).json()
    assert nothing["entries"] == [] and nothing["next_cursor"] == later["next_cursor"]

    first = (await api.get("/v1/sync", "zhang", limit=1)).json()
    assert first["more"] is True and len(first["entries"]) == 1
    everything = (await api.get("/v1/sync", "zhang", limit=1000)).json()
    assert {e["case_id"] for e in everything["entries"]} == {case["case_id"], other["case_id"]}
    li_sees = (await api.get("/v1/sync", "li", limit=1000)).json()
    assert other["case_id"] not in {e["case_id"] for e in li_sees["entries"]}


# -- the tamper-evident log -------------------------------------------------------------------


def _signed(head: dict) -> TreeHead:
    return TreeHead(
        head["tree_size"],
        head["root_hash"],
        head["timestamp_ms"],
        head["signature"],
        head["key_id"],
    )


async def test_an_inclusion_proof_verifies_against_the_signed_tree_head(api):
    case, entry, _ = await _case_with_everything(api)
    old = (await api.get("/v1/log/tree-head", "reviewer")).json()
    assert old["public_key"] == SIGNER.public_key_b64  # the app pins this key
    assert verify_tree_head(_signed(old), SIGNER.public_key_b64)
    for _ in range(3):
        note = {"client_entry_id": cid(), "kind": "note", "payload": {"text": "更多"}}
        await api.post(f"/v1/cases/{case['case_id']}/entries", "zhang", note)

    proof = (await api.get(f"/v1/log/entries/{entry['entry_id']}/inclusion-proof", "li")).json()
    head = proof["tree_head"]
    assert head["tree_size"] == old["tree_size"] + 3
    assert verify_tree_head(_signed(head), SIGNER.public_key_b64)
    assert not verify_tree_head(
        _signed({**head, "tree_size": head["tree_size"] + 1}), SIGNER.public_key_b64
    )
    assert proof["entry"]["entry_id"] == entry["entry_id"]
    assert merkle.verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        proof["entry"]["leaf_index"],
        head["tree_size"],
        [bytes.fromhex(p) for p in proof["audit_path"]],
        bytes.fromhex(head["root_hash"]),
    )
    # Against the older head too, which the app may have kept.
    at_old = await api.get(
        f"/v1/log/entries/{entry['entry_id']}/inclusion-proof", "zhang", tree_size=old["tree_size"]
    )
    assert at_old.json()["tree_head"] == old
    assert merkle.verify_inclusion(
        bytes.fromhex(at_old.json()["leaf_hash"]),
        entry["leaf_index"],
        old["tree_size"],
        [bytes.fromhex(p) for p in at_old.json()["audit_path"]],
        bytes.fromhex(old["root_hash"]),
    )

    # The new head extends the old one: nothing written before was changed.
    consistency = (
        await api.get("/v1/log/consistency-proof", "chen", first=old["tree_size"])
    ).json()
    assert consistency["second"] == head["tree_size"]
    assert consistency["tree_head"] == head
    assert merkle.verify_consistency(
        old["tree_size"],
        head["tree_size"],
        bytes.fromhex(old["root_hash"]),
        bytes.fromhex(head["root_hash"]),
        [bytes.fromhex(p) for p in consistency["proof"]],
    )
    too_far = await api.get("/v1/log/consistency-proof", "zhang", None, first=head["tree_size"] + 1)
    assert_problem(too_far, 422, "invalid-request")
    missing = await api.get(f"/v1/log/entries/{uuid.uuid4()}/inclusion-proof", "zhang", None)
    assert_problem(missing, 404, "not-found")


# -- supervision ------------------------------------------------------------------------------


async def test_timeliness_is_for_supervisors(api):
    case = await open_case(api)
    path = f"/v1/cases/{case['case_id']}/entries"
    late = datetime.now(UTC) - timedelta(days=2)
    for when in (None, late):
        body = {"client_entry_id": cid(), "kind": "note", "payload": {"text": "记录"}}
        if when is not None:
            body["device_time"] = when.isoformat()
        await api.post(path, "li", body)

    assert_problem(await api.get("/v1/stats/timeliness", "zhang", None), 403, "forbidden")
    stats = (await api.get("/v1/stats/timeliness", "supervisor")).json()
    assert stats["allowed_delay_s"] == 24 * 3600
    by_officer = {o["officer_id"]: o for o in stats["officers"]}
    assert by_officer["u-li"]["entries"] == 2 and by_officer["u-li"]["in_time"] == 1
    assert by_officer["u-li"]["in_time_ratio"] == 0.5
    assert by_officer["u-li"]["max_delay_s"] > 2 * 24 * 3600 - 60
    assert by_officer["u-zhang"]["in_time_ratio"] == 1.0
    assert stats["agency"]["officer_id"] is None
    assert stats["agency"]["entries"] == sum(o["entries"] for o in stats["officers"])

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = (await api.get("/v1/stats/timeliness", "supervisor", since=tomorrow)).json()
    assert later["agency"]["entries"] == 0
    other = (await api.get("/v1/stats/timeliness", "far_supervisor")).json()
    assert other["agency"]["entries"] == stats["agency"]["entries"]  # agency-wide figures
    naive = await api.get("/v1/stats/timeliness", "supervisor", None, since="2026-01-01T00:00:00")
    assert_problem(naive, 422, "invalid-request")


async def test_case_lists_filter_by_officer_stage_and_the_supervisors_town(api):
    here = await open_case(api)  # zhang and li, in 薛家镇
    there = await open_case(api, who="wang", co=("li",), town=OTHER_TOWN)
    await advance(api, there["case_id"], "filing", who="wang")

    def ids(reply) -> set[str]:
        return {c["case_id"] for c in reply.json()["cases"]}

    mine = ids(await api.get("/v1/cases", "zhang", mine="true"))
    assert here["case_id"] in mine and there["case_id"] not in mine
    assert {here["case_id"], there["case_id"]} <= ids(await api.get("/v1/cases", "li", mine=True))
    filing = ids(await api.get("/v1/cases", "zhang", stage="filing"))
    assert there["case_id"] in filing and here["case_id"] not in filing
    r = await api.get("/v1/cases", "zhang", None, stage="closed")
    assert_problem(r, 422, "invalid-request")

    supervised = ids(await api.get("/v1/cases", "supervisor"))
    assert here["case_id"] in supervised and there["case_id"] not in supervised
    assert there["case_id"] in ids(await api.get("/v1/cases", "far_supervisor"))
    r = await api.get("/v1/cases", "supervisor", None, town=OTHER_TOWN)
    assert_problem(r, 403, "forbidden")
    for route in (f"/v1/cases/{there['case_id']}", f"/v1/cases/{there['case_id']}/timeline"):
        assert_problem(await api.get(route, "supervisor", None), 404, "not-found")
    seen = (await api.get(f"/v1/cases/{here['case_id']}/timeline", "supervisor")).json()
    assert seen["case"]["town"] == TOWN
    assert (await api.get(f"/v1/cases/{there['case_id']}", "zhang")).json()["stage"] == "filing"


async def test_a_correction_states_why_a_recording_is_missing(api):
    case = await open_case(api)
    path = f"/v1/cases/{case['case_id']}"
    step = {"client_entry_id": cid(), "kind": "step", "payload": {"act": "sampling"}}
    sampled = (await api.post(f"{path}/entries", "zhang", step)).json()["entry"]
    flags = (await api.get(f"{path}/timeline", "zhang")).json()["recording_flags"]
    assert [(f["entry_id"], f["act"]) for f in flags] == [(sampled["entry_id"], "sampling")]
    correction = {
        "client_entry_id": cid(),
        "kind": "correction",
        "corrects_entry_id": sampled["entry_id"],
        "payload": {"recording_gap_reason": "执法记录仪电量耗尽"},
    }
    corrected = (await api.post(f"{path}/entries", "li", correction)).json()["entry"]
    assert corrected["corrects_entry_id"] == sampled["entry_id"]
    assert (await api.get(f"{path}/timeline", "zhang")).json()["recording_flags"] == []

    refused = [
        {"client_entry_id": cid(), "kind": "step", "payload": {"act": "dancing"}},
        {"client_entry_id": cid(), "kind": "correction", "payload": {}},
        {"client_entry_id": cid(), "kind": "note", "corrects_entry_id": sampled["entry_id"]},
        {
            "client_entry_id": cid(),
            "kind": "note",
            "device_time": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        },
    ]
    for body in refused:
        r = await api.post(f"{path}/entries", "zhang", body, expect=None)
        assert_problem(r, 422, "invalid-request")
