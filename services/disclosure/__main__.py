"""`python -m services.disclosure`: public penalty disclosure (行政执法公示)."""

from pathlib import Path

from services.chassis.runtime import Periodic, ServiceSpec, run
from services.disclosure import grpc_api, handlers
from services.disclosure.config import Settings
from services.disclosure.consumers import make_handlers
from services.disclosure.segmenter import load_tagger


def make_spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="disclosure",
        migrations=Path(__file__).parent / "migrations",
        servicers=grpc_api.servicers,
        grpc_service_names=["enforcement.disclosure.v1.DisclosureService"],
        # The segmenter's dictionary loads here, once, before the consumers start.
        consumers=make_handlers(grpc_api.policy_of(settings, load_tagger())),
        periodic=(Periodic("expiry-sweep", settings.expiry_sweep_s, handlers.expire, singleton=True),),
    )


if __name__ == "__main__":
    settings = Settings()
    run(make_spec(settings), settings)
