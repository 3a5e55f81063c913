"""`python -m services.records`: the records service process."""

from pathlib import Path

from services.chassis.runtime import Periodic, ServiceSpec, run
from services.records import grpc_api, handlers, transparency
from services.records.config import Settings
from services.records.consumers import make_handlers


def make_spec(settings: Settings) -> ServiceSpec:
    return ServiceSpec(
        name="records",
        migrations=Path(__file__).parent / "migrations",
        servicers=grpc_api.servicers,
        grpc_service_names=["enforcement.records.v1.RecordsService"],
        consumers=make_handlers(handlers.Numbering(dict(settings.number_prefixes))),
        # The replica holding the signer's lease signs each new size of the log.
        periodic=(Periodic("log-signer", 1.0, transparency.sign_periodically),),
    )


if __name__ == "__main__":
    settings = Settings()
    run(make_spec(settings), settings)
