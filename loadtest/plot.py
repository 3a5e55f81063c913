"""The figures and tables of docs/load.md from a `make load` run.

    python -m loadtest.plot                        # loadtest/reports/load_* -> docs/img/
    python -m loadtest.plot --prefix P --out DIR --name NAME --table

Reads locust's `<prefix>_stats_history.csv` (written with --csv-full-history, so every request
name has a row per second with its rate and its percentiles over the last ~10 s), the per-kind
summary `<prefix>_kinds.csv` the locustfile writes, and `<prefix>_machine.json` (the
machine's load and CPU seconds per process, from `make load`).
Draws three PNGs: throughput per user kind with the user count, the run's p50/p95/p99, and
p95 per request for each kind. `--table` prints the Markdown tables of the results page.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

from loadtest import thresholds

KIND_COLOURS = {
    "gas-device": "#ea580c",
    "weigh-station": "#2563eb",
    "officer": "#16a34a",
    "public": "#9333ea",
    "reviewer": "#b45309",
}
AGGREGATED = "Aggregated"


def _float(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return math.nan  # N/A before the first request


def read_history(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def kind_of(name: str) -> str:
    return name.split(":", 1)[0]


def series(rows: list[dict[str, str]]):
    """Seconds since the start; users, failures/s and p50/p95/p99 of the run; requests/s per
    kind; p95 per request name. Percentiles of 0 (nothing in the window) become gaps."""
    t0 = int(rows[0]["Timestamp"])
    times: list[int] = []
    users: list[float] = []
    fails: list[float] = []
    pct: dict[str, list[float]] = {"50%": [], "95%": [], "99%": []}
    rps: dict[str, dict[int, float]] = defaultdict(dict)
    p95: dict[str, dict[int, float]] = defaultdict(dict)
    for row in rows:
        t = int(row["Timestamp"]) - t0
        if row["Name"] == AGGREGATED:
            times.append(t)
            users.append(_float(row["User Count"]))
            fails.append(_float(row["Failures/s"]))
            for key, values in pct.items():
                v = _float(row[key])
                values.append(v if v > 0 else math.nan)
            continue
        if row["Type"] != "FLOW":  # a flow is made of requests counted already
            kind = kind_of(row["Name"])
            rps[kind][t] = rps[kind].get(t, 0.0) + _float(row["Requests/s"])
        v = _float(row["95%"])
        p95[row["Name"]][t] = v if v > 0 else math.nan
    kinds = {k: [rps[k].get(t, 0.0) for t in times] for k in sorted(rps, key=_kind_order)}
    return times, users, fails, pct, kinds, p95


def _kind_order(kind: str) -> int:
    order = list(KIND_COLOURS)
    return order.index(kind) if kind in order else len(order)


def _ms_axis(ax) -> None:
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
    ax.set_ylabel("ms (log scale)")
    ax.grid(True, which="major", alpha=0.3)


def plot_throughput(times, users, fails, kinds, out: Path, title: str) -> None:
    fig, ax = plt.subplots(figsize=(10, 4.8), dpi=110)
    ax.stackplot(
        times,
        *kinds.values(),
        labels=list(kinds),
        colors=[KIND_COLOURS.get(k, "#6b7280") for k in kinds],
        alpha=0.85,
    )
    ax.plot(times, fails, color="#dc2626", linewidth=1.5, label="failures/s")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("requests/s (10-s window)")
    ax.set_xlim(0, max(times))
    ax.grid(True, alpha=0.3)
    right = ax.twinx()
    right.plot(times, users, color="#111827", linestyle="--", linewidth=1.2, label="users")
    right.set_ylabel("users")
    right.set_ylim(0, max(users) * 1.25 if max(users) else 1)
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = right.get_legend_handles_labels()
    ax.legend(handles + h2, labels + l2, loc="upper left", fontsize=8, ncol=4)
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def plot_latency(times, pct, out: Path, title: str) -> None:
    fig, ax = plt.subplots(figsize=(10, 4.2), dpi=110)
    for key, colour in (("50%", "#16a34a"), ("95%", "#ea580c"), ("99%", "#dc2626")):
        ax.plot(times, pct[key], color=colour, linewidth=1.6, label=f"p{key[:-1]}")
    _ms_axis(ax)
    ax.set_xlabel("seconds since start")
    ax.set_xlim(0, max(times))
    ax.legend(loc="upper right", fontsize=9)
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def plot_latency_by_kind(times, p95, counts: dict[str, int], out: Path, title: str) -> None:
    by_kind: dict[str, list[str]] = defaultdict(list)
    for name in p95:
        by_kind[kind_of(name)].append(name)
    kinds = sorted(by_kind, key=_kind_order)
    fig, axes = plt.subplots(len(kinds), 1, figsize=(10, 2.6 * len(kinds)), dpi=110, sharex=True)
    for ax, kind in zip(axes, kinds, strict=True):
        # Any flow (e.g. leak to close command), the login, and the busiest requests.
        names = sorted(by_kind[kind], key=lambda n: -counts.get(n, 0))
        first = [n for n in names if "->" in n or n.endswith("/v1/auth/login")]
        shown = first + [n for n in names if n not in first][:6]
        for name in shown:
            ax.plot(
                times,
                [p95[name].get(t, math.nan) for t in times],
                linewidth=1.3,
                label=name.split(": ", 1)[1],
                linestyle="--" if "->" in name else "-",
            )
        limit = thresholds.KINDS.get(kind)
        if limit is not None:
            ax.axhline(limit.p95_ms, color="#dc2626", linewidth=0.8, linestyle=":")
            ax.text(1, limit.p95_ms, f" limit {limit.p95_ms:g} ms", color="#dc2626", fontsize=7,
                    va="bottom")  # fmt: skip
        _ms_axis(ax)
        ax.set_ylabel(f"{kind}\np95 ms")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, frameon=False)
    axes[-1].set_xlabel("seconds since start")
    axes[-1].set_xlim(0, max(times))
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def markdown_tables(kinds_csv: Path) -> str:
    rows = thresholds.read_rows(kinds_csv)
    head = "| {} | requests | failed | req/s | p50 ms | p95 ms | p99 ms | max ms |"
    rule = "|---|--:|--:|--:|--:|--:|--:|--:|"

    def line(label: str, r: dict[str, str]) -> str:
        cells = (r["Requests"], r["Failures"], r["Requests/s"], r["50%"], r["95%"], r["99%"])
        return f"| {label} | " + " | ".join(cells) + f" | {r['Max']} |"

    out = [head.format("user kind"), rule]
    out += [
        line("**whole run**" if r["Kind"] == thresholds.ALL else r["Kind"], r)
        for r in rows
        if r["Name"] == thresholds.ALL
    ]
    out += ["", head.format("request"), rule]
    out += [line(f"`{r['Name']}`", r) for r in rows if r["Name"] != thresholds.ALL]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtest.plot", description=__doc__)
    parser.add_argument("--prefix", type=Path, default=Path("loadtest/reports/load"))
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--name", default="load", help="files are NAME-throughput.png, ...")
    parser.add_argument("--table", action="store_true", help="print the Markdown tables")
    args = parser.parse_args(argv)
    history = read_history(Path(f"{args.prefix}_stats_history.csv"))
    times, users, fails, pct, kinds, p95 = series(history)
    machine_file = Path(f"{args.prefix}_machine.json")
    machine = json.loads(machine_file.read_text()) if machine_file.exists() else {}
    busy = machine.get("load_average_before", [None])[0]
    subtitle = f"{int(max(users))} users, {machine.get('cpus', '?')} cores" + (
        f", load average {busy:g} before the run" if busy is not None else ""
    )
    counts = {
        r["Name"]: int(r["Requests"])
        for r in thresholds.read_rows(Path(f"{args.prefix}_kinds.csv"))
    }
    args.out.mkdir(parents=True, exist_ok=True)
    plot_throughput(
        times, users, fails, kinds, args.out / f"{args.name}-throughput.png",
        f"Throughput per user kind ({subtitle})",
    )  # fmt: skip
    plot_latency(
        times, pct, args.out / f"{args.name}-latency.png",
        f"Response time of all requests, 10-s window ({subtitle})",
    )  # fmt: skip
    plot_latency_by_kind(
        times, p95, counts, args.out / f"{args.name}-latency-by-kind.png",
        "p95 per request, 10-s window (dotted red: the kind's p95 limit)",
    )  # fmt: skip
    print(f"wrote {args.name}-throughput.png, -latency.png, -latency-by-kind.png to {args.out}")
    if args.table:
        print(markdown_tables(Path(f"{args.prefix}_kinds.csv")))
        print(json.dumps(machine))


if __name__ == "__main__":
    main()
