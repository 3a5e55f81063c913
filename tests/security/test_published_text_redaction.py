"""Issue 13, items 2 and 7: everything published is redacted, whatever the typing.

Through the gateway on the embedded stack: an officer decides a penalty on a natural person
whose facts hide private data the way an insider would type it (full-width digits, spaces and
dashes inside numbers, an e-mail address, a landline without its area code, the party's name
with a space inside, a witness the record names), then revokes it with a reason that names the
person, their ID number, phone and home. No public view (JSON, one record, CSV and JSON
export, Atom feed, both pages) shows any of it; the facts of the violation stay.
"""

from __future__ import annotations

import pytest

from tests.security.conftest import cid, investigate, open_case, wait_for, write
from tests.security.test_private_data import public_views

pytestmark = pytest.mark.e2e

NAME, ID_NUMBER, PHONE = "陈小梅", "32041119880611005X", "13912345678"
HOME = "常州市新北区罗溪镇黄河村8组"
WITNESS = "阿依古丽"  # no Han surname: only the record's own naming of her can find her

FACTS = (
    f"当事人陈 小梅（身份证号３２０４１１１９８８０６１１００５Ｘ，手机139 1234 5678，"
    f"家中电话86881234，邮箱chenxm@163.com）于2026年3月2日在衡山路18号经营的早餐店内"
    f"使用未安装燃气泄漏报警装置的液化石油气钢瓶，{WITNESS}在场见证。"
)
REASON = (
    f"经行政复议，撤销原处罚决定。申请人{NAME}（身份证号{ID_NUMBER}，电话{PHONE}，"
    f"住{HOME}）提出的证据成立。"
)
# What must appear on no public view, however it was typed.
PRIVATE = [
    NAME,
    "陈 小梅",
    ID_NUMBER,
    "３２０４１１１９８８０６１１００５Ｘ",
    PHONE,
    "139 1234 5678",
    "86881234",
    "chenxm@163.com",
    "黄河村8组",
    WITNESS,
]


@pytest.fixture(scope="module")
def withdrawn(officer, colleague, public) -> dict:
    """A penalty on 陈小梅, published, then revoked after reconsideration."""
    opened = open_case(
        officer,
        colleague,
        party={"kind": "person", "name": NAME, "id_number": ID_NUMBER, "address": HOME},
    )
    path = f"/v1/cases/{opened['case_id']}"
    investigate(officer, opened["case_id"])
    # The record names the witness, as a seal-up or an on-site check does.
    step = {"act": "other", "persons": [{"name": WITNESS, "role": "witness"}]}
    write(officer, f"{path}/entries", {"client_entry_id": cid(), "kind": "step", "payload": step})
    write(
        officer,
        f"{path}/penalty-proposals",
        {
            "client_entry_id": cid(),
            "kinds": ["fine"],
            "fine_yuan": 5000,
            "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
            "facts": FACTS,
            "discretion": {"benchmark_id": "aq-99-safety-equipment", "circumstance": "minor"},
        },
    )
    wait_for(
        "the review's not-required answer",
        lambda: officer.get(path).json()["review_status"] == "not-required",
    )
    write(officer, f"{path}/transitions", {"to": "notice", "client_entry_id": cid()})
    decided = write(
        officer, f"{path}/decision", {"client_entry_id": cid(), "decision_text": "罚款五千元"}
    )
    decision_no = decided["case"]["decision_no"]

    def found(status: str):
        r = public.get("/v1/public/disclosures", params={"decision_no": decision_no})
        assert r.status_code == 200, r.text
        return next((d for d in r.json()["disclosures"] if d["status"] == status), None)

    published = wait_for("the publication", lambda: found("published"))
    write(
        officer,
        f"{path}/revocation",
        {"client_entry_id": cid(), "reason": REASON, "basis": "reconsideration"},
    )
    return {**wait_for("the withdrawal notice", lambda: found("withdrawn")), "was": published}


def test_the_facts_read_through_typing_and_keep_the_place_of_the_violation(withdrawn):
    facts = withdrawn["was"]["facts"]
    for secret in PRIVATE:
        assert secret not in facts, (secret, facts)
    assert "陈**" in facts and "阿某某在场见证" in facts
    assert "2026年3月2日在衡山路18号经营的早餐店" in facts  # 14.3: the place stays


def test_a_revocation_reason_is_published_redacted(withdrawn):
    reason = withdrawn["withdrawal_reason"]
    assert reason.startswith("经行政复议，撤销原处罚决定。申请人陈**"), reason
    for secret in (NAME, ID_NUMBER, PHONE, "黄河村8组"):
        assert secret not in reason, (secret, reason)


def test_no_public_view_shows_what_the_reason_or_the_facts_named(public, withdrawn):
    views = public_views(public, withdrawn)
    views["search-page"] = public.get("/public", params={"q": "陈"}).text
    for view, text in views.items():
        assert withdrawn["decision_no"] in text, f"{view} does not show the decision"
        for secret in PRIVATE:
            assert secret not in text, f"{view} shows {secret!r}"
    atom = public.get("/v1/public/disclosures.atom").text
    assert "撤销原因：经行政复议" in atom and "申请人陈**" in atom
