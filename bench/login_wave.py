"""Device posts while a wave of officers logs in, beside the same posts with no logins.

Password checks (argon2, ~0.15 s of CPU each) run on their own small pool in the gateway so
a shift change cannot hold up gas alarms; this measures that they do not.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx

from deploy.stack import Stack
from devices.gas_simulator import Simulator, heartbeat

DEVICES = 8
LOGINS = 32
SECONDS = 4.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def _phase(stack: Stack, sim: Simulator, venues, with_logins: bool) -> dict:
    latencies: list[float] = []
    login_s: list[float] = []
    stop = time.perf_counter() + SECONDS

    async def device(d) -> None:
        while time.perf_counter() < stop:
            reply = await sim.post(d, [heartbeat(sim.next_seq(d.device_id))])
            if reply.ok:
                latencies.append(reply.seconds)
            await asyncio.sleep(0.05)

    async def login(i: int) -> None:
        started = time.perf_counter()
        r = await sim.http.post(
            "/v1/auth/login",
            json={"username": f"officer{i % 3 + 1}", "password": stack.secrets["demo_password"]},
        )
        if r.status_code == 200:
            login_s.append(time.perf_counter() - started)

    async def wave() -> None:
        await asyncio.sleep(0.5)
        await asyncio.gather(*(login(i) for i in range(LOGINS)))

    jobs = [device(v.detector) for v in venues]
    if with_logins:
        jobs.append(wave())
    await asyncio.gather(*jobs)
    return {
        "variant": "login wave" if with_logins else "no logins",
        "posts": len(latencies),
        "p50_ms": _pct(latencies, 0.5),
        "p95_ms": _pct(latencies, 0.95),
        "max_ms": max(latencies) * 1000 if latencies else 0.0,
        "logins": len(login_s),
        "login_p50_ms": statistics.median(login_s) * 1000 if login_s else 0.0,
    }


def bench(stack: Stack, rounds: int = 2) -> list[dict]:
    async def go() -> list[dict]:
        limits = httpx.Limits(max_connections=DEVICES + LOGINS + 4)
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60, limits=limits) as http:
            sim = Simulator(http)
            admin = await sim.login("admin", stack.secrets["demo_password"])
            venues = await sim.register(admin, DEVICES, prefix="wave")
            rows = []
            for r in range(rounds):
                for with_logins in (False, True) if r % 2 == 0 else (True, False):
                    rows.append(await _phase(stack, sim, venues, with_logins))
                    print(f"  login wave: {rows[-1]}", flush=True)
            return rows

    return asyncio.run(go())


def markdown(rows: list[dict]) -> list[str]:
    lines = [
        "## Device posts during a login wave",
        "",
        f"{DEVICES} gas detectors post a heartbeat every 50 ms for {SECONDS:.0f} s through the",
        f"gateway; in the `login wave` variant {LOGINS} officers log in at once 0.5 s in. Password",
        "checks run on their own pool of 2 threads, so device posts should not queue behind",
        "them; the CPU they take is still shared.",
        "",
        "| variant | device posts | p50 | p95 | max | logins | login p50 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['posts']} | {r['p50_ms']:.0f} ms | {r['p95_ms']:.0f} ms | "
            f"{r['max_ms']:.0f} ms | {r['logins']} | {r['login_p50_ms']:.0f} ms |"
        )
    calm = [r for r in rows if r["variant"] == "no logins"]
    busy = [r for r in rows if r["variant"] == "login wave"]
    if calm and busy:
        ratio = statistics.median(r["p95_ms"] for r in busy) / max(
            statistics.median(r["p95_ms"] for r in calm), 0.001
        )
        lines += ["", f"Device post p95 with the wave / without: {ratio:.1f}×."]
    return lines


if __name__ == "__main__":
    import tempfile
    from pathlib import Path

    from deploy.stack import free_ports

    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp) / "var", free_ports())
        stack.start(ready_timeout=120)
        try:
            print("\n".join(markdown(bench(stack))))
        finally:
            stack.stop()
