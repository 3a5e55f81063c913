"""`python -m services.review`: the legal review service process."""

from pathlib import Path

from services.chassis.runtime import Periodic, ServiceSpec, run
from services.review import grpc_api, handlers
from services.review.config import Settings
from services.review.consumers import make_handlers


def make_spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="review",
        migrations=Path(__file__).parent / "migrations",
        servicers=grpc_api.servicers,
        grpc_service_names=[
            "enforcement.review.v1.ReviewService",
            "enforcement.calendar.v1.CalendarService",
        ],
        consumers=make_handlers(grpc_api.policy_of(settings)),
        periodic=(Periodic("overdue-sweep", settings.overdue_sweep_s, handlers.sweep_overdue, singleton=True),),
    )


if __name__ == "__main__":
    settings = Settings()
    run(make_spec(settings), settings)
