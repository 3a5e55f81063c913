"""`make bench`: run the benchmarks on the embedded stack and write docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import disclosure, gas, hazard_noise, hazard_sources, login_wave, overload, records
from bench.outbox import run_variant
from deploy.embedded import SeaweedFS, Tansu
from deploy.stack import Stack, free_ports

DOC = Path("docs/benchmarks.md")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--appends", type=int, default=2000, help="notes per append round")
    parser.add_argument("--threads", type=int, default=8, help="append client threads")
    parser.add_argument("--verify-entries", type=int, default=10000)
    parser.add_argument("--disclosures", type=int, default=100_000)
    parser.add_argument("--weighings", type=int, default=1500)
    gas.add_arguments(parser)
    hazard_sources.add_arguments(parser)
    parser.add_argument(
        "--only",
        choices=["gas", "hazard-sources"],
        help="run this part alone and replace only its section of the page",
    )
    args = parser.parse_args()
    if args.only == "hazard-sources":
        hazard_noise.write(hazard_noise.markdown(hazard_noise.run(400, 18218), 400))
        hazard_sources.main_with(args)
        return
    if args.only == "gas":
        replace_section(gas.markdown_from_args(gas.run_alone(args), args))
        return

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        keys = {"access_key": "bench", "secret_key": "bench-secret-0123"}
        with (
            SeaweedFS(data_dir=work / "s3", **keys) as s3,
            Tansu(s3_endpoint=s3.endpoint, log_path=work / "tansu.log", **keys) as broker,
        ):
            rows = []
            for r in range(args.rounds):
                # Alternate the order so neither variant always runs on a warmer broker.
                for name in ("direct", "outbox") if r % 2 == 0 else ("outbox", "direct"):
                    print(
                        f"round {r + 1}/{args.rounds}: {name} ({args.events} events) ...",
                        flush=True,
                    )
                    rows.append(run_variant(name, broker.bootstrap, work, args.events))
                    print(
                        "  "
                        + ", ".join(
                            f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in rows[-1].items()
                        ),
                        flush=True,
                    )
        stack = Stack(work / "stack" / "var", free_ports())
        print("starting the embedded stack ...", flush=True)
        stack.start(ready_timeout=120)
        try:
            append_rows = records.bench_append(stack, work, args.appends, args.threads, args.rounds)
            search_rows = disclosure.bench_search(stack, args.disclosures, args.rounds)
            weighing_rows = overload.bench(stack, args.weighings, args.threads, args.rounds)
            gas_rows = gas.bench_from_args(stack, work, args)
            wave_rows = login_wave.bench(stack, args.rounds)
            # its figures go to docs/hazard-sources.md
            hazard_noise.write(hazard_noise.markdown(hazard_noise.run(400, 18218), 400))
            hazard_sources.write(hazard_sources.markdown(hazard_sources.run(stack, args), args))
        finally:
            stack.stop()
        verify_row = records.bench_verify(work, args.verify_entries)
        print(json.dumps(verify_row), flush=True)
    write_doc(
        rows,
        args,
        [
            *records.markdown(append_rows, verify_row, args.threads),
            "",
            *disclosure.markdown(search_rows, args.disclosures),
            "",
            *overload.markdown(weighing_rows, args.threads),
            "",
            *gas.markdown_from_args(gas_rows, args),
            "",
            *login_wave.markdown(wave_rows),
        ],
    )


def _best(rows: list[dict], name: str) -> dict:
    mine = [r for r in rows if r["variant"] == name]
    return {
        k: (
            sorted(r[k] for r in mine)[len(mine) // 2]
            if isinstance(mine[0][k], float)
            else mine[0][k]
        )
        for k in mine[0]
    }


def write_doc(rows: list[dict], args: argparse.Namespace, more: list[str]) -> None:
    direct, outbox = _best(rows, "direct"), _best(rows, "outbox")
    lines = [
        "# Benchmarks",
        "",
        "Figures from `make bench` (`python -m bench.run`), which starts its own SeaweedFS and",
        "Tansu and runs every variant side by side in one run. Re-run it to refresh this page.",
        "",
        f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"Python {platform.python_version()}, {args.events} events per variant, "
        f"{args.rounds} rounds (the upper median of the rounds below).",
        "",
        "## Outbox relay against direct publishing",
        "",
        "Each use case commits one row to SQLite and produces one event; a consumer reads them.",
        "`direct` (the baseline) commits, then publishes and waits for the broker's ack, and",
        "loses the event if the process or the broker fails in between. `outbox` commits the",
        "event with the row and lets the relay publish in batches. 4 writer threads.",
        "",
        "| variant | commits/s | commit → consumer p50 | p95 | p99 |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in (direct, outbox):
        lines.append(
            f"| {r['variant']} | {r['commits_per_s']:.0f} | {r['p50_ms']:.0f} ms | "
            f"{r['p95_ms']:.0f} ms | {r['p99_ms']:.0f} ms |"
        )
    throughput = outbox["commits_per_s"] / direct["commits_per_s"]
    latency = outbox["p95_ms"] / direct["p95_ms"]
    lines += [
        "",
        f"Ratio outbox / direct: throughput {throughput:.2f}×, p95 latency {latency:.2f}×.",
        "",
        "All rounds:",
        "",
        "| variant | events | delivered | commits/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['events']} | {r['delivered']} | "
            f"{r['commits_per_s']:.0f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
            f"{r['p99_ms']:.0f} |"
        )
    lines += ["", *more]
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text("\n".join(lines) + "\n")
    print(f"wrote {DOC}")


def replace_section(section: list[str]) -> None:
    """Put `section` (starting with its `## ` heading) in place of the same section of the
    page, or at its end; the other sections keep their figures."""
    lines = DOC.read_text().splitlines() if DOC.exists() else ["# Benchmarks"]
    heading = section[0]
    if heading in lines:
        start = lines.index(heading)
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        lines[start:end] = [*section, ""] if end < len(lines) else section
    else:
        lines += ["", *section]
    DOC.write_text("\n".join(lines) + "\n")
    print(f"wrote {heading!r} into {DOC}")


if __name__ == "__main__":
    main()
