import pytest

from tests.support.databases import BACKENDS, postgres_available, throwaway_database


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    """An empty database on each backend; PostgreSQL only when TEST_DATABASE_URL is set."""
    if request.param == "postgresql" and not postgres_available():
        pytest.skip("TEST_DATABASE_URL not set")
    with throwaway_database(request.param, tmp_path, "chassis") as url:
        yield url
