"""The web apps' built files: the officers' phone app at /app/ (and the desk console at
/console/ once built). Both are single-page apps: a path that is not a file gets index.html,
so a deep link or a reload of /app/cases/123 opens the app, which routes itself."""

from __future__ import annotations

import gzip
import mimetypes
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from gateway.problems import problem_response

# mount point -> folder of the workspace whose dist/ is served there
APPS = {"app": "officer", "console": "console"}
REPO = Path(__file__).resolve().parents[1]


def app_csp(storage: str = "") -> str:
    """The apps' Content-Security-Policy: their own scripts only, no inline script, no eval;
    evidence goes to and comes from the object storage's presigned URLs (`storage`). Set on
    every file of the app, the service worker's included, whose own fetches it governs."""
    s3 = f" {storage}" if storage else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:{s3}; media-src 'self' blob:{s3}; font-src 'self' data:; "
        f"connect-src 'self'{s3}; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _headers(path: Path, csp: str) -> dict[str, str]:
    # Hashed bundles never change; the shell, the manifest and the service worker must be
    # looked at again on every start so an update reaches phones.
    if path.parent.name == "assets":
        return {
            "Cache-Control": "public, max-age=31536000, immutable",
            "Content-Security-Policy": csp,
        }
    return {"Cache-Control": "no-cache", "Content-Security-Policy": csp}


COMPRESSIBLE = {".js", ".css", ".html", ".svg", ".webmanifest", ".json"}


@lru_cache(maxsize=256)
def _gzipped(path: Path, mtime_ns: int) -> bytes:
    # A phone on a slow network pays for every byte; the bundles are compressed once.
    return gzip.compress(path.read_bytes(), 9)


def _send(request: Request, path: Path, headers: dict[str, str]) -> Response:
    accepts = request.headers.get("accept-encoding", "")
    if path.suffix in COMPRESSIBLE and "gzip" in accepts:
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".webmanifest":
            media_type = "application/manifest+json"
        body = _gzipped(path, path.stat().st_mtime_ns)
        return Response(
            body,
            media_type=media_type,
            headers={**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return FileResponse(path, headers=headers)


def mount_web_apps(app: FastAPI, web_dir: Path, connect_src: str = "") -> list[str]:
    """Serve each built app found under web_dir; returns the mount points served.
    `connect_src`: origins the apps may send to besides this one (the S3 endpoint)."""
    if not web_dir.is_absolute():
        web_dir = REPO / web_dir
    served = []
    for mount, folder in APPS.items():
        dist = (web_dir / folder / "dist").resolve()
        if not (dist / "index.html").is_file():
            continue
        served.append(mount)
        _serve(app, mount, dist, app_csp(connect_src))
    return served


def _serve(app: FastAPI, mount: str, dist: Path, csp: str) -> None:
    index = dist / "index.html"

    @app.get(f"/{mount}", include_in_schema=False)
    async def _root() -> Response:
        return RedirectResponse(f"/{mount}/", status_code=308)

    @app.get(f"/{mount}/{{path:path}}", include_in_schema=False)
    async def _file(path: str, request: Request) -> Response:
        target = (dist / path).resolve()
        if path and target.is_relative_to(dist) and target.is_file():
            return _send(request, target, _headers(target, csp))
        if path.startswith("assets/") or "." in path.rsplit("/", 1)[-1]:
            # A missing bundle is a 404, not the shell: an old page asking for a file the
            # new build no longer has must fail visibly and reload.
            return problem_response(404, "not-found", "Not found", f"/{mount}/{path} not found")
        return _send(request, index, {"Cache-Control": "no-cache", "Content-Security-Policy": csp})
