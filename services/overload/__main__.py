"""`python -m services.overload`: truck overload checks (超限超载)."""

from pathlib import Path

from services.chassis.runtime import ServiceSpec, run
from services.overload import grpc_api, reports
from services.overload.config import Settings

SPEC = ServiceSpec(
    name="overload",
    migrations=Path(__file__).parent / "migrations",
    servicers=grpc_api.servicers,
    grpc_service_names=["enforcement.overload.v1.OverloadService"],
    consumers={
        "records.case-advanced.v1": reports.on_case_advanced,
        "review.calendar-year-published.v1": reports.on_calendar_year,
    },
)

if __name__ == "__main__":
    run(SPEC, Settings())
