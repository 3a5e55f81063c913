"""Flame graphs of the write paths under load: `python -m bench.profile [--seconds S]`.

Starts the embedded stack (SQLite), then for each path drives it as `make bench` does while
py-spy samples the gateway and the service behind it; writes docs/img/flame-<path>-<process>
.svg and prints the heaviest frames of each (own time, and time including callees) so the
page can say where a request's milliseconds go. Needs ptrace (root, or CAP_SYS_PTRACE).

Paths: `append` (POST /v1/cases/{id}/entries -> records), `weighing` (POST
/v1/stations/weighings -> overload), `gas` (POST /v1/gas/device-events -> gas).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import gas, overload, records
from deploy.stack import Stack, free_ports

IMG = Path("docs/img")
SERVICE = {"append": "records", "weighing": "overload", "gas": "gas"}


def _spy(pid: int, seconds: int, out: Path, fmt: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid", str(pid),
            "--duration", str(seconds),
            "--rate", "200",
            "--format", fmt,
            "--output", str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip


# Leaf frames where a thread waits rather than works: py-spy without --gil cannot always tell
# a thread blocked in these from one running, so they are left out of the shares.
WAITING = (
    "Condition.wait",
    "EpollSelector.select",
    "_PollLikeSelector.select",
    "_worker (concurrent/futures/thread.py:81)",
    "NetworkSelector.wakeup",
    "Event.wait",
    "Thread.run (threading.py:982)",
    "WorkerThread.run",
)


def _heaviest(raw: Path, top: int = 14) -> dict:
    """Own and inclusive sample shares per frame from py-spy's collapsed stacks, waiting
    frames left out; `Runner.run` own time is the event loop's C side (selector, callbacks
    into the protocol) that py-spy shows no Python frame for."""
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        count = int(n)
        frames = [f for f in stack.split(";") if not f.startswith("thread (")]
        if not frames or any(frames[-1].startswith(w) for w in WAITING):
            continue
        total += count
        own[frames[-1]] += count
        for f in set(frames):
            incl[f] += count
    share = lambda c: [(f, round(100 * n / total, 1)) for f, n in c.most_common(top)]  # noqa: E731
    return {"samples": total, "own_pct": share(own), "inclusive_pct": share(incl)}


def _setup(stack: Stack, path: str):
    """What a path's load needs, made once outside the sampled time (logins are argon2)."""
    if path == "append":
        case_id, headers = records.open_case(stack)
        return f"{stack.gateway_url}/v1/cases/{case_id}/entries", headers
    if path == "weighing":
        return json.loads((stack.var / "demo-devices.json").read_text())["wim-station-01"]
    return asyncio.run(gas._register(stack, 40))


def _drive(stack: Stack, path: str, setup, seconds: float, threads: int) -> int:
    """Load for `seconds`; returns the requests answered."""
    deadline = time.monotonic() + seconds
    done = 0
    while time.monotonic() < deadline:
        if path == "append":
            done += records._drive(*setup, 200, threads)["requests"]
        elif path == "weighing":
            weighings = overload._weighings(200, int(time.time() * 1000))
            done += overload.bench_gateway(stack.gateway_url, setup["secret"], weighings, threads)[
                "n"
            ]
        else:
            load = gas.Load(events=2000, batch=20, devices=16, leak_workers=0)
            done += gas._run(stack.gateway_url, setup, load, {})["posts"]
    return done


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--paths", default="append,weighing,gas")
    parser.add_argument("--tag", default="", help="added to the file names, e.g. -before")
    args = parser.parse_args()
    IMG.mkdir(parents=True, exist_ok=True)
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp) / "var", free_ports())
        stack.start(ready_timeout=180)
        try:
            for path in args.paths.split(","):
                procs = {"gateway": stack.children["gateway"].proc.pid}
                procs[SERVICE[path]] = stack.children[SERVICE[path]].proc.pid
                # warm up first (connections, caches), then sample while the load goes on
                setup = _setup(stack, path)
                _drive(stack, path, setup, 3, args.threads)
                answered: list[int] = []
                driver = threading.Thread(
                    target=lambda p=path, s=setup, a=answered: a.append(
                        _drive(stack, p, s, args.seconds + 2, args.threads)
                    )
                )
                cpu = {name: gas._cpu_s(pid) for name, pid in procs.items()}
                driver.start()
                spies = []
                for name, pid in procs.items():
                    svg = IMG / f"flame-{path}-{name}{args.tag}.svg"
                    raw = Path(tmp) / f"{path}-{name}.txt"
                    spies.append((name, svg, raw, _spy(pid, args.seconds, svg, "flamegraph")))
                    spies.append((name, None, raw, _spy(pid, args.seconds, raw, "raw")))
                for _name, _svg, _raw, spy in spies:
                    _, err = spy.communicate()
                    if spy.returncode:
                        print(err.decode()[-500:], file=sys.stderr)
                driver.join()
                cpu_ms = {
                    name: round(1000 * (gas._cpu_s(pid) - cpu[name]) / max(answered[0], 1), 2)
                    for name, pid in procs.items()
                }
                print(f"== {path}: {answered[0]} requests, CPU ms per request {cpu_ms}")
                for name, svg, raw, _ in spies:
                    if svg is None and raw.exists():
                        report[f"{path}/{name}"] = {
                            "requests": answered[0],
                            "cpu_ms_per_request": cpu_ms[name],
                            **_heaviest(raw),
                        }
                        print(f"== {path} / {name}")
                        print(json.dumps(report[f"{path}/{name}"], ensure_ascii=False, indent=1))
        finally:
            stack.stop()
    out = Path(tmp).parent / f"bench-profile{args.tag}.json"
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"wrote the flame graphs to {IMG}/ and the summary to {out}")


if __name__ == "__main__":
    main()
