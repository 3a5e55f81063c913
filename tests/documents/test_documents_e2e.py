"""Enforcement documents end to end on one embedded stack: a case from inspection to archive
produces every kind of document from its real data, each read back with pdftotext; service
starts the deadlines; signatures make a new version; the case file is bound and archived; the
public page tells a genuine PDF from a tampered one, and the verifier finds a changed one."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from deploy.stack import SERVICES, Stack, free_ports
from services.chassis.storage import ObjectStore
from services.documents.verify import main as verify_main

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "documents"
PARTY = "常州某化工有限公司"
BASIS = "《中华人民共和国安全生产法》第九十九条第三项"
FACTS = "危险化学品仓库可燃气体报警装置未按标准安装"
OFFICERS = ("张伟", "32041120001", "李娜", "32041120002")  # deploy/seed.py's officer1, 2
WITH_BASIS = ("rectification-order", "penalty-notice", "penalty-decision", "legal-review-opinion")
KINDS = (
    "inspection-record",
    "rectification-order",
    "reinspection-opinion",
    "interview-record",
    "legal-review-opinion",
    "penalty-notice",
    "hearing-notice",
    "statement-record",
    "penalty-decision",
    "service-receipt",
    "closing-approval",
    "no-penalty-decision",
)


def cid() -> str:
    return str(uuid.uuid4())


def pdftotext(pdf: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


# Tuesday 1 December 2026, 09:00 in China: the documents are issued and served that day.
CLOCK_START = "2026-12-01T01:00:00+00:00"


def flat(text: str) -> str:
    """pdftotext breaks long lines; the checks read the text without its line breaks."""
    return "".join(text.split())


def pdf_a_part(pdf: bytes) -> str | None:
    xmp = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Metadata"].get_object().get_data()
    found = re.search(rb'pdfaid:part="(\d)"', xmp)
    return found.group(1).decode() if found else None


def signature_png(text: str = "张伟") -> bytes:
    img = Image.new("RGBA", (240, 80), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    draw.line([(10, 60), (60, 15), (110, 55), (160, 20), (220, 50)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not shutil.which("pdftotext") or not shutil.which("pdftoppm"):
        pytest.fail("pdftotext/pdftoppm are missing: `make pdf-deps` installs poppler-utils")
    with pytest.MonkeyPatch.context() as mp:
        for name in SERVICES:
            mp.setenv(f"{name.upper()}_CLOCK_START", CLOCK_START)
        s = Stack(tmp_path_factory.mktemp("documents-stack") / "var", free_ports())
    try:
        s.start(ready_timeout=120)
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        yield client


def login(http, stack, username) -> tuple[dict, str]:
    r = http.post(
        "/v1/auth/login", json={"username": username, "password": stack.secrets["demo_password"]}
    )
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return headers, http.get("/v1/auth/me", headers=headers).json()["user_id"]


def post(http, path, headers, body, expect=201):
    r = http.post(path, json=body, headers=headers)
    assert r.status_code == expect, r.text
    return r.json()


def issue(http, officer, case_id, kind, fields=None) -> dict:
    return post(
        http,
        f"/v1/cases/{case_id}/documents",
        officer,
        {"client_document_id": cid(), "kind": kind, "fields": fields or {}},
    )


def to(http, officer, case_id, stage) -> dict:
    return post(
        http, f"/v1/cases/{case_id}/transitions", officer, {"to": stage, "client_entry_id": cid()}
    )


def open_case(http, officer, colleague, title) -> dict:
    return post(
        http,
        "/v1/cases",
        officer,
        {
            "client_case_id": cid(),
            "domain": "hazardous-chemicals",
            "title": title,
            "party": {
                "kind": "organization",
                "name": PARTY,
                "credit_code": "914403001922038216",
                "legal_representative": "周建国",
            },
            "co_officer_ids": [colleague],
        },
    )


def serve(http, officer, document, method="direct", **extra) -> dict:
    """Served the moment it was issued (the services' clock runs from CLOCK_START)."""
    issued_at = document["issued_at"]
    return post(
        http,
        f"/v1/documents/{document['document_id']}/service",
        officer,
        {
            "client_entry_id": cid(),
            "method": method,
            "served_at": issued_at,
            "recipient": "周建国",
            **extra,
        },
    )


@pytest.fixture(scope="module")
def run(http, stack):
    """One case from inspection to archive, and a second one that ends without a penalty."""
    officer, _ = login(http, stack, "officer1")
    _, colleague = login(http, stack, "officer2")
    reviewer, _ = login(http, stack, "reviewer")
    docs: dict[str, dict] = {}
    case = open_case(http, officer, colleague, "危化品仓库现场检查")
    cid_ = case["case_id"]
    docs["inspection-record"] = issue(
        http,
        officer,
        cid_,
        "inspection-record",
        {"place": "常州市新北区某化工园区3号仓库", "findings": [FACTS, "安全出口堆放杂物"],
         "site_person": "周建国"},
    )  # fmt: skip
    docs["rectification-order"] = issue(
        http,
        officer,
        cid_,
        "rectification-order",
        {"problems": [FACTS], "rectify_by": "2026年12月15日", "basis": [BASIS]},
    )
    to(http, officer, cid_, "filing")
    to(http, officer, cid_, "investigation")
    docs["reinspection-opinion"] = issue(
        http,
        officer,
        cid_,
        "reinspection-opinion",
        {"order_no": docs["rectification-order"]["number"], "opinion": "报警装置已按标准安装。"},
    )
    docs["interview-record"] = issue(
        http,
        officer,
        cid_,
        "interview-record",
        {
            "interviewee": "周建国",
            "interviewee_role": "法定代表人",
            "place": "公司会议室",
            "questions": [{"q": "报警装置何时安装？", "a": "尚未安装。"}],
        },
    )
    image = signature_png()
    evidence = image  # the scene photo: any file; its hash goes into the evidence list
    slot = post(
        http,
        f"/v1/cases/{cid_}/evidence-slots",
        officer,
        {
            "client_slot_id": cid(),
            "sha256": hashlib.sha256(evidence).hexdigest(),
            "size": len(evidence),
            "media_type": "image/png",
            "filename": "scene.png",
        },
    )
    assert httpx.put(slot["put_url"], content=evidence).status_code == 200
    post(
        http,
        f"/v1/cases/{cid_}/evidence-slots/{slot['slot_id']}/confirm",
        officer,
        {"client_entry_id": cid(), "caption": "现场照片"},
    )
    post(
        http,
        f"/v1/cases/{cid_}/penalty-proposals",
        officer,
        {
            "client_entry_id": cid(),
            "kinds": ["fine"],
            "fine_yuan": 200000,
            "legal_basis": [BASIS],
            "facts": FACTS,
            "discretion": {"benchmark_id": "aq-99-safety-equipment", "circumstance": "serious"},
        },
    )
    deadline = time.monotonic() + 60
    while True:
        tasks = http.get("/v1/reviews/mine", headers=reviewer).json()["tasks"]
        task = next((t for t in tasks if t["case_id"] == cid_), None)
        if task:
            break
        assert time.monotonic() < deadline, "the proposal never reached the reviewer"
        time.sleep(0.5)
    checklist = [
        {"item": k, "passed": True}
        for k in (
            "subject", "powers", "facts", "evidence", "procedure",
            "legal-basis", "discretion", "documents", "criminal-referral",
        )
    ]  # fmt: skip
    post(
        http,
        f"/v1/reviews/{task['review_id']}/outcome",
        reviewer,
        {"outcome": "approved", "checklist": checklist, "opinion": "经审核，同意处罚"},
        expect=200,
    )
    deadline = time.monotonic() + 60
    while http.get(f"/v1/cases/{cid_}", headers=officer).json().get("review_status") != "approved":
        assert time.monotonic() < deadline, "records never heard the review's answer"
        time.sleep(0.5)
    # The opinion needs the outcome in the record (it arrives over Kafka with the status).
    docs["legal-review-opinion"] = issue(
        http, officer, cid_, "legal-review-opinion", {"reviewer_name": "王律"}
    )
    to(http, officer, cid_, "notice")
    docs["penalty-notice"] = issue(http, officer, cid_, "penalty-notice")
    served_notice = serve(http, officer, docs["penalty-notice"])
    docs["hearing-notice"] = issue(
        http,
        officer,
        cid_,
        "hearing-notice",
        {"hearing_at": "2026年12月10日9时", "hearing_place": "区应急管理局听证室", "host": "刘洋"},
    )
    post(
        http,
        f"/v1/cases/{cid_}/entries",
        officer,
        {
            "client_entry_id": cid(),
            "kind": "statement",
            "payload": {"text": "已立即整改，请求从轻处罚。"},
        },
    )
    docs["statement-record"] = issue(
        http, officer, cid_, "statement-record", {"place": "区应急管理局", "opinion": "不予采纳。"}
    )
    decided = post(
        http,
        f"/v1/cases/{cid_}/decision",
        officer,
        {"client_entry_id": cid(), "decision_text": "罚款二十万元"},
    )
    docs["penalty-decision"] = issue(http, officer, cid_, "penalty-decision")
    served_decision = serve(
        http,
        officer,
        docs["penalty-decision"],
        method="left-at-premises",
        witnesses=["赵敏"],
        address="常州市新北区某化工园区",
    )
    docs["service-receipt"] = issue(
        http,
        officer,
        cid_,
        "service-receipt",
        {"served_document_id": docs["penalty-decision"]["document_id"]},
    )
    to(http, officer, cid_, "service")
    to(http, officer, cid_, "execution")
    to(http, officer, cid_, "closing")
    docs["closing-approval"] = issue(
        http, officer, cid_, "closing-approval", {"execution": "罚款已于2026年12月8日缴纳"}
    )

    # Signatures on the inspection record: the officer's, and the party's refusal.
    first_sha = docs["inspection-record"]["sha256"]
    signed = post(
        http,
        f"/v1/documents/{docs['inspection-record']['document_id']}/signatures",
        officer,
        {
            "client_signature_id": cid(),
            "role": "officer",
            "signer_name": "张伟",
            "image_png_base64": base64.b64encode(image).decode(),
        },
    )
    signed = post(
        http,
        f"/v1/documents/{docs['inspection-record']['document_id']}/signatures",
        officer,
        {
            "client_signature_id": cid(),
            "role": "party",
            "signer_name": "周建国",
            "refused": True,
            "witness": "赵敏",
        },
    )
    docs["inspection-record"] = signed

    case_file = post(http, f"/v1/cases/{cid_}/case-file", officer, {"client_entry_id": cid()})
    archived = to(http, officer, cid_, "archived")

    # A second case ends without a penalty.
    other = open_case(http, officer, colleague, "小型仓库现场检查")
    to(http, officer, other["case_id"], "no_penalty")
    docs["no-penalty-decision"] = issue(
        http,
        officer,
        other["case_id"],
        "no-penalty-decision",
        {"reason": "违法行为轻微并及时改正，没有造成危害后果。",
         "basis": ["《中华人民共和国行政处罚法》第三十三条第一款"]},
    )  # fmt: skip
    to_sign = issue(
        http,
        officer,
        other["case_id"],
        "inspection-record",
        {"place": "常州市新北区某小型仓库", "findings": ["灭火器过期"]},
    )
    pdfs = {}
    for kind, d in docs.items():
        r = http.get(d["pdf_url"], headers=officer)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf"
        pdfs[kind] = r.content
    return {
        "officer": officer,
        "case": case,
        "decided": decided,
        "docs": docs,
        "pdfs": pdfs,
        "first_sha": first_sha,
        "served_notice": served_notice,
        "served_decision": served_decision,
        "case_file": case_file,
        "archived": archived,
        "to_sign": to_sign,
    }


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_renders_from_the_case_with_its_number_party_basis_officers_and_date(run, kind):
    d = run["docs"][kind]
    pdf = run["pdfs"][kind]
    assert hashlib.sha256(pdf).hexdigest() == d["sha256"]
    assert pdf_a_part(pdf) == "3"  # PDF/A-3u, as WeasyPrint writes it
    text = flat(pdftotext(pdf))
    assert d["title"] in text
    assert flat(d["number"]) in text
    assert "常州市新北区应急管理局" in text
    if kind != "interview-record":
        assert PARTY in text
    for name_or_certificate in OFFICERS:
        assert name_or_certificate in text
    if kind in WITH_BASIS:
        assert flat(BASIS) in text
    if kind in ("penalty-notice", "penalty-decision"):
        assert FACTS in text and "200,000元" in text
    assert "2026年" in text  # the document's date
    assert f"/v/{d['document_id']}" in text  # the QR code's target, printed beside it
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"doc-{kind}.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", "-",
         str(ARTIFACTS / f"doc-{kind}")],
        input=pdf,
        check=True,
    )  # fmt: skip


def test_each_kind_has_its_own_number_series_and_the_decision_keeps_records_number(run):
    docs = run["docs"]
    assert docs["penalty-decision"]["number"] == run["decided"]["case"]["decision_no"]
    assert "责改〔" in docs["rectification-order"]["number"]
    assert "罚告〔" in docs["penalty-notice"]["number"]
    numbers = [d["number"] for d in docs.values()]
    assert len(set(numbers)) == len(numbers)


def test_each_hash_is_in_the_case_record(run, http):
    timeline = http.get(
        f"/v1/cases/{run['case']['case_id']}/timeline", headers=run["officer"]
    ).json()
    logged = {
        json.loads(json.dumps(e["payload"])).get("sha256")
        for e in timeline["entries"]
        if e["kind"] == "document"
    }
    for kind, d in run["docs"].items():
        if kind == "no-penalty-decision":
            continue
        assert d["sha256"] in logged, kind
    assert run["first_sha"] in logged  # the version before the signatures
    assert run["case_file"]["sha256"] in logged


def test_service_starts_the_deadlines(run):
    notice = {d["name"]: d for d in run["served_notice"]["deadlines"]}
    # Served on Tuesday 1 December 2026: 3 and 5 working days later.
    assert notice["defence"]["due_date"] == "2026-12-04"
    assert notice["hearing-request"]["due_date"] == "2026-12-08"
    decision = {d["name"]: d for d in run["served_decision"]["deadlines"]}
    assert decision["payment"]["due_date"] == "2026-12-16"  # 15 calendar days
    assert run["served_decision"]["service"]["witnesses"] == ["赵敏"]
    receipt = flat(pdftotext(run["pdfs"]["service-receipt"]))
    assert "留置送达" in receipt and "赵敏" in receipt
    assert flat(run["docs"]["penalty-decision"]["number"]) in receipt


def test_signatures_make_a_new_version_with_the_refusal_on_it(run):
    d = run["docs"]["inspection-record"]
    assert d["version"] == 3 and run["first_sha"] in d["earlier_sha256"]
    assert [s["role"] for s in d["signatures"]] == ["officer", "party"]
    assert d["signatures"][0]["sha256"] == hashlib.sha256(signature_png()).hexdigest()
    assert "拒绝签名" in flat(pdftotext(run["pdfs"]["inspection-record"]))


def test_the_case_file_binds_every_document_and_is_archived(run, http, stack):
    f = run["case_file"]
    assert run["archived"]["case"]["stage"] == "archived"
    assert f["retention"] == "permanent"  # a legally reviewed (major) case
    listed = http.get(
        f"/v1/cases/{run['case']['case_id']}/documents", headers=run["officer"]
    ).json()
    assert listed["case_file"]["sha256"] == f["sha256"]
    store = ObjectStore(
        stack.s3.endpoint, stack.secrets["s3_access_key"], stack.secrets["s3_secret_key"]
    )
    keys = [o.object_name for o in store.client.list_objects("documents-archive", recursive=True)]
    assert len(keys) == 1
    stored = store.client.get_object("documents-archive", keys[0]).read()
    assert hashlib.sha256(stored).hexdigest() == f["sha256"]
    r = http.get(f["pdf_url"], headers=run["officer"])
    assert r.status_code == 307
    bound = httpx.get(r.headers["location"]).content  # the officer downloads it from S3
    assert bound == stored
    text = flat(pdftotext(bound))
    assert "行政处罚案卷" in text and "卷内目录" in text and "证据清单" in text
    # the decision comes first after the cover and index, the closing form last
    assert text.index("行政处罚决定书") < text.index("现场检查记录") < text.index("结案审批表")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "case-file.pdf").write_bytes(bound)
    (ARTIFACTS / "case-file.json").write_text(json.dumps(f, ensure_ascii=False))


def test_the_public_page_tells_a_genuine_pdf_from_a_tampered_one(run, http, stack):
    d = run["docs"]["penalty-decision"]
    genuine = run["pdfs"]["penalty-decision"]
    tampered = bytearray(genuine)
    tampered[len(tampered) // 2] ^= 0x01  # one bit of the file changed
    r = http.get(f"/v/{d['document_id']}", params={"sha256": hashlib.sha256(genuine).hexdigest()})
    assert r.status_code == 200 and 'data-verdict="match"' in r.text
    assert d["number"] in r.text and "常州市新北区应急管理局" in r.text
    assert PARTY not in r.text and "周建国" not in r.text  # nothing personal
    r = http.get(
        f"/v/{d['document_id']}", params={"sha256": hashlib.sha256(bytes(tampered)).hexdigest()}
    )
    assert 'data-verdict="mismatch"' in r.text and "does not match" in r.text
    v = http.get(f"/v1/public/documents/{d['document_id']}/verification").json()
    assert v["entry_matches"] and v["inclusion"]["root_matches"]
    assert v["inclusion"]["tree_head"]["signature"]
    # an earlier version (before the signatures) is still genuine
    first = run["docs"]["inspection-record"]
    v = http.get(
        f"/v1/public/documents/{first['document_id']}/verification",
        params={"sha256": run["first_sha"]},
    ).json()
    assert v["matches"] and v["superseded"]
    assert http.get(f"/v/{uuid.uuid4()}").status_code == 404


def test_the_verifier_finds_a_changed_stored_pdf(run, stack, capsys):
    def verify() -> tuple[int, dict]:
        code = verify_main(["--var", str(stack.var), "--json"])
        return code, json.loads(capsys.readouterr().out)

    code, report = verify()
    assert code == 0, report
    d = run["docs"]["penalty-notice"]
    store = ObjectStore(
        stack.s3.endpoint, stack.secrets["s3_access_key"], stack.secrets["s3_secret_key"]
    )
    key = next(
        o.object_name
        for o in store.client.list_objects("documents-pdf", recursive=True)
        if d["document_id"] in o.object_name and o.object_name.endswith(d["sha256"] + ".pdf")
    )
    changed = bytearray(run["pdfs"]["penalty-notice"])
    changed[-10] ^= 1
    store.put_bytes("documents-pdf", key, bytes(changed), content_type="application/pdf")
    code, report = verify()
    assert code == 1
    assert [p["number"] for p in report["problems"]] == [d["number"]]
    # and the officer is refused the changed bytes rather than handed them
    r = httpx.get(f"{stack.gateway_url}{d['pdf_url']}", headers=run["officer"])
    assert r.status_code == 409, r.text


def test_a_reader_checks_a_pdf_on_the_public_page_in_a_phone_browser(run, stack, tmp_path):
    """The page hashes the chosen file in the browser (WebCrypto) and checks the inclusion
    proof there too; the file never leaves the phone."""
    from tests.e2e.webapp_support import CHROMIUM, chromium

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's Chromium")
    d = run["docs"]["penalty-decision"]
    genuine = tmp_path / "决定书.pdf"
    genuine.write_bytes(run["pdfs"]["penalty-decision"])
    tampered = tmp_path / "决定书-改.pdf"
    changed = bytearray(run["pdfs"]["penalty-decision"])
    changed[len(changed) // 3] ^= 0x01
    tampered.write_bytes(bytes(changed))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 640}, locale="zh-CN")
        page.goto(f"{stack.gateway_url}/v/{d['document_id']}")
        page.wait_for_selector("#proof-verdict[data-browser=ok]")
        page.set_input_files("#file", str(genuine))
        page.wait_for_selector("[data-verdict=match]")
        page.wait_for_selector("#proof-verdict[data-browser=ok]")
        page.screenshot(path=str(ARTIFACTS / "verify-match.png"), full_page=True)
        page.set_input_files("#file", str(tampered))
        page.wait_for_selector("[data-verdict=mismatch]")
        assert "does not match" in page.content()
        page.screenshot(path=str(ARTIFACTS / "verify-mismatch.png"))


def test_an_officer_draws_a_signature_in_the_app_and_it_lands_on_the_document(run, http, stack):
    """The officer app's signature screen (文书签名) at 360x640: draw, confirm, the document
    comes back with the signature and a new version."""
    from tests.e2e.webapp_support import chromium

    if not (ROOT / "web" / "officer" / "dist" / "index.html").is_file():
        pytest.fail("the officer app is not built: `make web` (make test builds it)")
    d = run["to_sign"]
    r = http.post(
        "/v1/auth/login",
        json={"username": "officer1", "password": stack.secrets["demo_password"]},
    )
    pair = r.json()
    session = {
        "access_token": pair["access_token"],
        "refresh_token": pair["refresh_token"],
        "access_expires_at": int(time.time() * 1000) + 600_000,
    }
    url = f"{stack.gateway_url}/app/cases/{d['case_id']}/documents/{d['document_id']}/sign"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 640}, locale="zh-CN")
        page.add_init_script(
            f"sessionStorage.setItem('officer.session', {json.dumps(json.dumps(session))})"
        )
        page.goto(url)
        page.wait_for_selector(f"text={d['number']}")
        page.fill("input[placeholder='签名人姓名']", "张伟")
        pad = page.locator("[data-testid=signature-pad]").bounding_box()
        page.mouse.move(pad["x"] + 20, pad["y"] + 120)
        page.mouse.down()
        for x, y in ((70, 40), (120, 130), (170, 50), (230, 110), (300, 60)):
            page.mouse.move(pad["x"] + x, pad["y"] + y, steps=5)
        page.mouse.up()
        page.screenshot(path=str(ARTIFACTS / "app-sign.png"))
        page.click("text=确认签名")
        page.wait_for_selector("text=张伟 已签")
        page.wait_for_selector("text=第 2 版")
    listed = http.get(f"/v1/cases/{d['case_id']}/documents", headers=run["officer"]).json()[
        "documents"
    ]
    signed = next(x for x in listed if x["document_id"] == d["document_id"])
    assert signed["version"] == 2 and signed["signatures"][0]["signer_name"] == "张伟"
    assert signed["entry_id"]  # the new version's hash is in the record too


def test_bad_input_is_refused_in_chinese_and_takes_no_number(run, http):
    officer = run["officer"]
    case_id = run["to_sign"]["case_id"]
    path = f"/v1/cases/{case_id}/documents"
    before = http.get(path, headers=officer).json()["documents"]
    r = http.post(path, json={"client_document_id": cid(), "kind": "memo"}, headers=officer)
    assert r.status_code == 422
    r = http.post(
        path,
        json={
            "client_document_id": cid(),
            "kind": "rectification-order",
            "fields": {"problems": ["x"]},
        },
        headers=officer,
    )
    assert r.status_code == 422 and "须填写" in r.json()["detail"], r.text
    assert http.get(path, headers=officer).json()["documents"] == before
    first = run["docs"]["rectification-order"]["number"]  # 新北应急责改〔year〕1号
    made = issue(
        http, officer, case_id, "rectification-order", {"problems": ["x"], "rectify_by": "明日"}
    )
    assert made["number"] == first.replace("〕1号", "〕2号")  # the refusal took no number
    kept = run["to_sign"]["document_id"]  # an inspection record is kept, not served
    r = http.post(
        f"/v1/documents/{kept}/service",
        json={"client_entry_id": cid(), "method": "direct",
              "served_at": run["to_sign"]["issued_at"], "recipient": "周建国"},
        headers=officer,
    )  # fmt: skip
    assert r.status_code == 422 and "不向当事人送达" in r.json()["detail"], r.text
    r = http.post(
        f"/v1/documents/{made['document_id']}/service",
        json={"client_entry_id": cid(), "method": "left-at-premises",
              "served_at": made["issued_at"], "recipient": "周建国"},
        headers=officer,
    )  # fmt: skip
    assert r.status_code == 422 and "见证人" in r.json()["detail"], r.text
    early = made["issued_at"][:10] + "T00:00:00+08:00"  # midnight before it was issued
    r = http.post(
        f"/v1/documents/{made['document_id']}/service",
        json={"client_entry_id": cid(), "method": "direct", "served_at": early,
              "recipient": "周建国"},
        headers=officer,
    )  # fmt: skip
    assert r.status_code == 422 and "早于" in r.json()["detail"], r.text
    assert http.get(f"/v/{made['document_id']}", params={"sha256": "xyz"}).status_code == 422
