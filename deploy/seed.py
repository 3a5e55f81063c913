"""The demo district for `make run`: agencies, officers with roles, a legal reviewer, a
supervisor, and device credentials for a few gas devices and a weigh station.

Runs against the gateway's database after the gateway migrated it; adds only what is missing,
so a second `make run` keeps the first run's data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import grpc
import sqlalchemy as sa

from enforcement.gas.v1 import gas_pb2, gas_pb2_grpc
from enforcement.overload.v1 import overload_pb2, overload_pb2_grpc
from gateway import db as gwdb
from gateway.security.device_signing import DeviceCredentials
from services.chassis.db import Database
from services.chassis.service_auth import ServiceTokenSigner

AGENCY = "xinbei-yjj"  # 新北区应急管理局 (district emergency management bureau)

# The deciding authority on the demo district's public records (处罚机关, its 统一社会信用代码,
# 数据来源单位), for DISCLOSURE_AUTHORITIES. The credit code is a made-up one with a valid
# check character ("MB0000000"): a deployment sets the bureau's real one.
DEMO_AUTHORITIES = {
    AGENCY: ["常州市新北区应急管理局", "11320411MB00000000", "常州市新北区应急管理局"],
}

# The names the apps show for an agency id (GATEWAY_AGENCY_NAMES).
DEMO_AGENCY_NAMES = {agency: names[0] for agency, names in DEMO_AUTHORITIES.items()}

USERS = [
    # username, user id, name, roles, town, certificate
    ("officer1", "u-officer1", "张伟", ["officer"], "薛家镇", "32041120001"),
    ("officer2", "u-officer2", "李娜", ["officer"], "薛家镇", "32041120002"),
    ("officer3", "u-officer3", "陈刚", ["officer"], "龙虎塘街道", "32041120003"),
    ("reviewer", "u-reviewer", "王芳", ["legal_reviewer"], None, None),
    ("supervisor", "u-supervisor", "赵强", ["supervisor"], None, None),
    ("admin", "u-admin", "系统管理员", ["admin"], None, None),
]

# Restaurant operators who follow their own venue's gas alarms: username, id, name, venue, town.
OWNERS = [
    ("owner1", "u-owner1", "老街面馆 店主", "venue-xuejia-001", "薛家镇"),
]

DEVICES = [
    # device id, kind, owner (venue or station)
    ("gas-det-0001", "gas_detector", "venue-xuejia-001"),
    ("gas-valve-0001", "shutoff_valve", "venue-xuejia-001"),
    ("gas-det-0002", "gas_detector", "venue-longhutang-002"),
    ("gas-valve-0002", "shutoff_valve", "venue-longhutang-002"),
    ("wim-station-01", "weigh_station", "station-g312-km45"),
]


def seed_demo_district(
    gateway_db: Path, password: str, *, database_url: str | None = None
) -> list[tuple[str, str]]:
    """Create the demo users and devices; returns (login, description) lines for the banner.

    Device secrets are written to gateway_db's folder as demo-devices.json (development only).
    `database_url` seeds another database than that SQLite file (PostgreSQL).
    """
    database = Database.from_url(database_url or f"sqlite:///{gateway_db}")
    try:
        with database.unit_of_work() as uow:
            for username, user_id, name, roles, town, cert in USERS:
                if gwdb.get_user_by_username(uow.conn, username) is None:
                    gwdb.create_user(
                        uow.conn,
                        username=username,
                        password=password,
                        display_name=name,
                        roles=roles,
                        agency_id=AGENCY,
                        town=town,
                        certificate_no=cert,
                        user_id=user_id,
                    )
            for username, user_id, name, venue_id, town in OWNERS:
                if gwdb.get_user_by_username(uow.conn, username) is None:
                    gwdb.create_user(
                        uow.conn, username=username, password=password, display_name=name,
                        roles=["venue_owner"], agency_id=AGENCY, town=town, user_id=user_id,
                        venue_id=venue_id,
                    )  # fmt: skip
            uow.commit()
        credentials = DeviceCredentials(database)
        secrets_file = gateway_db.parent / "demo-devices.json"
        known = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
        for device_id, kind, owner in DEVICES:
            if credentials.get(device_id) is None:
                known[device_id] = {
                    "secret": credentials.provision(device_id, kind, owner, AGENCY),
                    "kind": kind,
                    "owner": owner,
                }
        secrets_file.write_text(json.dumps(known, indent=2, ensure_ascii=False))
        secrets_file.chmod(0o600)
        with database.read() as conn:
            count = conn.execute(sa.select(sa.func.count()).select_from(gwdb.users)).scalar_one()
    finally:
        database.dispose()
    lines = [(u, f"{n} ({', '.join(r)}{', ' + t if t else ''})") for u, _id, n, r, t, _c in USERS]
    lines += [(u, f"{n} (venue_owner, {v})") for u, _id, n, v, _t in OWNERS]
    lines.append(("devices", f"signing secrets in {secrets_file} ({count} users in all)"))
    return lines


# The demo weigh station's register entry: a fixed station with a static class III scale.
DEMO_STATION = {
    "station_id": "station-g312-km45",
    "name": "G312 K45 超限检测站",
    "kind": "fixed",
    "town": "罗溪镇",
    "scale": {"kind": "static", "accuracy_class": "III", "interval_kg": 20},
}


def seed_overload_station(overload_addr: str, signer: ServiceTokenSigner | None = None) -> None:
    """Register the demo station with the overload service (idempotent)."""
    today = datetime.now(UTC).date()
    station = overload_pb2.Station(
        station_id=DEMO_STATION["station_id"],
        name=DEMO_STATION["name"],
        kind=DEMO_STATION["kind"],
        agency_id=AGENCY,
        town=DEMO_STATION["town"],
        scale=overload_pb2.ScaleInfo(
            **DEMO_STATION["scale"], verified_on=today.replace(month=1, day=5).isoformat()
        ),
    )
    with grpc.insecure_channel(overload_addr) as channel:
        overload_pb2_grpc.OverloadServiceStub(channel).UpsertStation(
            overload_pb2.UpsertStationRequest(station=station),
            timeout=10,
            metadata=signer.metadata("overload") if signer else None,
        )


# The demo venues of the gas devices above, in the agency's towns.
DEMO_VENUES = [
    ("venue-xuejia-001", "老街面馆", "914403001922038216", "薛家镇"),
    ("venue-longhutang-002", "龙虎塘小厨", "91110108551385082Q", "龙虎塘街道"),
]


def seed_gas_registry(gas_addr: str, signer: ServiceTokenSigner | None = None) -> None:
    """Register the demo venues and their devices with the gas service (idempotent)."""
    metadata = signer.metadata("gas") if signer else None
    with grpc.insecure_channel(gas_addr) as channel:
        stub = gas_pb2_grpc.GasServiceStub(channel)
        for venue_id, name, code, town in DEMO_VENUES:
            stub.UpsertVenue(
                gas_pb2.UpsertVenueRequest(
                    venue=gas_pb2.Venue(
                        venue_id=venue_id, name=name, credit_code=code,
                        agency_id=AGENCY, town=town, first_lel=20, second_lel=40,
                    )
                ),
                timeout=10, metadata=metadata,
            )  # fmt: skip
        for device_id, kind, owner in DEVICES:
            if kind in ("gas_detector", "shutoff_valve"):
                stub.UpsertDevice(
                    gas_pb2.UpsertDeviceRequest(
                        device=gas_pb2.Device(device_id=device_id, venue_id=owner, kind=kind)
                    ),
                    timeout=10,
                    metadata=metadata,
                )
