"""`python -m services.chassis.healthcheck HOST:PORT [SERVICE]`: exit 0 when SERVING, else 1.

Asks the `grpc.health.v1` service of a gRPC server, for Docker and Kubernetes health checks.
Without SERVICE it asks about the server as a whole ("").
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.chassis.grpc_client import check_health, make_channel


async def probe(address: str, service: str = "", timeout: float = 2.0) -> bool:
    """True when `address` answers SERVING for `service` within `timeout` seconds."""
    channel = make_channel(address, default_timeout=timeout)
    try:
        return await check_health(channel, service, timeout=timeout)
    finally:
        await channel.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.chassis.healthcheck",
        description="Exit 0 when the gRPC server reports SERVING, 1 otherwise.",
    )
    parser.add_argument("address", help="HOST:PORT of the gRPC server")
    parser.add_argument("service", nargs="?", default="", help="full service name; '' = server")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds (default 2)")
    args = parser.parse_args(argv)
    ok = asyncio.run(probe(args.address, args.service, args.timeout))
    print("SERVING" if ok else "NOT_SERVING")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
