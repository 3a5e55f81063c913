"""Who takes part in a load run, made before locust starts: officer and legal-reviewer
accounts, gas venues with a detector and a shut-off valve each, and weigh stations, with the
devices' signing secrets. Written to one JSON file (mode 600) that the locustfile reads from
`LOAD_FLEET`.

Everything goes through the admin routes: accounts (`/v1/users`, each with its temporary
password), venues and devices (the gas simulator's `register`), stations and device secrets.
Safe to run again: what exists is kept, passwords are reset and device secrets rotated.

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

from devices.gas_simulator import TOWNS, Simulator

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


async def open_accounts(http: httpx.AsyncClient, admin: dict, counts: Counts) -> dict:
    """Certified officers spread over the agency's towns, and legal reviewers, each with the
    temporary password the users route issues (a rerun resets it)."""
    wanted = [
        (
            "officers",
            {
                "username": f"load-officer-{i:02d}",
                "display_name": f"压测执法员 {i:02d}",
                "roles": ["officer"],
                "town": TOWNS[i % len(TOWNS)],
                "certificate_no": f"3204119{i:04d}",
            },
        )
        for i in range(counts.officers)
    ] + [
        (
            "reviewers",
            {
                "username": f"load-reviewer-{i:02d}",
                "display_name": f"压测法制审核员 {i:02d}",
                "roles": ["legal_reviewer"],
            },
        )
        for i in range(counts.reviewers)
    ]
    existing = None
    out: dict[str, list[dict]] = {"officers": [], "reviewers": []}
    for kind, body in wanted:
        r = await http.post("/v1/users", json=body, headers=admin)
        if r.status_code == 409:  # a rerun on the same stack: a new password for the account
            if existing is None:
                listed = await http.get("/v1/users", headers=admin)
                listed.raise_for_status()
                existing = {u["username"]: u["user_id"] for u in listed.json()}
            reset = f"/v1/users/{existing[body['username']]}/password-reset"
            r = await http.post(reset, headers=admin)
        r.raise_for_status()
        user = r.json()
        out[kind].append(
            {
                "username": user["username"],
                "user_id": user["user_id"],
                "town": user["town"],
                "password": user["temporary_password"],
            }
        )
    return out


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
    issue_secret = Simulator(http).admin_provisioner(admin)
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
        secret = await issue_secret(device_id, "weigh_station", station_id)
        stations.append({"station_id": station_id, "device_id": device_id, "secret": secret})
    return stations


async def _fleet(gateway_url: str, password: str, counts: Counts) -> dict[str, list[dict]]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=60) as http:
        admin = await Simulator(http).login("admin", password)
        return {
            **await open_accounts(http, admin, counts),
            "venues": await register_venues(http, admin, counts.venues),
            "stations": await register_stations(http, admin, counts.stations),
        }


def provision(gateway_url: str, password: str, out: Path, counts: Counts | None = None) -> dict:
    """Make the fleet as the demo admin (`password`) and write it to `out`; returns it."""
    fleet = asyncio.run(_fleet(gateway_url, password, counts or Counts.from_env()))
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
    fleet = provision(args.gateway, password, out)
    print(
        f"{len(fleet['officers'])} officers, {len(fleet['reviewers'])} reviewers, "
        f"{len(fleet['venues'])} gas venues, {len(fleet['stations'])} weigh stations "
        f"in {out}; run locust with LOAD_FLEET={out}"
    )


if __name__ == "__main__":
    main()
