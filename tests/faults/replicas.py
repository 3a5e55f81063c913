"""The platform as several replicas on PostgreSQL, for `make faults-replicas`.

Two replicas of every service and of the gateway, each service's pair on one PostgreSQL
database, with a round-robin TCP proxy in front of each pair where the embedded stack has the
service's one port: what a Kubernetes Service does in front of a Deployment. Tansu and
SeaweedFS are the embedded stack's.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import uuid
from pathlib import Path

import grpc
import httpx
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc
from psycopg.rows import dict_row
from sqlalchemy.engine import make_url

from deploy.embedded import free_port
from deploy.init import InitSettings, initialise
from deploy.stack import SERVICES, Child, Stack, log

REPLICAS = ("a", "b")


class RoundRobin:
    """Each new connection goes to the next replica that accepts it; a replica's death cuts
    its connections, and their clients connect again (to the other)."""

    def __init__(self, port: int, backends: list[int]) -> None:
        self.port = port
        self.backends = backends
        self._turn = itertools.count()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self.port), self._loop
        ).result(10)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in self.backends:
            port = self.backends[next(self._turn) % len(self.backends)]
            try:
                up_reader, up_writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port), 1.0
                )
            except (OSError, TimeoutError):
                continue
            break
        else:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


class PgDatabases:
    """`invariants.Databases` over the replicas' PostgreSQL databases (same SQL, `?` marks)."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls

    def rows(self, service: str, sql: str, *args: object) -> list[dict]:
        with psycopg.connect(self.urls[service], row_factory=dict_row) as conn:
            return conn.execute(sql.replace("?", "%s"), args).fetchall()


class ReplicatedStack(Stack):
    def __init__(self, var: Path, ports: dict[str, int], admin_url: str) -> None:
        self.admin_url = make_url(admin_url).set(drivername="postgresql")
        tag = uuid.uuid4().hex[:8]
        self.db_names = {n: f"flt_{tag}_{n}" for n in (*SERVICES, "gateway")}
        super().__init__(var, ports)
        self.replica_ports: dict[str, int] = {}
        children: dict[str, Child] = {}
        for name, base in self.children.items():
            if name == "mqtt":  # one broker (production: Mosquitto/EMQX, clustered on its own)
                children[name] = base
                continue
            if name == "mqtt-bridge":  # members of one group, each taking its share of devices
                for i, r in enumerate(REPLICAS):
                    env = {
                        **base.env,
                        "GATEWAY_MQTT_BRIDGE_MEMBERS": str(len(REPLICAS)),
                        "GATEWAY_MQTT_BRIDGE_MEMBER": str(i),
                    }
                    replica = f"{name}-{r}"
                    children[replica] = Child(replica, base.argv, env, self.logs / f"{replica}.log")
                continue
            for r in REPLICAS:
                replica = f"{name}-{r}"
                port = self.replica_ports[replica] = free_port()
                env = dict(base.env)
                if name == "gateway":
                    env["GATEWAY_HTTP_PORT"] = str(port)
                else:
                    env[f"{name.upper()}_GRPC_PORT"] = str(port)
                    env[f"{name.upper()}_METRICS_PORT"] = str(free_port())
                children[replica] = Child(replica, base.argv, env, self.logs / f"{replica}.log")
        self.children = children
        self.proxies = [
            RoundRobin(self.ports[name], [self.replica_ports[f"{name}-{r}"] for r in REPLICAS])
            for name in (*SERVICES, "gateway")
        ]

    def db_url(self, name: str, driver: str = "postgresql+psycopg") -> str:
        url = self.admin_url.set(drivername=driver, database=self.db_names[name])
        return url.render_as_string(hide_password=False)

    def databases(self) -> PgDatabases:
        return PgDatabases({n: self.db_url(n, "postgresql") for n in SERVICES})

    def _service_env(self, name: str) -> dict[str, str]:
        env = super()._service_env(name)
        env[f"{name.upper()}_DATABASE_URL"] = self.db_url(name)
        return env

    def _gateway_env(self) -> dict[str, str]:
        env = super()._gateway_env()
        env["GATEWAY_DATABASE_URL"] = self.db_url("gateway")
        return env

    def _admin(self, sql: str) -> None:
        url = self.admin_url.render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)

    def start(self, ready_timeout: float = 180.0) -> None:
        started = time.monotonic()
        self.check_ports()
        self.write_records_env()
        self.s3.start()
        self.s3.wait_ready(timeout=60)
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
        for name in self.db_names.values():
            self._admin(f'CREATE DATABASE "{name}"')
        log("PostgreSQL databases made; two replicas of each process behind round-robins ...")
        for proxy in self.proxies:
            proxy.start()
        for child in self.children.values():
            child.start()
        for replica in self.replica_ports:
            self.wait_replica(replica, ready_timeout - (time.monotonic() - started))
        self.wait_ready(30)
        from deploy.seed import seed_demo_district, seed_gas_registry, seed_overload_station

        self.demo_logins = seed_demo_district(
            self.var / "gateway.db",
            self.secrets["demo_password"],
            database_url=self.db_url("gateway"),
        )
        signer = self.service_token_signer()
        seed_overload_station(f"127.0.0.1:{self.ports['overload']}", signer)
        seed_gas_registry(f"127.0.0.1:{self.ports['gas']}", signer)
        log(f"ready in {time.monotonic() - started:.1f}s")

    def wait_replica(self, replica: str, timeout: float = 120.0) -> None:
        """Until the replica itself answers: gRPC health, or the gateway's /readyz."""
        port = self.replica_ports[replica]
        deadline = time.monotonic() + max(timeout, 5)
        while time.monotonic() < deadline:
            self.check_children(restart=False)
            if replica.startswith("gateway"):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).is_success:
                        return
                except httpx.HTTPError:
                    pass
            else:
                with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                    try:
                        reply = health_pb2_grpc.HealthStub(channel).Check(
                            health_pb2.HealthCheckRequest(), timeout=2
                        )
                        if reply.status == health_pb2.HealthCheckResponse.SERVING:
                            return
                    except grpc.RpcError:
                        pass
            time.sleep(0.3)
        raise RuntimeError(
            f"{replica} not ready after {timeout:.0f}s:\n{self.children[replica].tail()}"
        )

    def stop(self) -> None:
        if getattr(self, "_stopped", False):
            return
        self._stopped = True
        log("stopping ...")
        for child in self.children.values():
            child.stop()
        for proxy in self.proxies:
            try:
                proxy.stop()
            except Exception:  # already stopped
                pass
        self.kafka.stop()
        self.s3.stop(timeout=5)
        log("stopped")

    def drop_databases(self) -> None:
        for name in self.db_names.values():
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
