"""`python -m services.hazards`: hazards and public reports (隐患挂号整改, 举报)."""

from pathlib import Path

from services.chassis.runtime import Periodic, ServiceSpec, run
from services.hazards import grpc_api, handlers
from services.hazards.config import Settings
from services.hazards.consumers import make_handlers


def make_spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="hazards",
        migrations=Path(__file__).parent / "migrations",
        servicers=grpc_api.servicers,
        grpc_service_names=["enforcement.hazards.v1.HazardsService"],
        consumers=make_handlers(handlers.Policy.from_settings(settings)),
        periodic=(Periodic("deadline-sweep", settings.sweep_interval_s, handlers.sweep, singleton=True),),
    )


if __name__ == "__main__":
    settings = Settings()
    run(make_spec(settings), settings)
