"""What the browser tests of the web apps share: the embedded stack serving a built app, and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from deploy.stack import Stack, free_ports

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]


@contextmanager
def stack_serving(app: str, var: Path) -> Iterator[Stack]:
    """The embedded stack, once `web/<app>` is built and Chromium is there to look at it."""
    if not (REPO / "web" / app / "dist" / "index.html").exists():
        pytest.fail(f"web/{app} is not built: `make test` builds it (`make web`)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's Chromium")
    s = Stack(var, free_ports())
    try:
        s.start(ready_timeout=120)
        yield s
    finally:
        s.stop()


@contextmanager
def chromium() -> Iterator[Browser]:
    # Without the background-networking flags Chromium keeps calling hosts this machine
    # cannot reach.
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield b
        finally:
            b.close()


# 薛家镇, 常州市新北区: where the demo officers work
WHERE = {"latitude": 31.8456, "longitude": 119.9612, "accuracy": 12}


@contextmanager
def phone_page(browser: Browser, stack: Stack, viewport: dict[str, int]) -> Iterator[Page]:
    """A page of a phone at WHERE (touch, zh-CN, location allowed) on the stack's gateway."""
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation=WHERE,
        permissions=["geolocation"],
        base_url=stack.gateway_url,
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def api_login(stack: Stack, username: str) -> dict[str, str]:
    """The Authorization header of a demo user, for what the test does through the API."""
    r = httpx.post(
        f"{stack.gateway_url}/v1/auth/login",
        json={"username": username, "password": stack.secrets["demo_password"]},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
