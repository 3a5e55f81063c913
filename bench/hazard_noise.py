"""A noisy day replayed through the sensor alarm rules: how much noise do deadband and sustain
cut, and is any true excursion missed? `python -m bench.hazard_noise` (part of `make bench`).

Pure: the rules of services/hazard_sources/domain/monitoring.py on a synthetic day of
pressure readings, one every 10 s per sensor, seeded, so the figures are the same every run:

- every sensor: a base value with measurement noise;
- spikes: single readings far over the high limit (a loose contact, EMI);
- flapping: sensors that run right at their high limit, crossing it back and forth;
- stuck: sensors whose value freezes for two hours (a stale-data alarm is right there);
- true excursions: sensors whose pressure ramps over high-high for 10 minutes.

The same readings go through "naive" limits (no deadband, sustain 1) and the shipped
defaults (deadband 0.05 MPa, sustain 3). Reported: limit alarms per 1,000 sensor-days, the
share of the naive alarms that cleared while still within the deadband of their limit
(noise the deadband absorbs), true excursions caught, and the delay to catch them.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.hazard_sources.domain.monitoring import (
    Change,
    Kind,
    Limits,
    SensorState,
    on_clock,
    on_reading,
)

DOC = Path("docs/hazard-sources.md")
BEGIN, END = "<!-- noise:begin -->", "<!-- noise:end -->"
STEP_S = 10
DAY = 24 * 3600
T0 = datetime(2026, 12, 1, tzinfo=UTC)
NAIVE = Limits(high=1.6, high_high=1.8, low=0.2, low_low=0.1, deadband=0.0, sustain=1,
               stale_after_s=1800)  # fmt: skip
TUNED = Limits(high=1.6, high_high=1.8, low=0.2, low_low=0.1, deadband=0.05, sustain=3,
               stale_after_s=1800)  # fmt: skip


@dataclass
class Sensor:
    kind: str  # quiet, spiky, flapping, stuck, excursion
    values: list[float]
    excursion_at: int | None = None  # index of the first reading of a true excursion


def make_day(rng: random.Random, kind: str) -> Sensor:
    n = DAY // STEP_S
    base = {"flapping": 1.6}.get(kind, rng.uniform(0.9, 1.3))
    values = [base + rng.gauss(0, 0.01 if kind != "flapping" else 0.02) for _ in range(n)]
    excursion_at = None
    if kind in ("spiky", "quiet", "flapping", "excursion"):
        for _ in range(rng.randint(2, 6) if kind == "spiky" else 0):
            values[rng.randrange(n)] = rng.uniform(1.85, 2.2)
    if kind == "stuck":
        start = rng.randrange(n - 800)
        for i in range(start, start + 720):  # two hours frozen
            values[i] = round(values[start], 3)
    if kind == "excursion":
        excursion_at = rng.randrange(n - 200)
        for j in range(60):  # 10 minutes ramping to 2.0 MPa, over high-high
            values[excursion_at + j] = 1.5 + 0.5 * min(1.0, j / 12) + rng.gauss(0, 0.01)
    return Sensor(kind, values, excursion_at)


def replay(sensor: Sensor, limits: Limits) -> dict:
    state = SensorState()
    raised = 0
    absorbed = 0
    active_zone_limit: float | None = None
    stale = 0
    caught_at: int | None = None
    for i, v in enumerate(sensor.values):
        at = T0 + timedelta(seconds=i * STEP_S)
        state, changes = on_reading(limits, state, v, at)
        if i % 6 == 0:
            state, clock = on_clock(limits, state, at)
            changes += clock
        for c in changes:
            if c.kind == Kind.stale and c.change == Change.raised:
                stale += 1
            if c.kind != Kind.limit:
                continue
            if c.change == Change.raised:
                raised += 1
                active_zone_limit = limits.high if c.level == "high" else limits.high_high
                if (
                    sensor.excursion_at is not None
                    and caught_at is None
                    and sensor.excursion_at <= i < sensor.excursion_at + 60
                ):
                    caught_at = i
            elif c.change == Change.cleared and active_zone_limit is not None:
                if c.value is not None and abs(c.value - active_zone_limit) <= TUNED.deadband:
                    absorbed += 1
                active_zone_limit = None
    return {"raised": raised, "absorbed": absorbed, "stale": stale, "caught_at": caught_at}


def run(sensors: int, seed: int) -> dict:
    rng = random.Random(seed)
    mix = ["quiet"] * 70 + ["spiky"] * 15 + ["flapping"] * 5 + ["stuck"] * 5 + ["excursion"] * 5
    days = [make_day(rng, mix[i % len(mix)]) for i in range(sensors)]
    out = {}
    for name, limits in (("naive", NAIVE), ("tuned", TUNED)):
        results = [replay(s, limits) for s in days]
        excursions = [(s, r) for s, r in zip(days, results, strict=True) if s.excursion_at]
        caught = [r for _, r in excursions if r["caught_at"] is not None]
        delays = [
            (r["caught_at"] - s.excursion_at) * STEP_S for s, r in excursions if r["caught_at"]
        ]
        raised = sum(r["raised"] for r in results)
        out[name] = {
            "limit_alarms": raised,
            "per_1000_sensor_days": raised * 1000 / sensors,
            "absorbed_by_deadband": sum(r["absorbed"] for r in results),
            "stale_alarms": sum(r["stale"] for r in results),
            "excursions": len(excursions),
            "caught": len(caught),
            "max_delay_s": max(delays, default=0),
            "by_kind": {
                k: sum(r["raised"] for d, r in zip(days, results, strict=True) if d.kind == k)
                for k in ("quiet", "spiky", "flapping", "stuck", "excursion")
            },
        }
    return out


def markdown(result: dict, sensors: int) -> list[str]:
    n, t = result["naive"], result["tuned"]
    share = n["absorbed_by_deadband"] / n["limit_alarms"] if n["limit_alarms"] else 0.0
    rows = [
        BEGIN,
        f"A synthetic noisy day of {sensors} pressure sensors (one reading every {STEP_S} s; "
        "70 % quiet, 15 % with spikes, 5 % flapping at the high limit, 5 % stuck for two "
        "hours, 5 % with a true 10-minute excursion over high-high), `python -m "
        "bench.hazard_noise`:",
        "",
        "| rules | limit alarms | per 1,000 sensor-days | stale alarms | true excursions caught "
        "| slowest catch |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r, what in (("naive", n, "no deadband, sustain 1"), ("tuned", t, "deadband 0.05, "
                          "sustain 3")):  # fmt: skip
        rows.append(
            f"| {name} ({what}) | {r['limit_alarms']} | {r['per_1000_sensor_days']:.0f} | "
            f"{r['stale_alarms']} | {r['caught']} of {r['excursions']} | {r['max_delay_s']} s |"
        )
    rows += [
        "",
        f"Of the naive rules' limit alarms, {share:.0%} cleared with the value still within "
        "the deadband of their limit: the noise the deadband absorbs. The tuned rules raise "
        f"{1 - t['limit_alarms'] / max(1, n['limit_alarms']):.0%} fewer limit alarms and miss "
        f"{t['excursions'] - t['caught']} true excursion(s); sustain 3 costs at most "
        f"{t['max_delay_s']} s of delay at one reading every {STEP_S} s.",
        "",
        "Where the limit alarms come from (naive → tuned): "
        + ", ".join(f"{k} {n['by_kind'][k]} → {t['by_kind'][k]}" for k in n["by_kind"])
        + ". What the tuned rules still raise comes from the sensors that run right at their "
        "high limit: a real condition (a tank kept at its limit), which a deadband of 2.5 "
        "noise widths cannot and should not hide; the limit itself is the district's to set.",
        END,
    ]
    return rows


def write(section: list[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(head + "\n".join(section) + tail, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hazard_noise")
    parser.add_argument("--sensors", type=int, default=400)
    parser.add_argument("--seed", type=int, default=18218)
    args = parser.parse_args()
    result = run(args.sensors, args.seed)
    print(result)
    write(markdown(result, args.sensors))


if __name__ == "__main__":
    main()
