"""Pass/fail limits of `make load`, each with its reason, and the check that applies them.

The locustfile sums the run up per user kind and per request in `<csv prefix>_kinds.csv`
(columns `COLUMNS`; a kind's own row has the Name `ALL`, the run's the Kind and Name `ALL`)
and fails the run with the problems `check_rows` finds. Request names start with their kind:
"officer: /v1/cases [open]".

The p95 limits are for the embedded stack (SQLite, one process per service) on a 2-core
machine that also runs locust itself: they catch a route that got several times slower, not
a 20 % drift.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ALL = "(all)"
COLUMNS = ("Kind", "Name", "Requests", "Failures", "Requests/s", "50%", "95%", "99%", "Max")


@dataclass(frozen=True)
class Limit:
    p95_ms: float
    failure_ratio: float
    reason: str


# A 5xx is a bug (DESIGN.md) and every expected refusal is answered as a success by the
# scenario, so anything above a stray connection reset fails the run.
RUN = Limit(
    p95_ms=2000,
    failure_ratio=0.01,
    reason="one request in a hundred failing on an idle district's stack means it is broken",
)

KINDS = {
    "officer": Limit(
        1500,
        0.01,
        "an officer waits for these standing in front of the party; includes the evidence "
        "upload to S3 and its confirmation, which reads the file back through SHA-256",
    ),
    "reviewer": Limit(
        2000, 0.01, "desk work: a review task opens with the case's whole timeline and evidence"
    ),
    "gas-device": Limit(
        1000,
        0.005,
        "a detector posts every few seconds in an emergency; a slow answer delays the valve's "
        "close command, and firmware retries pile up behind it",
    ),
    "weigh-station": Limit(
        1000, 0.005, "the truck waits at the exit barrier for the verdict on every weighing"
    ),
    "public": Limit(1500, 0.01, "a page view on a phone; readers leave after a second or two"),
    "reporter": Limit(1500, 0.01, "a citizen reporting from a phone gives up on a form that hangs"),
}

ROUTES = {
    "gas-device: leak -> close command": Limit(
        3000,
        0.0,
        "from posting the reading that raises the alarm to the close command in the valve's "
        "hands: deployed platforms notify within 3 s (DOMAIN.md); a leak that never gets its "
        "command is a failure",
    ),
    "officer: /v1/auth/login": Limit(
        3000, 0.0, "argon2 is slow on purpose; many phones log in at once at shift start"
    ),
}


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0  # locust writes N/A where nothing was measured


def check_rows(rows: Iterable[Mapping[str, object]]) -> list[str]:
    """The limits missed, one line each; empty when the run passes."""
    problems = []
    for row in rows:
        kind, name = str(row["Kind"]), str(row["Name"])
        if kind == ALL:
            limit, what = RUN, "the run"
        elif name == ALL:
            limit, what = KINDS.get(kind), kind
        else:
            limit, what = ROUTES.get(name), name
        if limit is None:
            continue
        count, failures = _number(row["Requests"]), _number(row["Failures"])
        p95 = _number(row["95%"])
        if count and failures / count > limit.failure_ratio:
            problems.append(
                f"{what}: {failures:.0f} of {count:.0f} requests failed "
                f"({failures / count:.2%} > {limit.failure_ratio:.1%}): {limit.reason}"
            )
        if p95 > limit.p95_ms:
            problems.append(f"{what}: p95 {p95:.0f} ms > {limit.p95_ms:.0f} ms: {limit.reason}")
    return problems


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def check_csv(path: Path) -> list[str]:
    return check_rows(read_rows(path))
