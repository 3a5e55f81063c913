"""OWASP API3:2023 (excessive data exposure): nothing private reaches a public route. A
penalised natural person is published as surname plus asterisks; their ID number, phone and
home address, written into the case and the facts, appear on no public view (JSON, one record,
CSV and JSON export, Atom feed, the pages), and the search cannot be used to confirm them."""

from __future__ import annotations

import pytest

from tests.security.conftest import PERSON

pytestmark = pytest.mark.e2e

PRIVATE = [
    PERSON["name"],  # the full name: only 王** is public
    PERSON["id_number"],
    PERSON["id_number"][:17],
    PERSON["phone"],
    "富民路12号",  # the home address
    "u-officer1",  # staff ids and certificates are internal
    "32041120001",
]


def public_views(public, d: dict) -> dict[str, str]:
    q = {"decision_no": d["decision_no"]}
    return {
        "search": public.get("/v1/public/disclosures", params=q).text,
        "one": public.get(f"/v1/public/disclosures/{d['disclosure_id']}").text,
        "csv": public.get("/v1/public/disclosures-export", params={**q, "format": "csv"}).text,
        "json-export": public.get(
            "/v1/public/disclosures-export", params={**q, "format": "json"}
        ).text,
        "atom": public.get("/v1/public/disclosures.atom").text,
        "search-page": public.get("/public", params={"q": "王"}).text,
        "detail-page": public.get(f"/public/disclosures/{d['disclosure_id']}").text,
    }


def test_the_person_is_published_as_surname_and_asterisks(disclosure):
    assert disclosure["party_name"].startswith("王") and "*" in disclosure["party_name"]
    assert disclosure["party_category"] and disclosure["legal_representative"] in ("", None)


def test_no_public_view_shows_the_persons_private_data(public, disclosure):
    views = public_views(public, disclosure)
    for view, text in views.items():
        assert disclosure["decision_no"] in text, f"{view} does not show the decision"
        for secret in PRIVATE:
            assert secret not in text, f"{view} shows {secret!r}"
    # The facts keep their meaning with the private parts marked as removed.
    assert "未安装燃气泄漏报警装置" in disclosure["facts"]


def test_the_search_confirms_nothing_about_a_person(public, disclosure):
    for params in (
        {"q": PERSON["name"]},
        {"credit_code": PERSON["id_number"]},
        {"q": PERSON["phone"]},
    ):
        found = public.get("/v1/public/disclosures", params=params).json()["disclosures"]
        assert disclosure["disclosure_id"] not in {d["disclosure_id"] for d in found}, params


def test_a_public_answer_carries_no_internal_fields(public, disclosure):
    one = public.get(f"/v1/public/disclosures/{disclosure['disclosure_id']}").json()
    internal = {"case_id", "agency_id", "officer_ids", "officers", "id_number", "address", "phone"}
    assert internal.isdisjoint(one)


def test_errors_on_public_routes_show_no_internals(public):
    for path in ("/v1/public/disclosures/does-not-exist", "/public/disclosures/does-not-exist"):
        r = public.get(path)
        assert r.status_code == 404
        for leak in ("Traceback", "sqlalchemy", "grpc", "/work/", "StatusCode"):
            assert leak not in r.text, (path, leak)
    r = public.get("/v1/public/disclosures", params={"cursor": "!!not-a-cursor!!"})
    assert r.status_code in (200, 422)
    assert "Traceback" not in r.text and "sqlalchemy" not in r.text
