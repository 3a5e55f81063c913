"""Composition root shared by every service process.

`python -m services.<name>` builds its Settings once, then `run(spec, settings)`: logging,
database and migrations, metrics, the outbox relay, the Kafka consumers and the gRPC server,
until SIGTERM. Tests start the same `ServiceRuntime` in-process on port 0.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.chassis import clock
from services.chassis.consumer import ConsumerRunner, Handler
from services.chassis.db import Database, migrate
from services.chassis.grpc_server import GrpcServer
from services.chassis.lease import Lease
from services.chassis.logs import configure_logging
from services.chassis.metrics import start_metrics_server
from services.chassis.outbox import OutboxRelay
from services.chassis.service_auth import ServiceTokenVerifier
from services.chassis.settings import ServiceSettings

log = logging.getLogger(__name__)

# (add_XServicer_to_server, servicer) pairs, built from the process's Database and settings.
ServicerFactory = Callable[[Database, Any], list[tuple[Callable[..., Any], Any]]]


@dataclass(frozen=True)
class Periodic:
    """A job run every `interval_s` seconds in its own thread, e.g. a deadline sweep."""

    name: str
    interval_s: float
    run: Callable[[Database, Any], None]
    # With several replicas on PostgreSQL, run it in one replica at a time (a lease).
    singleton: bool = False


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    migrations: Path
    servicers: ServicerFactory
    grpc_service_names: list[str]
    consumers: Mapping[str, Handler] = field(default_factory=dict)
    periodic: tuple[Periodic, ...] = ()


class ServiceRuntime:
    """Everything one service process runs; started and stopped as a whole."""

    def __init__(self, spec: ServiceSpec, settings: ServiceSettings) -> None:
        self.spec = spec
        self.settings = settings
        self.db = Database.from_url(settings.database_url)
        self.relay = OutboxRelay(
            self.db.engine,
            bootstrap=settings.kafka_bootstrap,
            service=spec.name,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
            idempotent=settings.kafka_idempotent_producer,
            security=settings.kafka_client_config(),
        )
        self.db.on_commit(self.relay.wake)
        self.consumer = (
            ConsumerRunner(
                name=spec.name,
                bootstrap=settings.kafka_bootstrap,
                db=self.db,
                handlers=spec.consumers,
                session_timeout_ms=settings.consumer_session_timeout_ms,
                heartbeat_interval_ms=settings.consumer_heartbeat_interval_ms,
                max_attempts=settings.consumer_max_attempts,
                security=settings.kafka_client_config(),
            )
            if spec.consumers
            else None
        )
        self.grpc: GrpcServer | None = None
        self.port: int | None = None
        self._stopping = threading.Event()
        self._jobs: list[threading.Thread] = []

    def _loop(self, job: Periodic) -> None:
        lease = (
            Lease(
                self.db.engine,
                f"periodic:{self.spec.name}:{job.name}",
                ttl_s=max(10.0, 3 * job.interval_s),  # outlives a round of the job
            )
            if job.singleton
            else None
        )
        while not self._stopping.wait(job.interval_s):
            try:
                if lease is not None and not lease.held():
                    continue  # another replica runs it
                job.run(self.db, self.settings)
            except Exception:  # the next round tries again; a crash would stop the job
                log.exception("periodic job %s failed", job.name)
        if lease is not None:
            lease.release()  # a standby takes the job over at its next round

    async def start(self) -> int:
        migrate(self.db.engine, self.spec.migrations)
        if self.settings.metrics_port is not None:
            start_metrics_server(self.settings.metrics_port, addr=self.settings.grpc_host)
        self.relay.start()
        if self.consumer is not None:
            self.consumer.start()
        auth = None
        if self.settings.service_token_public_key:
            auth = ServiceTokenVerifier(self.settings.service_token_public_key, self.spec.name)
        else:
            log.warning("%s: no service token key set; gRPC answers any caller", self.spec.name)
        self.grpc = GrpcServer(
            self.settings.grpc_host,
            self.settings.grpc_port,
            self.spec.servicers(self.db, self.settings),
            self.spec.grpc_service_names,
            auth=auth,
        )
        self.port = await self.grpc.start()
        for job in self.spec.periodic:
            thread = threading.Thread(target=self._loop, args=(job,), name=job.name, daemon=True)
            thread.start()
            self._jobs.append(thread)
        log.info("%s serving gRPC on %s:%s", self.spec.name, self.settings.grpc_host, self.port)
        return self.port

    async def stop(self, grace: float = 10.0) -> None:
        self._stopping.set()
        if self.grpc is not None:
            await self.grpc.stop(grace)
        # Stop taking events first, then let the relay send what the last requests wrote.
        if self.consumer is not None:
            await asyncio.to_thread(self.consumer.stop)
        await asyncio.to_thread(self.relay.drain, 5.0)
        await asyncio.to_thread(self.relay.stop)
        self.db.dispose()


def run(spec: ServiceSpec, settings: ServiceSettings) -> None:
    """The process entrypoint: serve until SIGTERM/SIGINT, then shut down gracefully."""
    configure_logging(spec.name, settings.log_level, json=settings.log_json)
    clock.start_at(settings.clock_start)

    async def main() -> None:
        runtime = ServiceRuntime(spec, settings)
        await runtime.start()
        assert runtime.grpc is not None
        await runtime.grpc.serve_until_signal(grace=10.0)
        await runtime.stop(grace=0)

    asyncio.run(main())
