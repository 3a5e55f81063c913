"""`GET /`: where to go from here, for a person in a browser or for code.

A browser (Accept: text/html, or anything but JSON) gets a small Chinese page with links; a
client asking for `application/json` gets the same links as JSON. The officer app and the desk
console are listed only when the gateway serves them (their built files are mounted).
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

router = APIRouter(tags=["operations"])

# path, Chinese label, English label
_LINKS = (
    ("/docs", "接口文档 (OpenAPI)", "API documentation (Swagger UI)"),
    ("/openapi.json", "OpenAPI 描述文件", "OpenAPI document"),
    ("/public", "行政处罚公示 (无需登录)", "public penalty disclosures (no login)"),
    ("/app/", "执法人员手机应用", "officer phone app"),
    ("/console/", "办公控制台", "desk console"),
    ("/readyz", "各服务就绪状态", "readiness of every service"),
)
_ONLY_WHEN_SERVED = ("/app/", "/console/")


class Link(BaseModel):
    href: str
    title: str
    title_en: str


class Home(BaseModel):
    name: str
    links: list[Link]


def _served(request: Request, prefix: str) -> bool:
    """Whether a route or mount of the app answers under `prefix` (e.g. the built app)."""
    bare = prefix.rstrip("/")
    for route in request.app.routes:
        path = getattr(route, "path", "")
        if path == bare or path.startswith(prefix):
            return True
    return False


def home_links(request: Request) -> list[Link]:
    return [
        Link(href=href, title=zh, title_en=en)
        for href, zh, en in _LINKS
        if href not in _ONLY_WHEN_SERVED or _served(request, href)
    ]


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


@router.get(
    "/",
    operation_id="home",
    summary="Where to go: the API docs, the public disclosures, the apps and the console",
    response_model=Home,
    responses={200: {"content": {"text/html": {}}}},
)
async def home(request: Request) -> Response:
    """A page (or, for `Accept: application/json`, a list) of where to go from here: the API
    docs, the public disclosures, the officers' app and the desk console when they are built,
    and the readiness check."""
    links = home_links(request)
    if _wants_json(request):
        return JSONResponse(
            Home(name="Field enforcement platform", links=links).model_dump(),
            headers={"Vary": "Accept"},
        )
    items = "\n".join(
        f'    <li><a href="{escape(link.href)}">{escape(link.title)}</a>'
        f" <small>{escape(link.title_en)}</small></li>"
        for link in links
    )
    page = f"""<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>安全生产执法平台</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em">
  <h1>安全生产执法平台</h1>
  <p>Field enforcement platform</p>
  <ul>
{items}
  </ul>
</body>
</html>
"""
    return HTMLResponse(page, headers={"Vary": "Accept"})
