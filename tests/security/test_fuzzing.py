"""API fuzzing: schemathesis makes requests from the gateway's OpenAPI document, valid and
invalid, and sends them to the running stack as each role (officer, legal reviewer, supervisor,
admin, and nobody). Every answer must be no 5xx, have a documented status, content type,
headers and body schema, and refuse what the document says is invalid.

Path parameters are real ids half of the time (a case, an entry, a review, a weighing, a
published decision made for this module), so requests get past "not found" into the services.

`make test` sends a few requests per operation and mode, the same ones every run, and each
caller only the operations it may call (the refusals of the others are what
test_function_authorisation.py checks, route by route); `make fuzz` sends many, new ones each
run (FUZZ_EXAMPLES, FUZZ_SEED), every operation as every caller.

The operations are driven through schemathesis's strategies rather than its pytest plugin,
whose lazy loader does not run under the pinned pytest (it sets a node attribute pytest 9.2
no longer has).
"""

from __future__ import annotations

import os
import re

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from requests.adapters import HTTPAdapter
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.conftest import cid, investigate, new_address, open_case, wait_for, write
from tests.security.test_function_authorisation import PUBLIC, ROLES_OF

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
SEED = os.environ.get("FUZZ_SEED")  # `make fuzz` sets a fresh one; unset: the same every run

ROLES = {
    "anonymous": None,
    "officer": "officer1",
    "legal_reviewer": "reviewer",
    "supervisor": "supervisor",
    "admin": "admin",
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Held open for up to an hour by design; the route's refusals are checked elsewhere.
NOT_FUZZED = {"streamGasAlarms"}
PATH_PARAMETER = re.compile(r"\{(\w+)\}")


class FromAddress(HTTPAdapter):
    """Connects from one loopback address: each role is one client to the rate limits."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


@pytest.fixture(scope="module")
def targets(officer, colleague, login, weighing, disclosure) -> dict[str, str]:
    """Objects the fuzzer may change at will: nothing other tests look at."""
    opened = open_case(officer, colleague)
    note = {"client_entry_id": cid(), "kind": "note", "payload": {"text": "fuzz"}}
    entry = write(officer, f"/v1/cases/{opened['case_id']}/entries", note)["entry"]
    major = open_case(officer, colleague)
    investigate(officer, major["case_id"])
    write(
        officer,
        f"/v1/cases/{major['case_id']}/penalty-proposals",
        {
            "client_entry_id": cid(),
            "kinds": ["suspension"],
            "legal_basis": ["《中华人民共和国安全生产法》第一百零二条"],
            "facts": "拒不整改重大事故隐患",
        },
    )
    reviewer = login("reviewer")

    def queued():
        tasks = reviewer.get("/v1/reviews/mine").json()["tasks"]
        return next((t for t in tasks if t["case_id"] == major["case_id"]), None)

    review = wait_for("the review task", queued)
    found = {
        "case_id": opened["case_id"],
        "entry_id": entry["entry_id"],
        "review_id": review["review_id"],
        "weighing_id": weighing["weighing_id"],
        "disclosure_id": disclosure["disclosure_id"],
    }
    if weighing["inspection"]:
        found["inspection_id"] = weighing["inspection"]["inspection_id"]
    return found


@pytest.fixture(scope="module")
def api_schema(stack):
    return schemathesis.openapi.from_url(f"{stack.gateway_url}/openapi/all.json")


def fuzz(operation, session, mode, known: dict[str, str], auth: dict[str, str]) -> str | None:
    """Up to EXAMPLES requests of `mode` for one operation; the first failure, described."""
    # The token is a fixed header of every case, so an invalid case is never "missing" it.
    strategy = operation.as_strategy(generation_mode=mode, headers=auth or None)
    real = {n: known[n] for n in PATH_PARAMETER.findall(operation.path) if n in known}
    if real:  # half of the time the real objects, so requests reach the services
        strategy = st.one_of(
            strategy,
            operation.as_strategy(generation_mode=mode, headers=auth or None, path_parameters=real),
        )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # the first failure, unshrunk: bounded time
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call(session=session, timeout=30)
        try:
            case.validate_response(response, checks=CHECKS)
        except BaseException as exc:  # schemathesis raises a BaseExceptionGroup
            raise AssertionError(f"{exc}\n    {case.as_curl_command()}") from None

    if SEED is not None:
        run = seed(int(SEED))(run)
    try:
        run()
    except AssertionError as exc:
        return f"{operation.label} ({mode.value}): {exc}"
    except Unsatisfiable:
        return None  # nothing in this operation can be made invalid
    return None


def in_scope(op_id: str, role: str) -> bool:
    """Whether `role` is fuzzed on this operation: in `make fuzz` every one; in `make test`
    the public ones for nobody, and for a role what its table lets it call."""
    if SEED is not None:
        return True
    if ROLES[role] is None:
        return op_id in PUBLIC
    allowed = ROLES_OF.get(op_id)
    return allowed is None or role in allowed


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_answer_is_documented_and_no_request_makes_a_5xx(role, api_schema, targets, login):
    failures = []
    tested = 0
    with requests.Session() as session:
        session.mount("http://", FromAddress(new_address()))
        auth = login(ROLES[role]).headers if ROLES[role] else {}
        for result in api_schema.get_all_operations():
            operation = result.ok()
            op_id = operation.definition.raw.get("operationId")
            # Logins are fuzzed by the anonymous caller only, from an address of its own.
            if op_id in NOT_FUZZED or (op_id == "login" and ROLES[role]):
                continue
            if not in_scope(op_id, role):
                continue
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failure = fuzz(operation, session, mode, targets, auth)
                if failure:
                    failures.append(failure)
            tested += 1
    assert tested >= (10 if ROLES[role] is None and SEED is None else 40)
    assert not failures, f"{len(failures)} operations failed (FUZZ_SEED={SEED}):\n\n" + (
        "\n\n".join(failures)
    )
