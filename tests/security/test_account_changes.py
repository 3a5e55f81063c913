"""Issue 13, item 6: account changes take effect at once. A deactivated or demoted admin, or an
account whose password an admin reset, loses the access tokens already issued at the next
request, not when they expire; a legal reviewer who leaves or loses the role hands their open
review tasks back, and the agency's admins and supervisors can hand a task to a reviewer."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.security.conftest import Caller, client, is_problem, new_address
from tests.security.test_jurisdiction import major_proposal, task_of

pytestmark = pytest.mark.e2e


def new_account(http, admin: Caller, roles: list[str], **extra) -> Caller:
    """An account the agency's admin opens, logged in with its temporary password."""
    username = f"sec13-{uuid.uuid4().hex[:10]}"
    body = {"username": username, "display_name": username, "roles": roles, **extra}
    r = admin.post("/v1/users", body)
    assert r.status_code == 201, r.text
    caller = Caller(http, username, r.json()["temporary_password"])
    _ = caller.token
    return caller


def log_in_again(caller: Caller) -> None:
    r = caller.http.post(
        "/v1/auth/login", json={"username": caller.username, "password": caller.password}
    )
    assert r.status_code == 200, r.text
    caller._token, caller._at = r.json()["access_token"], time.monotonic()


def change(admin: Caller, user_id: str, **changes) -> None:
    r = admin.http.patch(f"/v1/users/{user_id}", json=changes, headers=admin.headers)
    assert r.status_code == 200, r.text


def new_admin_body() -> dict:
    username = f"sec13-{uuid.uuid4().hex[:10]}"
    return {"username": username, "display_name": username, "roles": ["admin"]}


def test_a_demoted_admin_loses_admin_power_at_once(http, login):
    admin = login("admin")
    rogue = new_account(http, admin, ["admin"])
    assert rogue.get("/v1/users").status_code == 200
    change(admin, rogue.user_id, roles=["supervisor"])
    # The token from before the change: once it created admins for 15 more minutes.
    r = rogue.post("/v1/users", new_admin_body())
    assert is_problem(r, 401, "token-outdated"), r.text
    assert rogue.get("/v1/users").status_code == 401
    # A new token (refresh or login) carries the new roles only.
    log_in_again(rogue)
    assert rogue.get("/v1/auth/me").json()["roles"] == ["supervisor"]
    assert is_problem(rogue.post("/v1/users", new_admin_body()), 403, "forbidden")


def test_a_deactivated_admin_loses_every_route_at_once(http, login, stack):
    admin = login("admin")
    rogue = new_account(http, admin, ["admin"])
    token = rogue.headers
    change(admin, rogue.user_id, active=False)
    for method, path, body in (
        ("POST", "/v1/users", new_admin_body()),
        ("GET", "/v1/users", None),
        ("GET", "/v1/auth/me", None),
        ("GET", "/v1/cases", None),
    ):
        r = http.request(method, path, json=body, headers=token)
        assert is_problem(r, 401, "account-disabled"), (path, r.text)
    names = {u["username"] for u in admin.get("/v1/users").json()}
    assert rogue.username in names  # still listed, deactivated, and made nobody
    with client(stack, new_address()) as elsewhere:  # a failed login counts per address
        again = elsewhere.post(
            "/v1/auth/login", json={"username": rogue.username, "password": rogue.password}
        )
    assert is_problem(again, 401, "bad-credentials")


def test_a_password_reset_ends_the_access_tokens_already_issued(http, login, stack):
    admin = login("admin")
    victim = new_account(http, admin, ["supervisor"])
    stolen = victim.headers
    assert http.get("/v1/auth/me", headers=stolen).status_code == 200
    r = admin.post(f"/v1/users/{victim.user_id}/password-reset")
    assert r.status_code == 200, r.text
    assert is_problem(http.get("/v1/auth/me", headers=stolen), 401, "token-outdated")


def test_a_reviewer_who_leaves_hands_back_their_open_tasks(http, login, officer, colleague):
    admin, supervisor = login("admin"), login("supervisor")
    leaving = new_account(http, admin, ["legal_reviewer"])
    assert leaving.get("/v1/reviews/mine").status_code == 200  # registered for tasks
    opened = major_proposal(officer, colleague, f"交接测试{uuid.uuid4().hex[:8]}")
    task = task_of(supervisor, opened["case_id"])
    path = f"/v1/reviews/{task['review_id']}/assignment"
    try:
        # Only the agency's admins and supervisors hand tasks, only to its active reviewers.
        for who, body in (
            (login("wj-supervisor"), {"reviewer_id": leaving.user_id}),
            (login("wj-admin"), {"reviewer_id": leaving.user_id}),
            (supervisor, {"reviewer_id": "u-wj-reviewer"}),
            (supervisor, {"reviewer_id": officer.user_id}),
        ):
            assert is_problem(who.post(path, body), 404, "not-found")
        assert is_problem(login("reviewer").post(path, {"reviewer_id": leaving.user_id}), 403)
        handed = supervisor.post(path, {"reviewer_id": leaving.user_id})
        assert handed.status_code == 200, handed.text
        assert handed.json()["reviewer_id"] == leaving.user_id
        mine = leaving.get("/v1/reviews/mine").json()["tasks"]
        assert task["review_id"] in {t["review_id"] for t in mine}
    finally:
        change(admin, leaving.user_id, active=False)

    after = task_of(supervisor, opened["case_id"])
    assert after["reviewer_id"] != leaving.user_id  # once it stayed with the departed
    assert after["status"] in ("assigned", "waiting")
    if after["status"] == "assigned":  # another active reviewer of the agency has it now
        assert after["reviewer_id"]
    # The departed reviewer gets no new task either: the next one goes elsewhere.
    second = major_proposal(officer, colleague, f"交接测试{uuid.uuid4().hex[:8]}")
    assert task_of(supervisor, second["case_id"])["reviewer_id"] != leaving.user_id


def test_a_reviewer_who_loses_the_role_hands_back_their_open_tasks(http, login, officer, colleague):
    admin, supervisor = login("admin"), login("supervisor")
    moving = new_account(http, admin, ["legal_reviewer"])
    opened = major_proposal(officer, colleague, f"交接测试{uuid.uuid4().hex[:8]}")
    task = task_of(supervisor, opened["case_id"])
    path = f"/v1/reviews/{task['review_id']}/assignment"
    handed = admin.post(path, {"reviewer_id": moving.user_id})  # an admin may hand it too
    assert handed.status_code == 200, handed.text
    change(admin, moving.user_id, roles=["supervisor"])
    assert task_of(supervisor, opened["case_id"])["reviewer_id"] != moving.user_id
    assert is_problem(moving.get("/v1/reviews/mine"), 401, "token-outdated")


def test_a_deactivated_accounts_live_alarm_stream_ends(http, login):
    admin = login("admin")
    leaving = new_account(http, admin, ["supervisor"], town="薛家镇")
    with http.stream(
        "GET", "/v1/gas/alarms/stream", params={"max_seconds": 600}, headers=leaving.headers
    ) as stream:
        assert stream.status_code == 200
        chunks = stream.iter_text()
        assert next(chunks).startswith("retry:")
        change(admin, leaving.user_id, active=False)
        # Once the stream ran on for its 10 minutes; now it ends (else the client's 30 s read
        # timeout fails the test).
        for _ in chunks:  # whatever was pending, until the stream closes
            pass
    assert is_problem(http.get("/v1/gas/alarms/stream", headers=leaving.headers), 401)
