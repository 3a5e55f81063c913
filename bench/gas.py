"""Signed gas device events per second through the gateway, beside a bare endpoint that only
checks the signature, and how long a leak takes to become a close command under that load.

`gateway`: the simulator's venues (`devices/gas_simulator.py`) on the embedded stack post
batches as fast as they are answered: detectors a heartbeat and readings, valves a
heartbeat, from several devices at once; meanwhile gas leaks in one venue after another (a
ramp of single readings, then the valve learns of the close command and acknowledges it,
then the venue is ventilated). `paced`: the same at a steady offered rate (the issue's
2,000 events/s), where the leak latency is what a district at that rate would see.
`bare` (the baseline): the same batches to `bench/bare_app.py`, which only checks the
signature (secret lookup, HMAC, nonce stored in SQLite) and counts the events.

`python -m bench.run --only gas` runs this part alone on its own stack.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from bench.outbox import percentile
from deploy.stack import Stack, free_ports
from devices.gas_simulator import Leak, Simulator, SimVenue
from services.chassis.db import Database, make_engine

LEAK_MODES = ("post", "long-poll")
# Enough devices in flight that the paced rate holds when answers slow down for a moment.
PACED_DEVICES = 64
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _machine_cpu_s() -> float:
    """CPU seconds all processes of the machine used so far (Linux /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass(frozen=True)
class Load:
    events: int  # about this many per round and variant
    batch: int  # events per detector post
    devices: int  # posting at once
    leak_workers: int  # venues leaking at a time
    rate: float | None = None  # offered events/s; None: as fast as answered


async def _drive(
    sim: Simulator, venues: list[SimVenue], load: Load, servers: dict[str, int]
) -> tuple[dict, list[tuple[str, Leak]]]:
    """Post `load` and leak gas meanwhile; returns the wall time, the events accepted in it,
    the CPU time of `servers` (name -> pid), of this process and of the rest of the machine,
    and the leaks."""
    idle: asyncio.Queue[SimVenue] = asyncio.Queue()
    for v in venues:
        idle.put_nowait(v)
    state = {"left": load.events, "leaks": 0, "next_at": time.perf_counter()}
    leaks: list[tuple[str, Leak]] = []

    async def pace(n: int) -> None:
        if load.rate is None:
            return
        now = time.perf_counter()
        slot = max(now, state["next_at"])
        state["next_at"] = slot + n / load.rate
        await asyncio.sleep(slot - now)

    async def device_worker() -> None:
        turn = 0
        while state["left"] > 0:
            venue = await idle.get()
            try:
                turn += 1
                if turn % 5 == 0:  # valves check in too, less often and with fewer events
                    device, events = venue.valve, sim.valve_batch(venue)
                else:
                    device, events = venue.detector, sim.detector_batch(venue, load.batch - 1)
                await pace(len(events))
                reply = await sim.post(device, events)
                if not reply.ok:
                    raise RuntimeError(f"{reply.status}: {reply.problem}")
                state["left"] -= len(events)
            finally:
                idle.put_nowait(venue)

    async def leak_worker() -> None:
        while state["left"] > 0:
            venue = await idle.get()  # no background readings from a venue while it leaks
            try:
                mode = LEAK_MODES[state["leaks"] % len(LEAK_MODES)]  # alternate
                state["leaks"] += 1
                leaks.append((mode, await sim.leak(venue, valve=mode)))
                await sim.ventilate(venue)
            finally:
                idle.put_nowait(venue)

    cpu = {name: _cpu_s(pid) for name, pid in servers.items()} | {
        "client": time.process_time(),
        "machine": _machine_cpu_s(),
    }
    started = time.perf_counter()
    leaking = [asyncio.create_task(leak_worker()) for _ in range(load.leak_workers)]
    await asyncio.gather(*(device_worker() for _ in range(load.devices)))
    wall = time.perf_counter() - started
    cpu = {name: _cpu_s(pid) - cpu[name] for name, pid in servers.items()} | {
        "client": time.process_time() - cpu["client"],
        "machine": _machine_cpu_s() - cpu["machine"],
    }
    # Everything else: the rest of the stack and whatever else shares the machine.
    cpu["other"] = cpu.pop("machine") - sum(cpu.values())
    accepted = sim.totals.accepted
    await asyncio.gather(*leaking)  # the leaks under way finish, outside the timed part
    return {"wall_s": wall, "events": accepted, "cpu": cpu}, leaks


def _run(url: str, venues: list[SimVenue], load: Load, servers: dict[str, int]) -> dict:
    """One round of one variant; `servers` names the processes whose CPU time is counted."""

    async def go() -> dict:
        limits = httpx.Limits(max_connections=load.devices + 2 * load.leak_workers + 4)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
            sim = Simulator(http)
            sim.venues.update((v.venue_id, v) for v in venues)
            timed, leaks = await _drive(sim, venues, load, servers)
        t = sim.totals
        wall = timed["wall_s"]
        row = {
            "posts": t.requests,
            "events": timed["events"],
            "errors": t.errors,
            "retries": t.retries,
            "latencies_ms": [x * 1000 for x in t.latencies],
            "wall_s": wall,
            "per_s": timed["events"] / wall,
            "req_p50_ms": percentile(t.latencies, 0.5) * 1000,
            "req_p95_ms": percentile(t.latencies, 0.95) * 1000,
            "req_p99_ms": percentile(t.latencies, 0.99) * 1000,
            # CPU per process as a share of the wall time (2.0 = both cores of this machine)
            **{f"cpu_{name}": used / wall for name, used in timed["cpu"].items()},
        }
        for mode in LEAK_MODES:
            mine = [leak for m, leak in leaks if m == mode]
            row[f"leak_{mode}_ms"] = [leak.command_ready_s * 1000 for leak in mine]
            row[f"missed_{mode}"] = sum(1 for leak in mine if not leak.acknowledged)
        return row

    return asyncio.run(go())


def _run_split(
    url: str, venues: list[SimVenue], load: Load, servers: dict[str, int], processes: int
) -> dict:
    """One round from `processes` client processes, each with its share of the venues, the
    devices and the events, so the baseline is not held back by one client's core."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    share = replace(
        load, events=load.events // processes, devices=max(1, load.devices // processes)
    )
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(
            pool.map(
                _run,
                [url] * processes,
                [venues[i::processes] for i in range(processes)],
                [share] * processes,
                [servers] * processes,
            )
        )
    wall = max(p["wall_s"] for p in parts)
    clients = [p["cpu_client"] * p["wall_s"] for p in parts]  # CPU seconds of each client
    row = {
        "posts": sum(p["posts"] for p in parts),
        "events": sum(p["events"] for p in parts),
        "errors": sum(p["errors"] for p in parts),
        "retries": sum(p["retries"] for p in parts),
        "latencies_ms": [x for p in parts for x in p["latencies_ms"]],
        "wall_s": wall,
    }
    row["per_s"] = row["events"] / wall
    for q in (50, 95, 99):
        row[f"req_p{q}_ms"] = percentile(row["latencies_ms"], q / 100)
    for key in parts[0]:
        if key.startswith("cpu_") and key not in ("cpu_client", "cpu_other"):
            row[key] = sum(p[key] for p in parts) / processes
    row["cpu_client"] = sum(clients) / wall
    # each client saw the others as "other"
    row["cpu_other"] = (
        sum(
            p["cpu_other"] - (sum(clients) - own) / p["wall_s"]
            for p, own in zip(parts, clients, strict=True)
        )
        / processes
    )
    for mode in LEAK_MODES:
        row[f"leak_{mode}_ms"] = [x for p in parts for x in p[f"leak_{mode}_ms"]]
        row[f"missed_{mode}"] = sum(p[f"missed_{mode}"] for p in parts)
    return row


async def _register(stack: Stack, count: int) -> list[SimVenue]:
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as http:
        sim = Simulator(http)
        admin = await sim.login("admin", stack.secrets["demo_password"])
        return await sim.register(admin, count, prefix="bench")


def _provision_bare(database_url: str, venues: list[SimVenue]) -> list[SimVenue]:
    """The same devices in the bare app's database, each with its own secret there."""
    from gateway.security.device_signing import DeviceCredentials

    database = Database(make_engine(database_url))
    credentials = DeviceCredentials(database)

    def issued(device):
        return replace(
            device, secret=credentials.provision(device.device_id, device.kind, device.venue_id)
        )

    try:
        return [replace(v, detector=issued(v.detector), valve=issued(v.valve)) for v in venues]
    finally:
        database.dispose()


def bench(
    stack: Stack, bare_db: str, load: Load, *, venues: int, rounds: int, bare_clients: int = 2
) -> list[dict]:
    """`stack` is started by the caller and stays up for the next benchmark; the baseline
    keeps its secrets and nonces in the database `bare_db` and is driven from `bare_clients`
    processes."""
    from bench.bare_app import serving

    print(f"registering {venues} gas venues ...", flush=True)
    gateway_venues = asyncio.run(_register(stack, venues))
    rows = []
    with serving(bare_db) as (bare_url, bare_pid):
        bare_venues = _provision_bare(bare_db, gateway_venues)
        stack_servers = {n: stack.children[n].proc.pid for n in ("gateway", "gas")}
        variants = {
            "bare": (bare_url, bare_venues, replace(load, leak_workers=0, rate=None),
                     {"gateway": bare_pid}),
            "gateway": (stack.gateway_url, gateway_venues, replace(load, rate=None), stack_servers),
            "paced": (stack.gateway_url, gateway_venues,
                      replace(load, devices=max(load.devices, PACED_DEVICES)), stack_servers),
        }  # fmt: skip
        if load.rate is None:
            del variants["paced"]
        for r in range(rounds):
            # Alternate the order so no variant always runs on a warmer (or fuller) stack.
            for name in list(variants) if r % 2 == 0 else list(reversed(variants)):
                print(f"round {r + 1}/{rounds}: gas events, {name} ...", flush=True)
                if name == "bare" and bare_clients > 1:
                    row = {"variant": name, **_run_split(*variants[name], bare_clients)}
                else:
                    row = {"variant": name, **_run(*variants[name])}
                del row["latencies_ms"]
                shown = {k: v for k, v in row.items() if not isinstance(v, list)}
                for mode in LEAK_MODES:
                    if row[f"leak_{mode}_ms"]:
                        shown[f"leak_{mode}_p99_ms"] = percentile(row[f"leak_{mode}_ms"], 0.99)
                print(
                    "  "
                    + json.dumps(
                        {k: round(v, 2) if isinstance(v, float) else v for k, v in shown.items()}
                    ),
                    flush=True,
                )
                rows.append(row)
    return rows


def markdown(rows: list[dict], load: Load, *, venues: int) -> list[str]:
    def median(variant: str, key: str) -> float:
        values = sorted(r[key] for r in rows if r["variant"] == variant and key in r)
        return values[len(values) // 2] if values else float("nan")

    def total(variant: str, key: str) -> int:
        return sum(r[key] for r in rows if r["variant"] == variant)

    variants = [v for v in ("bare", "gateway", "paced") if any(r["variant"] == v for r in rows)]
    g, b = median("gateway", "per_s"), median("bare", "per_s")
    paced = (
        [
            f"`paced`: the same at a steady {load.rate:.0f} events/s offered, from up to",
            f"{max(load.devices, PACED_DEVICES)} devices at once.",
        ]
        if load.rate
        else []
    )
    lines = [
        "## Gas: signed device events",
        "",
        f"{venues} simulated venues (`devices/gas_simulator.py`), a detector and a valve each.",
        f"{load.devices} devices post at once: detectors a heartbeat and {load.batch - 1} readings",
        "per batch, valves (every fifth post) a heartbeat. `gateway`: `POST /v1/gas/device-events`",
        "on the embedded stack as fast as it answers (signature and nonce, schema, gRPC, the",
        "batch stored once with the alarm rules in one SQLite transaction).",
        *paced,
        f"Meanwhile gas leaks in {load.leak_workers} venues at a time, one after another: the",
        "detector posts a ramp of single readings; the valve gets the close command in the",
        "answer to the post it makes as soon as the alarm-raising reading was answered (`post`),",
        "or through the long-poll `GET /v1/gas/commands` it holds open (`long-poll`), and",
        "acknowledges it; then the venue is ventilated. `bare` (the baseline): the same batches",
        "to a FastAPI endpoint that only checks the signature (secret lookup, HMAC, nonce stored",
        "in the database) and counts the events. CPU: cores used by each process over the run",
        "(this machine has 2; `client` is the simulator; `other` is every other process on the",
        "machine: the rest of the stack and whatever else shares the two cores, which lowers the",
        "figures when it is busy).",
        "",
        "| variant | events/s | requests | p50 | p95 | p99 | CPU server | CPU gas | CPU client "
        "| CPU other | errors | retries |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in variants:
        gas_cpu = f"{median(name, 'cpu_gas'):.2f}" if name != "bare" else "–"
        lines.append(
            f"| {name} | {median(name, 'per_s'):.0f} | {total(name, 'posts')} | "
            f"{median(name, 'req_p50_ms'):.1f} ms | {median(name, 'req_p95_ms'):.1f} ms | "
            f"{median(name, 'req_p99_ms'):.1f} ms | "
            f"{median(name, 'cpu_gateway'):.2f} | {gas_cpu} | {median(name, 'cpu_client'):.2f} | "
            f"{median(name, 'cpu_other'):.2f} | {total(name, 'errors')} | "
            f"{total(name, 'retries')} |"
        )
    lines += [
        "",
        f"Ratio gateway / bare: throughput {g / b:.2f}× (goal: ≥ 10,000 events/s through the",
        "gateway). `bare` is driven from two client processes (`CPU client` is their sum), so",
        "one client's core no longer caps it; `gateway` from one, which it does not saturate.",
        "`retries`: posts sent again after a connection error, with the same events and",
        "sequence numbers (the gas service stores them once); `errors`: posts refused.",
        "",
        "Leak → close command ready for the valve, from sending the alarm-raising reading to the",
        "valve holding the command, under the load of each variant (all rounds together). `post`",
        "is two requests through the queue of batches; on the `long-poll` the gas service",
        "answers the held poll as soon as the command is issued.",
        "",
        "| variant | valve learns by | leaks | p50 | p99 | max | not acknowledged |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name in variants:
        for mode in LEAK_MODES:
            ms = [x for r in rows if r["variant"] == name for x in r.get(f"leak_{mode}_ms", [])]
            if not ms:
                continue
            lines.append(
                f"| {name} | {mode} | {len(ms)} | {percentile(ms, 0.5):.0f} ms | "
                f"{percentile(ms, 0.99):.0f} ms | {max(ms):.0f} ms | "
                f"{total(name, f'missed_{mode}')} |"
            )
    lines += [
        "",
        "| round variant | events | events/s | p50 ms | p99 ms | leaks | leak p99 ms | CPU other |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ms = [x for mode in LEAK_MODES for x in r.get(f"leak_{mode}_ms", [])]
        leak = f"{len(ms)} | {percentile(ms, 0.99):.0f}" if ms else "– | –"
        lines.append(
            f"| {r['variant']} | {r['events']} | {r['per_s']:.0f} | {r['req_p50_ms']:.1f} | "
            f"{r['req_p99_ms']:.1f} | {leak} | {r['cpu_other']:.2f} |"
        )
    return lines


def summary(rows: list[dict]) -> list[tuple[str, str]]:
    def median(variant: str, key: str) -> float:
        values = sorted(r[key] for r in rows if r["variant"] == variant and key in r)
        return values[len(values) // 2] if values else float("nan")

    g, b = median("gateway", "per_s"), median("bare", "per_s")
    ms = "{:.0f} / {:.0f} / {:.0f} ms"
    return [
        ("gas: gateway events/s (goal ≥ 10,000)", f"{g:.0f}"),
        ("gas: bare events/s (2 client processes)", f"{b:.0f}"),
        ("gas: ratio gateway / bare", f"{g / b:.2f}×"),
        (
            "gas: gateway post p50 / p95 / p99",
            ms.format(*(median("gateway", f"req_p{q}_ms") for q in (50, 95, 99))),
        ),
        (
            "gas: bare post p50 / p95 / p99",
            ms.format(*(median("bare", f"req_p{q}_ms") for q in (50, 95, 99))),
        ),
        (
            "gas: posts retried / refused",
            f"{sum(r['retries'] for r in rows)} / {sum(r['errors'] for r in rows)}",
        ),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gas-events", type=int, default=12_000, help="events per gas round")
    parser.add_argument("--gas-batch", type=int, default=20, help="events per detector post")
    parser.add_argument("--gas-devices", type=int, default=16, help="devices posting at once")
    parser.add_argument("--gas-venues", type=int, default=200)
    parser.add_argument("--gas-leaks", type=int, default=4, help="venues leaking at a time")
    parser.add_argument(
        "--gas-rate", type=float, default=2000, help="events/s of the paced variant; 0: none"
    )


def _load(args: argparse.Namespace) -> Load:
    return Load(
        args.gas_events, args.gas_batch, args.gas_devices, args.gas_leaks, args.gas_rate or None
    )


def run_alone(args: argparse.Namespace) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        stack = Stack(work / "stack" / "var", free_ports())
        print("starting the embedded stack ...", flush=True)
        stack.start(ready_timeout=120)
        try:
            return bench_from_args(stack, f"sqlite:///{work / 'bare.db'}", args)
        finally:
            stack.stop()


def bench_from_args(stack: Stack, bare_db: str, args: argparse.Namespace) -> list[dict]:
    return bench(stack, bare_db, _load(args), venues=args.gas_venues, rounds=args.rounds)


def markdown_from_args(rows: list[dict], args: argparse.Namespace) -> list[str]:
    return markdown(rows, _load(args), venues=args.gas_venues)
