"""Major hazard sources on the embedded stack, devices over MQTT (one stack for the module).

An enterprise registers a chlorine tank and an LPG sphere, which are identified and graded
(GB 18218-2018); their sensors publish over MQTT through the broker and the bridge; a
pressure excursion raises an alarm that goes along the 包保 chain to the town while nobody
handles it; a sensor that stops reporting raises a stale-data alarm; a restaurant's gas
valve gets its close command over MQTT and acknowledges it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest

from deploy.stack import Stack, free_ports
from devices.client import HttpDevice, MqttDevice, MqttRefused, Reliable

pytestmark = pytest.mark.e2e

FAST = {
    "HAZARD_SOURCES_ESCALATE_AFTER_S": "2",
    "HAZARD_SOURCES_SWEEP_INTERVAL_S": "0.5",
    "HAZARD_SOURCES_FLUSH_INTERVAL_S": "1",
}
CHAIN = [
    {"role": "principal", "name": "王建华", "phone": "13900000001"},
    {"role": "technical", "name": "李工", "phone": "13900000002"},
    {"role": "operational", "name": "赵班长", "phone": "13900000003"},
    {"role": "town", "name": "陈明", "phone": "0519-85000000", "user_id": "u-officer1"},
]
LPG = "液化石油气(含丙烷、丁烷及其混合物)"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    saved = {k: os.environ.get(k) for k in FAST}
    os.environ.update(FAST)
    s = Stack(tmp_path_factory.mktemp("hazard-stack") / "var", free_ports())
    try:
        s.start(ready_timeout=150)
        yield s
    finally:
        s.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
        yield client


def login(http: httpx.Client, stack: Stack, username: str) -> dict:
    r = http.post(
        "/v1/auth/login", json={"username": username, "password": stack.secrets["demo_password"]}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def admin(http, stack):
    return login(http, stack, "admin")


@pytest.fixture(scope="module")
def officer(http, stack):
    return login(http, stack, "officer1")


def ok(r: httpx.Response, status: int = 200) -> dict:
    assert r.status_code == status, r.text
    return r.json() if r.content else {}


def wait_for(what: str, probe, timeout: float = 30.0, every: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def unit_body(name: str, holdings: list[dict], people: int) -> dict:
    return {
        "enterprise_id": "91320411MA1XXXXXX1",
        "enterprise_name": "常州某化工有限公司",
        "town": "薛家镇",
        "kind": "storage",
        "name": name,
        "holdings": holdings,
        "people_within_500m": people,
        "chain": CHAIN,
    }


def provision(http, admin, device_id: str, kind: str, owner_id: str) -> str:
    body = {"kind": kind, "owner_id": owner_id}
    return ok(http.post(f"/v1/devices/{device_id}/credentials", json=body, headers=admin), 201)[
        "secret"
    ]


@pytest.fixture(scope="module")
def plant(http, admin):
    """The enterprise's two units, graded, with a pressure and a level sensor."""
    tank = ok(
        http.put(
            "/v1/hazard-sources/units/cl-tank-01",
            json=unit_body("液氯储罐区", [{"chemical": "氯", "max_t": 50}], 120),
            headers=admin,
        )
    )
    sphere = ok(
        http.put(
            "/v1/hazard-sources/units/lpg-sphere-01",
            json=unit_body("液化石油气球罐区", [{"chemical": LPG, "max_t": 1000}], 120),
            headers=admin,
        )
    )
    ok(
        http.put(
            "/v1/hazard-sources/sensors/cl-pt-01",
            json={
                "unit_id": "cl-tank-01", "quantity": "pressure", "unit_of_measure": "MPa",
                "high": 1.6, "high_high": 1.8, "low": 0.2, "deadband": 0.05, "sustain": 2,
                "rate_per_min": 30, "stale_after_s": 600,
            },
            headers=admin,
        )
    )  # fmt: skip
    ok(
        http.put(
            "/v1/hazard-sources/sensors/lpg-lt-01",
            json={
                "unit_id": "lpg-sphere-01", "quantity": "level", "unit_of_measure": "m",
                "high": 10.5, "low": 1.0, "stale_after_s": 3,
            },
            headers=admin,
        )
    )  # fmt: skip
    secrets = {
        "cl-pt-01": provision(http, admin, "cl-pt-01", "hazard_sensor", "cl-tank-01"),
        "lpg-lt-01": provision(http, admin, "lpg-lt-01", "hazard_sensor", "lpg-sphere-01"),
    }
    return tank, sphere, secrets


def mqtt_device(stack: Stack, device_id: str, secret: str) -> MqttDevice:
    return MqttDevice("127.0.0.1", stack.ports["mqtt"], device_id, secret).connect()


def readings(*values: float, start: int) -> dict:
    now = datetime.now(UTC).isoformat()
    return {
        "readings": [
            {"seq": start + i, "value": v, "device_time": now} for i, v in enumerate(values)
        ]
    }


def test_units_are_identified_and_graded_and_regraded_with_the_reason(http, admin, plant):
    tank, sphere, _ = plant
    # chlorine 50 t / Q 5 t = 10, β 4, α 2.0 (120 people): R = 80, 二级
    assert tank["grading"]["major"] and tank["grading"]["grade"] == "二级"
    assert tank["grading"]["r"] == pytest.approx(80)
    # LPG 1000 t / Q 50 t = 20, β 1.5, α 2.0: R = 60, 二级
    assert sphere["grading"]["grade"] == "二级" and sphere["grading"]["r"] == pytest.approx(60)
    fewer = ok(
        http.put(
            "/v1/hazard-sources/units/cl-tank-01",
            json=unit_body("液氯储罐区", [{"chemical": "氯", "max_t": 50}], 20),
            headers=admin,
        )
    )
    assert fewer["regraded"] and fewer["grading"]["grade"] == "三级"
    assert "α 2.0→1.0" in fewer["grading"]["reason"]
    back = ok(
        http.put(
            "/v1/hazard-sources/units/cl-tank-01",
            json=unit_body("液氯储罐区", [{"chemical": "氯", "max_t": 50}], 120),
            headers=admin,
        )
    )
    assert back["grading"]["grade"] == "二级"
    history = ok(http.get("/v1/hazard-sources/units/cl-tank-01", headers=admin))["history"]
    assert [h["grade"] for h in history] == ["二级", "三级", "二级"]


def test_unknown_chemical_without_a_category_is_refused_and_nothing_stored(http, admin):
    r = http.put(
        "/v1/hazard-sources/units/bad-unit-01",
        json=unit_body("未知", [{"chemical": "不存在的物质", "max_t": 5}], 0),
        headers=admin,
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert http.get("/v1/hazard-sources/units/bad-unit-01", headers=admin).status_code == 404


def test_mqtt_refuses_a_wrong_credential(stack, plant):
    with pytest.raises(MqttRefused):
        mqtt_device(stack, "cl-pt-01", "not-the-secret-0123456789abcdefghijkl")


def test_pressure_excursion_over_mqtt_alarms_and_escalates_along_the_chain(
    stack, http, admin, officer, plant
):
    _, _, secrets = plant
    sensor = mqtt_device(stack, "cl-pt-01", secrets["cl-pt-01"])
    try:
        sensor.publish("readings", readings(1.20, 1.21, 1.22, start=1))
        unit = wait_for(
            "the normal readings",
            lambda: (
                (u := ok(http.get("/v1/hazard-sources/units/cl-tank-01", headers=admin)))[
                    "sensors"
                ][0].get("last_value")
                == pytest.approx(1.22)
                and u
            ),
        )
        assert unit["sensors"][0]["sensor_id"] == "cl-pt-01"
        # ACL: publishing on another device's topic is dropped by the broker
        sensor.publish_raw("devices/lpg-lt-01/up/readings", b"{}")
        # the excursion: two readings over high (sustain 2)
        sensor.publish("readings", readings(1.70, 1.75, start=4))

        def open_alarm():
            alarms = ok(
                http.get(
                    "/v1/hazard-sources/alarms", params={"unit_id": "cl-tank-01"}, headers=officer
                )
            )["alarms"]
            return next((a for a in alarms if a["kind"] == "limit"), None)

        alarm = wait_for("the pressure alarm", open_alarm)
        assert alarm["level"] == "high" and alarm["value"] == pytest.approx(1.75)
        # unhandled, it reaches 技术负责人, 操作负责人, then the town (every 2 s here)
        alarm = wait_for(
            "the town step", lambda: (a := open_alarm()) and a["step"] == 4 and a, timeout=30
        )
        assert [n["role"] for n in alarm["notified"]] == [
            "principal", "technical", "operational", "town",
        ]  # fmt: skip
        assert alarm["notified"][0]["name"] == "王建华"
        # a resend of seq 5 (over HTTP, the same once-only rule) has no second effect
        again = HttpDevice(http, "cl-pt-01", secrets["cl-pt-01"]).post(
            "/v1/hazard-sources/readings", readings(1.75, start=5)
        )
        assert ok(again) == {
            "accepted": 0, "duplicates": 1, "alarms": 0, "stored_up_to": 5, "gap": False
        }  # fmt: skip
        acked = ok(
            http.post(f"/v1/hazard-sources/alarms/{alarm['alarm_id']}/acknowledge", headers=officer)
        )
        assert acked["acknowledged_by"] == "u-officer1" and acked["open"]
        handled = ok(
            http.post(
                f"/v1/hazard-sources/alarms/{alarm['alarm_id']}/handle",
                json={"reason": "现场核实: 储罐降温, 压力已回落, 安全阀完好"},
                headers=officer,
            )
        )
        assert handled["open"] is False and handled["handled_reason"].startswith("现场核实")
        # the readings reached Parquet in S3; the trend and the console's chart read them
        trend = ok(http.get("/v1/hazard-sources/units/cl-tank-01/trend", headers=officer))
        assert sum(int(p["count"]) for p in trend["points"]) >= 5
        assert trend["sensors"][0]["high"] == pytest.approx(1.6)
        chart = http.get("/v1/hazard-sources/units/cl-tank-01/chart.svg", headers=officer)
        assert chart.status_code == 200 and chart.text.startswith("<svg")
    finally:
        sensor.close()


def test_a_sensor_that_stops_reporting_raises_a_stale_data_alarm(stack, http, officer, plant):
    _, _, secrets = plant
    level = mqtt_device(stack, "lpg-lt-01", secrets["lpg-lt-01"])
    try:
        level.publish("readings", readings(6.2, start=1))
    finally:
        level.close()

    def stale():
        alarms = ok(
            http.get(
                "/v1/hazard-sources/alarms", params={"unit_id": "lpg-sphere-01"}, headers=officer
            )
        )["alarms"]
        return next((a for a in alarms if a["kind"] == "stale"), None)

    alarm = wait_for("the stale-data alarm", stale, timeout=20)
    assert alarm["level"] == "silent" and alarm["sensor_id"] == "lpg-lt-01"


def test_a_gas_valve_gets_its_close_command_over_mqtt_and_acknowledges(stack, http, admin):
    venue = {"name": "MQTT 测试餐馆", "town": "薛家镇", "first_lel": 20, "second_lel": 40,
             "sustain": 1}  # fmt: skip
    ok(http.put("/v1/gas/venues/venue-mqtt-01", json=venue, headers=admin))
    for device_id, kind in (("mqtt-det-01", "gas_detector"), ("mqtt-valve-01", "shutoff_valve")):
        body = {"venue_id": "venue-mqtt-01", "kind": kind}
        ok(http.put(f"/v1/gas/devices/{device_id}", json=body, headers=admin))
    det_secret = provision(http, admin, "mqtt-det-01", "gas_detector", "venue-mqtt-01")
    valve_secret = provision(http, admin, "mqtt-valve-01", "shutoff_valve", "venue-mqtt-01")
    detector = mqtt_device(stack, "mqtt-det-01", det_secret)
    valve = mqtt_device(stack, "mqtt-valve-01", valve_secret)
    seq = int(time.time() * 1000)
    try:
        valve.publish("events", {"events": [{"seq": seq, "type": "heartbeat"}]})
        time.sleep(1.0)  # the bridge holds the valve's command long-poll from its first message
        detector.publish("events", {"events": [{"seq": seq, "type": "reading", "lel": 35}]})
        # once stored, the platform says so on the detector's own ack topic
        assert detector.acks.get(timeout=30) == {"kind": "events", "stored": [[seq, seq]]}
        message = valve.commands.get(timeout=30)
        command = message["commands"][0]
        assert command["action"] == "close"
        valve.publish(
            "events",
            {"events": [{"seq": seq + 1, "type": "valve", "valve_state": "closed",
                         "command_id": command["command_id"]}]},
        )  # fmt: skip

        def acknowledged():
            db = stack.var / "gas.db"
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                row = conn.execute(
                    "SELECT status FROM commands WHERE command_id = ?", (command["command_id"],)
                ).fetchone()
            return row is not None and row[0] == "acknowledged"

        wait_for("the valve's acknowledgement", acknowledged, timeout=20)
    finally:
        detector.close()
        valve.close()


def _kill(stack: Stack, name: str) -> None:
    child = stack.children[name]
    assert child.proc is not None and child.proc.poll() is None, f"{name} is not running"
    os.killpg(child.proc.pid, signal.SIGKILL)  # it leads its own process group
    child.proc.wait(10)


def test_killing_the_broker_and_the_bridge_loses_no_reading_confirmed_stored(
    stack, http, admin, plant
):
    """A sensor streams readings over MQTT while the embedded broker (amqtt, messages in
    memory only) is killed with SIGKILL and started again; then the bridge and the broker
    together, and the broker alone comes back first: it acknowledges (PUBACK) what the sensor
    publishes and hands it to no one. The sensor keeps each reading until the platform's ack
    topic says it is stored; at the end every reading is confirmed, each taken exactly once,
    with no hole below the last."""
    body = {"unit_id": "cl-tank-01", "quantity": "pressure", "high": 1.6, "stale_after_s": 600}
    ok(http.put("/v1/hazard-sources/sensors/cl-pt-kill", json=body, headers=admin))
    secret = provision(http, admin, "cl-pt-kill", "hazard_sensor", "cl-tank-01")
    confirmed: set[int] = set()
    lock = threading.Lock()

    def stored(seqs: list[int]) -> None:
        with lock:
            confirmed.update(seqs)

    device = MqttDevice("127.0.0.1", stack.ports["mqtt"], "cl-pt-kill", secret)
    link = Reliable(device, "readings", resend_after_s=3, on_stored=stored).start()
    sent: list[int] = []
    stop = threading.Event()

    def stream() -> None:
        seq = 1
        while not stop.is_set():
            batch = [{"seq": q, "value": 1.2 + (q % 5) / 100} for q in range(seq, seq + 5)]
            link.send(batch)
            sent.extend(b["seq"] for b in batch)
            seq += 5
            time.sleep(0.1)

    streaming = threading.Thread(target=stream)
    try:
        streaming.start()
        wait_for("the first readings stored", lambda: confirmed, timeout=60)
        # 1. the broker alone, mid-stream
        _kill(stack, "mqtt")
        wait_for("the sensor cut off", lambda: not device.is_connected, timeout=30)
        time.sleep(2)
        stack.children["mqtt"].start()
        wait_for("the sensor back", lambda: device.is_connected, timeout=60)
        time.sleep(2)
        # 2. the bridge and the broker; the broker comes back first
        _kill(stack, "mqtt-bridge")
        _kill(stack, "mqtt")
        wait_for("the sensor cut off", lambda: not device.is_connected, timeout=30)
        stack.children["mqtt"].start()
        wait_for("the sensor back", lambda: device.is_connected, timeout=60)
        sends = link.pending.sends  # the broker acknowledges these and hands them to no one
        wait_for("readings published with no bridge", lambda: link.pending.sends > sends + 20)
        stack.children["mqtt-bridge"].start()
        time.sleep(3)
        stop.set()
        streaming.join(30)
        assert link.wait_stored(timeout=180), f"{link.unconfirmed()} readings not stored"
        resends = link.pending.resends
    finally:
        stop.set()
        link.close()
    assert resends > 0  # what was lost went out again
    assert confirmed == set(sent)
    db = stack.var / "hazard_sources.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        taken, last_seq = conn.execute(
            "SELECT readings_taken, last_seq FROM sensors WHERE sensor_id = 'cl-pt-kill'"
        ).fetchone()
    assert (taken, last_seq) == (len(sent), max(sent))  # each once, no hole skipped


def test_a_signed_batch_that_can_never_be_taken_is_refused_on_the_ack_topic(
    stack, http, admin, plant
):
    body = {"unit_id": "cl-tank-01", "quantity": "pressure", "high": 1.6}
    ok(http.put("/v1/hazard-sources/sensors/cl-pt-bad", json=body, headers=admin))
    secret = provision(http, admin, "cl-pt-bad", "hazard_sensor", "cl-tank-01")
    sensor = mqtt_device(stack, "cl-pt-bad", secret)
    try:
        sensor.publish("readings", {"readings": [{"seq": 7, "value": 5e9}, {"seq": 8, "value": 1}]})
        ack = sensor.acks.get(timeout=30)
        assert ack["kind"] == "readings" and ack["refused"] == [[7, 8]], ack
        sensor.publish("readings", readings(1.2, start=9))
        ack = sensor.acks.get(timeout=30)
        assert (ack["stored_up_to"], ack["accepted"], ack["gap"]) == (9, 1, False), ack
    finally:
        sensor.close()
