"""`python -m gateway`: serve the HTTP gateway."""

import uvicorn

from gateway.app import create_app
from gateway.config import Settings
from services.chassis.logs import configure_logging


def main() -> None:
    settings = Settings()
    configure_logging("gateway", settings.log_level, json=settings.log_json)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        timeout_keep_alive=settings.http_keep_alive_s,
    )


if __name__ == "__main__":
    main()
