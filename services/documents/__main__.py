"""`python -m services.documents`: enforcement documents (执法文书) and the case file (案卷)."""

from pathlib import Path

from services.chassis.runtime import ServiceSpec, run
from services.documents import grpc_api, handlers
from services.documents.config import Settings

SPEC = ServiceSpec(
    name="documents",
    migrations=Path(__file__).parent / "migrations",
    servicers=grpc_api.servicers,
    grpc_service_names=["enforcement.documents.v1.DocumentsService"],
    consumers={"review.calendar-year-published.v1": handlers.on_calendar_year},
)

if __name__ == "__main__":
    run(SPEC, Settings())
