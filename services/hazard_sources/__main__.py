"""`python -m services.hazard_sources`: major hazard sources (重大危险源) graded and watched."""

from pathlib import Path

from services.chassis.runtime import Periodic, ServiceSpec, run
from services.hazard_sources import grpc_api, handlers, trends
from services.hazard_sources.config import Settings


def spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="hazard_sources",
        migrations=Path(__file__).parent / "migrations",
        servicers=grpc_api.servicers,
        grpc_service_names=["enforcement.hazard_sources.v1.HazardSourcesService"],
        periodic=(
            Periodic("stale-and-escalation", settings.sweep_interval_s, handlers.sweep, singleton=True),
            Periodic("readings-to-parquet", settings.flush_interval_s, trends.flush),
        ),
    )


if __name__ == "__main__":
    settings = Settings()
    run(spec(settings), settings)
