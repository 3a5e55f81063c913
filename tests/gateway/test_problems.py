from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.problems import (
    MEDIA_TYPE,
    PROBLEM_BASE,
    PROBLEM_RESPONSES,
    ProblemError,
    install_problem_handlers,
    problem_response,
)

pytestmark = pytest.mark.unit


class Login(BaseModel):
    username: str = Field(min_length=1)
    password: str = Field(min_length=8)


class SetRequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["request_id"] = "req-123"
        await self.app(scope, receive, send)


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/login", responses=PROBLEM_RESPONSES)
    async def login(body: Login) -> dict:
        return {"ok": body.username}

    @app.get("/problem")
    async def problem() -> dict:
        raise ProblemError(
            status=409,
            type="case-closed",
            title="Case closed",
            detail="case c-1 is closed",
            headers={"Retry-After": "5"},
            case_id="c-1",
        )

    @app.get("/http")
    async def http() -> dict:
        raise HTTPException(status_code=403, detail="no entry")

    @app.get("/crash")
    async def crash() -> dict:
        raise RuntimeError("db password=hunter2 at /srv/secret.py line 42")

    app.add_middleware(SetRequestId)
    return app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
        yield c


async def test_problem_error_becomes_problem_json(client):
    response = await client.get("/problem")
    assert response.status_code == 409
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "type": PROBLEM_BASE + "case-closed",
        "title": "Case closed",
        "status": 409,
        "detail": "case c-1 is closed",
        "request_id": "req-123",
        "case_id": "c-1",
    }


async def test_validation_error_shape(client):
    response = await client.post("/login", json={"username": "", "password": "short-pw"[:5]})
    assert response.status_code == 422
    assert response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "invalid-request"
    assert body["status"] == 422
    assert body["request_id"] == "req-123"
    assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "username"), ("body", "password")}
    assert all(set(e) == {"loc", "msg"} for e in body["errors"])
    assert "short" not in response.text  # input is never echoed


async def test_malformed_json_is_a_422_problem(client):
    response = await client.post(
        "/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"]


async def test_http_exceptions_and_404_become_problems(client):
    forbidden = await client.get("/http")
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == MEDIA_TYPE
    assert forbidden.json()["type"] == PROBLEM_BASE + "forbidden"
    assert forbidden.json()["detail"] == "no entry"
    missing = await client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.json()["type"] == PROBLEM_BASE + "not-found"
    wrong_method = await client.delete("/login")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == MEDIA_TYPE


async def test_unhandled_error_is_a_500_problem_without_internals(client, caplog):
    with caplog.at_level(logging.ERROR, logger="gateway.problems"):
        response = await client.get("/crash")
    assert response.status_code == 500
    assert response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "internal-error"
    assert body["request_id"] == "req-123"
    for leak in ("hunter2", "RuntimeError", "secret.py", "Traceback"):
        assert leak not in response.text
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "hunter2" in str(logged[0].exc_info[1])


def test_problem_error_turns_slugs_into_uris():
    exc = ProblemError(status=401, type="invalid-token", title="Invalid token")
    assert exc.type == PROBLEM_BASE + "invalid-token"
    assert exc.slug == "invalid-token"
    assert exc.to_dict() == {
        "type": PROBLEM_BASE + "invalid-token",
        "title": "Invalid token",
        "status": 401,
    }
    response = problem_response(404, "not-found", "Not found", "no case c-9", case_id="c-9")
    assert response.media_type == MEDIA_TYPE
    assert response.status_code == 404


def test_openapi_documents_the_problem_schema():
    spec = _app().openapi()
    responses = spec["paths"]["/login"]["post"]["responses"]
    for status in ("401", "422", "500"):
        schema = responses[status]["content"][MEDIA_TYPE]["schema"]
        assert {"type", "title", "status"} <= set(schema["required"])
        assert "errors" in schema["properties"]
