"""The README's first hour, run as written: the stack started the way `make run HOST=0.0.0.0
FREE_PORTS=1` starts it, the "A first case by hand" block pasted into bash (inspection to the
public disclosure and the verifier), the verifier refusing to judge with wrong settings, and
`make reset` stopping the stack and deleting its data."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from deploy.embedded import port_is_free
from deploy.stack import lan_address

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def readme_block(heading: str) -> str:
    """The first ```sh block under a README heading."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(heading) :]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, f"no sh block under {heading!r}"
    return match.group(1)


class Launcher:
    """`python -m deploy.stack run ...` in its own process, its output kept."""

    def __init__(self, var: Path, *options: str) -> None:
        self.var = var
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "deploy.stack", "run", "--var", str(var), *options],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while text not in self.output():
            assert self.proc.poll() is None, f"the stack exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"no {text!r} after {timeout_s}s:\n{self.output()}"
            time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A stand-in for the project directory: its .venv and docs, and a running stack's var/."""
    work = tmp_path_factory.mktemp("newcomer")
    (work / ".venv").symlink_to(ROOT / ".venv")
    (work / "docs").symlink_to(ROOT / "docs")
    launcher = Launcher(work / "var", "--free-ports", "--host", "0.0.0.0")
    try:
        launcher.wait_for("Ctrl-C stops everything.", timeout_s=240)
        yield work, launcher
    finally:
        launcher.stop()


def ports(work: Path) -> dict[str, int]:
    return json.loads((work / "var" / "ports.json").read_text())


def test_the_stack_on_all_addresses_is_reached_at_the_lan_address(work):
    work, launcher = work
    lan = lan_address()
    gateway = f"http://{lan}:{ports(work)['gateway']}"
    assert f"Gateway:   {gateway}" in launcher.output()
    assert httpx.get(f"{gateway}/readyz", timeout=10).status_code == 200
    # S3 answers there too (the presigned upload URLs name it); without a key: 403.
    assert httpx.get(f"http://{lan}:{ports(work)['s3']}/", timeout=10).status_code in (403, 200)
    env = (work / "var" / "records.env").read_text()
    assert f"RECORDS_S3_PUBLIC_ENDPOINT='{lan}:{ports(work)['s3']}'" in env


def test_the_readme_first_case_runs_as_written(work):
    work, _ = work
    block = readme_block("### A first case by hand")
    gateway = f"http://localhost:{ports(work)['gateway']}"
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block],
        cwd=work,
        env={**os.environ, "GW": gateway},
        capture_output=True,
        text=True,
        timeout=400,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    case_id = re.search(r"^case (\S+)$", done.stdout, re.M).group(1)
    decision_no = re.search(r"^decision (\S+)$", done.stdout, re.M).group(1)
    assert "新北应急罚〔" in decision_no
    public = httpx.get(
        f"{gateway}/v1/public/disclosures", params={"decision_no": decision_no}, timeout=10
    ).json()["disclosures"]
    assert [d["party_name"] for d in public] == ["常州某餐饮有限公司"]
    assert "1 evidence objects" in done.stdout
    assert "OK: the record is as it was written" in done.stdout
    # The page for phones shows it too.
    page = httpx.get(f"{gateway}/public", params={"q": "常州某餐饮"}, timeout=10)
    assert decision_no in page.text
    timeline = done.stdout.split(f"case {case_id}")[1]
    assert timeline.split()[:2] == ["filing", "investigation"]


def test_a_services_refusal_reaches_the_phone_in_chinese_or_english(work):
    work, _ = work
    secrets = json.loads((work / "var" / "secrets.json").read_text())
    with httpx.Client(base_url=f"http://127.0.0.1:{ports(work)['gateway']}", timeout=20) as http:
        login = {"username": "officer1", "password": secrets["demo_password"]}
        token = http.post("/v1/auth/login", json=login).json()["access_token"]
        officer = {"Authorization": f"Bearer {token}"}
        case = http.post(
            "/v1/cases",
            headers=officer,
            json={
                "client_case_id": f"phone-{time.time_ns()}",
                "domain": "gas",
                "title": "餐饮场所燃气检查",
                "party": {"kind": "person", "name": "王五", "id_number": "11010519491231002X"},
                "co_officer_ids": ["u-officer2"],
            },
        ).json()
        early = {"to": "decision", "client_entry_id": f"early-{time.time_ns()}"}
        path = f"/v1/cases/{case['case_id']}/transitions"
        zh = http.post(path, json=early, headers=officer)
        en = http.post(path, json=early, headers={**officer, "Accept-Language": "en"})
    assert zh.status_code == en.status_code == 409
    assert zh.json()["type"] == en.json()["type"]
    assert zh.json()["type"].endswith("/not-allowed-now")
    assert zh.json()["title"] == "当前状态下不允许此操作"
    assert zh.json()["detail"].startswith("处于 inspection 阶段的案件不能转到 decision; 可转到:")
    assert en.json()["title"] == "Not allowed in this state"
    assert "cannot move to decision; allowed:" in en.json()["detail"]


def run_verify(work: Path, *args: str, env: dict[str, str] | None = None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("RECORDS_")}
    return subprocess.run(
        [sys.executable, "-m", "services.records.verify", *args],
        cwd=work,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_verifier_without_its_settings_says_so_and_gives_no_verdict(work):
    work, _ = work
    bare = run_verify(work)  # var/records.db is there, but no key and no S3 keys
    assert bare.returncode == 2, bare.stdout + bare.stderr
    assert "CANNOT VERIFY" in bare.stderr and "make verify" in bare.stderr
    assert "FAILED" not in bare.stdout and "signature" not in bare.stdout + bare.stderr

    settings = dict(
        line.split("=", 1) for line in (work / "var" / "records.env").read_text().splitlines()
        if line.startswith("RECORDS_")
    )  # fmt: skip
    settings = {k: v.strip("'") for k, v in settings.items()}
    wrong_s3 = run_verify(work, env={**settings, "RECORDS_S3_SECRET_KEY": "not-the-key-0123"})
    assert wrong_s3.returncode == 2, wrong_s3.stdout + wrong_s3.stderr
    assert "cannot read the evidence store" in wrong_s3.stderr
    assert "Traceback" not in wrong_s3.stderr

    other_key = "A" * 43 + "="
    wrong_key = run_verify(work, env={**settings, "RECORDS_LOG_SIGNING_KEY": other_key})
    assert wrong_key.returncode == 2, wrong_key.stdout + wrong_key.stderr
    assert "not the log's settings" in wrong_key.stderr

    nowhere = run_verify(work, "--var", str(work / "elsewhere"))
    assert nowhere.returncode == 2 and "records.env not found" in nowhere.stderr

    right = run_verify(work, env=settings)
    assert right.returncode == 0, right.stdout + right.stderr
    assert "OK: the record is as it was written" in right.stdout


def test_make_reset_stops_the_stack_and_deletes_its_data_but_keeps_the_venv(work):
    work, launcher = work
    gateway_port = ports(work)["gateway"]
    done = subprocess.run(
        [sys.executable, "-m", "deploy.stack", "reset", "--var", str(work / "var")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stopping the stack" in done.stdout
    assert launcher.proc.wait(30) == 0
    assert "[stack] stopped" in launcher.output()
    assert not (work / "var").exists()
    assert (work / ".venv" / "bin" / "python").exists()
    assert port_is_free(gateway_port, "0.0.0.0")
    again = subprocess.run(
        [sys.executable, "-m", "deploy.stack", "reset", "--var", str(work / "var")],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert again.returncode == 0 and "nothing to reset" in again.stdout
