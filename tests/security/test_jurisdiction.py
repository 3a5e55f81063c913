"""Issue 13, item 5: jurisdiction on every route. A supervisor of another agency cannot bench
this agency's reviewer with a conflict of interest (回避); a town-bound supervisor reads only
their town's review tasks, statistics and log entries; a reviewer conflicted with a party
cannot read the review file of that party's case."""

from __future__ import annotations

import uuid

import pytest

from tests.security.conftest import (
    ORGANISATION,
    cid,
    investigate,
    is_problem,
    open_case,
    wait_for,
    write,
)

pytestmark = pytest.mark.e2e

TOWN = "薛家镇"  # officer1's town, where the fixtures' cases are
OTHER_TOWN = "龙虎塘街道"  # lht-supervisor's town


def major_proposal(officer, colleague, party_name: str) -> dict:
    """A case of `party_name` in 薛家镇 with a penalty proposal that needs legal review."""
    opened = open_case(officer, colleague, party={**ORGANISATION, "name": party_name})
    investigate(officer, opened["case_id"])
    write(
        officer,
        f"/v1/cases/{opened['case_id']}/penalty-proposals",
        {
            "client_entry_id": cid(),
            "kinds": ["fine"],
            "fine_yuan": 200000,
            "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
            "facts": "燃气泄漏报警装置未按标准安装",
            "discretion": {"benchmark_id": "aq-99-safety-equipment", "circumstance": "serious"},
        },
    )
    return opened


def task_of(supervisor, case_id: str) -> dict:
    def found():
        tasks = supervisor.get("/v1/reviews").json()["tasks"]
        return next((t for t in tasks if t["case_id"] == case_id), None)

    return wait_for("the review task", found)


def test_another_agencys_supervisor_cannot_record_a_conflict_against_this_agencys_reviewer(
    login,
):
    party = f"回避测试{uuid.uuid4().hex[:8]}"
    body = {"reviewer_id": "u-reviewer", "party_key": party, "reason": "亲属关系"}
    # Once this answered 204 and the reviewer lost every major review of that party.
    refused = login("wj-supervisor").post("/v1/reviews/conflicts", body)
    assert is_problem(refused, 404, "not-found"), refused.text
    # Nor may a supervisor name someone who is not a legal reviewer of their agency.
    for who in ("u-wj-reviewer", "u-officer1"):
        r = login("supervisor").post("/v1/reviews/conflicts", {**body, "reviewer_id": who})
        assert is_problem(r, 404, "not-found"), r.text
    # The agency's own supervisor still records conflicts of its reviewers.
    assert login("supervisor").post("/v1/reviews/conflicts", body).status_code == 204


def test_a_town_bound_supervisor_sees_only_their_towns_review_tasks_and_statistics(
    login, officer, colleague
):
    opened = major_proposal(officer, colleague, f"城镇测试{uuid.uuid4().hex[:8]}")
    agency_wide = login("supervisor")
    task = task_of(agency_wide, opened["case_id"])
    assert task["town"] == TOWN

    town_bound = login("lht-supervisor")
    for query in ({}, {"open_only": "true"}, {"overdue": "true"}):
        r = town_bound.get("/v1/reviews", params=query)
        assert r.status_code == 200, r.text
        assert {t["town"] for t in r.json()["tasks"]} <= {OTHER_TOWN}, query
    theirs = town_bound.get("/v1/reviews/stats").json()
    everyone = agency_wide.get("/v1/reviews/stats").json()
    # The open task of 薛家镇 is counted agency-wide, not in 龙虎塘街道's figures.
    assert theirs["waiting"] < everyone["waiting"]
    assert theirs["waiting"] + theirs["completed"] + theirs["not_required"] < (
        everyone["waiting"] + everyone["completed"] + everyone["not_required"]
    )
    # Nor can they hand the task to someone: it is not theirs to see.
    r = town_bound.post(
        f"/v1/reviews/{task['review_id']}/assignment", {"reviewer_id": "u-reviewer"}
    )
    assert is_problem(r, 404, "not-found"), r.text


def test_a_town_bound_supervisor_gets_no_inclusion_proof_of_another_towns_entry(case, login):
    path = f"/v1/log/entries/{case['note_entry_id']}/inclusion-proof"
    assert login("supervisor").get(path).status_code == 200
    refused = login("lht-supervisor").get(path)
    assert is_problem(refused, 404, "not-found"), refused.text
    assert "现场检查" not in refused.text  # the note's payload


def test_a_town_bound_supervisor_gets_their_towns_timeliness_only(case, officer, login):
    agency_wide = login("supervisor").get("/v1/stats/timeliness").json()
    assert officer.user_id in {o["officer_id"] for o in agency_wide["officers"]}
    town_bound = login("lht-supervisor").get("/v1/stats/timeliness").json()
    assert officer.user_id not in {o["officer_id"] for o in town_bound["officers"]}
    assert town_bound["agency"]["entries"] < agency_wide["agency"]["entries"]


def test_a_reviewer_cannot_read_the_file_of_a_party_they_are_conflicted_with(
    login, officer, colleague
):
    party = f"回避测试{uuid.uuid4().hex[:8]}"
    supervisor = login("supervisor")
    conflict = {"reviewer_id": "u-reviewer", "party_key": party, "reason": "曾为其法律顾问"}
    assert supervisor.post("/v1/reviews/conflicts", conflict).status_code == 204
    opened = major_proposal(officer, colleague, party)
    task = task_of(supervisor, opened["case_id"])
    assert task["reviewer_id"] != "u-reviewer"  # never assigned to them

    refused = login("reviewer").get(f"/v1/reviews/{task['review_id']}")
    assert is_problem(refused, 403, "forbidden"), refused.text
    assert party not in refused.text and "timeline" not in refused.text
    # Nor may they be handed the task.
    r = supervisor.post(
        f"/v1/reviews/{task['review_id']}/assignment", {"reviewer_id": "u-reviewer"}
    )
    assert is_problem(r, 403, "forbidden"), r.text


def test_a_town_bound_supervisor_gets_their_towns_overload_figures_only(weighing, login):
    station = "station-g312-km45"  # the demo station, in 罗溪镇

    def stations(caller) -> set[str]:
        r = caller.get("/v1/overload/statistics")
        assert r.status_code == 200, r.text
        return {d["station_id"] for d in r.json().get("days", [])}

    assert station in stations(login("supervisor"))
    assert station not in stations(login("lht-supervisor"))
    r = login("lht-supervisor").get("/v1/overload/repeat-offenders")
    assert r.status_code == 200, r.text


def test_a_reviewer_gets_inclusion_proofs_only_for_cases_they_review(case, review, login):
    reviewer = login("reviewer")
    # No case is open to a legal reviewer but through their review tasks; once the log's
    # proofs handed out any entry of the agency, payload included.
    refused = reviewer.get(f"/v1/log/entries/{case['note_entry_id']}/inclusion-proof")
    assert is_problem(refused, 404, "not-found"), refused.text
    assert "现场检查" not in refused.text
    timeline = reviewer.get(f"/v1/reviews/{review['review_id']}").json()["timeline"]
    entry_id = timeline[0]["entry_id"]
    r = reviewer.get(f"/v1/log/entries/{entry_id}/inclusion-proof")
    assert r.status_code == 200, r.text
    assert r.json()["entry"]["case_id"] == review["case_id"]
