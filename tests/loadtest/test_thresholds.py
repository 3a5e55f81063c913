"""The pass/fail check of `make load`, on per-kind summaries written as the locustfile writes
them (no locust run here)."""

from __future__ import annotations

import csv

import pytest

from loadtest import thresholds
from loadtest.thresholds import ALL, KINDS, ROUTES

pytestmark = pytest.mark.unit

LEAK = "gas-device: leak -> close command"


def row(kind: str, name: str = ALL, requests: int = 1000, failures: int = 0, p95="40") -> dict:
    return {
        "Kind": kind, "Name": name, "Requests": requests, "Failures": failures,
        "Requests/s": "13.30", "50%": "10", "95%": p95, "99%": "90", "Max": "400",
    }  # fmt: skip


def healthy_run() -> list[dict]:
    rows = [row(ALL, ALL, requests=5000)]
    rows += [row(kind) for kind in KINDS]
    rows += [row("gas-device", LEAK, requests=16, p95="54")]
    rows += [row("officer", "officer: /v1/auth/login", requests=10, p95="1800")]
    rows += [row("officer", "officer: /v1/cases [open]", requests=25, p95="74")]
    return rows


def write(tmp_path, rows: list[dict]):
    path = tmp_path / "load_kinds.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=thresholds.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def replace(rows: list[dict], kind: str, name: str, **changes) -> list[dict]:
    return [{**r, **changes} if (r["Kind"], r["Name"]) == (kind, name) else r for r in rows]


def test_a_run_within_every_limit_passes(tmp_path):
    assert thresholds.check_csv(write(tmp_path, healthy_run())) == []


def test_an_officer_p95_over_its_limit_fails_the_run_and_names_the_kind(tmp_path):
    slow = KINDS["officer"].p95_ms + 1
    rows = replace(healthy_run(), "officer", ALL, **{"95%": str(int(slow))})
    [problem] = thresholds.check_csv(write(tmp_path, rows))
    assert problem.startswith(f"officer: p95 {slow:.0f} ms > {KINDS['officer'].p95_ms:.0f} ms")


def test_a_p95_exactly_at_the_limit_passes(tmp_path):
    rows = replace(healthy_run(), "public", ALL, **{"95%": str(int(KINDS["public"].p95_ms))})
    assert thresholds.check_csv(write(tmp_path, rows)) == []


def test_too_many_failures_of_a_kind_fail_the_run(tmp_path):
    rows = replace(healthy_run(), "weigh-station", ALL, Failures=6)  # 0.6 % > 0.5 %
    [problem] = thresholds.check_csv(write(tmp_path, rows))
    assert problem.startswith("weigh-station: 6 of 1000 requests failed")


def test_one_leak_without_its_close_command_fails_the_run(tmp_path):
    rows = replace(healthy_run(), "gas-device", LEAK, Failures=1)
    [problem] = thresholds.check_csv(write(tmp_path, rows))
    assert problem.startswith(LEAK) and ROUTES[LEAK].reason in problem


def test_requests_without_a_limit_of_their_own_are_judged_only_with_their_kind(tmp_path):
    rows = replace(healthy_run(), "officer", "officer: /v1/cases [open]", **{"95%": "9000"})
    assert thresholds.check_csv(write(tmp_path, rows)) == []


def test_na_percentiles_of_a_request_never_made_are_not_a_number_to_judge(tmp_path):
    rows = [*healthy_run(), row("reviewer", "reviewer: /v1/reviews/{id}", requests=0, p95="N/A")]
    assert thresholds.check_csv(write(tmp_path, rows)) == []


def test_every_limit_says_why():
    limits = [thresholds.RUN, *KINDS.values(), *ROUTES.values()]
    assert all(len(limit.reason) > 20 for limit in limits)
