"""`make bench`: run the benchmarks on the embedded stack and write docs/benchmarks.md."""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    databases,
    disclosure,
    gas,
    hazard_noise,
    hazard_sources,
    login_wave,
    overload,
    records,
)
from bench.outbox import run_variant
from deploy.embedded import SeaweedFS, Tansu
from deploy.stack import SERVICES, Stack, free_ports

DOC = Path("docs/benchmarks.md")
# Written by hand from the profiles (docs/img/flame-*.svg); appended to the page as is.
PROFILES = Path("bench/profiles.md")


BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--events", type=int, default=1000, help="events per outbox round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--appends", type=int, default=1000, help="notes per append round")
    parser.add_argument("--threads", type=int, default=8, help="append client threads")
    parser.add_argument("--verify-entries", type=int, default=5000)
    parser.add_argument("--disclosures", type=int, default=20_000)
    parser.add_argument("--weighings", type=int, default=800)
    parser.add_argument(
        "--backends",
        default="",
        help="comma-separated: sqlite,postgresql (default: both when PostgreSQL answers, "
        "see bench/databases.py)",
    )
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
    backends = args.backends.split(",") if args.backends else databases.backends()
    # The search benchmark sends 150 searches a round from one address: more than the public
    # routes' limit per minute allows. It measures the search, not the limiter.
    os.environ.setdefault("GATEWAY_PUBLIC_REQUESTS_PER_MIN", "1000000")
    started = time.monotonic()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        keys = {"access_key": "bench", "secret_key": "bench-secret-0123"}
        with (
            SeaweedFS(data_dir=work / "s3", **keys) as s3,
            Tansu(s3_endpoint=s3.endpoint, log_path=work / "tansu.log", **keys) as broker,
        ):
            for backend in backends:
                here = work / backend
                here.mkdir()
                names = ["bare", "verify", *OUTBOX_VARIANTS]
                with databases.databases(backend, here, names) as urls:
                    try:
                        results[backend] = {
                            "outbox": _outbox(args, broker.bootstrap, urls, backend)
                        }
                    except Exception as e:  # go on with the rest
                        traceback.print_exc()
                        results[backend] = {"outbox_error": f"outbox: {e!r:.200}"}
        for backend in backends:
            here = work / backend
            stack_names = [*SERVICES, "gateway", "bare", "verify"]
            with databases.databases(backend, here, stack_names) as urls:
                results[backend] |= _on_stack(args, here, urls, backend)
                if "outbox_error" in results[backend]:
                    results[backend]["errors"].append(results[backend].pop("outbox_error"))
    print(f"all benchmarks took {time.monotonic() - started:.0f} s", flush=True)
    write_doc(results, args, time.monotonic() - started)


OUTBOX_VARIANTS = ("producer", "direct", "outbox")


def _outbox(args: argparse.Namespace, bootstrap: str, urls: dict, backend: str) -> list[dict]:
    rows = []
    for r in range(args.rounds):
        # Alternate the order so no variant always runs on a warmer broker.
        order = OUTBOX_VARIANTS if r % 2 == 0 else tuple(reversed(OUTBOX_VARIANTS))
        for name in order:
            print(
                f"[{backend}] round {r + 1}/{args.rounds}: {name} ({args.events} events) ...",
                flush=True,
            )
            rows.append(run_variant(name, bootstrap, urls[name], args.events))
            print(
                "  "
                + ", ".join(
                    f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in rows[-1].items()
                ),
                flush=True,
            )
    return rows


def _on_stack(args: argparse.Namespace, here: Path, urls: dict, backend: str) -> dict:
    service_urls = {n: urls[n] for n in (*SERVICES, "gateway")} if backend != "sqlite" else None
    stack = Stack(here / "stack" / "var", free_ports(), database_urls=service_urls)
    print(f"[{backend}] starting the embedded stack ...", flush=True)
    try:
        stack.start(ready_timeout=180)
    except BaseException:
        stack.stop()  # a start that failed half-way leaves nothing running
        raise
    out: dict = {}
    parts = {
        "append": lambda: records.bench_append(
            stack, urls["bare"], args.appends, args.threads, args.rounds
        ),
        "search": lambda: disclosure.bench_search(stack, args.disclosures, args.rounds),
        "weighing": lambda: overload.bench(
            stack, urls["bare"], args.weighings, args.threads, args.rounds
        ),
        "gas": lambda: gas.bench_from_args(stack, urls["bare"], args),
        "wave": lambda: login_wave.bench(stack, args.rounds),
    }
    if backend == "sqlite":  # their figures go to docs/hazard-sources.md
        parts["hazard_sources"] = lambda: hazard_sources.write(
            hazard_sources.markdown(hazard_sources.run(stack, args), args)
        )
        parts["hazard_noise"] = lambda: hazard_noise.write(
            hazard_noise.markdown(hazard_noise.run(400, 18218), 400)
        )
    parts["verify"] = lambda: records.bench_verify(urls["verify"], args.verify_entries)
    out["errors"] = []
    out["load"] = [os.getloadavg()[0]]  # the machine's load as each part starts and at the end
    running = True
    try:
        for name, part in parts.items():
            if name == "verify":
                stack.stop()  # the verifier runs alone
                running = False
            began = time.monotonic()
            try:
                out[name] = part()
            except Exception as e:  # one failed part must not lose the others
                traceback.print_exc()
                out["errors"].append(f"{name}: {type(e).__name__}: {str(e)[:200]}")
            print(f"[{backend}] {name} took {time.monotonic() - began:.0f} s", flush=True)
            out["load"].append(os.getloadavg()[0])
    finally:
        if running:
            stack.stop()
    return out


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


def outbox_markdown(rows: list[dict]) -> list[str]:
    producer, direct, outbox = (_best(rows, v) for v in OUTBOX_VARIANTS)
    lines = [
        "## Outbox relay against direct publishing and a raw producer",
        "",
        "Each use case commits one row and produces one event; a consumer reads them.",
        "`direct` commits, then publishes and waits for the broker's ack, and loses the event",
        "if the process or the broker fails in between. `outbox` commits the event with the row",
        "and lets the relay publish in batches. `producer` (the relay's baseline): a raw",
        "kafka-python producer with the same settings sending the same events into the same",
        "broker as fast as it batches them, no database. 4 writer threads. Delivered/s: events",
        "consumed per second from the first write to the last event consumed; latency: commit",
        "(for `producer`: send) → consumer.",
        "",
        "| variant | commits/s | delivered/s | p50 | p95 | p99 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in (producer, direct, outbox):
        lines.append(
            f"| {r['variant']} | {r['commits_per_s']:.0f} | {r['delivered_per_s']:.0f} | "
            f"{r['p50_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {r['p99_ms']:.0f} ms |"
        )
    lines += [
        "",
        f"Ratio outbox / producer: delivered "
        f"{outbox['delivered_per_s'] / producer['delivered_per_s']:.2f}× (goal ≥ 0.5×); "
        f"outbox / direct: commits {outbox['commits_per_s'] / direct['commits_per_s']:.2f}×, "
        f"p95 latency {outbox['p95_ms'] / direct['p95_ms']:.2f}×.",
        "",
        "| round variant | events | delivered | commits/s | delivered/s | p50 ms | p95 ms "
        "| p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['events']} | {r['delivered']} | {r['commits_per_s']:.0f} | "
            f"{r['delivered_per_s']:.0f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
            f"{r['p99_ms']:.0f} |"
        )
    return lines


def outbox_summary(rows: list[dict]) -> list[tuple[str, str]]:
    producer, outbox = _best(rows, "producer"), _best(rows, "outbox")
    return [
        ("outbox relay: delivered events/s", f"{outbox['delivered_per_s']:.0f}"),
        ("outbox relay: raw producer events/s", f"{producer['delivered_per_s']:.0f}"),
        (
            "outbox relay: ratio outbox / producer (goal ≥ 0.5×)",
            f"{outbox['delivered_per_s'] / producer['delivered_per_s']:.2f}×",
        ),
        (
            "outbox relay: commit → consumer p50 / p95 / p99",
            f"{outbox['p50_ms']:.0f} / {outbox['p95_ms']:.0f} / {outbox['p99_ms']:.0f} ms",
        ),
        (
            "raw producer: send → consumer p50 / p95 / p99",
            f"{producer['p50_ms']:.0f} / {producer['p95_ms']:.0f} / {producer['p99_ms']:.0f} ms",
        ),
    ]


def _side_by_side(per_backend: dict[str, list[str]]) -> list[str]:
    """One section: its heading and description once, then each backend's tables."""
    out: list[str] = []
    for backend, lines in per_backend.items():
        first_table = next(i for i, line in enumerate(lines) if line.startswith("|"))
        if not out:
            out = [*lines[:first_table]]
        out += [f"### {BACKEND_NAMES[backend]}", "", *lines[first_table:], ""]
    return out


def write_doc(results: dict[str, dict], args: argparse.Namespace, seconds: float) -> None:
    backends = list(results)
    summary_parts = [
        (("outbox",), lambda r: outbox_summary(r["outbox"])),
        (("append", "verify"), lambda r: records.summary(r["append"], r["verify"])),
        (("weighing",), lambda r: overload.summary(r["weighing"])),
        (("gas",), lambda r: gas.summary(r["gas"])),
    ]
    summaries: dict[str, list[tuple[str, str]]] = {b: [] for b in results}
    for needs, part in summary_parts:
        # a part that failed on one database shows as "failed" in its column
        done = {b: part(r) for b, r in results.items() if all(r.get(k) for k in needs)}
        if not done:
            continue
        labels = [label for label, _ in next(iter(done.values()))]
        for b in results:
            values = [v for _, v in done[b]] if b in done else ["failed"] * len(labels)
            summaries[b] += list(zip(labels, values, strict=True))
    load1, load5, _ = os.getloadavg()
    lines = [
        "# Benchmarks",
        "",
        "Figures from `make bench` (`python -m bench.run`), which starts its own SeaweedFS and",
        "Tansu and runs every variant beside its baseline in one run, on SQLite and, when the",
        "PostgreSQL on 127.0.0.1:5432 answers (`BENCH_POSTGRES_URL`), on fresh databases",
        "there for every service and baseline. Re-run it to refresh this page. The",
        "descriptions say SQLite where the embedded stack's default is meant; on PostgreSQL the",
        "same work goes to the server. Where the time goes and what was changed: see",
        "[profiles](#where-the-time-goes).",
        "",
        f"Last run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} with "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {args.rounds} rounds "
        f"(the upper median of the rounds), {seconds / 60:.1f} min in all; load average at "
        f"the end {load1:.1f} (1 min), {load5:.1f} (5 min). A load above the core count "
        "means other work shared the machine and every figure is lower than on a quiet one.",
        f"Sizes: {args.events} outbox events, {args.appends} appends, {args.weighings} "
        f"weighings and {args.gas_events} gas events per round and variant; "
        f"{args.disclosures} disclosures; {args.verify_entries} entries verified.",
        "",
        "## Summary",
        "",
        "| figure | " + " | ".join(BACKEND_NAMES[b] for b in backends) + " |",
        "|---|" + "---:|" * len(backends),
    ]
    for b, r in results.items():
        low, high = min(r.get("load", [0])), max(r.get("load", [0]))
        summaries[b].insert(0, ("load average (1 min) during its parts", f"{low:.1f}–{high:.1f}"))
    first = summaries[backends[0]]
    for i, (label, _value) in enumerate(first):
        lines.append(f"| {label} | " + " | ".join(summaries[b][i][1] for b in backends) + " |")
    lines.append("")
    sections = [
        (("outbox",), lambda r: outbox_markdown(r["outbox"])),
        (
            ("append", "verify"),
            lambda r: records.markdown(r["append"], r["verify"], args.threads),
        ),
        (("search",), lambda r: disclosure.markdown(r["search"], args.disclosures)),
        (("weighing",), lambda r: overload.markdown(r["weighing"], args.threads)),
        (("gas",), lambda r: gas.markdown_from_args(r["gas"], args)),
        (("wave",), lambda r: login_wave.markdown(r["wave"])),
    ]
    failures = [f"- {BACKEND_NAMES[b]}: {e}" for b, r in results.items() for e in r["errors"]]
    if failures:
        lines += ["Parts that failed in this run (their figures are missing):", "", *failures, ""]
    for needs, section in sections:
        rendered = {b: section(r) for b, r in results.items() if all(r.get(k) for k in needs)}
        if not rendered:
            continue
        # a function may return several `## ` sections (records: append and verifier)
        for part in _split_sections(rendered):
            lines += _side_by_side(part)
    profiles = PROFILES.read_text().rstrip("\n").splitlines() if PROFILES.exists() else []
    lines += profiles
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text("\n".join(lines).rstrip("\n") + "\n")
    print(f"wrote {DOC}")


def _split_sections(rendered: dict[str, list[str]]) -> list[dict[str, list[str]]]:
    starts = {
        b: [i for i, line in enumerate(lines) if line.startswith("## ")]
        for b, lines in rendered.items()
    }
    count = len(next(iter(starts.values())))
    parts = []
    for k in range(count):
        part = {}
        for b, lines in rendered.items():
            s = starts[b]
            end = s[k + 1] if k + 1 < len(s) else len(lines)
            part[b] = lines[s[k] : end]
        parts.append(part)
    return parts


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
