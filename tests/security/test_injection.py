"""Injection (OWASP API8:2023 Security Misconfiguration, API10 unsafe handling of input):
SQL, script, path traversal, header/CRLF, very long and odd Unicode strings in every field of
the public search and in a sample of officers' writes. Each is answered with a 4xx problem,
or taken as the literal text it is: stored and read back unchanged, matched literally by the
search, and escaped wherever a page shows it."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from tests.security.conftest import ORGANISATION, cid, client, is_problem, new_address

pytestmark = pytest.mark.e2e

PAYLOADS = {
    "sql-tautology": "' OR '1'='1",
    "sql-union": "x' UNION SELECT party_name, facts FROM disclosures --",
    "sql-stacked": "1; DROP TABLE disclosures; --",
    "sql-like-wildcard": "%",
    "script": "<script>alert(1)</script>",
    "attribute": '"><img src=x onerror=alert(1)>',
    "traversal": "../../../../etc/passwd",
    "crlf": "x\r\nSet-Cookie: hacked=1",
    "nul": "a\x00b",
    "long": "长" * 5000,
    "unicode": "王\u202e\u200b𠀀🔥\ufeff",
    "template": "{{7*7}}${7*7}",
}
SEARCH_FIELDS = [
    "q", "credit_code", "decision_no", "domain", "date_from", "date_to", "cursor", "page_size",
]  # fmt: skip


@pytest.mark.parametrize("field", SEARCH_FIELDS)
def test_every_search_field_answers_hostile_input_with_a_4xx_or_a_literal_match(
    field, public, disclosure
):
    for name, payload in PAYLOADS.items():
        r = public.get("/v1/public/disclosures", params={field: payload})
        assert r.status_code in (200, 400, 422), (name, r.status_code, r.text[:200])
        assert "set-cookie" not in r.headers
        if r.status_code != 200:
            assert r.headers["content-type"].startswith("application/problem+json"), name
            continue
        # Nothing matched the text as SQL: the published decision is not in the answer.
        ids = {d["disclosure_id"] for d in r.json()["disclosures"]}
        assert disclosure["disclosure_id"] not in ids, (field, name)


def test_the_export_and_the_pages_take_hostile_filters_too(stack, disclosure):
    # An address of its own each: exports are capped per address (GATEWAY_EXPORTS_PER_10_MIN).
    for name, payload in PAYLOADS.items():
        with client(stack, new_address()) as reader:
            for path in ("/v1/public/disclosures-export", "/public"):
                r = reader.get(path, params={"q": payload, "credit_code": payload[:18]})
                assert r.status_code in (200, 400, 422), (path, name, r.status_code)
                assert disclosure["decision_no"] not in r.text, (path, name)


def test_the_search_page_shows_what_was_typed_escaped(public):
    r = public.get("/public", params={"q": PAYLOADS["attribute"][:100]})
    assert r.status_code == 200
    assert "<img src=x onerror" not in r.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in r.text
    r = public.get("/public", params={"q": PAYLOADS["script"]})
    assert "<script>alert(1)</script>" not in r.text


def test_path_parameters_do_not_traverse(public):
    for raw in (
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2fopenapi.json",
        "x%00y",
        "%3Cscript%3E",
    ):
        for path in (f"/v1/public/disclosures/{raw}", f"/public/disclosures/{raw}"):
            r = public.get(path)
            assert r.status_code in (404, 422), (path, r.status_code)
            assert "<script>" not in r.text and "root:" not in r.text


def test_a_published_script_is_escaped_on_every_public_view(public, disclosure):
    """The facts carried a script tag: JSON keeps the text, the page, feed and CSV show it."""
    assert "<script>alert('xss')</script>" in disclosure["facts"]  # stored literally
    page = public.get(f"/public/disclosures/{disclosure['disclosure_id']}")
    assert page.status_code == 200
    assert "<script>alert(" not in page.text
    assert "&lt;script&gt;alert(" in page.text
    feed = public.get("/v1/public/disclosures.atom").text
    assert "<script>" not in feed
    search = public.get("/public", params={"q": disclosure["party_name"][:1]}).text
    assert disclosure["decision_no"] in search and "<script>" not in search


# -- officers' writes ------------------------------------------------------------------------------

TEXTS = {k: v for k, v in PAYLOADS.items() if k not in ("long",)}


def test_hostile_text_in_a_case_is_stored_and_read_back_literally(officer, colleague):
    for name, text in TEXTS.items():
        body = {
            "client_case_id": cid(),
            "domain": "gas",
            "title": text,
            "party": {**ORGANISATION, "name": f"某{text}公司"[:200], "address": text},
            "co_officer_ids": [colleague.user_id],
        }
        r = officer.post("/v1/cases", body)
        if r.status_code == 422:
            assert r.headers["content-type"].startswith("application/problem+json"), name
            continue
        assert r.status_code == 201, (name, r.text)
        back = officer.get(f"/v1/cases/{r.json()['case_id']}").json()
        assert back["title"] == text, name
        assert back["party"]["name"] == body["party"]["name"], name
        assert back["party"]["address"] == text, name


def test_hostile_text_in_a_record_entry_is_stored_literally(officer, case):
    # NUL is refused at the gateway (PostgreSQL cannot store it): a clear 422, nothing stored.
    texts = {k: v for k, v in TEXTS.items() if "\x00" not in v}
    before = len(officer.get(f"/v1/cases/{case['case_id']}/timeline").json()["entries"])
    refused = officer.post(
        f"/v1/cases/{case['case_id']}/entries",
        {"client_entry_id": cid(), "kind": "note", "payload": {"text": PAYLOADS["nul"]}},
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert len(officer.get(f"/v1/cases/{case['case_id']}/timeline").json()["entries"]) == before

    payload = {**texts, "nested": {"k": list(texts.values())}}
    r = officer.post(
        f"/v1/cases/{case['case_id']}/entries",
        {"client_entry_id": cid(), "kind": "note", "payload": payload},
    )
    assert r.status_code == 201, r.text
    timeline = officer.get(f"/v1/cases/{case['case_id']}/timeline").json()
    stored = next(e for e in timeline["entries"] if e["entry_id"] == r.json()["entry"]["entry_id"])
    assert stored["payload"] == payload


def test_a_too_long_text_is_refused(officer, colleague):
    body = {
        "client_case_id": cid(),
        "domain": "gas",
        "title": PAYLOADS["long"],
        "party": ORGANISATION,
        "co_officer_ids": [colleague.user_id],
    }
    assert is_problem(officer.post("/v1/cases", body), 422, "invalid-request")


@pytest.mark.parametrize(
    "client_id",
    [
        "../../../../etc/passwd",
        "x' OR '1'='1 --",
        "<script>x</script>",
        "ab\r\ncd-efgh",
        "名字名字名字名字",
    ],
)
def test_hostile_client_ids_are_refused_or_kept_literally(client_id, officer, case):
    r = officer.post(
        f"/v1/cases/{case['case_id']}/entries",
        {"client_entry_id": client_id, "kind": "note", "payload": {}},
    )
    if r.status_code == 201:
        assert r.json()["entry"]["client_entry_id"] == client_id
    else:
        assert is_problem(r, 422, "invalid-request"), r.text


def test_an_evidence_filename_cannot_steer_where_the_file_is_stored(officer, case):
    data = b"a photo of the gas valve"
    digest = hashlib.sha256(data).hexdigest()
    path = f"/v1/cases/{case['case_id']}"
    name = "../../../records-log/../etc/passwd<script>.jpg"
    slot = officer.post(
        f"{path}/evidence-slots",
        {
            "client_slot_id": cid(),
            "sha256": digest,
            "size": len(data),
            "media_type": "image/jpeg",
            "filename": name,
        },
    )
    assert slot.status_code == 201, slot.text
    assert httpx.put(slot.json()["put_url"], content=data).status_code == 200
    entry = officer.post(
        f"{path}/evidence-slots/{slot.json()['slot_id']}/confirm", {"client_entry_id": cid()}
    ).json()["entry"]
    [evidence] = entry["evidence"]
    assert evidence["filename"] == name  # kept as the phone's label, nothing more
    assert ".." not in evidence["object_key"] and "passwd" not in evidence["object_key"]


@pytest.mark.parametrize(
    "value", ["a\tb", "é-accented-key", "x" * 201, ""], ids=["tab", "latin1", "long", "empty"]
)
def test_a_malformed_idempotency_key_is_refused(value, http, officer, case):
    r = http.post(
        f"/v1/cases/{case['case_id']}/entries",
        content=b'{"client_entry_id": "' + cid().encode() + b'", "kind": "note", "payload": {}}',
        headers={
            **officer.headers,
            "Content-Type": "application/json",
            "Idempotency-Key": value.encode("latin-1"),
        },
    )
    assert is_problem(r, 400, "bad-idempotency-key"), r.text


@pytest.mark.parametrize("value", ["<script>", "a b", "x" * 65, "id;drop"])
def test_a_request_id_that_is_not_sane_is_not_echoed(value, public):
    r = public.get("/healthz", headers={"X-Request-ID": value.encode("latin-1")})
    assert r.status_code == 200
    assert r.headers["x-request-id"] != value and len(r.headers["x-request-id"]) <= 64
