"""The OpenAPI document and its browsable page (/docs), for app developers and people.

- Problem answers are written once: every operation's 4xx/5xx answer that another operation
  also gives becomes a `$ref` to `components/responses`, and the problem body a `$ref` to
  `components/schemas/Problem`. The same ten error answers repeated for 70 operations made the
  document 900 KB; shared, with one `5XX` answer for 500/502/503/504 and without the property
  titles pydantic generates from the names, it is about 135 KB (a test keeps it under 150 KB).
- Every JSON request body has a zh-CN example that works on the demo district
  (gateway/examples.py).
- "Authorize" offers a login form: an OAuth 2 password flow against `POST /v1/auth/token`
  (form fields `username`, `password`), which answers the same token pair as
  `POST /v1/auth/login`. The bearer field stays for a token pasted by hand.
- One document per audience, so that each stays small enough to read and to load on a phone
  (a test keeps every part under 150 KB): `/openapi.json` is the officers' core (login,
  cases, records, documents, lookups), `/openapi/desk.json` the desk console's (reviews,
  supervision, accounts, calendar), `/openapi/field.json` the field domains (gas, overload,
  hazards, hazard sources), `/openapi/devices.json` the signed device routes and
  `/openapi/public.json` what needs no login. Each carries only the components it uses.
  `/openapi/all.json` is the whole API in one document, for tools (code generators, fuzzers).
- /docs is Swagger UI served from the gateway itself, so it renders on an intranet without
  internet. The files (Swagger UI 5, which reads OpenAPI 3.1) come from the pinned PyPI package
  `fastapi-offline`; `swagger-ui-bundle` was considered but ships Swagger UI 4, which cannot
  read an OpenAPI 3.1 document.
"""

from __future__ import annotations

import copy
import json
from html import escape
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from gateway.examples import REQUEST_EXAMPLES
from gateway.problems import MEDIA_TYPE

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
TOKEN_URL = "/v1/auth/token"  # noqa: S105 (a route, not a secret)
BEARER = "HTTPBearer"
PASSWORD_FLOW = "OAuth2Password"  # noqa: S105 (a scheme name)
PROBLEM_REF = "#/components/schemas/Problem"

# swagger-ui-bundle.js, swagger-ui.css and favicon.png, as the package serves them itself.
_SWAGGER_FILES = Path(fastapi_offline.__file__).parent / "static"

_STATUS_NAMES = {
    400: "BadRequest",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "TooLarge",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    502: "ServiceFailed",
    503: "ServiceUnavailable",
    504: "ServiceTimeout",
}


def _is_problem_schema(schema: Any) -> bool:
    """The inline schema of `Problem` (FastAPI copies it into every answer that names it)."""
    if not isinstance(schema, dict):
        return False
    if schema.get("$ref") == PROBLEM_REF:
        return True
    return schema.get("title") == "Problem" and {"type", "title", "status"} <= set(
        schema.get("properties", {})
    )


def share_problem_answers(doc: dict[str, Any]) -> dict[str, Any]:
    """Replace every inline problem schema by a `$ref`, and every answer that two or more
    operations give word for word by a `$ref` to `components/responses`."""
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    answers: list[tuple[str, dict[str, Any]]] = []  # (status, the response object)
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, answer in operation["responses"].items():
                media = answer.get("content", {}).get(MEDIA_TYPE)
                if media is not None and _is_problem_schema(media.get("schema")):
                    if "$ref" not in media["schema"]:
                        schemas.setdefault("Problem", media["schema"])
                    media["schema"] = {"$ref": PROBLEM_REF}
                    answers.append((status, answer))
    seen: dict[str, int] = {}
    for _status, answer in answers:
        key = json.dumps(answer, sort_keys=True)
        seen[key] = seen.get(key, 0) + 1
    shared = components.setdefault("responses", {})
    names: dict[str, str] = {}
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, answer in list(operation["responses"].items()):
                key = json.dumps(answer, sort_keys=True)
                if seen.get(key, 0) < 2:
                    continue
                if key not in names:
                    base = _STATUS_NAMES.get(int(status), f"Problem{status}")
                    name, n = base, 2
                    while name in shared:
                        name, n = f"{base}{n}", n + 1
                    shared[name] = copy.deepcopy(answer)
                    names[key] = name
                operation["responses"][status] = {"$ref": f"#/components/responses/{names[key]}"}
    return doc


_SERVER_ERRORS = ("500", "502", "503", "504")


def one_server_error_answer(doc: dict[str, Any]) -> dict[str, Any]:
    """500, 502, 503 and 504 say the same to a client (retry later, quote the request id):
    one `5XX` answer stands for them where an operation lists all four."""
    shared = doc.setdefault("components", {}).setdefault("responses", {})
    shared["ServerError"] = {
        "description": "Internal error (500), a service failed (502), is unavailable (503) or "
        "did not answer in time (504); retry later, and quote the request id when reporting it",
        "content": {MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            answers = operation.get("responses", {}) if isinstance(operation, dict) else {}
            if all("$ref" in answers.get(status, {}) for status in _SERVER_ERRORS):
                for status in _SERVER_ERRORS:
                    del answers[status]
                answers["5XX"] = {"$ref": "#/components/responses/ServerError"}
    for name in [
        n
        for n in shared
        if n in ("InternalError", "ServiceFailed", "ServiceUnavailable", "ServiceTimeout")
    ]:
        if f'"#/components/responses/{name}"' not in json.dumps(doc["paths"]):
            del shared[name]
    return doc


_RARE_CLIENT_ERRORS = ("400", "413")


def rare_client_errors_as_a_range(doc: dict[str, Any]) -> dict[str, Any]:
    """A malformed body (400) and one over the size limit (413) are the client's own bugs,
    never a flow an app handles: one `4XX` answer stands for them, so every operation does
    not repeat both; the codes an app acts on (401, 403, 404, 409, 422, 429) stay listed."""
    shared = doc.setdefault("components", {}).setdefault("responses", {})
    shared["ClientError"] = {
        "description": "Other client errors: a body that is not JSON (400), larger than the "
        "limit (413), or a conflict on a read (409)",
        "content": {MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
    for path_item in doc.get("paths", {}).values():
        for method, operation in path_item.items():
            answers = operation.get("responses", {}) if isinstance(operation, dict) else {}
            # A read never conflicts: its 409 (an Idempotency-Key in flight) is rare too.
            statuses = (*_RARE_CLIENT_ERRORS, "409") if method == "get" else _RARE_CLIENT_ERRORS
            rare = [s for s in statuses if "$ref" in answers.get(s, {})]
            for status in rare:
                del answers[status]
            if rare:
                answers["4XX"] = {"$ref": "#/components/responses/ClientError"}
            for answer in answers.values():
                if answer.get("description") == "Successful Response":
                    answer["description"] = "OK"
    for name in ("BadRequest", "TooLarge"):
        if f'"#/components/responses/{name}"' not in json.dumps(doc["paths"]):
            shared.pop(name, None)
    return doc


def drop_generated_titles(node: Any) -> Any:
    """Pydantic titles every property after its name ("case_id" -> "Case Id"); the name says
    it already, and the copies are a tenth of the document."""
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            if isinstance(prop, dict) and prop.get("title", "").lower().replace(" ", "_") == (
                name.lower()
            ):
                del prop["title"]
        if "in" in node and "name" in node and isinstance(node.get("schema"), dict):
            schema = node["schema"]  # a parameter
            if schema.get("title", "").lower().replace(" ", "_") == node["name"].lower():
                del schema["title"]
        for value in node.values():
            drop_generated_titles(value)
    elif isinstance(node, list):
        for value in node:
            drop_generated_titles(value)
    return node


def add_request_examples(doc: dict[str, Any]) -> dict[str, Any]:
    """A zh-CN example body for every operation that takes JSON (gateway/examples.py)."""
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            example = REQUEST_EXAMPLES.get(operation.get("operationId", ""))
            if media is not None and example is not None:
                media["example"] = example
    return doc


def offer_password_login(doc: dict[str, Any]) -> dict[str, Any]:
    """Every operation that takes a bearer token also takes one from the login form."""
    schemes = doc.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[PASSWORD_FLOW] = {
        "type": "oauth2",
        "description": "Log in with an officer's, reviewer's, supervisor's or admin's "
        "username and password (POST /v1/auth/token); the access token lasts 15 minutes.",
        "flows": {"password": {"tokenUrl": TOKEN_URL, "scopes": {}}},
    }
    for path_item in doc.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            security = operation.get("security")
            if security and any(BEARER in s for s in security):
                if not any(PASSWORD_FLOW in s for s in security):
                    security.append({PASSWORD_FLOW: []})
    return doc


# part name -> (URL, title, the operation tags it holds); the first part takes any other tag.
PARTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "core": (
        "/openapi.json",
        "执法办案 (core: login, cases, records, documents, lookups)",
        ("auth", "cases", "records", "documents", "lookups"),
    ),
    "desk": (
        "/openapi/desk.json",
        "办公 (desk: reviews, supervision, accounts, calendar)",
        ("reviews", "supervision", "users", "calendar"),
    ),
    "field": (
        "/openapi/field.json",
        "现场业务 (field: gas, overload, hazards, hazard sources)",
        ("gas", "overload", "hazards", "hazard-sources"),
    ),
    "devices": ("/openapi/devices.json", "设备接口 (signed device routes)", ("devices",)),
    "public": ("/openapi/public.json", "公开接口 (public, no login)", ("public", "operations")),
}
WHOLE_URL = "/openapi/all.json"


def _part_of(operation: dict[str, Any]) -> str:
    tags = operation.get("tags") or []
    for name, (_url, _title, part_tags) in PARTS.items():
        if any(t in part_tags for t in tags):
            return name
    return next(iter(PARTS))


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def part_document(doc: dict[str, Any], part: str) -> dict[str, Any]:
    """The operations of one part, with only the components they reach."""
    paths: dict[str, Any] = {}
    for path, item in doc.get("paths", {}).items():
        kept = {m: op for m, op in item.items() if isinstance(op, dict) and _part_of(op) == part}
        if kept:
            paths[path] = kept
    components = doc.get("components", {})
    wanted: set[str] = set()
    _refs(paths, wanted)
    todo = list(wanted)
    while todo:
        _, _, kind, name = todo.pop().split("/", 3)
        found: set[str] = set()
        _refs(components.get(kind, {}).get(name), found)
        for ref in found - wanted:
            wanted.add(ref)
            todo.append(ref)
    kept_components: dict[str, Any] = {}
    for kind, entries in components.items():
        if kind == "securitySchemes":
            kept_components[kind] = entries
            continue
        chosen = {n: v for n, v in entries.items() if f"#/components/{kind}/{n}" in wanted}
        if chosen:
            kept_components[kind] = chosen
    _url, title, _ = PARTS[part]
    info = dict(doc.get("info", {}))
    info["title"] = f"{info.get('title', 'API')} — {title}"
    others = ", ".join(u for n, (u, _t, _g) in PARTS.items() if n != part)
    info["description"] = (
        f"This part of the API; the other parts: {others}; everything in one: {WHOLE_URL}."
    )
    return {**doc, "info": info, "paths": paths, "components": kept_components}


def install_api_docs(app: FastAPI) -> None:
    """The OpenAPI document with shared answers and the login form; /docs served locally.

    Build the app with `docs_url=None, redoc_url=None` so FastAPI's CDN page is not served.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            doc = one_server_error_answer(share_problem_answers(doc))
            doc = rare_client_errors_as_a_range(doc)
            doc = add_request_examples(drop_generated_titles(doc))
            app.openapi_schema = offer_password_login(doc)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    parts: dict[str, dict[str, Any]] = {}

    def serve_part(name: str):
        async def document() -> JSONResponse:
            if name not in parts:
                parts[name] = part_document(app.openapi(), name)
            return JSONResponse(parts[name])

        return document

    for name, (url, _title, _tags) in PARTS.items():
        app.add_api_route(url, serve_part(name), include_in_schema=False)

    @app.get(WHOLE_URL, include_in_schema=False)
    async def whole() -> JSONResponse:
        return JSONResponse(app.openapi())

    app.mount(ASSETS_URL, StaticFiles(directory=_SWAGGER_FILES), name="swagger-ui")

    @app.get(DOCS_URL, include_in_schema=False)
    async def docs(part: str = "core") -> HTMLResponse:
        if part not in PARTS:
            part = "core"
        page = get_swagger_ui_html(
            openapi_url=PARTS[part][0],
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_ui_parameters={
                "persistAuthorization": True,
                "validatorUrl": None,  # no badge from validator.swagger.io: nothing leaves
                "displayRequestDuration": True,
                "tryItOutEnabled": True,
            },
        )
        CURRENT = ' aria-current="page"'
        # The bundle has no standalone top bar, so the parts are plain links above it.
        links = " · ".join(
            f'<a href="{DOCS_URL}?part={name}"{CURRENT if name == part else ""}>{escape(title)}</a>'
            for name, (_url, title, _tags) in PARTS.items()
        )
        nav = f'<nav aria-label="API parts" class="api-parts">{links}</nav>'
        body = bytes(page.body).decode().replace("<body>", f"<body>\n{nav}", 1)
        return HTMLResponse(body)

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
