"""The public export and search, as an attacker and a reader would use them.

Issue 13.4: a party's name or the facts are typed by an officer (or copied from a business
licence a hostile party filled in); a cell that begins with `=`, `+`, `-`, `@`, tab or CR would
run as a formula in the spreadsheet of every journalist who opens the CSV export (OWASP "CSV
Injection"). Each such cell is exported with a leading single quote.

Issue 21.13: the search page keeps every filter it can read; a date it cannot read is named
on the page as left out, and the domain chosen stays a filter.
"""

from __future__ import annotations

import csv
import io

import pytest

from services.records.domain.parties import uscc_check_char
from tests.security.conftest import cid, investigate, open_case, wait_for, write

pytestmark = pytest.mark.e2e

CREDIT_CODE = "91320411MA1XYK000" + uscc_check_char("91320411MA1XYK000")
FORMULAS = {
    "name": '=HYPERLINK("http://evil.example/x","点此查看")',
    "facts": "@SUM(1+1)*cmd|' /C calc'!A0 未安装燃气泄漏报警装置",
}


@pytest.fixture(scope="module")
def hostile_disclosure(officer, colleague, public) -> dict:
    """A decision on a company whose name and facts begin with formula characters."""
    opened = open_case(
        officer,
        colleague,
        party={
            "kind": "organization",
            "name": FORMULAS["name"],
            "credit_code": CREDIT_CODE,
            "legal_representative": "王强",  # the public record needs it
        },
    )
    path = f"/v1/cases/{opened['case_id']}"
    investigate(officer, opened["case_id"])
    write(
        officer,
        f"{path}/penalty-proposals",
        {
            "client_entry_id": cid(),
            "kinds": ["fine"],
            "fine_yuan": 8000,
            "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
            "facts": FORMULAS["facts"],
            "discretion": {"benchmark_id": "aq-99-safety-equipment", "circumstance": "minor"},
        },
    )
    wait_for(
        "the review's not-required answer",
        lambda: officer.get(path).json()["review_status"] == "not-required",
        timeout_s=120,
    )
    write(officer, f"{path}/transitions", {"to": "notice", "client_entry_id": cid()})
    decided = write(
        officer, f"{path}/decision", {"client_entry_id": cid(), "decision_text": "罚款八千元"}
    )
    decision_no = decided["case"]["decision_no"]

    def published():
        found = public.get("/v1/public/disclosures", params={"decision_no": decision_no})
        return next(iter(found.json()["disclosures"]), None)

    return wait_for("the publication", published)


def test_no_exported_cell_starts_a_formula(hostile_disclosure, public):
    d = hostile_disclosure
    r = public.get(
        "/v1/public/disclosures-export",
        params={"decision_no": d["decision_no"], "format": "csv"},
    )
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert len(rows) == 2, rows
    header, row = rows
    assert not [c for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")], row
    # The text itself is all there, shown as text.
    cells = dict(zip(header, row, strict=True))
    assert cells["行政相对人名称"] == "'" + d["party_name"]
    assert d["party_name"].startswith("=")  # the JSON keeps it as it is
    assert cells["违法事实"] == "'" + d["facts"]


def test_a_bad_date_keeps_the_domain_filter_and_says_it_was_left_out(hostile_disclosure, public):
    d = hostile_disclosure
    # gas is this decision's domain; road-transport is not, so a kept domain filter hides it.
    for domain, shown in (("gas", True), ("road-transport", False)):
        page = public.get(
            "/public",
            params={"credit_code": d["credit_code"], "domain": domain, "date_from": "yesterday"},
        )
        assert page.status_code == 200, page.text
        assert "决定日期起“yesterday”无法识别，未作为条件" in page.text
        assert (d["decision_no"] in page.text) is shown, domain
        assert f'<option value="{domain}" selected>' in page.text


def test_a_good_date_beside_a_bad_one_still_filters(hostile_disclosure, public):
    d = hostile_disclosure
    page = public.get(
        "/public",
        params={
            "credit_code": d["credit_code"],
            "date_from": "2999-01-01",
            "date_to": "31/12/2999",
        },
    )
    assert "决定日期止“31/12/2999”无法识别" in page.text
    assert d["decision_no"] not in page.text  # the readable date_from still applied
