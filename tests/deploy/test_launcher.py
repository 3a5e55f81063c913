"""`make run` and its launcher before anything starts: a taken port is named with how to pick
another, the gateway's port and host come from the command line or GATEWAY_HTTP_*, the public
S3 endpoint follows the host, and `make run` installs only what runs."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from deploy.embedded import free_ports
from deploy.stack import DEFAULT_PORTS, Stack, lan_address, launch_options

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = ("locust", "schemathesis", "playwright", "pytest")


def some_ports() -> dict[str, int]:
    return dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True))


def test_a_taken_gateway_port_is_named_with_how_to_choose_another(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "deploy.stack", "run", "--var", str(tmp_path / "var"),
             "--free-ports", "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"port {port} (the gateway (HTTP)) already in use" in done.stderr
    assert "make run PORT=8080" in done.stderr and "make run FREE_PORTS=1" in done.stderr
    assert "keeps exiting" not in done.stderr
    assert not (tmp_path / "var" / "logs").exists()  # nothing was started


def test_the_gateway_port_and_host_come_from_the_command_line_or_gateway_http(tmp_path):
    def options(*argv: str, **env: str):
        args = argparse.Namespace(var=tmp_path / "var", free_ports=False, port=None, host=None)
        for flag, value in zip(argv[::2], argv[1::2], strict=True):
            setattr(args, flag, value)
        return launch_options(args, env)

    assert options() == (DEFAULT_PORTS, "127.0.0.1")
    ports, host = options(GATEWAY_HTTP_PORT="8123", GATEWAY_HTTP_HOST="0.0.0.0")
    assert (ports["gateway"], host) == (8123, "0.0.0.0")
    ports, host = options("port", 8080, "host", "127.0.0.1", GATEWAY_HTTP_PORT="8123")
    assert (ports["gateway"], host) == (8080, "127.0.0.1")
    stack = Stack(tmp_path / "var", ports, host)
    env = stack._gateway_env()
    assert (env["GATEWAY_HTTP_PORT"], env["GATEWAY_HTTP_HOST"]) == ("8080", "127.0.0.1")


def test_on_all_addresses_the_gateway_and_presigned_urls_name_the_lan_address(tmp_path):
    ports = some_ports()
    stack = Stack(tmp_path / "var", ports, "0.0.0.0")
    lan = lan_address()
    assert stack._gateway_env()["GATEWAY_HTTP_HOST"] == "0.0.0.0"
    for service in ("records", "overload"):
        endpoint = stack._service_env(service)[f"{service.upper()}_S3_PUBLIC_ENDPOINT"]
        assert endpoint == f"{lan}:{ports['s3']}"
        # The services themselves still reach S3 on loopback.
        assert stack._service_env(service)[f"{service.upper()}_S3_ENDPOINT"].startswith("127.")
    assert stack.s3.s3_bind == "0.0.0.0" and "-s3.ip.bind=0.0.0.0" in stack.s3._argv()
    assert stack.gateway_url == f"http://127.0.0.1:{ports['gateway']}"
    assert stack.public_url == f"http://{lan}:{ports['gateway']}"

    one = Stack(tmp_path / "var2", some_ports(), "192.0.2.7")
    assert one._service_env("records")["RECORDS_S3_PUBLIC_ENDPOINT"].startswith("192.0.2.7:")
    local = Stack(tmp_path / "var3", some_ports())
    assert local.s3.s3_bind == "127.0.0.1"
    assert local._service_env("records")["RECORDS_S3_PUBLIC_ENDPOINT"].startswith("127.0.0.1:")


def make_dry_run(*args: str, venv: Path) -> str:
    done = subprocess.run(
        ["make", "-n", *args, f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_run_installs_only_what_runs_and_says_so(tmp_path):
    fresh = tmp_path / "fresh-venv"
    run = make_dry_run("run", venv=fresh)
    assert "installing what the platform needs to run" in run
    assert "'.[proto]'" in run and ".[dev]" not in run
    assert "generating the gRPC stubs" in run
    test = make_dry_run("test", venv=fresh)
    assert "'.[dev]'" in test and "installing the test and measuring tools" in test
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = project["dependencies"] + project["optional-dependencies"]["proto"]
    assert not [d for d in runtime if d.split("[")[0].split(">")[0] in TEST_TOOLS]
    assert set(TEST_TOOLS) <= {d.split()[0] for d in project["optional-dependencies"]["dev"]}


def test_make_run_options_reach_the_launcher(tmp_path):
    venv = tmp_path / "venv"
    plain = make_dry_run("run", venv=venv)
    assert f"{venv}/bin/python -m deploy.stack run" in [x.strip() for x in plain.splitlines()]
    given = make_dry_run("run", "HOST=0.0.0.0", "PORT=8080", "FREE_PORTS=1", venv=venv)
    assert "-m deploy.stack run --host 0.0.0.0 --port 8080 --free-ports" in given
    assert "-m deploy.stack reset --var var" in make_dry_run("reset", venv=venv)
    assert "-m services.records.verify --var var --case c-1" in make_dry_run(
        "verify", "CASE=c-1", venv=venv
    )
