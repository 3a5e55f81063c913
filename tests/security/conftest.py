"""The security suite's platform: the embedded stack as `make run` starts it, once per session,
with a second agency's staff and a town-bound supervisor added beside the demo district, and
the objects an attacker would go after (a case, a review, a gas alarm, a weighing, a published
decision) made through the API as their owners would make them.

Rate limits count per client address, so callers that must not share a count (the login and
search floods, each fuzzing role) connect from their own loopback address (127.0.0.0/8).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from deploy.stack import Stack, free_ports
from gateway import db as gwdb
from gateway.security.device_signing import signed_headers
from services.chassis.db import Database

AGENCY = "xinbei-yjj"
OTHER_AGENCY = "wujin-yjj"  # a neighbouring district's bureau, in the same deployment
PROBLEM_JSON = "application/problem+json"

# username, roles, agency, town, certificate
EXTRA_USERS = [
    ("wj-officer", ["officer"], OTHER_AGENCY, "湖塘镇", "32041220001"),
    ("wj-officer2", ["officer"], OTHER_AGENCY, "湖塘镇", "32041220002"),
    ("wj-reviewer", ["legal_reviewer"], OTHER_AGENCY, None, None),
    ("wj-supervisor", ["supervisor"], OTHER_AGENCY, None, None),
    ("wj-admin", ["admin"], OTHER_AGENCY, None, None),
    ("lht-supervisor", ["supervisor"], AGENCY, "龙虎塘街道", None),
    ("sec-locked", ["officer"], AGENCY, "薛家镇", "32041120099"),
    ("sec-refresh", ["officer"], AGENCY, "薛家镇", "32041120098"),
    ("sec-uploader", ["officer"], AGENCY, "薛家镇", "32041120097"),
]
TOKEN_REFRESH_S = 600  # log in again before the 900 s access token runs out

_addresses = itertools.count(10)


def new_address() -> str:
    """A loopback source address no other test client uses."""
    n = next(_addresses)
    return f"127.0.{n // 250}.{n % 250 + 2}"


def cid() -> str:
    return str(uuid.uuid4())


def is_problem(r: httpx.Response, status: int, slug: str | None = None) -> bool:
    """`r` is a problem+json answer with this status (and type slug)."""
    if r.status_code != status or not r.headers.get("content-type", "").startswith(PROBLEM_JSON):
        return False
    body = r.json()
    return body.get("status") == status and (slug is None or body["type"].endswith("/" + slug))


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    s = Stack(tmp_path_factory.mktemp("security-stack") / "var", free_ports())
    try:
        s.start(ready_timeout=120)
        database = Database.from_url(f"sqlite:///{s.var / 'gateway.db'}")
        try:
            with database.unit_of_work() as uow:
                for username, roles, agency, town, cert in EXTRA_USERS:
                    gwdb.create_user(
                        uow.conn, username=username, password=s.secrets["demo_password"],
                        display_name=username, roles=roles, agency_id=agency, town=town,
                        certificate_no=cert, user_id=f"u-{username}",
                    )  # fmt: skip
                uow.commit()
        finally:
            database.dispose()
        yield s
    finally:
        s.stop()


def client(stack: Stack, address: str | None = None) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address) if address else None
    return httpx.Client(base_url=stack.gateway_url, timeout=30, transport=transport)


@pytest.fixture(scope="session")
def http(stack) -> Iterator[httpx.Client]:
    with client(stack) as c:
        yield c


@pytest.fixture(scope="session")
def public(stack) -> Iterator[httpx.Client]:
    """An anonymous reader with an address of its own (the public routes count per address)."""
    with client(stack, new_address()) as c:
        yield c


@dataclass
class Caller:
    """A logged-in user; `headers` carries a fresh access token."""

    http: httpx.Client
    username: str
    password: str
    user_id: str = ""
    _token: str = ""
    _at: float = field(default=float("-inf"))  # not 0: the monotonic clock starts at boot

    @property
    def token(self) -> str:
        if time.monotonic() - self._at > TOKEN_REFRESH_S:
            r = self.http.post(
                "/v1/auth/login", json={"username": self.username, "password": self.password}
            )
            assert r.status_code == 200, r.text
            self._token, self._at = r.json()["access_token"], time.monotonic()
            if not self.user_id:
                self.user_id = self.get("/v1/auth/me").json()["user_id"]
        return self._token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw) -> httpx.Response:
        return self.http.get(path, headers=self.headers, **kw)

    def post(self, path: str, body=None, **kw) -> httpx.Response:
        return self.http.post(path, json=body, headers=self.headers, **kw)

    def put(self, path: str, body=None, **kw) -> httpx.Response:
        return self.http.put(path, json=body, headers=self.headers, **kw)


@pytest.fixture(scope="session")
def login(http, stack) -> Callable[[str], Caller]:
    callers: dict[str, Caller] = {}

    def get(username: str) -> Caller:
        if username not in callers:
            callers[username] = Caller(http, username, stack.secrets["demo_password"])
            _ = callers[username].token
        return callers[username]

    return get


@pytest.fixture(scope="session")
def officer(login) -> Caller:
    return login("officer1")  # 薛家镇


@pytest.fixture(scope="session")
def colleague(login) -> Caller:
    return login("officer2")  # 薛家镇, the second officer on site


@pytest.fixture(scope="session")
def other_officer(login) -> Caller:
    return login("wj-officer")


# -- the objects under attack, made by their owners -------------------------------------------

ORGANISATION = {
    "kind": "organization",
    "name": "常州某燃气餐饮有限公司",
    "credit_code": "914403001922038216",
}


def open_case(officer: Caller, colleague: Caller, **changes) -> dict:
    body = {
        "client_case_id": cid(),
        "domain": "gas",
        "title": "餐饮场所燃气报警装置检查",
        "party": ORGANISATION,
        "co_officer_ids": [colleague.user_id],
        **changes,
    }
    r = officer.post("/v1/cases", body)
    assert r.status_code == 201, r.text
    return r.json()


def write(caller: Caller, path: str, body: dict, expect: int = 201) -> dict:
    r = caller.post(path, body)
    assert r.status_code == expect, r.text
    return r.json()


def wait_for(what: str, probe: Callable[[], object], timeout_s: float = 60) -> object:
    """Poll until `probe` gives something truthy (events cross Kafka between services)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.3)


@pytest.fixture(scope="session")
def case(officer, colleague) -> dict:
    """A case of officer1 and officer2, in 薛家镇, with a note in its record."""
    opened = open_case(officer, colleague)
    note = {"client_entry_id": cid(), "kind": "note", "payload": {"text": "现场检查"}}
    entry = write(officer, f"/v1/cases/{opened['case_id']}/entries", note)["entry"]
    return {**opened, "note_entry_id": entry["entry_id"]}


def investigate(officer: Caller, case_id: str) -> None:
    for stage in ("filing", "investigation"):
        write(officer, f"/v1/cases/{case_id}/transitions", {"to": stage, "client_entry_id": cid()})


@pytest.fixture(scope="session")
def review(officer, colleague, login) -> dict:
    """A major penalty proposal waiting in the legal reviewer's queue."""
    opened = open_case(officer, colleague)
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
    reviewer = login("reviewer")

    def queued():
        tasks = reviewer.get("/v1/reviews/mine").json()["tasks"]
        return next((t for t in tasks if t["case_id"] == opened["case_id"]), None)

    return wait_for("the review task", queued)


def device_secrets(stack: Stack) -> dict[str, dict]:
    return json.loads((stack.var / "demo-devices.json").read_text())


def signed_post(
    http: httpx.Client, stack: Stack, device_id: str, path: str, body: dict, **sign
) -> httpx.Response:
    raw = json.dumps(body, ensure_ascii=False).encode()
    secret = device_secrets(stack)[device_id]["secret"]
    headers = signed_headers(device_id, secret, "POST", path, raw, **sign)
    return http.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})


@pytest.fixture(scope="session")
def gas_alarm(http, stack, officer) -> dict:
    """An active leak alarm at 老街面馆 (venue-xuejia-001, 薛家镇)."""
    base = int(time.time() * 1000)
    events = [{"seq": base + i, "type": "reading", "lel": 35} for i in range(3)]
    r = signed_post(http, stack, "gas-det-0001", "/v1/gas/device-events", {"events": events})
    assert r.status_code == 200, r.text

    def raised():
        alarms = officer.get("/v1/gas/alarms").json()["alarms"]
        return next((a for a in alarms if a["venue_id"] == "venue-xuejia-001"), None)

    return wait_for("the gas alarm", raised)


@pytest.fixture(scope="session")
def weighing(officer) -> dict:
    """A truck an officer weighed at the demo station (over the limit: an inspection)."""
    return write(
        officer,
        "/v1/overload/weighings",
        {
            "client_weighing_id": cid(),
            "station_id": "station-g312-km45",
            "plate": "苏D7S001",
            "vehicle": {"kind": "combination", "axles": 6},
            "gross_t": "60",
        },
    )


PERSON = {"name": "王小明", "id_number": "11010519491231002X", "phone": "13812345678"}
SCRIPT = "<script>alert('xss')</script>"


@pytest.fixture(scope="session")
def disclosure(officer, colleague, public) -> dict:
    """A decided penalty on a natural person, published: the facts name the person's ID
    number, phone and home address, and carry a script tag."""
    opened = open_case(
        officer,
        colleague,
        party={
            "kind": "person",
            "name": PERSON["name"],
            "id_number": PERSON["id_number"],
            "address": "常州市新北区薛家镇富民路12号",
        },
    )
    path = f"/v1/cases/{opened['case_id']}"
    investigate(officer, opened["case_id"])
    facts = (
        f"当事人{PERSON['name']}（身份证号{PERSON['id_number']}，电话{PERSON['phone']}，"
        f"家住常州市新北区薛家镇富民路12号）经营的餐馆未安装燃气泄漏报警装置。{SCRIPT}"
    )
    write(
        officer,
        f"{path}/penalty-proposals",
        {
            "client_entry_id": cid(),
            "kinds": ["fine"],
            "fine_yuan": 5000,
            "legal_basis": ["《中华人民共和国安全生产法》第九十九条"],
            "facts": facts,
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

    def published():
        found = public.get("/v1/public/disclosures", params={"decision_no": decision_no})
        assert found.status_code == 200, found.text
        return next(iter(found.json()["disclosures"]), None)

    return {**wait_for("the publication", published), "facts_sent": facts}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
