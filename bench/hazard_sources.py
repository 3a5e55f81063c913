"""Hazard source sensors: ingestion through MQTT and through HTTP beside the raw broker.

`python -m bench.hazard_sources` (also part of `make bench`) starts the embedded stack once and
measures, side by side on this machine:

- raw broker: QoS 1 messages published by one client and received by another through the
  embedded broker (amqtt), no checks, nothing stored: the ceiling of the MQTT path;
- MQTT: sensors publish signed batches of readings; the broker checks their CONNECT, the bridge
  checks each message's signature and nonce (as the gateway does for HTTP) and hands it to the
  hazard sources service, which applies the alarm rules, stores the latest value once-only and
  buffers the raw readings for Parquet; timed until the service has taken the last seq;
- HTTP: the same sensors post the same kind of signed batches to the gateway.

Each sensor's batches hold READINGS readings; a few sensors go over their high limit near the
end, and the alarm latency is the time from the publish of the reading that raised an alarm to
the alarm's row. The figures go into docs/hazard-sources.md between its bench markers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt

from deploy.stack import Stack, free_ports
from devices import protocol
from devices.client import MqttDevice

DOC = Path("docs/hazard-sources.md")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
CHAIN = [
    {"role": "principal", "name": "甲", "phone": "1"},
    {"role": "technical", "name": "乙", "phone": "2"},
    {"role": "operational", "name": "丙", "phone": "3"},
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sensors", type=int, default=40)
    parser.add_argument("--messages", type=int, default=60, help="messages per sensor per path")
    parser.add_argument("--readings", type=int, default=20, help="readings per message")
    parser.add_argument("--raw-messages", type=int, default=5000)
    parser.add_argument("--latency-s", type=float, default=30.0, help="the paced phase")
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=0.0,
        help="messages/s of the paced phase (default: half the MQTT rate just measured)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="S",
        help="instead of the figures: py-spy samples the broker, the bridge and the service "
        "for S seconds of the MQTT path (docs/img/flame-mqtt-*.svg) and prints CPU per message",
    )


def login(http: httpx.Client, stack: Stack) -> dict:
    r = http.post(
        "/v1/auth/login", json={"username": "admin", "password": stack.secrets["demo_password"]}
    )
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def register(http: httpx.Client, admin: dict, sensors: int) -> dict[str, str]:
    unit = {
        "enterprise_id": "bench-ent", "enterprise_name": "压测化工", "town": "薛家镇",
        "kind": "storage", "name": "压测储罐区", "holdings": [{"chemical": "氯", "max_t": 50}],
        "people_within_500m": 120, "chain": CHAIN,
    }  # fmt: skip
    http.put("/v1/hazard-sources/units/bench-unit", json=unit, headers=admin).raise_for_status()
    secrets = {}
    for i in range(sensors):
        sid = f"bench-pt-{i:03d}"
        body = {"unit_id": "bench-unit", "quantity": "pressure", "unit_of_measure": "MPa",
                "high": 1.6, "high_high": 1.8, "deadband": 0.05, "sustain": 2,
                "stale_after_s": 3600}  # fmt: skip
        http.put(f"/v1/hazard-sources/sensors/{sid}", json=body, headers=admin).raise_for_status()
        r = http.post(
            f"/v1/devices/{sid}/credentials",
            json={"kind": "hazard_sensor", "owner_id": "bench-unit"},
            headers=admin,
        )
        r.raise_for_status()
        secrets[sid] = r.json()["secret"]
    return secrets


def batch(seq0: int, n: int, high: bool) -> dict:
    now = datetime.now(UTC).isoformat()
    value = 1.7 if high else 1.2
    return {"readings": [{"seq": seq0 + i, "value": value, "device_time": now} for i in range(n)]}


def last_seqs(stack: Stack) -> dict[str, int]:
    with sqlite3.connect(f"file:{stack.var / 'hazard_sources.db'}?mode=ro", uri=True) as conn:
        return dict(
            conn.execute("SELECT sensor_id, last_seq FROM sensors WHERE last_seq IS NOT NULL")
        )


def alarm_times(stack: Stack) -> dict[str, datetime]:
    with sqlite3.connect(f"file:{stack.var / 'hazard_sources.db'}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT sensor_id, raised_at FROM alarms WHERE kind = 'limit'")
        out = {}
        for sensor_id, raised in rows:
            at = datetime.fromisoformat(raised)
            out[sensor_id] = at if at.tzinfo else at.replace(tzinfo=UTC)
        return out


def wait_taken(stack: Stack, expected: dict[str, int], timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seqs = last_seqs(stack)
        if all(seqs.get(s, -1) >= q for s, q in expected.items()):
            return time.monotonic()
        time.sleep(0.2)
    raise RuntimeError("the service did not take every reading in time")


def raw_broker(stack: Stack, count: int) -> dict:
    """QoS 1 publish -> subscribe through the broker, as the bridge user (no device checks)."""
    password = stack.secrets["mqtt_bridge_password"]
    got = threading.Event()
    received = [0]

    def client(name: str) -> mqtt.Client:
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=name, clean_session=True)
        c.username_pw_set("bridge", password)
        c.max_inflight_messages_set(100)
        c.connect("127.0.0.1", stack.ports["mqtt"])
        c.loop_start()
        return c

    def on_message(_c, _u, _m):
        received[0] += 1
        if received[0] >= count:
            got.set()

    sub = client("bench-raw-sub")
    sub.on_message = on_message
    sub.subscribe("bench/raw", qos=1)
    time.sleep(1.0)
    pub = client("bench-raw-pub")
    payload = json.dumps(batch(0, 20, False)).encode()
    started = time.monotonic()
    infos = [pub.publish("bench/raw", payload, qos=1) for _ in range(count)]
    for info in infos:
        info.wait_for_publish(timeout=120)
    got.wait(timeout=300)
    took = time.monotonic() - started
    for c in (pub, sub):
        c.loop_stop()
        c.disconnect()
    return {"messages": received[0], "seconds": took, "per_s": received[0] / took}


def mqtt_path(stack: Stack, secrets: dict[str, str], args, seq0: int) -> dict:
    devices = [
        MqttDevice("127.0.0.1", stack.ports["mqtt"], sid, secret).connect()
        for sid, secret in secrets.items()
    ]
    expected = {}
    sent_at: dict[str, float] = {}
    started = time.monotonic()
    for m in range(args.messages):
        for i, d in enumerate(devices):
            high = i % 10 == 0 and m >= args.messages - 2  # a few real excursions at the end
            if high and d.device_id not in sent_at and m == args.messages - 1:
                sent_at[d.device_id] = time.time()
            d.publish("readings", batch(seq0 + m * args.readings, args.readings, high), wait=False)
            expected[d.device_id] = seq0 + (m + 1) * args.readings - 1
    done = wait_taken(stack, expected, timeout=900)
    for d in devices:
        d.close()
    took = done - started
    n = args.messages * len(devices)
    return {
        "messages": n,
        "readings": n * args.readings,
        "seconds": took,
        "messages_per_s": n / took,
        "readings_per_s": n * args.readings / took,
        "sent_at": sent_at,
    }


def latency_phase(stack: Stack, secrets: dict[str, str], args, seq0: int, rate: float) -> list:
    """Sensors publish at `rate` messages a second (below what the path takes, so no backlog)
    for `args.latency_s` seconds; now and then one sensor's message goes over its high limit
    (two readings: sustain 2). Returns the seconds from each such publish to its alarm."""
    ids = [s for i, s in enumerate(secrets) if i % 10 != 0]  # their alarms are not open yet
    devices = [
        MqttDevice("127.0.0.1", stack.ports["mqtt"], sid, secrets[sid]).connect() for sid in ids
    ]
    sent_at: dict[str, float] = {}
    every = max(1, int(rate * args.latency_s / max(1, len(devices) // 2)))
    n = int(rate * args.latency_s)
    started = time.monotonic()
    for k in range(n):
        d = devices[k % len(devices)]
        m = k // len(devices)
        high = k % every == every - 1 and d.device_id not in sent_at
        if high:
            sent_at[d.device_id] = time.time()
        d.publish("readings", batch(seq0 + m * args.readings, args.readings, high), wait=False)
        delay = started + (k + 1) / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not set(sent_at) <= set(alarm_times(stack)):
        time.sleep(0.2)
    for d in devices:
        d.close()
    alarms = alarm_times(stack)
    return sorted(
        (alarms[s] - datetime.fromtimestamp(t, UTC)).total_seconds()
        for s, t in sent_at.items()
        if s in alarms
    )


async def _http_post_all(
    stack: Stack, secrets: dict[str, str], args, seq0: int, retries: list[int]
) -> None:
    path = "/v1/hazard-sources/readings"
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=60) as http:
        gate = asyncio.Semaphore(16)

        async def one(sid: str, secret: str, m: int) -> None:
            body = json.dumps(batch(seq0 + m * args.readings, args.readings, False)).encode()
            async with gate:
                for attempt in range(5):  # as a device does: the same seqs, signed anew
                    headers = protocol.signed_headers(sid, secret, "POST", path, body)
                    headers["Content-Type"] = "application/json"
                    try:
                        r = await http.post(path, content=body, headers=headers)
                    except httpx.TransportError:
                        retries[0] += 1
                        await asyncio.sleep(0.5 * (attempt + 1))
                        continue
                    r.raise_for_status()
                    return
                raise RuntimeError(f"{sid}: no answer after 5 tries")

        for m in range(args.messages):  # in order per sensor: seq never overtaken
            await asyncio.gather(*(one(s, k, m) for s, k in secrets.items()))


def http_path(stack: Stack, secrets: dict[str, str], args, seq0: int) -> dict:
    started = time.monotonic()
    retries = [0]
    asyncio.run(_http_post_all(stack, secrets, args, seq0, retries))
    took = time.monotonic() - started
    n = args.messages * len(secrets)
    return {
        "messages": n,
        "readings": n * args.readings,
        "seconds": took,
        "messages_per_s": n / took,
        "readings_per_s": n * args.readings / took,
        "retries": retries[0],
    }


def steps(work: Path, n: int = 300, readings: int = 20, group: int = 40) -> dict:
    """Where a message's time goes, each step alone in this process on SQLite files: the
    device's signing, the gateway's check (HMAC and the nonce written to its database), and the
    service's transaction (rules, latest value, once-only)."""
    from enforcement.hazard_sources.v1 import hazard_sources_pb2 as pb
    from gateway.security.device_signing import DeviceCredentials
    from services.chassis.db import Database, migrate
    from services.hazard_sources import handlers

    root = Path(__file__).resolve().parents[1]
    gw = Database.from_url(f"sqlite:///{work / 'steps-gateway.db'}")
    migrate(gw.engine, root / "gateway" / "migrations")
    hs = Database.from_url(f"sqlite:///{work / 'steps-hazard.db'}")
    migrate(hs.engine, root / "services" / "hazard_sources" / "migrations")
    creds = DeviceCredentials(gw)
    secret = creds.provision("steps-pt", "hazard_sensor", "steps-unit", "a")
    unit = pb.Unit(
        unit_id="steps-unit", enterprise_id="e", enterprise_name="e", agency_id="a",
        town="t", kind="storage", holdings=[pb.Holding(chemical="氯", max_t=10)],
        chain=[pb.Person(role=r, name=r) for r in ("principal", "technical", "operational")],
    )  # fmt: skip
    handlers.upsert_unit(hs, unit)
    sensor = pb.Sensor(sensor_id="steps-pt", unit_id="steps-unit", quantity="pressure", high=1.6)
    handlers.upsert_sensor(hs, sensor, "a")
    topic = protocol.up_topic("steps-pt", "readings")
    t0 = time.perf_counter()
    payloads = [
        protocol.sign_publish(secret, topic, batch(1 + i * readings, readings, False))
        for i in range(n)
    ]
    t1 = time.perf_counter()
    for p in payloads:
        headers, body = protocol.open_publish("steps-pt", p)
        creds.verify(method="PUBLISH", path=topic, headers=headers, body=body)
    t2 = time.perf_counter()
    for i in range(n):
        req = pb.RecordReadingsRequest(sensor_id="steps-pt", agency_id="a")
        for j in range(readings):
            req.readings.add(seq=1 + i * readings + j, value=1.2)
        handlers.record_readings(hs, req)
    t3 = time.perf_counter()
    grouped = _grouped_steps(creds, hs, secret, n, readings, group)
    gw.dispose()
    hs.dispose()
    return {
        "sign_ms": (t1 - t0) / n * 1000,
        "verify_ms": (t2 - t1) / n * 1000,
        "record_ms": (t3 - t2) / n * 1000,
        "group": group,
        **grouped,
    }


def _grouped_steps(creds, hs, secret: str, n: int, readings: int, group: int) -> dict:
    """The same steps as the bridge takes them now: `group` messages of 10 sensors checked
    with one nonce transaction (verify_many) and stored with one (record_many)."""
    from enforcement.hazard_sources.v1 import hazard_sources_pb2 as pb
    from services.hazard_sources import handlers

    ids = [f"steps-g{i}" for i in range(10)]
    secrets = {}
    for sid in ids:
        secrets[sid] = creds.provision(sid, "hazard_sensor", "steps-unit", "a")
        sensor = pb.Sensor(sensor_id=sid, unit_id="steps-unit", quantity="pressure", high=1.6)
        handlers.upsert_sensor(hs, sensor, "a")
    msgs = []
    for i in range(n):
        sid = ids[i % len(ids)]
        seq0 = 1 + (i // len(ids)) * readings
        topic = protocol.up_topic(sid, "readings")
        msgs.append(
            (
                sid,
                topic,
                protocol.sign_publish(secrets[sid], topic, batch(seq0, readings, False)),
                seq0,
            )
        )
    t0 = time.perf_counter()
    for k in range(0, n, group):
        requests = []
        for sid, topic, payload, _ in msgs[k : k + group]:
            headers, body = protocol.open_publish(sid, payload)
            requests.append(("PUBLISH", topic, headers, body))
        assert not any(isinstance(a, Exception) for a in creds.verify_many(requests))
    t1 = time.perf_counter()
    for k in range(0, n, group):
        reqs = []
        for sid, _topic, _payload, seq0 in msgs[k : k + group]:
            req = pb.RecordReadingsRequest(sensor_id=sid, agency_id="a")
            for j in range(readings):
                req.readings.add(seq=seq0 + j, value=1.2)
            reqs.append(req)
        handlers.record_many(hs, reqs)
    t2 = time.perf_counter()
    return {"verify_many_ms": (t1 - t0) / n * 1000, "record_many_ms": (t2 - t1) / n * 1000}


def run(stack: Stack, args) -> dict:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as http:
        admin = login(http, stack)
        secrets = register(http, admin, args.sensors)
    out = {"load_before": os.getloadavg()[0]}
    out["raw"] = raw_broker(stack, args.raw_messages)
    print(f"raw broker: {out['raw']['per_s']:.0f} messages/s", flush=True)
    out["mqtt"] = mqtt_path(stack, secrets, args, seq0=1)
    alarms = alarm_times(stack)
    latencies = [
        (alarms[s] - datetime.fromtimestamp(t, UTC)).total_seconds()
        for s, t in out["mqtt"].pop("sent_at").items()
        if s in alarms
    ]
    out["alarm_latency_s"] = sorted(latencies)
    print(f"mqtt: {out['mqtt']['readings_per_s']:.0f} readings/s", flush=True)
    rate = args.paced_rate or max(1.0, out["mqtt"]["messages_per_s"] / 2)
    out["paced_rate"] = rate
    out["paced_latency_s"] = latency_phase(
        stack, secrets, args, seq0=1 + args.messages * args.readings, rate=rate
    )
    print(f"paced at {rate:.0f}/s: alarm latencies {out['paced_latency_s']}", flush=True)
    out["http"] = http_path(stack, secrets, args, seq0=1 + 2 * args.messages * args.readings)
    print(f"http: {out['http']['readings_per_s']:.0f} readings/s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out["steps"] = steps(Path(tmp), readings=args.readings)
    out["load_after"] = os.getloadavg()[0]
    print(f"steps: {out['steps']}", flush=True)
    return out


def p99(values: list[float]) -> float:
    """Nearest rank (the ceil(0.99 n)-th): with fewer than 100 alarms, the largest."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, -(-99 * len(ordered) // 100) - 1)]


def markdown(result: dict, args) -> list[str]:
    raw, mq, ht = result["raw"], result["mqtt"], result["http"]
    lat = result["alarm_latency_s"]
    st = result["steps"]
    paced = result["paced_latency_s"]
    return [
        BEGIN,
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.hazard_sources` "
        f"on this 2-core machine, {args.sensors} sensors, {args.readings} readings a "
        "message, the whole embedded stack running; the machine is shared, its 1-minute load "
        f"average was {result['load_before']:.0f} before and {result['load_after']:.0f} after "
        "(2 would be full), so the figures move a lot from run to run:",
        "",
        "| path | messages | readings | seconds | messages/s | readings/s |",
        "|---|---:|---:|---:|---:|---:|",
        f"| raw broker (QoS 1 publish → subscribe, no checks) | {raw['messages']} | – | "
        f"{raw['seconds']:.1f} | {raw['per_s']:.0f} | – |",
        f"| MQTT → bridge → service (signature, nonce, rules, once-only) | {mq['messages']} | "
        f"{mq['readings']} | {mq['seconds']:.1f} | {mq['messages_per_s']:.0f} | "
        f"{mq['readings_per_s']:.0f} |",
        f"| HTTP → gateway → service (the same checks) | {ht['messages']} | {ht['readings']} | "
        f"{ht['seconds']:.1f} | {ht['messages_per_s']:.0f} | {ht['readings_per_s']:.0f} |",
        "",
        f"MQTT ingestion ran at {mq['messages_per_s'] / raw['per_s']:.1%} of the raw broker's "
        "message rate. Alarm latency (publish of the reading that raised it → alarm stored): "
        f"in the throughput run, where every message is published at once and waits its turn, "
        f"{len(lat)} alarms, median {statistics.median(lat) if lat else float('nan'):.1f} s "
        f"(queueing); paced at {result['paced_rate']:.0f} messages/s "
        f"({result['paced_rate'] * args.readings:,.0f} readings/s, "
        f"{'as asked' if args.paced_rate else 'half the MQTT rate'}) for "
        f"{args.latency_s:.0f} s, {len(paced)} alarms, median "
        f"{statistics.median(paced) if paced else float('nan'):.2f} s, p99 "
        f"{p99(paced):.2f} s, max {max(paced, default=float('nan')):.2f} s.",
        "",
        "Where a message's time goes, each step alone in one process on SQLite "
        f"({args.readings} readings a message): signing on the device "
        f"{st['sign_ms']:.2f} ms, the check of signature and nonce (a write to the gateway "
        f"database) {st['verify_ms']:.1f} ms, the service's transaction (rules, latest value, "
        f"once-only) {st['record_ms']:.1f} ms. Both writes are SQLite commits on one disk. "
        f"Taken as the bridge takes a backlog now, {st['group']} messages of 10 sensors at "
        "once (one nonce transaction, one service transaction), per message: the check "
        f"{st['verify_many_ms']:.2f} ms, the service's share {st['record_many_ms']:.2f} ms. "
        "The rest is the hops (broker, bridge, gRPC) and the load of the machine.",
        END,
    ]


def write(section: list[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(head + "\n".join(section) + tail, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hazard_sources")
    add_arguments(parser)
    main_with(parser.parse_args())


def profile(stack: Stack, args) -> dict:
    """Where the MQTT path's time goes: the MQTT throughput run, repeated for as long as
    py-spy samples the three processes it crosses (bench/profile.py's way)."""
    from bench.gas import _cpu_s
    from bench.profile import IMG, _heaviest, _spy

    with httpx.Client(base_url=stack.gateway_url, timeout=60) as http:
        secrets = register(http, login(http, stack), args.sensors)
    mqtt_path(stack, secrets, argparse.Namespace(**{**vars(args), "messages": 5}), seq0=1)
    procs = {n: stack.children[n].proc.pid for n in ("mqtt", "mqtt-bridge", "hazard_sources")}
    IMG.mkdir(parents=True, exist_ok=True)
    report: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        cpu = {n: _cpu_s(pid) for n, pid in procs.items()}
        spies = []
        for name, pid in procs.items():
            raw = Path(tmp) / f"{name}.txt"
            spies.append(
                (name, raw, _spy(pid, args.profile, IMG / f"flame-mqtt-{name}.svg", "flamegraph"))
            )
            spies.append((name, raw, _spy(pid, args.profile, raw, "raw")))
        seq0, messages = 1 + 5 * args.readings, 0
        deadline = time.monotonic() + args.profile
        while time.monotonic() < deadline:
            done = mqtt_path(stack, secrets, args, seq0=seq0)
            messages += done["messages"]
            seq0 += args.messages * args.readings
        for _name, _raw, spy in spies:
            spy.communicate()
        for name, pid in procs.items():
            report[name] = {
                "cpu_ms_per_message": round(1000 * (_cpu_s(pid) - cpu[name]) / messages, 3),
                **_heaviest(Path(tmp) / f"{name}.txt"),
            }
        report["messages"] = messages
    return report


def main_with(args: argparse.Namespace) -> None:
    """On a stack of its own."""
    if args.profile:
        with tempfile.TemporaryDirectory() as tmp:
            stack = Stack(Path(tmp) / "var", free_ports())
            try:
                stack.start(ready_timeout=180)
                print(json.dumps(profile(stack, args), ensure_ascii=False, indent=1))
            finally:
                stack.stop()
        return
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp) / "var", free_ports())
        try:
            stack.start(ready_timeout=180)
            result = run(stack, args)
        finally:
            stack.stop()
    print(json.dumps(result, indent=2, default=str))
    write(markdown(result, args))


if __name__ == "__main__":
    main()


def chart_screenshot(path: Path = Path("docs/img/hazard-chart.png")) -> Path:
    """The console's chart (the route's own renderer) of a day like the e2e test's, in
    Chromium at 360x640: a chlorine tank's pressure with an excursion and its alarm."""
    from datetime import timedelta

    from playwright.sync_api import sync_playwright

    from enforcement.hazard_sources.v1 import hazard_sources_pb2 as pb
    from gateway.routes.hazard_sources import chart_svg

    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    trend = pb.GetTrendResponse()
    trend.sensors.add(
        sensor_id="cl-pt-01", unit_id="cl-tank-01", quantity="pressure", unit_of_measure="MPa",
        high=1.6, high_high=1.8, low=0.2,
    )  # fmt: skip
    for i in range(96):
        avg = 1.2 + 0.05 * ((i % 12) / 12) + (0.5 if 60 <= i < 64 else 0.0)
        p = trend.points.add(
            sensor_id="cl-pt-01", min=avg - 0.03, max=avg + 0.03, avg=avg, count=90
        )
        p.at.FromDatetime(t0 + timedelta(minutes=15 * i))
    alarm = trend.alarms.add(sensor_id="cl-pt-01", kind="limit", level="high")
    alarm.raised_at.FromDatetime(t0 + timedelta(minutes=15 * 60))
    svg = chart_svg(trend, width=340, panel=220)
    html = (
        '<html><body style="margin:10px;font-family:sans-serif">'
        f"<h3>液氯储罐区 压力趋势</h3>{svg}</body></html>"
    )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 360, "height": 640})
        page.set_content(html)
        page.screenshot(path=str(path))
        browser.close()
    return path
