from __future__ import annotations

import json
from datetime import timedelta

import anyio
import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from gateway import db as gwdb
from gateway.idempotency import IdempotencyMiddleware
from gateway.problems import PROBLEM_BASE, install_problem_handlers

pytestmark = pytest.mark.unit


class Harness:
    """A tiny app with counting routes behind the middleware."""

    def __init__(self, database, *, ttl_s: int = 86400, in_flight_timeout_s: int = 300, owner=None):
        self.database = database
        self.calls: dict[str, int] = {"count": 0, "fail": 0, "boom": 0}
        self.release = anyio.Event()
        self.entered = anyio.Event()
        app = FastAPI()
        install_problem_handlers(app)

        @app.post("/count", status_code=201)
        async def count(request: Request, response: Response) -> dict:
            self.calls["count"] += 1
            body = await request.body()
            response.headers["Location"] = f"/things/{self.calls['count']}"
            return {"n": self.calls["count"], "echo": body.decode()}

        @app.post("/slow")
        async def slow() -> dict:
            self.entered.set()
            await self.release.wait()
            return {"slow": True}

        @app.post("/fail")
        async def fail() -> JSONResponse:
            self.calls["fail"] += 1
            status = 503 if self.calls["fail"] == 1 else 200
            return JSONResponse({"attempt": self.calls["fail"]}, status_code=status)

        @app.post("/boom")
        async def boom() -> dict:
            self.calls["boom"] += 1
            if self.calls["boom"] == 1:
                raise RuntimeError("first attempt blows up")
            return {"attempt": self.calls["boom"]}

        @app.post("/reject")
        async def reject() -> JSONResponse:
            return JSONResponse({"refused": True}, status_code=409)

        @app.get("/count")
        async def read() -> dict:
            return {"n": self.calls["count"]}

        app.add_middleware(
            IdempotencyMiddleware,
            database_getter=lambda: database,
            principal_resolver=lambda h: h.get(b"x-user", b"").decode() or None,
            max_body=1000,
            ttl_s=ttl_s,
            in_flight_timeout_s=in_flight_timeout_s,
            owner=owner,
        )
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gw"
        )

    def post(self, path, body=b'{"a":1}', key="key-1", user="u-1", **kwargs):
        headers = {"content-type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        if user is not None:
            headers["X-User"] = user
        return self.client.post(path, content=body, headers=headers, **kwargs)

    def rows(self):
        with self.database.read() as conn:
            return conn.execute(sa.select(gwdb.idempotency_keys)).all()


@pytest.fixture
async def harness(database):
    h = Harness(database)
    async with h.client:
        yield h


async def test_retry_with_the_same_key_replays_the_first_answer(harness):
    first = await harness.post("/count")
    second = await harness.post("/count")
    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"] == "/things/1"
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert harness.calls["count"] == 1


async def test_keys_are_per_principal(harness):
    await harness.post("/count", user="u-1")
    other = await harness.post("/count", user="u-2")
    assert other.json()["n"] == 2
    assert "idempotent-replayed" not in other.headers


async def test_same_key_with_another_body_is_refused(harness):
    await harness.post("/count", body=b'{"a":1}')
    reused = await harness.post("/count", body=b'{"a":2}')
    assert reused.status_code == 422
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["type"] == PROBLEM_BASE + "idempotency-key-reused"
    other_path = await harness.post("/reject", body=b'{"a":1}')
    assert other_path.status_code == 422
    assert harness.calls["count"] == 1


async def test_same_key_while_in_flight_is_409(harness):
    async with anyio.create_task_group() as tg:
        results = {}

        async def first():
            results["first"] = await harness.post("/slow", key="slow-key")

        tg.start_soon(first)
        with anyio.fail_after(5):
            await harness.entered.wait()
        second = await harness.post("/slow", key="slow-key")
        assert second.status_code == 409
        assert second.json()["type"] == PROBLEM_BASE + "idempotency-key-in-flight"
        harness.release.set()
    assert results["first"].status_code == 200
    third = await harness.post("/slow", key="slow-key")
    assert third.headers["idempotent-replayed"] == "true"


async def test_a_5xx_is_not_stored_so_a_retry_runs_again(harness):
    first = await harness.post("/fail")
    assert first.status_code == 503
    assert harness.rows() == []
    second = await harness.post("/fail")
    assert second.status_code == 200
    assert second.json() == {"attempt": 2}
    third = await harness.post("/fail")
    assert third.json() == {"attempt": 2}
    assert third.headers["idempotent-replayed"] == "true"


async def test_an_exception_frees_the_key(harness):
    first = await harness.post("/boom")
    assert first.status_code == 500
    assert first.json()["type"] == PROBLEM_BASE + "internal-error"
    second = await harness.post("/boom")
    assert second.status_code == 200
    assert second.json() == {"attempt": 2}


async def test_a_4xx_is_stored_and_replayed(harness):
    first = await harness.post("/reject")
    second = await harness.post("/reject")
    assert first.status_code == second.status_code == 409
    assert second.headers["idempotent-replayed"] == "true"


async def test_no_key_or_no_principal_means_no_dedupe(harness):
    for _ in range(2):
        await harness.post("/count", key=None)
    for _ in range(2):
        await harness.post("/count", user=None)
    assert harness.calls["count"] == 4
    assert harness.rows() == []


async def test_reads_are_not_deduplicated(harness):
    response = await harness.client.get("/count", headers={"Idempotency-Key": "k", "X-User": "u-1"})
    assert response.status_code == 200
    assert harness.rows() == []


@pytest.mark.parametrize("key", ["", "x" * 201, "naïve-key", "tab\tkey"])
async def test_bad_keys_are_refused(harness, key):
    response = await harness.client.post(
        "/count",
        content=b"{}",
        headers=[(b"idempotency-key", key.encode("latin-1")), (b"x-user", b"u-1")],
    )
    assert response.status_code == 400
    assert response.json()["type"] == PROBLEM_BASE + "bad-idempotency-key"
    assert harness.calls["count"] == 0


async def test_body_over_the_limit_is_refused(harness):
    response = await harness.post("/count", body=b"x" * 1001)
    assert response.status_code == 413
    assert harness.calls["count"] == 0


async def test_expired_and_abandoned_rows_are_replaced(harness, database):
    await harness.post("/count", key="old")
    t = gwdb.idempotency_keys
    with database.unit_of_work() as uow:
        uow.conn.execute(t.update().values(created_at=gwdb.utcnow() - timedelta(days=2)))
        uow.conn.execute(
            t.insert().values(
                principal="u-1",
                key="stuck",
                method="POST",
                path="/count",
                request_hash="0" * 64,
                created_at=gwdb.utcnow() - timedelta(hours=1),
            )
        )
        uow.commit()
    again = await harness.post("/count", key="old")
    assert again.json()["n"] == 2
    assert "idempotent-replayed" not in again.headers
    unstuck = await harness.post("/count", key="stuck")
    assert unstuck.status_code == 201
    assert harness.calls["count"] == 3


async def test_replayed_body_is_byte_identical(harness):
    body = json.dumps({"name": "测试", "n": 1}, ensure_ascii=False).encode()
    first = await harness.post("/count", body=body, key="utf8")
    second = await harness.post("/count", body=body, key="utf8")
    assert second.content == first.content
    assert second.json()["echo"] == body.decode()
