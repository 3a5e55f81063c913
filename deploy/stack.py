"""The embedded stack: `python -m deploy.stack run` (what `make run` calls).

Starts, in order and each only once ready: SeaweedFS (S3 on loopback, data under var/),
Tansu (its log in that S3 store, so events survive restarts), the topics and buckets, every
service and the gateway as separate processes; seeds the demo district; prints the URL and
the demo logins. Ctrl-C stops everything. A process that dies is reported with the end of
its log and restarted; one that keeps dying stops the stack.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy import embedded
from deploy.embedded import LOOPBACK, SeaweedFS, Tansu, port_is_free
from deploy.init import InitSettings, initialise
from services.chassis.service_auth import ServiceTokenSigner, make_key_pair, public_key_of

SERVICES = (
    "records",
    "review",
    "disclosure",
    "gas",
    "overload",
    "documents",
    "hazard_sources",
    "hazards",
)
DEFAULT_PORTS = {
    "gateway": 8000,
    "s3": 8333,
    "kafka": 9092,
    "records": 50051,
    "review": 50052,
    "disclosure": 50053,
    "gas": 50054,
    "overload": 50055,
    "documents": 50056,
    "hazard_sources": 50057,
    "mqtt": 11883,  # not 1883: a machine's own Mosquitto often holds that
    "hazards": 50058,
    "records-metrics": 9111,
    "review-metrics": 9112,
    "disclosure-metrics": 9113,
    "gas-metrics": 9114,
    "overload-metrics": 9115,
    "documents-metrics": 9116,
    "hazard_sources-metrics": 9117,
    "hazards-metrics": 9118,
}
PORT_ROLES = {
    "gateway": "the gateway (HTTP)",
    "s3": "S3 (SeaweedFS)",
    "kafka": "Kafka (Tansu)",
    "mqtt": "the MQTT broker (amqtt)",
    **{name: f"the {name} service (gRPC)" for name in SERVICES},
    **{f"{name}-metrics": f"the {name} service's metrics" for name in SERVICES},
}
MAX_RESTARTS = 3
WILDCARDS = ("0.0.0.0", "::", "")


class PortsTaken(RuntimeError):
    """Ports the stack needs are in use: a configuration problem, said before anything starts."""


def lan_address() -> str:
    """The address other machines on the LAN reach this one at (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            return s.getsockname()[0]
        except OSError:
            return LOOPBACK


def log(msg: str) -> None:
    print(f"[stack] {msg}", flush=True)


def load_or_make_secrets(var: Path) -> dict[str, str]:
    """Development secrets, made once and kept under var/ (never committed).

    A secret added since var/ was made is added to the file on the next start.
    """
    path = var / "secrets.json"
    if path.exists():
        kept = json.loads(path.read_text())
        if "service_token_key" in kept and "mqtt_broker_token" in kept:
            return kept
        if "service_token_key" not in kept:
            kept["service_token_key"], _ = make_key_pair()
        kept.update({k: v for k, v in _mqtt_secrets().items() if k not in kept})
        path.write_text(json.dumps(kept, indent=2))
        return kept
    made = {
        "jwt_secret": secrets.token_urlsafe(48),
        "s3_access_key": "stack" + secrets.token_hex(6),
        "s3_secret_key": secrets.token_urlsafe(24),
        "records_log_signing_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "demo_password": "demo-" + secrets.token_hex(4),
        # The gateway signs its calls to the services with it (services.chassis.service_auth).
        "service_token_key": make_key_pair()[0],
        **_mqtt_secrets(),
    }
    path.write_text(json.dumps(made, indent=2))
    path.chmod(0o600)
    return made


def _mqtt_secrets() -> dict[str, str]:
    # The broker's token on its CONNECT checks, and the bridge's MQTT password.
    return {
        "mqtt_broker_token": secrets.token_urlsafe(32),
        "mqtt_bridge_password": secrets.token_urlsafe(32),
    }


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None
    restarts: deque = field(default_factory=lambda: deque(maxlen=MAX_RESTARTS))

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        out = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()

    def stop(self, timeout: float = 15.0) -> None:
        self.terminate()
        self.wait_stopped(timeout)

    def terminate(self) -> None:
        """Ask the child to stop (SIGTERM); wait_stopped() waits for it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 15.0) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class Stack:
    """The whole platform on one machine; also used by the end-to-end tests."""

    def __init__(
        self,
        var: Path,
        ports: dict[str, int] | None = None,
        host: str = LOOPBACK,
        database_urls: dict[str, str] | None = None,
    ) -> None:
        self.var = var.resolve()
        # Per service (and "gateway"): a database elsewhere, e.g. PostgreSQL for `make bench`;
        # the others get their SQLite file under var/.
        self.database_urls = dict(database_urls or {})
        self.var.mkdir(parents=True, exist_ok=True)
        self.ports = dict(ports or DEFAULT_PORTS)
        # The gateway listens on `host`; beyond loopback, S3 does too (phones upload to it
        # through presigned URLs), and both are announced at an address others can reach.
        self.host = host
        local = host == LOOPBACK or host == "localhost"
        self.public_host = lan_address() if host in WILDCARDS else host
        s3_bind = LOOPBACK if local else "0.0.0.0"
        self.secrets = load_or_make_secrets(self.var)
        self.logs = self.var / "logs"
        self.s3 = SeaweedFS(
            data_dir=self.var / "s3",
            s3_port=self.ports["s3"],
            access_key=self.secrets["s3_access_key"],
            secret_key=self.secrets["s3_secret_key"],
            log_path=self.logs / "seaweedfs.log",
            s3_bind=s3_bind,
            avoid=(port for name, port in self.ports.items() if name != "s3"),
        )
        self.kafka = Tansu(
            s3_endpoint=self.s3.endpoint,
            access_key=self.secrets["s3_access_key"],
            secret_key=self.secrets["s3_secret_key"],
            bucket="tansu",
            port=self.ports["kafka"],
            log_path=self.logs / "tansu.log",
        )
        self.children: dict[str, Child] = {}
        for name in SERVICES:
            self.children[name] = Child(
                name,
                [sys.executable, "-m", f"services.{name}"],
                self._service_env(name),
                self.logs / f"{name}.log",
            )
        self.children["gateway"] = Child(
            "gateway",
            [sys.executable, "-m", "gateway"],
            self._gateway_env(),
            self.logs / "gateway.log",
        )
        # Devices over MQTT: the broker checks CONNECTs with the gateway; the bridge carries
        # messages into the services (docs/hazard-sources.md).
        self.children["mqtt"] = Child(
            "mqtt",
            [sys.executable, "-m", "deploy.mqtt_broker"],
            self._mqtt_env(),
            self.logs / "mqtt.log",
        )
        self.children["mqtt-bridge"] = Child(
            "mqtt-bridge",
            [sys.executable, "-m", "gateway.mqtt_bridge"],
            self._gateway_env(),
            self.logs / "mqtt-bridge.log",
        )

    def service_token_signer(self) -> ServiceTokenSigner:
        """Signs calls to the services as the gateway does (the seed, operators' tools)."""
        return ServiceTokenSigner(self.secrets["service_token_key"], subject="stack")

    @property
    def gateway_url(self) -> str:
        """Where this machine reaches the gateway."""
        near = LOOPBACK if self.host in WILDCARDS else self.host
        return f"http://{near}:{self.ports['gateway']}"

    @property
    def public_url(self) -> str:
        """Where others (a phone on the LAN) reach the gateway."""
        return f"http://{self.public_host}:{self.ports['gateway']}"

    @property
    def s3_public_endpoint(self) -> str:
        """The S3 address in presigned URLs: the host phones reach, S3's port."""
        return f"{self.public_host}:{self.ports['s3']}"

    def taken_ports(self) -> list[str]:
        """The stack's ports something else listens on, each with what needs it."""
        taken = []
        for name, port in self.ports.items():
            host = {"gateway": self.host, "s3": self.s3.s3_bind}.get(name, LOOPBACK)
            if not port_is_free(port, host or "0.0.0.0"):
                taken.append(f"port {port} ({PORT_ROLES.get(name, name)})")
        return taken

    def check_ports(self) -> None:
        """Say which ports are taken and how to choose others, before anything starts."""
        taken = self.taken_ports()
        if not taken:
            return
        running = running_stack_pid(self.var)
        hint = (
            f"A stack from {self.var} is already running (pid {running}): stop it with Ctrl-C "
            "in its terminal, or `make reset` (which also deletes its data)."
            if running
            else "Stop the program that holds it, or choose other ports: "
            "`make run PORT=8080` moves the gateway (GATEWAY_HTTP_PORT works too), "
            "`make run FREE_PORTS=1` picks free ports for everything (kept in var/ports.json)."
        )
        raise PortsTaken(f"{', '.join(taken)} already in use by another program. {hint}")

    def database_url(self, name: str) -> str:
        """The database of service `name` (or "gateway")."""
        return self.database_urls.get(name) or f"sqlite:///{self.var / f'{name}.db'}"

    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _service_env(self, name: str) -> dict[str, str]:
        p = name.upper()
        env = self._base_env()
        env.update(
            {
                f"{p}_MODE": "development",
                f"{p}_DATABASE_URL": self.database_url(name),
                f"{p}_KAFKA_BOOTSTRAP": self.kafka.bootstrap,
                # Tansu may lose an idempotent producer's batch when killed (docs/faults.md).
                f"{p}_KAFKA_IDEMPOTENT_PRODUCER": "false",
                f"{p}_GRPC_HOST": "127.0.0.1",
                f"{p}_GRPC_PORT": str(self.ports[name]),
                f"{p}_METRICS_PORT": str(self.ports[f"{name}-metrics"]),
                f"{p}_S3_ENDPOINT": self.s3.endpoint,
                f"{p}_S3_ACCESS_KEY": self.secrets["s3_access_key"],
                f"{p}_S3_SECRET_KEY": self.secrets["s3_secret_key"],
                f"{p}_SERVICE_TOKEN_PUBLIC_KEY": public_key_of(self.secrets["service_token_key"]),
            }
        )
        if name == "disclosure":
            from deploy.seed import DEMO_AUTHORITIES

            env["DISCLOSURE_AUTHORITIES"] = json.dumps(DEMO_AUTHORITIES, ensure_ascii=False)
        if name == "records":
            env["RECORDS_LOG_SIGNING_KEY"] = self.secrets["records_log_signing_key"]
        if name in ("records", "overload", "documents", "hazards"):
            env[f"{p}_S3_PUBLIC_ENDPOINT"] = self.s3_public_endpoint
        return env

    def _gateway_env(self) -> dict[str, str]:
        env = self._base_env()
        env.update(
            {
                "GATEWAY_MODE": "development",
                "GATEWAY_DATABASE_URL": self.database_url("gateway"),
                "GATEWAY_HTTP_HOST": self.host,
                "GATEWAY_HTTP_PORT": str(self.ports["gateway"]),
                "GATEWAY_JWT_SECRET": self.secrets["jwt_secret"],
                # the apps upload evidence straight to S3's presigned URLs
                "GATEWAY_APP_CONNECT_SRC": f"http://{self.s3_public_endpoint}",
                "GATEWAY_SERVICE_TOKEN_KEY": self.secrets["service_token_key"],
                "GATEWAY_PUBLIC_BASE_URL": self.gateway_url,
            }
        )
        for name in SERVICES:
            env[f"GATEWAY_{name.upper()}_ADDR"] = f"127.0.0.1:{self.ports[name]}"
        env.update(
            {
                "GATEWAY_MQTT_BROKER_TOKEN": self.secrets["mqtt_broker_token"],
                "GATEWAY_MQTT_HOST": LOOPBACK,
                "GATEWAY_MQTT_PORT": str(self.ports["mqtt"]),
                "GATEWAY_MQTT_BRIDGE_PASSWORD": self.secrets["mqtt_bridge_password"],
            }
        )
        from deploy.seed import DEMO_AGENCY_NAMES

        env["GATEWAY_AGENCY_NAMES"] = json.dumps(DEMO_AGENCY_NAMES, ensure_ascii=False)
        return env

    def _mqtt_env(self) -> dict[str, str]:
        env = self._base_env()
        env.update(
            {
                "MQTT_HOST": LOOPBACK,
                "MQTT_PORT": str(self.ports["mqtt"]),
                "MQTT_GATEWAY_URL": self.gateway_url,
                "MQTT_BROKER_TOKEN": self.secrets["mqtt_broker_token"],
                "MQTT_BRIDGE_PASSWORD": self.secrets["mqtt_bridge_password"],
            }
        )
        return env

    # -- start and stop -------------------------------------------------------------

    def write_records_env(self, name: str = "records") -> Path:
        """A service's settings, for its verifier (`make verify`, `--var var`)."""
        path = self.var / f"{name}.env"
        env = self._service_env(name)
        prefix = f"{name.upper()}_"
        lines = [f"{k}='{v}'" for k, v in sorted(env.items()) if k.startswith(prefix)]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds secrets
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("# written by `make run`; read by `make verify`\n" + "\n".join(lines) + "\n")
        return path

    def start(self, ready_timeout: float = 90.0) -> None:
        started = time.monotonic()
        self.check_ports()
        self.write_records_env()
        self.write_records_env("documents")
        log(f"SeaweedFS (S3 on {self.s3.endpoint}, data in {self.var / 's3'}) ...")
        self.s3.start()
        self.s3.wait_ready(timeout=60)
        log(f"Tansu (Kafka on {self.kafka.bootstrap}, log kept in S3) ...")
        self.kafka.start()
        self.kafka.wait_ready(timeout=60)
        initialise(
            InitSettings(
                kafka_bootstrap=self.kafka.bootstrap,
                s3_endpoint=self.s3.endpoint,
                s3_access_key=self.secrets["s3_access_key"],
                s3_secret_key=self.secrets["s3_secret_key"],
            )
        )
        log("topics and buckets ready; starting services ...")
        for child in self.children.values():
            child.start()
        self.wait_ready(ready_timeout - (time.monotonic() - started))
        from deploy.seed import seed_demo_district, seed_gas_registry, seed_overload_station

        self.demo_logins = seed_demo_district(
            self.var / "gateway.db",
            self.secrets["demo_password"],
            database_url=self.database_urls.get("gateway"),
        )
        signer = self.service_token_signer()
        seed_overload_station(f"127.0.0.1:{self.ports['overload']}", signer)
        seed_gas_registry(f"127.0.0.1:{self.ports['gas']}", signer)
        log(f"ready in {time.monotonic() - started:.1f}s")

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + max(timeout, 5)
        last = ""
        while time.monotonic() < deadline:
            self.check_children(restart=False)
            try:
                r = httpx.get(f"{self.gateway_url}/readyz", timeout=2)
                # Devices connect to the broker too; the gateway's readiness leaves it out on
                # purpose (a broker outage must not take the HTTP path down with it).
                if r.status_code == 200 and not port_is_free(self.ports["mqtt"]):
                    return
                last = r.text if r.status_code != 200 else "MQTT broker not listening yet"
            except httpx.HTTPError as exc:
                last = str(exc)
            time.sleep(0.3)
        raise RuntimeError(f"gateway not ready after {timeout:.0f}s: {last}")

    def check_children(self, *, restart: bool = True) -> None:
        """Report a dead child loudly; restart it, or give up if it keeps dying."""
        if restart:
            self._check_infrastructure()
        for child in self.children.values():
            if child.proc is None or child.proc.poll() is None:
                continue
            code = child.proc.returncode
            print(
                f"\n[stack] !!! {child.name} exited with code {code}; last lines of "
                f"{child.log_path}:\n{child.tail()}\n",
                file=sys.stderr,
                flush=True,
            )
            now = time.monotonic()
            child.restarts.append(now)
            if not restart or (
                len(child.restarts) == MAX_RESTARTS and now - child.restarts[0] < 60
            ):
                hint = ""
                tail = child.tail().lower()
                if "address already in use" in tail or "failed to bind" in tail:
                    hint = (
                        f": a port of {child.name} was taken after the start-up check; "
                        "`make run FREE_PORTS=1` picks free ones"
                    )
                raise RuntimeError(f"{child.name} keeps exiting (code {code}){hint}")
            log(f"restarting {child.name}")
            child.start()

    def _check_infrastructure(self) -> None:
        """SeaweedFS and Tansu are restarted like the services: S3 first, the broker keeps
        its log there. The services reconnect by themselves; nothing is lost (outbox)."""
        for proc in (self.s3, self.kafka):
            if proc.proc is None or proc.is_running():
                continue
            print(
                f"\n[stack] !!! {proc.name} exited with code {proc.proc.returncode}; "
                f"restarting it\n",
                file=sys.stderr,
                flush=True,
            )
            proc.start()
            proc.wait_ready(timeout=60)

    def stop(self) -> None:
        # A second Ctrl-C must not leave children behind half-way through.
        previous = {
            sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            log("stopping ...")
            # The doors first (no new requests reach the services), then the services; each
            # group stops together: one by one took a second or more per process.
            for group in (("mqtt-bridge", "mqtt", "gateway"), SERVICES):
                for name in group:
                    self.children[name].terminate()
                for name in group:
                    self.children[name].wait_stopped()
            self.kafka.stop()
            self.s3.stop(timeout=3)  # weed ignores SIGTERM for long; its writes are synced
            log("stopped")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def free_ports() -> dict[str, int]:
    """A distinct free port for each process: picked one by one, two could be the same."""
    return dict(zip(DEFAULT_PORTS, embedded.free_ports(len(DEFAULT_PORTS)), strict=True))


def remembered_free_ports(var: Path) -> dict[str, int]:
    """Free ports picked on the first run and kept in var/, so later runs find their data."""
    path = var / "ports.json"
    if path.exists():
        return json.loads(path.read_text())
    var.mkdir(parents=True, exist_ok=True)
    ports = free_ports()
    path.write_text(json.dumps(ports))
    return ports


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _pid_file(var: Path) -> Path:
    return var / "stack.pid"


def running_stack_pid(var: Path) -> int | None:
    """The pid of a `deploy.stack run` on this var/ that is still alive, if any."""
    try:
        pid = int(_pid_file(var).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:  # no /proc (macOS), or no such process
        done = subprocess.run(
            ["/bin/ps", "-p", str(pid), "-o", "command="], capture_output=True, check=False
        )
        cmdline = done.stdout
    except OSError:
        return None
    return pid if b"deploy.stack" in cmdline else None


def launch_options(args: argparse.Namespace, environ: dict[str, str]) -> tuple[dict, str]:
    """The ports and host of a run: --port / --host, else GATEWAY_HTTP_PORT / _HOST, else
    the defaults (or, with --free-ports, free ports picked once and kept in VAR/ports.json)."""
    ports = remembered_free_ports(args.var) if args.free_ports else dict(DEFAULT_PORTS)
    port = args.port or environ.get("GATEWAY_HTTP_PORT")
    if port:
        ports["gateway"] = int(port)
    host = args.host or environ.get("GATEWAY_HTTP_HOST") or LOOPBACK
    return ports, host


def reset(var: Path, timeout_s: float = 90.0) -> int:
    """Stop the stack running on `var` (if any), then delete `var`; the virtualenv stays."""
    var = var.resolve()
    if not var.exists():
        log(f"nothing to reset: {var} does not exist")
        return 0
    if not (var / "secrets.json").exists() and any(var.iterdir()):
        print(f"[stack] !!! {var} does not look like a stack's data directory; left alone",
              file=sys.stderr)  # fmt: skip
        return 2
    pid = running_stack_pid(var)
    if pid:
        log(f"stopping the stack running from {var} (pid {pid}) ...")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while running_stack_pid(var) == pid:
            if time.monotonic() > deadline:
                print(f"[stack] !!! pid {pid} still running after {timeout_s:.0f}s; var/ kept",
                      file=sys.stderr)  # fmt: skip
                return 1
            time.sleep(0.3)
    shutil.rmtree(var)
    log(f"removed {var}; the next `make run` starts afresh (new secrets and demo password)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.stack")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the whole platform and wait for Ctrl-C")
    run.add_argument("--var", type=Path, default=Path("var"), help="data directory")
    run.add_argument(
        "--free-ports",
        action="store_true",
        help="pick free ports on the first run instead of the defaults, and "
        "keep them in VAR/ports.json",
    )
    run.add_argument(
        "--port", type=int, help="the gateway's port (default GATEWAY_HTTP_PORT, else 8000)"
    )
    run.add_argument(
        "--host",
        help="the address the gateway listens on (default GATEWAY_HTTP_HOST, else 127.0.0.1); "
        "0.0.0.0 lets phones on the LAN reach it and upload to S3",
    )
    wipe = sub.add_parser("reset", help="stop the stack of VAR if it runs, then delete VAR")
    wipe.add_argument("--var", type=Path, default=Path("var"), help="data directory")
    args = parser.parse_args(argv)
    if args.command == "reset":
        return reset(args.var)

    ports, host = launch_options(args, dict(os.environ))
    stack = Stack(args.var, ports, host)
    try:
        stack.check_ports()
    except PortsTaken as exc:
        print(f"[stack] !!! {exc}", file=sys.stderr, flush=True)
        return 2
    _pid_file(stack.var).write_text(str(os.getpid()))
    signal.signal(signal.SIGTERM, _interrupt)
    # Started in the background by a script, a process inherits SIGINT ignored and Python
    # then leaves it so: Ctrl-C (or kill -INT) must stop the stack however it was launched.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        stack.start()
        print_banner(stack)
        while True:
            time.sleep(1)
            stack.check_children()
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        print(f"[stack] !!! {exc}", file=sys.stderr, flush=True)
        stack.stop()
        _pid_file(stack.var).unlink(missing_ok=True)
        return 1
    stack.stop()
    _pid_file(stack.var).unlink(missing_ok=True)
    return 0


def print_banner(stack: Stack) -> None:
    lines = [
        "",
        f"  Gateway:   {stack.public_url}   (API docs: {stack.public_url}/docs)",
        f"  S3:        http://{stack.s3_public_endpoint}   Kafka: {stack.kafka.bootstrap}",
        "  Metrics:   "
        + "  ".join(f"{n} :{stack.ports[f'{n}-metrics']}" for n in SERVICES)
        + f"  gateway {stack.gateway_url}/metrics",
        f"  Logs:      {stack.logs}/",
        f"  Demo logins (password for all: {stack.secrets['demo_password']}):",
    ]
    lines += [f"    {login:<12} {what}" for login, what in stack.demo_logins]
    lines += ["", "  Ctrl-C stops everything.", ""]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
