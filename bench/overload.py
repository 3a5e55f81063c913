"""Weighings evaluated per second through the gateway, beside the pure rule function.

`gateway`: signed `POST /v1/stations/weighings` from the demo weigh station on the embedded
stack (HMAC check, gRPC, the rules, the inspection and the weighing stored, events written).
`rules` (the baseline): `services.overload.domain.rules.evaluate` called in a loop on the same
weighings, in process.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from decimal import Decimal

import httpx

from bench.outbox import percentile
from deploy.stack import Stack
from gateway.security.device_signing import signed_headers
from services.overload.domain.rules import Configuration, Scale, ScaleKind, VehicleKind, evaluate

PLATES = [f"苏D{n:05d}" for n in range(2000)]
CONFIGS = [("truck", 2), ("truck", 3), ("truck", 4), ("combination", 5), ("combination", 6)]


def _weighings(n: int, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kind, axles = rng.choice(CONFIGS)
        out.append(
            {
                "client_weighing_id": str(uuid.uuid4()),
                "plate": rng.choice(PLATES),
                "vehicle": {"kind": kind, "axles": axles},
                "gross_t": f"{rng.uniform(10, 60):.2f}",
                "carrier": {"name": "常州某运输有限公司", "credit_code": "914403001922038216"},
            }
        )
    return out


def bench_rules(weighings: list[dict]) -> dict:
    scale = Scale(ScaleKind.static, "III")
    started = time.perf_counter()
    for w in weighings:
        cfg = Configuration(VehicleKind(w["vehicle"]["kind"]), w["vehicle"]["axles"])
        evaluate(cfg, scale, Decimal(w["gross_t"]))
    took = time.perf_counter() - started
    return {"variant": "rules", "n": len(weighings), "per_s": len(weighings) / took}


def bench_gateway(
    base_url: str, secret: str, weighings: list[dict], threads: int, variant: str = "gateway"
) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    chunks = [weighings[i::threads] for i in range(threads)]

    def worker(chunk: list[dict]) -> None:
        nonlocal errors
        with httpx.Client(base_url=base_url, timeout=30) as http:
            for w in chunk:
                raw = json.dumps(w, ensure_ascii=False).encode()
                headers = signed_headers(
                    "wim-station-01", secret, "POST", "/v1/stations/weighings", raw
                )
                started = time.perf_counter()
                r = http.post(
                    "/v1/stations/weighings",
                    content=raw,
                    headers={**headers, "Content-Type": "application/json"},
                )
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    errors += r.status_code != 201

    workers = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    wall = time.perf_counter() - started
    return {
        "variant": variant,
        "n": len(latencies),
        "errors": errors,
        "per_s": len(latencies) / wall,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def bench(stack: Stack, bare_db: str, n: int, threads: int, rounds: int) -> list[dict]:
    """`bare` (the baseline) is `bench/bare_app.py` on the database `bare_db`, with the demo
    station's id provisioned there under a secret of its own."""
    from bench.bare_app import serving
    from gateway.security.device_signing import DeviceCredentials
    from services.chassis.db import Database

    station = "wim-station-01"
    secret = json.loads((stack.var / "demo-devices.json").read_text())[station]["secret"]
    rows = []
    with serving(bare_db) as (bare_url, _pid):
        database = Database.from_url(bare_db)
        bare_secret = DeviceCredentials(database).provision(station, "weigh_station", "bare")
        database.dispose()
        for r in range(rounds):
            weighings = _weighings(n, seed=r)
            order = ("rules", "bare", "gateway") if r % 2 == 0 else ("gateway", "bare", "rules")
            for variant in order:
                print(f"round {r + 1}/{rounds}: weighings via {variant} ({n}) ...", flush=True)
                if variant == "rules":
                    row = bench_rules(weighings * 20)
                elif variant == "bare":
                    fresh = [{**w, "client_weighing_id": str(uuid.uuid4())} for w in weighings]
                    row = bench_gateway(bare_url, bare_secret, fresh, threads, "bare")
                else:
                    row = bench_gateway(stack.gateway_url, secret, weighings, threads)
                print(
                    "  "
                    + json.dumps(
                        {k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}
                    ),
                    flush=True,
                )
                rows.append(row)
    return rows


def _median(rows: list[dict], variant: str, key: str) -> float:
    values = sorted(r[key] for r in rows if r["variant"] == variant)
    return values[len(values) // 2]


def markdown(rows: list[dict], threads: int) -> list[str]:
    g, b, r = (_median(rows, v, "per_s") for v in ("gateway", "bare", "rules"))
    lines = [
        "## Overload: weighings evaluated",
        "",
        "`gateway`: signed `POST /v1/stations/weighings` from the demo station on the embedded",
        "stack (HMAC and nonce check, gRPC, the rules, the truck's inspection and the weighing",
        f"stored, events written in the same transaction); {threads} client threads. `bare`",
        "(the baseline): the same signed posts to a FastAPI endpoint (`bench/bare_app.py`) that",
        "checks the HMAC and the nonce the same way and inserts the weighing as one row. `rules`:",
        "the pure `evaluate` on the same weighings in a loop, in process, for scale.",
        "",
        "| variant | weighings/s | p50 | p95 | p99 | errors |",
        "|---|---:|---:|---:|---:|---:|",
        f"| rules | {r:.0f} | – | – | – | – |",
    ]
    for v in ("bare", "gateway"):
        lines.append(
            f"| {v} | {_median(rows, v, 'per_s'):.0f} | {_median(rows, v, 'p50_ms'):.1f} ms | "
            f"{_median(rows, v, 'p95_ms'):.1f} ms | {_median(rows, v, 'p99_ms'):.1f} ms | "
            f"{sum(x.get('errors', 0) for x in rows if x['variant'] == v)} |"
        )
    lines += [
        "",
        f"Ratio gateway / bare: {g / b:.2f}× (goal ≥ 0.3×); gateway / rules: {g / r:.4f}× (the",
        f"rules take {1e6 / r:.0f} µs of the {1e6 / g:.0f} µs a weighing costs through the",
        "platform).",
    ]
    return lines


def summary(rows: list[dict]) -> list[tuple[str, str]]:
    g, b = _median(rows, "gateway", "per_s"), _median(rows, "bare", "per_s")
    ms = "{:.0f} / {:.0f} / {:.0f} ms"
    return [
        ("weighing: gateway weighings/s", f"{g:.0f}"),
        ("weighing: bare weighings/s", f"{b:.0f}"),
        ("weighing: ratio gateway / bare (goal ≥ 0.3×)", f"{g / b:.2f}×"),
        (
            "weighing: gateway p50 / p95 / p99",
            ms.format(*(_median(rows, "gateway", f"p{q}_ms") for q in (50, 95, 99))),
        ),
        (
            "weighing: bare p50 / p95 / p99",
            ms.format(*(_median(rows, "bare", f"p{q}_ms") for q in (50, 95, 99))),
        ),
    ]
