"""Issue 13, item 9: the public surface.

Pages carry a Content-Security-Policy that forbids framing and foreign scripts, `nosniff` and a
Referrer-Policy (on the embedded stack); feed links come from the configured public address
whatever Host a reader sends; in production mode /metrics answers only Prometheus's bearer
token, and /docs, /redoc and /openapi.json can be switched off (a gateway in production mode,
in-process).
"""

from __future__ import annotations

import secrets
from xml.etree import ElementTree

import httpx
import pytest

from gateway.app import create_app
from gateway.config import Settings
from services.chassis.service_auth import make_key_pair

ATOM = "{http://www.w3.org/2005/Atom}"


def csp_directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers.get("content-security-policy", "")
    parts = (p.strip().split(" ", 1) for p in policy.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


@pytest.mark.e2e
@pytest.mark.parametrize("path", ["/public", "/public/disclosures/no-such-decision"])
def test_public_pages_send_csp_nosniff_and_referrer_policy(public, path):
    r = public.get(path)
    assert r.headers["content-type"].startswith("text/html")
    csp = csp_directives(r)
    assert csp.get("frame-ancestors") == "'none'"
    assert csp.get("default-src") == "'none'"
    assert "'unsafe-inline'" not in csp.get("script-src", "'none'")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


@pytest.mark.e2e
def test_api_answers_are_nosniff_too(public):
    r = public.get("/v1/public/disclosures")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert csp_directives(r).get("frame-ancestors") == "'none'"


@pytest.mark.e2e
def test_a_spoofed_host_header_does_not_change_the_links_in_the_feed(stack, public, disclosure):
    spoofed = public.get("/v1/public/disclosures.atom", headers={"Host": "evil.example"})
    plain = public.get("/v1/public/disclosures.atom")
    assert spoofed.status_code == plain.status_code == 200
    # The published texts may name any host (other tests publish such party names): what
    # counts is that no link is made from the Host header.
    feed = ElementTree.fromstring(spoofed.content)
    links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    assert len(links) > 1  # the feed's own link and at least the published decision's
    assert all(href.startswith(stack.gateway_url + "/") for href in links), links
    assert spoofed.text == plain.text


# -- a gateway in production mode -------------------------------------------------------------


METRICS_TOKEN = secrets.token_urlsafe(32)


def production_settings(tmp_path, **changes) -> Settings:
    fields = {
        "mode": "production",
        "database_url": f"sqlite:///{tmp_path / 'gateway.db'}",
        "jwt_secret": secrets.token_urlsafe(48),
        "service_token_key": make_key_pair()[0],
        "public_base_url": "https://zfgs.example.gov.cn",
    }
    return Settings(**(fields | changes))


async def answers(settings: Settings, path: str, **kw) -> httpx.Response:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http,
    ):
        return await http.get(path, **kw)


@pytest.mark.integration
async def test_metrics_need_the_bearer_token_in_production(tmp_path):
    settings = production_settings(tmp_path, metrics_token=METRICS_TOKEN)
    assert (await answers(settings, "/metrics")).status_code == 401
    wrong = {"Authorization": "Bearer " + secrets.token_urlsafe(32)}
    assert (await answers(settings, "/metrics", headers=wrong)).status_code == 401
    right = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    r = await answers(settings, "/metrics", headers=right)
    assert r.status_code == 200 and "http_requests_total" in r.text


@pytest.mark.integration
async def test_metrics_are_off_in_production_without_a_token(tmp_path):
    assert (await answers(production_settings(tmp_path), "/metrics")).status_code == 404


@pytest.mark.integration
@pytest.mark.parametrize(
    "path", ["/docs", "/openapi.json", "/openapi/field.json", "/openapi/all.json"]
)  # ReDoc is not served at all
async def test_api_docs_can_be_switched_off(tmp_path, path):
    assert (await answers(production_settings(tmp_path), path)).status_code == 200
    off = production_settings(tmp_path, api_docs=False)
    assert (await answers(off, path)).status_code == 404


@pytest.mark.unit
def test_production_mode_refuses_to_start_without_a_public_base_url(tmp_path):
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        production_settings(tmp_path, public_base_url=None)
