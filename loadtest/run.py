"""`make load`: start the embedded stack on free ports, run locust headless against it, and
fail when a threshold in loadtest/thresholds.py is exceeded."""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from deploy.stack import Stack, free_ports
from loadtest.thresholds import MAX_FAILURE_RATIO, MAX_P95_MS

REPORTS = Path("loadtest/reports")


def check(stats_csv: Path) -> list[str]:
    problems = []
    with stats_csv.open() as f:
        for row in csv.DictReader(f):
            name, count = row["Name"], int(row["Request Count"])
            failures = int(row["Failure Count"])
            if name == "Aggregated":
                if count and failures / count > MAX_FAILURE_RATIO:
                    problems.append(
                        f"failure ratio {failures / count:.2%} > {MAX_FAILURE_RATIO:.0%}"
                    )
                continue
            limit = MAX_P95_MS.get(name)
            p95 = float(row["95%"] or 0)
            if limit is not None and p95 > limit:
                problems.append(f"{name}: p95 {p95:.0f} ms > {limit} ms")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest.run")
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", 20)))
    parser.add_argument("--run-time", default=os.environ.get("LOAD_RUN_TIME", "60s"))
    args = parser.parse_args()
    REPORTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp) / "var", free_ports())
        try:
            stack.start()
            env = {**os.environ, "LOAD_DEMO_PASSWORD": stack.secrets["demo_password"]}
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    "loadtest/locustfile.py",
                    "--headless",
                    "--host",
                    stack.gateway_url,
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(max(1, args.users // 5)),
                    "--run-time",
                    args.run_time,
                    "--csv",
                    str(REPORTS / "walking-skeleton"),
                    "--html",
                    str(REPORTS / "walking-skeleton.html"),
                    "--only-summary",
                ],
                env=env,
                check=False,
            )
        finally:
            stack.stop()
    problems = check(REPORTS / "walking-skeleton_stats.csv")
    for p in problems:
        print(f"[load] FAIL {p}")
    print(
        "[load] " + ("thresholds met" if not problems else f"{len(problems)} threshold(s) missed")
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
