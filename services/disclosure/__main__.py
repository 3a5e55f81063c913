"""`python -m services.disclosure`: public penalty disclosure (行政执法公示)."""

from pathlib import Path

from services.chassis.runtime import ServiceSpec, run
from services.disclosure.config import Settings

SPEC = ServiceSpec(
    name="disclosure",
    migrations=Path(__file__).parent / "migrations",
    servicers=lambda _db, _settings: [],  # RPCs arrive with the disclosure issue; health only now
    grpc_service_names=[],
)

if __name__ == "__main__":
    run(SPEC, Settings())
