"""Who takes part in a load run, made before locust starts: officer and legal-reviewer
accounts, gas venues with a detector and a shut-off valve each, and weigh stations, with the
devices' signing secrets. Written to one JSON file (mode 600) that the locustfile reads from
`LOAD_FLEET`.

Venues, devices, stations and device secrets go through the admin routes (the gas simulator's
`register` for the venues); accounts go straight into the gateway database as
`deploy/seed.py` does, since no route creates users. Safe to run again: what exists is kept
and device secrets are rotated.

Against a running `make run`: `python -m loadtest.fleet` writes var/load-fleet.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from deploy.seed import AGENCY
from gateway import db as gwdb
from services.chassis.db import Database
from services.gas.simulator import TOWNS, Simulator

STATION_TOWN = "罗溪镇"


@dataclass(frozen=True)
class Counts:
    officers: int = 16
    reviewers: int = 4
    venues: int = 50
    stations: int = 6

    @classmethod
    def from_env(cls) -> Counts:
        return cls(
            officers=int(os.environ.get("LOAD_OFFICERS", cls.officers)),
            reviewers=int(os.environ.get("LOAD_REVIEWERS", cls.reviewers)),
            venues=int(os.environ.get("LOAD_VENUES", cls.venues)),
            stations=int(os.environ.get("LOAD_STATIONS", cls.stations)),
        )


def create_accounts(gateway_db: Path, password: str, counts: Counts) -> dict[str, list[dict]]:
    """Certified officers spread over the agency's towns, and legal reviewers."""
    officers = [
        {
            "username": f"load-officer-{i:02d}",
            "user_id": f"u-load-officer-{i:02d}",
            "town": TOWNS[i % len(TOWNS)],
            "certificate_no": f"3204119{i:04d}",
        }
        for i in range(counts.officers)
    ]
    reviewers = [
        {"username": f"load-reviewer-{i:02d}", "user_id": f"u-load-reviewer-{i:02d}"}
        for i in range(counts.reviewers)
    ]
    database = Database.from_url(f"sqlite:///{gateway_db}")
    try:
        with database.unit_of_work() as uow:
            for o in officers:
                if gwdb.get_user_by_username(uow.conn, o["username"]) is None:
                    gwdb.create_user(
                        uow.conn, username=o["username"], password=password,
                        display_name=f"压测执法员 {o['username'][-2:]}", roles=["officer"],
                        agency_id=AGENCY, town=o["town"], certificate_no=o["certificate_no"],
                        user_id=o["user_id"],
                    )  # fmt: skip
            for r in reviewers:
                if gwdb.get_user_by_username(uow.conn, r["username"]) is None:
                    gwdb.create_user(
                        uow.conn, username=r["username"], password=password,
                        display_name=f"压测法制审核员 {r['username'][-2:]}",
                        roles=["legal_reviewer"], agency_id=AGENCY, user_id=r["user_id"],
                    )  # fmt: skip
            uow.commit()
    finally:
        database.dispose()
    return {"officers": officers, "reviewers": reviewers}


async def register_venues(http: httpx.AsyncClient, admin: dict, count: int) -> list[dict]:
    sim = Simulator(http)
    venues = await sim.register(admin, count, prefix="load")
    return [
        {
            "venue_id": v.venue_id,
            "town": v.town,
            "first_lel": v.first_lel,
            "sustain": v.sustain,
            "detector": {"device_id": v.detector.device_id, "secret": v.detector.secret},
            "valve": {"device_id": v.valve.device_id, "secret": v.valve.secret},
        }
        for v in venues
    ]


async def register_stations(http: httpx.AsyncClient, admin: dict, count: int) -> list[dict]:
    # A scale verified a month ago: within its year, so verdicts carry fines.
    verified_on = (datetime.now(UTC).date() - timedelta(days=30)).isoformat()
    stations = []
    for i in range(count):
        station_id, device_id = f"load-station-{i:02d}", f"load-wim-{i:02d}"
        r = await http.put(
            f"/v1/overload/stations/{station_id}",
            json={
                "name": f"压测超限检测站 {i:02d}",
                "kind": "wim" if i % 2 else "fixed",
                "town": STATION_TOWN,
                "scale": {
                    "kind": "wim" if i % 2 else "static",
                    "accuracy_class": "5" if i % 2 else "III",
                    "verified_on": verified_on,
                },
            },
            headers=admin,
        )
        r.raise_for_status()
        path = f"/v1/devices/{device_id}/credentials"
        r = await http.post(
            path, json={"kind": "weigh_station", "owner_id": station_id}, headers=admin
        )
        if r.status_code == 409:
            r = await http.post(f"{path}/rotate", headers=admin)
        r.raise_for_status()
        stations.append(
            {"station_id": station_id, "device_id": device_id, "secret": r.json()["secret"]}
        )
    return stations


async def _devices(gateway_url: str, password: str, counts: Counts) -> dict[str, list[dict]]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=60) as http:
        admin = await Simulator(http).login("admin", password)
        return {
            "venues": await register_venues(http, admin, counts.venues),
            "stations": await register_stations(http, admin, counts.stations),
        }


def provision(
    gateway_url: str, gateway_db: Path, password: str, out: Path, counts: Counts | None = None
) -> dict:
    """Make the fleet and write it to `out`; returns it."""
    counts = counts or Counts.from_env()
    fleet = {
        "password": password,
        **create_accounts(gateway_db, password, counts),
        **asyncio.run(_devices(gateway_url, password, counts)),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.touch(mode=0o600)
    out.chmod(0o600)  # secrets: also when the file was there before
    out.write_text(json.dumps(fleet, ensure_ascii=False, indent=1))
    return fleet


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtest.fleet", description=__doc__)
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--var", type=Path, default=Path("var"), help="the stack's data folder")
    parser.add_argument("--out", type=Path, help="default: VAR/load-fleet.json")
    args = parser.parse_args(argv)
    password = json.loads((args.var / "secrets.json").read_text())["demo_password"]
    out = args.out or args.var / "load-fleet.json"
    fleet = provision(args.gateway, args.var / "gateway.db", password, out)
    print(
        f"{len(fleet['officers'])} officers, {len(fleet['reviewers'])} reviewers, "
        f"{len(fleet['venues'])} gas venues, {len(fleet['stations'])} weigh stations "
        f"in {out}; run locust with LOAD_FLEET={out}"
    )


if __name__ == "__main__":
    main()
