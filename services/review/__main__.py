"""`python -m services.review`: the legal review service process."""

from pathlib import Path

from services.chassis.runtime import ServiceSpec, run
from services.review.config import Settings
from services.review.consumers import HANDLERS

SPEC = ServiceSpec(
    name="review",
    migrations=Path(__file__).parent / "migrations",
    servicers=lambda _db, _settings: [],  # RPCs arrive with the review issue; health only now
    grpc_service_names=[],
    consumers=HANDLERS,
)

if __name__ == "__main__":
    run(SPEC, Settings())
