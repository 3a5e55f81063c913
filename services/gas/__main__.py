"""`python -m services.gas`: restaurant gas alarms and shut-off valves (燃气报警, 紧急切断阀)."""

from pathlib import Path

from services.chassis.runtime import ServiceSpec, run
from services.gas.config import Settings

SPEC = ServiceSpec(
    name="gas",
    migrations=Path(__file__).parent / "migrations",
    servicers=lambda _db, _settings: [],  # RPCs arrive with the gas issue; health only now
    grpc_service_names=[],
)

if __name__ == "__main__":
    run(SPEC, Settings())
