"""`python -m services.overload`: truck overload checks (超限超载)."""

from pathlib import Path

from services.chassis.runtime import ServiceSpec, run
from services.overload.config import Settings

SPEC = ServiceSpec(
    name="overload",
    migrations=Path(__file__).parent / "migrations",
    servicers=lambda _db, _settings: [],  # RPCs arrive with the overload issue; health only now
    grpc_service_names=[],
)

if __name__ == "__main__":
    run(SPEC, Settings())
