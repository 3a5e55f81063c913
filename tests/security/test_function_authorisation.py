"""OWASP API5:2023 Broken Function Level Authorization: every route but the public ones needs
a login; officers' writes, reviewers' decisions, supervisors' overviews and admins' registers
each refuse the other roles with a 403 problem, before anything reaches a service.

The routes are read from the gateway's own OpenAPI document, so a route added later is held to
the same rule without editing this file."""

from __future__ import annotations

import json
import re

import pytest

from gateway.security.device_signing import signed_headers
from tests.security.conftest import is_problem

pytestmark = pytest.mark.e2e

# Anyone may call these (the login itself, the public disclosure, the log's signed tree head
# for anyone to keep, the orchestrators' probes, the links page at /).
PUBLIC = {
    "home",
    "getPublicTreeHead",
    "login",
    "loginForm",
    "refreshToken",
    "searchDisclosures",
    "getDisclosure",
    "exportDisclosures",
    "disclosureFeed",
    "verifyDocument",  # a document's public check (docs/documents.md)
    "healthz",
    "readyz",
    "metrics",
    # 举报 without login, its status by code, the majors under 督办, the enterprise's link
    "submitHazardReport",
    "hazardReportStatus",
    "publicMajorHazards",
    "getRectificationByLink",
    "reportRectificationByLink",
}

# Which roles each guarded operation lets through.
GUARDED = [
    (
        frozenset({"officer"}),
        "openCase transitionCase appendEntry requestEvidenceSlot confirmEvidence proposePenalty "
        "decidePenalty revokePenalty syncChanges listTasks postRoadsideWeighing advanceInspection "
        "requestWeighingPhotoSlot confirmWeighingPhoto listOverloadReports markOverloadReportSent "
        "acknowledgeGasAlarm acknowledgeHazardAlarm handleHazardAlarm "
        "listOverloadReferrals acknowledgeOverloadReferral "  # 抄告/移送 (docs/overload.md)
        "issueDocument recordService addSignature assembleCaseFile",  # 执法文书
    ),
    (frozenset({"legal_reviewer"}), "listMyReviews getReview completeReview extendReview"),
    (
        frozenset({"supervisor", "admin"}),
        "listReviews reviewStatistics recordConflict getTimeliness overloadStatistics "
        "overloadStatisticsChart overloadRepeatOffenders assignReview",
    ),
    (frozenset({"admin"}), "putGasVenue putGasDevice putStation putHazardUnit putHazardSensor"),
    (
        frozenset({"officer", "supervisor", "admin"}),
        "getCase listCases getTimeline getNextStages downloadEvidence listWithheldDisclosures "
        "listDocuments getDocumentPdf getCaseFilePdf "
        "getHazardUnit listHazardUnits listHazardAlarms getHazardTrend getHazardChart",
    ),
    (frozenset({"supervisor", "admin"}), "getCalendar"),
    (frozenset({"admin"}), "enterCalendarYear"),
    (
        frozenset({"officer", "supervisor"}),  # hazards (docs/hazards.md)
        "listHazardChecklists registerHazard listHazards listOverdueHazards hazardLedger "
        "hazardStats getHazard gradeHazard orderRectification reportRectification "
        "reinspectHazard renewHazardPhotoUploads escalateHazard issueRectificationLink "
        "listHazardReports "
        "getHazardReport verifyHazardReport computeReportReward checkJointPunishment",
    ),
    (frozenset({"supervisor"}), "superviseHazard reviewSupervisedHazard payReportReward"),
]
ROLES_OF = {op: roles for roles, ops in GUARDED for op in ops.split()}

USERS = {
    "officer": "officer1",
    "legal_reviewer": "reviewer",
    "supervisor": "supervisor",
    "admin": "admin",
}


@pytest.fixture(scope="module")
def operations(http) -> dict[str, tuple[str, str]]:
    """operation id -> (method, path with every path parameter filled in)."""
    spec = http.get("/openapi/all.json").json()
    found = {}
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            found[op["operationId"]] = (method.upper(), re.sub(r"\{[^}]+\}", "sec-none", path))
    return found


def call(http, method: str, path: str, headers: dict | None = None):
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return http.request(method, path, json=body, headers=headers or {})


def test_the_table_names_only_operations_that_exist(operations):
    assert set(ROLES_OF) - set(operations) == set()
    assert PUBLIC - set(operations) == set()


def test_every_route_but_the_public_ones_refuses_an_anonymous_caller(http, operations):
    for op_id, (method, path) in sorted(operations.items()):
        if op_id in PUBLIC:
            continue
        r = call(http, method, path)
        assert r.status_code == 401, (op_id, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("application/problem+json"), op_id


@pytest.mark.parametrize("role", sorted(USERS))
def test_each_role_is_refused_the_routes_of_the_other_roles(role, login, http, operations):
    caller = login(USERS[role])
    checked = 0
    for op_id, allowed in sorted(ROLES_OF.items()):
        if role in allowed:
            continue
        method, path = operations[op_id]
        r = call(http, method, path, caller.headers)
        assert is_problem(r, 403, "forbidden"), (op_id, r.status_code, r.text[:200])
        checked += 1
    assert checked >= 10


def test_a_signed_device_is_not_a_user(http, stack):
    """A device's signature opens the device routes only; it is no login."""
    secret = json.loads((stack.var / "demo-devices.json").read_text())["gas-valve-0001"]["secret"]
    headers = signed_headers("gas-valve-0001", secret, "GET", "/v1/cases", b"")
    assert http.get("/v1/cases", headers=headers).status_code == 401
