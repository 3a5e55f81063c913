"""Session-wide servers for integration tests, started lazily on first use."""

from __future__ import annotations

import os

import pytest

from deploy.embedded import SeaweedFS, Tansu, default_port_range
from services.chassis.storage import ObjectStore
from tests.support.databases import BACKENDS, postgres_available, throwaway_database

S3_KEYS = {"access_key": "test-access", "secret_key": "test-secret-key-0123"}


def pytest_configure(config):
    """Under pytest-xdist each worker (and what it starts) picks ports from its own slice."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if worker and count and "EMBEDDED_PORT_RANGE" not in os.environ:
        (first, last), n = default_port_range(), int(count)
        size = (last - first) // n
        k = int(worker.removeprefix("gw"))
        os.environ["EMBEDDED_PORT_RANGE"] = f"{first + k * size}-{first + (k + 1) * size}"


# Files that start whole embedded stacks and drive browsers: one worker runs them one after
# another (two at once on two cores only slow each other down); the other worker takes the
# rest, file by file.
STACK_LANE = ("tests/e2e/", "tests/documents/test_documents_e2e.py")


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class TwoLanes(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "stacks" if path.startswith(STACK_LANE) else path

    return TwoLanes(config, log)


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    data = tmp_path_factory.mktemp("seaweedfs")
    s3 = SeaweedFS(data_dir=data, log_path=data / "weed.log", **S3_KEYS)
    s3.start()
    try:
        s3.wait_ready(timeout=90)
        yield s3
    finally:
        s3.kill()  # its data dir is thrown away; a clean exit would take 15 s


@pytest.fixture(scope="session")
def kafka_bootstrap(seaweedfs, tmp_path_factory):
    logs = tmp_path_factory.mktemp("tansu")
    broker = Tansu(
        s3_endpoint=seaweedfs.endpoint, bucket="tansu-tests", log_path=logs / "tansu.log", **S3_KEYS
    )
    broker.start()
    try:
        broker.wait_ready(timeout=60)
        yield broker.bootstrap
    finally:
        broker.stop(timeout=10)


@pytest.fixture(scope="session")
def object_store(seaweedfs):
    return ObjectStore(seaweedfs.endpoint, **S3_KEYS)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """An empty database on each backend; PostgreSQL only when TEST_DATABASE_URL is set."""
    if request.param == "postgresql" and not postgres_available():
        pytest.skip("TEST_DATABASE_URL not set")
    with throwaway_database(request.param, tmp_path, "t") as url:
        yield url
