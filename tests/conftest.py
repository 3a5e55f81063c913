"""Session-wide servers for integration tests, started lazily on first use."""

from __future__ import annotations

import pytest

from deploy.embedded import SeaweedFS, Tansu
from services.chassis.storage import ObjectStore
from tests.support.databases import BACKENDS, postgres_available, throwaway_database

S3_KEYS = {"access_key": "test-access", "secret_key": "test-secret-key-0123"}


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
