"""`python -m services.records`: the records service process."""

from pathlib import Path

from services.chassis.runtime import ServiceSpec, run
from services.records import grpc_api
from services.records.config import Settings
from services.records.consumers import HANDLERS

SPEC = ServiceSpec(
    name="records",
    migrations=Path(__file__).parent / "migrations",
    servicers=grpc_api.servicers,
    grpc_service_names=["enforcement.records.v1.RecordsService"],
    consumers=HANDLERS,
)

if __name__ == "__main__":
    run(SPEC, Settings())
