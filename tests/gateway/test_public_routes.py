"""Public disclosure routes through the gateway, against the real disclosure service."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from enforcement.disclosure.v1 import disclosure_pb2_grpc
from enforcement.records.v1 import records_pb2
from gateway.app import create_app
from gateway.config import Settings as GatewaySettings
from services.chassis.db import Database, make_engine, migrate
from services.chassis.events import parse_envelope, unpack
from services.chassis.grpc_server import GrpcServer
from services.disclosure.config import Settings as DisclosureSettings
from services.disclosure.grpc_api import DisclosureServicer
from tests.disclosure.conftest import MIGRATIONS, decided, deliver, revoked
from tests.gateway.conftest import SECRET

pytestmark = pytest.mark.integration

GATEWAY_MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"
# What the seeded decisions hold that must never be public.
SECRETS = (
    "320411198503120023",
    "320411201001010012",
    "13812345678",
    "13912345678",
    "6222021001123456789",
    "王小明",
    "刘德华",
    "李小龙",
)


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


@pytest.fixture
async def public(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'disclosure.db'}")
    migrate(engine, MIGRATIONS)
    database = Database(engine)
    gw = f"sqlite:///{tmp_path / 'gateway.db'}"
    migrate(make_engine(gw), GATEWAY_MIGRATIONS)
    servicer = DisclosureServicer(database, DisclosureSettings(database_url=str(engine.url)))
    server = GrpcServer(
        "127.0.0.1",
        0,
        [(disclosure_pb2_grpc.add_DisclosureServiceServicer_to_server, servicer)],
        [],
    )
    port = await server.start()
    app = create_app(
        GatewaySettings(database_url=gw, jwt_secret=SECRET, disclosure_addr=f"127.0.0.1:{port}")
    )
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway", timeout=30
            ) as http,
        ):
            yield http, database
    finally:
        await server.stop(0)
        database.dispose()


def seed(database):
    kept = decided(decided_at=datetime(2026, 11, 20, 2, tzinfo=UTC))
    person = decided(
        person=("王小明", "320411198503120023"),
        facts="王小明（电话13812345678）经营的面馆未安装燃气报警装置。",
        decided_at=datetime(2026, 11, 21, 2, tzinfo=UTC),
    )
    gone = decided(
        company=("某被撤销企业", "91110108551385082Q"),
        decided_at=datetime(2026, 11, 22, 2, tzinfo=UTC),
    )
    minor = decided(
        person=("李小龙", "320411201001010012"), decided_at=datetime(2026, 11, 23, 2, tzinfo=UTC)
    )
    for event in (kept, person, gone, minor):
        deliver(database, event)

    gone_case = unpack(parse_envelope(gone.payload), records_pb2.PenaltyDecided).case.case_id
    deliver(database, revoked(gone_case, "经行政复议，撤销原处罚决定"))


async def test_search_needs_no_login_and_shows_only_redacted_records(public):
    http, database = public
    seed(database)
    r = await http.get("/v1/public/disclosures", params={"date_from": "2026-11-20"})
    assert r.status_code == 200, r.text
    rows = r.json()["disclosures"]
    names = [d["party_name"] for d in rows]
    assert "王**" in names and "常州某化工有限公司" in names
    assert not any(n.startswith("李") for n in names)  # the minor never appears
    assert leaks(r.text) == []
    withdrawn = next(d for d in rows if d["party_name"] == "某被撤销企业")
    assert withdrawn["status"] == "withdrawn" and "行政复议" in withdrawn["withdrawal_reason"]


async def test_pages_follow_the_cursor(public):
    http, database = public
    seed(database)
    seen, cursor = [], None
    while True:
        params = {"page_size": 1, "date_from": "2026-11-20"} | (
            {"cursor": cursor} if cursor else {}
        )
        body = (await http.get("/v1/public/disclosures", params=params)).json()
        seen += [d["decision_date"] for d in body["disclosures"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == 3


async def test_export_keeps_the_national_field_order(public):
    http, database = public
    seed(database)
    r = await http.get("/v1/public/disclosures-export", params={"format": "csv"})
    assert r.status_code == 200 and r.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0][:5] == [
        "行政相对人名称",
        "行政相对人类别",
        "统一社会信用代码",
        "法定代表人",
        "行政处罚决定书文号",
    ]
    assert rows[0][10] == "罚款金额(万元)" and rows[0][15] == "公示截止期"
    assert leaks(r.text) == []
    j = await http.get("/v1/public/disclosures-export", params={"format": "json"})
    assert list(json.loads(j.text)[0])[:2] == ["行政相对人名称", "行政相对人类别"]


async def test_the_atom_feed_lists_decisions_and_withdrawals(public):
    http, database = public
    seed(database)
    r = await http.get("/v1/public/disclosures.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(r.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
    assert any(t.startswith("【已撤销】") for t in titles) and len(titles) == 3


async def test_the_public_page_in_chinese_with_search_and_detail(public):
    http, database = public
    seed(database)
    page = await http.get("/public", params={"q": "化工"})
    assert page.status_code == 200 and "行政处罚决定公示" in page.text
    assert "常州某化工有限公司" in page.text and "某被撤销企业" not in page.text
    link = re.search(r'href="(/public/disclosures/[^"]+)"', page.text).group(1)
    detail = await http.get(link)
    assert "罚款金额(万元)" in detail.text and "914403001922038216" in detail.text
    everything = (await http.get("/public")).text
    assert "已撤销" in everything and leaks(everything) == []
    assert (await http.get("/public/disclosures/nope")).status_code == 404
    bad = await http.get("/public", params={"date_from": "yesterday"})
    assert bad.status_code == 200 and "日期格式" in bad.text


async def test_bad_filters_are_a_problem_and_not_a_crash(public):
    http, _ = public
    r = await http.get("/v1/public/disclosures", params={"domain": "casino"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    r = await http.get("/v1/public/disclosures", params={"cursor": "garbage"})
    assert r.status_code == 422
