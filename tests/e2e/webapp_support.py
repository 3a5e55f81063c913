"""What the browser tests of the web apps share: the embedded stack serving a built app, and
Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

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
