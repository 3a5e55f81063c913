"""`make load`: start the embedded stack on free ports, provision the load fleet, run locust
headless with loadtest/locust.conf, and exit with locust's code (the quitting listener in
the locustfile fails the run when a limit in loadtest/thresholds.py is missed).

Reports go to loadtest/reports/: locust's CSV and HTML, the per-kind summary, `load_machine.json`
(the machine's load and each process's CPU seconds during the run), the services' logs and
the figures (by `python -m loadtest.plot`, which by default redraws docs/img/ instead).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from deploy.stack import Stack, free_ports
from loadtest.fleet import provision

CONF = Path("loadtest/locust.conf")
# As in locust.conf; LOCUST_CSV moves the reports (e.g. to keep a second run beside the first).
PREFIX = Path(os.environ.get("LOCUST_CSV", "loadtest/reports/load"))


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU time used so far by each process of the stack."""
    pids = {name: child.proc.pid for name, child in stack.children.items() if child.proc}
    pids |= {"seaweedfs": stack.s3.pid, "tansu": stack.kafka.pid}
    used = {}
    for name, pid in pids.items():
        try:
            t = psutil.Process(pid).cpu_times()
            used[name] = t.user + t.system
        except (psutil.Error, TypeError):
            used[name] = 0.0
    return used


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.run", description=__doc__)
    parser.add_argument("--users", type=int, help=f"default: {CONF}, or LOCUST_USERS")
    parser.add_argument("--run-time", help=f"e.g. 90s; default: {CONF}, or LOCUST_RUN_TIME")
    args = parser.parse_args()
    overrides = []
    if args.users:
        overrides += ["--users", str(args.users), "--spawn-rate", str(max(1, args.users // 5))]
    if args.run_time:
        overrides += ["--run-time", args.run_time]
    PREFIX.parent.mkdir(parents=True, exist_ok=True)
    # Every simulated reader comes from 127.0.0.1, where real ones come from many addresses:
    # the per-address limit on the public routes would turn the test into a 429 count.
    os.environ.setdefault("GATEWAY_PUBLIC_REQUESTS_PER_MIN", "1000000")
    os.environ.setdefault("HAZARDS_REPORTS_PER_ADDRESS_PER_DAY", "1000000")  # the same reason
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp) / "var", free_ports())
        try:
            stack.start()
            fleet = stack.var / "load-fleet.json"
            started = time.monotonic()
            made = provision(stack.gateway_url, stack.secrets["demo_password"], fleet)
            print(
                f"[load] fleet: {len(made['officers'])} officers, {len(made['reviewers'])} "
                f"reviewers, {len(made['venues'])} gas venues, {len(made['stations'])} weigh "
                f"stations ({time.monotonic() - started:.1f} s)",
                flush=True,
            )
            before = cpu_seconds(stack), os.getloadavg(), time.time()
            locust_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
            code = subprocess.run(
                [sys.executable, "-m", "locust", "--config", str(CONF), "--host",
                 stack.gateway_url, *overrides],
                env={**os.environ, "LOAD_FLEET": str(fleet)},
                check=False,
            ).returncode  # fmt: skip
            after = cpu_seconds(stack), os.getloadavg(), time.time()
            done = resource.getrusage(resource.RUSAGE_CHILDREN)
            used = {name: round(after[0][name] - before[0].get(name, 0.0), 1) for name in after[0]}
            used["locust"] = round(
                done.ru_utime + done.ru_stime - locust_cpu.ru_utime - locust_cpu.ru_stime, 1
            )
            machine = {
                "cpus": os.cpu_count(),
                "load_average_before": [round(x, 2) for x in before[1]],
                "load_average_after": [round(x, 2) for x in after[1]],
                "seconds": round(after[2] - before[2], 1),
                "cpu_seconds": used,
            }
            Path(f"{PREFIX}_machine.json").write_text(json.dumps(machine, indent=1))
            print(f"[load] CPU seconds per process during the run: {used}")
            dead = [n for n, c in stack.children.items() if c.proc and c.proc.poll() is not None]
            if dead:
                print(f"[load] FAIL processes died during the run: {', '.join(dead)}")
                code = code or 1
        finally:
            stack.stop()
            # The services' logs, to read a failure after the stack's folder is gone.
            shutil.copytree(stack.logs, Path(f"{PREFIX}_logs"), dirs_exist_ok=True)
    try:
        from loadtest import plot  # matplotlib is a dev dependency; the verdict does not need it

        plot.main(["--prefix", str(PREFIX), "--out", f"{PREFIX}_figures"])
    except Exception as exc:  # a figure must never change the verdict
        print(f"[load] no figures: {exc}")
    print(f"[load] reports: {PREFIX}_*.csv, _machine.json and the HTML; exit code {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
