"""The OpenAPI document the apps are generated from: every operation explained, error answers
written once, the login form offered, and small enough to load on a phone."""

from __future__ import annotations

import json
import re

import pytest

from gateway.app import create_app
from gateway.config import Settings
from gateway.openapi import PARTS, part_document

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def doc() -> dict:
    return create_app(Settings(database_url="sqlite://")).openapi()


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_every_operation_has_a_summary_and_a_description(doc):
    bare = [
        f"{method.upper()} {path}"
        for path, method, op in operations(doc)
        if not op.get("summary") or len(op.get("description", "")) < 40
    ]
    assert bare == []


def test_every_problem_answer_is_a_shared_reference(doc):
    answers = [a for _, _, op in operations(doc) for a in op["responses"].values()]
    inline = [
        a
        for a in answers
        if "$ref" not in a.get("content", {}).get("application/problem+json", {}).get("schema", {})
        and "application/problem+json" in a.get("content", {})
    ]
    assert inline == []
    shared = [a for a in answers if a.get("$ref", "").startswith("#/components/responses/")]
    assert len(shared) > 5 * len(doc["paths"])


def test_each_part_of_the_document_is_small_and_together_they_hold_every_operation(doc):
    held: list[tuple[str, str]] = []
    for name, (url, _title, _tags) in PARTS.items():
        part = part_document(doc, name)
        size = len(json.dumps(part, ensure_ascii=False, separators=(",", ":")).encode())
        assert size < 150_000, f"{url} is {size} bytes"
        held += [(path, method) for path, method, _ in operations(part)]
        # every reference a part makes resolves inside the part
        text = json.dumps(part)
        for kind, entries in part["components"].items():
            for ref in {r for r in _refs_in(text) if r.startswith(f"#/components/{kind}/")}:
                assert ref.rsplit("/", 1)[1] in entries, f"{url}: {ref} is missing"
        assert all(r.split("/")[2] in part["components"] for r in _refs_in(text)), url
    every = [(path, method) for path, method, _ in operations(doc)]
    assert sorted(held) == sorted(every)


def _refs_in(text: str) -> set[str]:
    return set(re.findall(r'"\$ref": "(#/components/[^"]+)"', text))


def test_bearer_routes_also_take_a_token_from_the_login_form(doc):
    flow = doc["components"]["securitySchemes"]["OAuth2Password"]["flows"]["password"]
    assert flow["tokenUrl"] == "/v1/auth/token"
    secured = [op for _, _, op in operations(doc) if op.get("security")]
    assert secured and all({"OAuth2Password": []} in op["security"] for op in secured)


def test_every_json_body_has_an_example(doc):
    bare = [
        f"{method.upper()} {path}"
        for path, method, op in operations(doc)
        if "application/json" in op.get("requestBody", {}).get("content", {})
        and "example" not in op["requestBody"]["content"]["application/json"]
    ]
    assert bare == []
