"""Security headers on every answer (issue 13, item 9).

Every response says `nosniff` and a Referrer-Policy and may not be framed. HTML pages also get
a Content-Security-Policy: the public disclosure pages load nothing from other origins and run
no inline script (their one inline <style> block is allowed); the interactive API docs run the
inline script that starts Swagger UI, so their policy only forbids framing, plugins and <base>.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc start with an inline script and load their assets from wherever the docs
# route says (a CDN, or this origin when served offline): the policy only forbids framing,
# plugins and <base>. Tighten it to 'self' once the assets are always served from here.
DOCS_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
DOCS_PATHS = ("/docs", "/redoc")
NOT_A_PAGE_CSP = b"default-src 'none'; frame-ancestors 'none'"

ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),  # for browsers that do not read frame-ancestors
)


class SecurityHeadersMiddleware:
    """Adds the headers above unless the route set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path.startswith(DOCS_PATHS) else PAGE_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = [h for h in ALWAYS if h[0] not in present]
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if b"content-security-policy" not in present:
                    if content_type.startswith(b"text/html"):
                        extra.append((b"content-security-policy", csp.encode()))
                    else:
                        # Nothing else is a page; if a browser renders it anyway, it runs nothing.
                        extra.append((b"content-security-policy", NOT_A_PAGE_CSP))
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
