"""The officer app's first load and offline start on a throttled phone network.

`python -m bench.app_load`: serves the built app (web/officer/dist) the way the gateway does,
then opens it in Debian's Chromium at 360x640 with the browser's own network throttling
(Lighthouse's "slow 4G": 562.5 ms latency, 1,474.56 kbit/s down, 675 kbit/s up) and an empty
cache, and again offline from the service worker's cache. Prints the JS and CSS it sent
(gzipped, as a server would), and the time to a usable login form, as percentiles over runs.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import threading
import time
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import sync_playwright

from deploy.embedded import free_port
from gateway.webapps import mount_web_apps

CHROMIUM = "/usr/bin/chromium"
DIST = Path("web/officer/dist")
SLOW_4G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1474.56 * 1024 / 8,
    "uploadThroughput": 675 * 1024 / 8,
}


def first_load_bytes(dist: Path) -> tuple[int, int]:
    """JS and CSS the login screen needs, raw and gzipped: index.html's own bundles plus the
    lazily loaded login view."""
    html = (dist / "index.html").read_text()
    names = [p for p in (dist / "assets").iterdir() if p.name in html or "LoginView" in p.name]
    raw = sum(p.stat().st_size for p in names if p.suffix in (".js", ".css"))
    packed = sum(
        len(gzip.compress(p.read_bytes(), 9)) for p in names if p.suffix in (".js", ".css")
    )
    return raw, packed


def serve(port: int) -> uvicorn.Server:
    app = FastAPI()
    mount_web_apps(app, Path("web"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def measure(runs: int) -> dict[str, list[float]]:
    port = free_port()
    server = serve(port)
    url = f"http://127.0.0.1:{port}/app/"
    cold, offline = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", SLOW_4G)
            started = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("input[name=password]")
            cold.append(time.perf_counter() - started)
            while not page.evaluate("() => navigator.serviceWorker.controller !== null"):
                page.wait_for_timeout(100)  # polled here: the app's CSP forbids page-side eval
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
            context.set_offline(True)
            started = time.perf_counter()
            page.reload()
            page.wait_for_selector("input[name=password]")
            offline.append(time.perf_counter() - started)
            context.close()
        browser.close()
    server.should_exit = True
    return {"cold_slow_4g_s": cold, "offline_from_cache_s": offline}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.app_load")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    raw, packed = first_load_bytes(DIST)
    print(f"first load JS+CSS: {raw / 1024:.1f} KiB raw, {packed / 1024:.1f} KiB gzipped")
    for name, values in measure(args.runs).items():
        print(
            f"{name}: median {statistics.median(values):.2f} s, p90 {pct(values, 0.9):.2f} s, "
            f"max {max(values):.2f} s over {len(values)} runs"
        )


if __name__ == "__main__":
    main()
