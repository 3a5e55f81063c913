"""Fault injection with replicas (`make faults-replicas`): two replicas of every service and
of the gateway on PostgreSQL, a round-robin in front of each pair; under the usual load one
replica of each is killed with SIGKILL in turn (and restarted). The usual checks must hold,
and two figures are measured: the longest gap in answered device posts while a gas replica
is down, and how long a leak takes to reach its valves across those kills.

Settings as in test_faults.py (FAULTS_*), and:
  FAULTS_REPLICA_KILLS  which replicas to kill, in order (default: records-a, review-a,
                        disclosure-a, gas-a, overload-a, gateway-a, gas-b, gateway-b)
  FAULTS_DATABASE_URL   the PostgreSQL server (default TEST_DATABASE_URL, else
                        postgresql://postgres@127.0.0.1:5432/postgres)
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import statistics
import time

import pytest

from deploy.stack import free_ports
from tests.faults import test_faults as base
from tests.faults.replicas import ReplicatedStack

pytestmark = [
    pytest.mark.faults,
    pytest.mark.timeout(2400),
    pytest.mark.skipif(
        os.environ.get("FAULTS_MODE") != "replicas",
        reason="FAULTS_MODE=replicas (make faults-replicas)",
    ),
]

KILLS = [
    p.strip()
    for p in os.environ.get(
        "FAULTS_REPLICA_KILLS",
        "records-a,review-a,disclosure-a,gas-a,overload-a,gateway-a,gas-b,gateway-b",
    ).split(",")
    if p.strip()
]
DATABASE_URL = os.environ.get(
    "FAULTS_DATABASE_URL",
    os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
)
VAR = base.VAR.parent / "faults-replicas" if "FAULTS_VAR" not in os.environ else base.VAR


@pytest.fixture(scope="module")
def run():
    shutil.rmtree(VAR, ignore_errors=True)
    stack = ReplicatedStack(VAR / "var", free_ports(), DATABASE_URL)
    base.say(f"starting two replicas of everything on PostgreSQL in {stack.var} ...")
    started = time.monotonic()
    try:  # a start that fails half-way leaves no replica running either
        stack.start(ready_timeout=300)
        base.say(f"stack ready in {time.monotonic() - started:.0f} s")
        run = base.drive(
            stack, processes=KILLS, broker_kills=0, dbs=stack.databases(),
            ready=stack.wait_replica,
        )  # fmt: skip
        run.figures = figures(run)
        say_figures(run.figures)
        (VAR / "figures.json").write_text(json.dumps(run.figures, indent=2))
        yield run
    finally:
        stack.stop()
        stack.drop_databases()


def _gaps(times: list[float], start: float, end: float) -> float:
    """The longest time without an answered post inside [start, end]."""
    inside = sorted(t for t in times if start <= t <= end)
    marks = [start, *inside, end]
    return max(b - a for a, b in itertools.pairwise(marks))


def figures(run) -> dict:
    ledger = run.ledger
    answered = [end for _, end, _ in ledger.device_posts]
    gas_down = [(n, a, b) for n, a, b in run.windows if n.startswith("gas-")]
    out: dict = {"windows": [(n, round(b - a, 1)) for n, a, b in run.windows]}

    def in_gas_window(t: float) -> bool:
        return any(a <= t <= b for _, a, b in gas_down)

    out["device_posts"] = len(ledger.device_posts)
    out["longest_gap_s_while_a_gas_replica_was_down"] = round(
        max((_gaps(answered, a, b) for _, a, b in gas_down), default=0.0), 2
    )
    # For scale: the same measure over the whole load, kills or not.
    if answered:
        out["longest_gap_s_over_the_whole_load"] = round(
            _gaps(answered, min(answered), max(answered)), 2
        )
    during = [
        (end - sent, tries) for sent, end, tries in ledger.device_posts if in_gas_window(sent)
    ]
    out["posts_sent_while_a_gas_replica_was_down"] = len(during)
    out["most_attempts_of_one_post_while_down"] = max((t for _, t in during), default=0)
    out["posts_needing_a_retry_while_down"] = sum(1 for _, t in during if t > 1)
    out["slowest_post_s_while_down"] = round(max((d for d, _ in during), default=0.0), 2)
    waits = [(closed - leaked, in_gas_window(leaked) or in_gas_window(closed))
             for leaked, closed in ledger.close_waits]  # fmt: skip
    for label, chosen in (
        ("across_a_gas_kill", [w for w, down in waits if down]),
        ("otherwise", [w for w, down in waits if not down]),
    ):
        out[f"leak_to_close_s_{label}"] = (
            {
                "n": len(chosen),
                "median": round(statistics.median(chosen), 2),
                "max": round(max(chosen), 2),
            }
            if chosen
            else {"n": 0}
        )
    return out


def say_figures(f: dict) -> None:
    base.say("figures: " + json.dumps(f, ensure_ascii=False))


def test_every_replica_was_killed_and_came_back(run):
    assert set(run.killed) == set(KILLS)
    assert run.unexpected == [], "processes died without being killed"
    assert run.ledger.problems == [], "clients could not finish their work"


def test_the_load_did_every_kind_of_write(run):
    counts = run.ledger.counts()
    for what in ("cases", "evidence", "decided", "approved", "leaks", "weighings"):
        assert counts[what] > 0, f"the load made no {what}; nothing was checked for them"


@pytest.mark.parametrize(
    "check",
    [
        "acknowledged writes stored exactly once",
        "events consumed exactly once in effect",
        "every gas alarm closed every valve of its venue",
        "every decided penalty disclosed",
    ],
)
def test_the_usual_invariants_hold(run, check):
    found = base._check(run, check)
    assert found.ok, found.breaches


def test_the_log_verifies(run):
    assert run.verifier_ok, run.verifier


def test_the_gas_figures_were_measured(run):
    assert run.figures["posts_sent_while_a_gas_replica_was_down"] > 0
    assert run.figures["leak_to_close_s_across_a_gas_kill"]["n"] >= 0
