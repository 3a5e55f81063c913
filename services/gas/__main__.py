"""`python -m services.gas`: restaurant gas alarms and shut-off valves (燃气报警, 紧急切断阀)."""

from pathlib import Path

from services.chassis.runtime import Periodic, ServiceSpec, run
from services.gas import grpc_api, handlers, protection
from services.gas.config import Settings

SPEC = ServiceSpec(
    name="gas",
    migrations=Path(__file__).parent / "migrations",
    servicers=grpc_api.servicers,
    grpc_service_names=["enforcement.gas.v1.GasService"],
    periodic=(
        # One replica at a time: each reads every venue or command (safe twice, but wasted).
        Periodic("valve-escalation", 5.0, handlers.escalate, singleton=True),
        Periodic("liveness-sweep", 30.0, protection.sweep, singleton=True),
        Periodic("device-status", 10.0, protection.device_statuses, singleton=True),
    ),
)

if __name__ == "__main__":
    run(SPEC, Settings())
