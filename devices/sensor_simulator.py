"""Simulated major hazard source sensors (重大危险源在线监测) for tests, `make bench` and trying
the platform: a unit and its pressure sensors are registered through the gateway's admin
routes, their secrets issued, and each sensor publishes signed batches of readings over MQTT
(or posts them over HTTP; over MQTT each reading is kept and published again until the
platform's ack topic says it is stored): noise around a base value, now and then an
excursion over the high limit, and sensors that go silent.

Against a running `make run`: `python -m devices.sensor_simulator --help`.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from devices.client import HttpDevice, MqttDevice, Reliable

READINGS_PATH = "/v1/hazard-sources/readings"
CHAIN = [
    {"role": "principal", "name": "王建华", "phone": "13900000001"},
    {"role": "technical", "name": "李工", "phone": "13900000002"},
    {"role": "operational", "name": "赵班长", "phone": "13900000003"},
]


def readings(seq0: int, values: list[float], at: datetime | None = None) -> dict:
    """The body of a batch: consecutive seqs from `seq0`, one device time for all."""
    when = (at or datetime.now(UTC)).isoformat()
    return {
        "readings": [
            {"seq": seq0 + i, "value": round(v, 4), "device_time": when}
            for i, v in enumerate(values)
        ]
    }


@dataclass
class SimSensor:
    sensor_id: str
    secret: str
    base: float = 1.2
    seq: int = 1
    silent: bool = False
    mqtt: Reliable | None = field(default=None, repr=False)  # kept until stored

    def next_values(self, rng: random.Random, n: int, excursion: bool = False) -> list[float]:
        if excursion:
            return [1.7 + rng.uniform(0, 0.05) for _ in range(n)]
        return [self.base + rng.gauss(0, 0.01) for _ in range(n)]


def register(
    http: httpx.Client,
    admin: dict[str, str],
    unit_id: str,
    count: int,
    *,
    prefix: str = "sim-pt",
    chemical: str = "氯",
    max_t: float = 50,
    people: int = 120,
) -> list[SimSensor]:
    """A storage unit and `count` pressure sensors (high 1.6, high-high 1.8 MPa), their secrets
    issued (a rerun rotates them)."""
    unit = {
        "enterprise_id": f"{unit_id}-ent", "enterprise_name": "模拟化工有限公司",
        "town": "薛家镇", "kind": "storage", "name": f"模拟储罐区 {unit_id}",
        "holdings": [{"chemical": chemical, "max_t": max_t}], "people_within_500m": people,
        "chain": CHAIN,
    }  # fmt: skip
    http.put(f"/v1/hazard-sources/units/{unit_id}", json=unit, headers=admin).raise_for_status()
    sensors = []
    for i in range(count):
        sid = f"{prefix}-{i:03d}"
        body = {"unit_id": unit_id, "quantity": "pressure", "unit_of_measure": "MPa",
                "high": 1.6, "high_high": 1.8, "deadband": 0.05, "sustain": 2,
                "stale_after_s": 300}  # fmt: skip
        http.put(f"/v1/hazard-sources/sensors/{sid}", json=body, headers=admin).raise_for_status()
        path = f"/v1/devices/{sid}/credentials"
        r = http.post(path, json={"kind": "hazard_sensor", "owner_id": unit_id}, headers=admin)
        if r.status_code == 409:
            r = http.post(f"{path}/rotate", headers=admin)
        r.raise_for_status()
        sensors.append(SimSensor(sid, r.json()["secret"], seq=int(time.time() * 1000)))
    return sensors


def publish_round(
    sensors: list[SimSensor],
    rng: random.Random,
    *,
    per_message: int,
    mqtt: tuple[str, int] | None = None,
    http: httpx.Client | None = None,
    excursion: set[str] = frozenset(),
) -> int:
    """One batch from every sensor that is not silent, over MQTT when `mqtt` is given (host,
    port), else over HTTP. Returns the readings sent."""
    sent = 0
    for s in sensors:
        if s.silent:
            continue
        body = readings(s.seq, s.next_values(rng, per_message, s.sensor_id in excursion))
        if mqtt is not None:
            if s.mqtt is None:
                device = MqttDevice(mqtt[0], mqtt[1], s.sensor_id, s.secret)
                s.mqtt = Reliable(device, "readings").start()
            s.mqtt.send(body["readings"])
        else:
            assert http is not None
            HttpDevice(http, s.sensor_id, s.secret).post(READINGS_PATH, body).raise_for_status()
        s.seq += per_message
        sent += per_message
    return sent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devices.sensor_simulator",
        description="Simulated hazard source sensors against a running stack (`make run`): "
        "registers a unit and its sensors, publishes signed readings over MQTT (or HTTP), "
        "drives one sensor over its limit and silences another.",
    )
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--mqtt", default="127.0.0.1:1883", help="host:port; '' for HTTP")
    parser.add_argument("--var", default="var", help="the stack's data folder (secrets.json)")
    parser.add_argument("--unit", default="sim-unit-01")
    parser.add_argument("--sensors", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--per-message", type=int, default=10)
    args = parser.parse_args(argv)
    password = json.loads(Path(args.var, "secrets.json").read_text())["demo_password"]
    rng = random.Random(7)
    with httpx.Client(base_url=args.gateway, timeout=30) as http:
        r = http.post("/v1/auth/login", json={"username": "admin", "password": password})
        r.raise_for_status()
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        sensors = register(http, admin, args.unit, args.sensors)
        host, _, port = args.mqtt.partition(":")
        mqtt = (host, int(port)) if args.mqtt else None
        if len(sensors) > 1:
            sensors[-1].silent = True  # a stale-data alarm after its stale limit
        for n in range(args.rounds):
            hot = {sensors[0].sensor_id} if n >= args.rounds - 2 else set()
            sent = publish_round(
                sensors, rng, per_message=args.per_message, mqtt=mqtt, http=http, excursion=hot
            )
            print(f"round {n + 1}: {sent} readings{' (excursion)' if hot else ''}")
            time.sleep(args.interval)
        for s in sensors:
            if s.mqtt is not None:
                stored = s.mqtt.wait_stored(timeout=60)
                print(f"{s.sensor_id}: {'every reading stored' if stored else 'NOT all stored'}")
                s.mqtt.close()


if __name__ == "__main__":
    main()
