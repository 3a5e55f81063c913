"""A gRPC server process for the graceful-shutdown test.

Prints `port N` once serving, `sleeping` when a Sleep call starts and `stopped` from
`on_stop`; serves until SIGTERM with the grace given as the first argument.
"""

from __future__ import annotations

import asyncio
import sys

from services.chassis.grpc_server import GrpcServer
from services.chassis.logs import configure_logging
from tests.chassis.grpc_support import SERVICE, Echo, add_echo_to_server


def say(line: str) -> None:
    print(line, flush=True)


async def main(grace: float) -> None:
    server = GrpcServer(
        "127.0.0.1", 0, [(add_echo_to_server, Echo(lambda: say("sleeping")))], [SERVICE]
    )
    port = await server.start()
    say(f"port {port}")
    await server.serve_until_signal(grace=grace, on_stop=lambda: say("stopped"))


if __name__ == "__main__":
    configure_logging("grpc-test", "INFO")
    asyncio.run(main(float(sys.argv[1])))
