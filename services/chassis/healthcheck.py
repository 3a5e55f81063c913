"""`python -m services.chassis.healthcheck HOST:PORT [SERVICE]`: exit 0 when SERVING."""

from __future__ import annotations

import asyncio
import sys

from services.chassis.grpc_client import check_health, make_channel


async def _check(address: str, service: str) -> bool:
    channel = make_channel(address)
    try:
        return await check_health(channel, service, timeout=2.0)
    finally:
        await channel.close()


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    ok = asyncio.run(_check(argv[0], argv[1] if len(argv) == 2 else ""))
    print("SERVING" if ok else "NOT SERVING")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
