"""Fault injection (`make faults`): while phones, a legal reviewer, gas devices and a weigh
station work the embedded stack, every process is killed with SIGKILL in turn and started
again; afterwards nothing acknowledged may be missing or doubled, and every event must have
had its effect once.

Settings (environment):
  FAULTS_PROCESSES   which to kill, in order (default: records,review,disclosure,gas,
                     overload,hazard_sources,hazards,gateway,mqtt,mqtt-bridge,tansu,seaweedfs)
  FAULTS_ROUNDS      how many times the whole list is killed (1)
  FAULTS_BROKER_KILLS  quick extra kills of the broker at the end, 1 s down each (5)
  FAULTS_WARMUP_S    load before the first kill (10)
  FAULTS_DOWN_S      how long a killed process stays down (8; longer than the consumers'
                     6 s session timeout, so a broker outage ends in a group rebalance)
  FAULTS_BETWEEN_S   load after a restart before the next kill (10)
  FAULTS_PHONES, FAULTS_VENUES   officers' phones (3) and gas venues with two valves (2)
  FAULTS_SENSORS     hazard source sensors publishing over MQTT (2)
  FAULTS_SETTLE_S    how long to wait for the last events' effects after the load (150)
  FAULTS_VAR         the stack's data and logs (var/faults, emptied first)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deploy.stack import Stack, free_ports
from tests.faults import invariants
from tests.faults.clients import (
    Client,
    Device,
    GasVenue,
    HazardDesk,
    Ledger,
    MqttSensor,
    Phone,
    Reviewer,
    WeighStation,
    expect,
    login,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
ALL = (
    "records", "review", "disclosure", "gas", "overload", "hazard_sources", "hazards", "gateway",
    "mqtt", "mqtt-bridge", "tansu", "seaweedfs",
)  # fmt: skip


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


PROCESSES = [p.strip() for p in _env("FAULTS_PROCESSES", ",".join(ALL)).split(",") if p.strip()]
ROUNDS = int(_env("FAULTS_ROUNDS", "1"))
BROKER_KILLS = int(_env("FAULTS_BROKER_KILLS", "5"))
WARMUP_S = float(_env("FAULTS_WARMUP_S", "10"))
DOWN_S = float(_env("FAULTS_DOWN_S", "8"))
BETWEEN_S = float(_env("FAULTS_BETWEEN_S", "10"))
PHONES = int(_env("FAULTS_PHONES", "3"))
VENUES = int(_env("FAULTS_VENUES", "2"))
SENSORS = int(_env("FAULTS_SENSORS", "2"))
SETTLE_S = float(_env("FAULTS_SETTLE_S", "150"))
VAR = Path(_env("FAULTS_VAR", str(ROOT / "var" / "faults")))


def say(msg: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {msg}", flush=True)


@dataclass
class Run:
    stack: Stack
    ledger: Ledger
    killed: dict[str, list[float]] = field(default_factory=dict)  # process -> s until ready
    unexpected: list[str] = field(default_factory=list)  # processes that died on their own
    verifier: str = ""
    verifier_ok: bool = False
    checks: list[invariants.Check] = field(default_factory=list)
    dbs: object = None  # where the invariants read (invariants.Databases or the like)
    windows: list[tuple[str, float, float]] = field(default_factory=list)  # killed, back


# -- the processes ----------------------------------------------------------------------------


def kill(stack: Stack, name: str) -> int:
    if name == "tansu":
        pid = stack.kafka.pid
        stack.kafka.kill()
    elif name == "seaweedfs":
        pid = stack.s3.pid
        stack.s3.kill()
    else:
        proc = stack.children[name].proc
        assert proc is not None and proc.poll() is None, f"{name} is not running"
        pid = proc.pid
        os.killpg(pid, signal.SIGKILL)  # it leads its own process group
        proc.wait(10)
    return pid or 0


def start(stack: Stack, name: str) -> int:
    """Start it again; returns where its log ended before (to read what it says now)."""
    if name == "tansu":
        stack.kafka.start()
    elif name == "seaweedfs":
        stack.s3.start()
    else:
        child = stack.children[name]
        logged = child.log_path.stat().st_size if child.log_path.exists() else 0
        child.start()
        return logged
    return 0


def wait_ready(stack: Stack, timeout: float = 120, name: str = "", logged: int = 0) -> None:
    """S3, the broker, and the gateway's readiness (its database and every service); the
    MQTT broker until it takes connections, the bridge until it has subscribed again."""
    stack.s3.wait_ready(timeout)
    stack.kafka.wait_ready(timeout)
    stack.wait_ready(timeout)
    deadline = time.monotonic() + timeout
    while name in ("mqtt", "mqtt-bridge") and time.monotonic() < deadline:
        if name == "mqtt":
            try:
                socket.create_connection(("127.0.0.1", stack.ports["mqtt"]), timeout=2).close()
                return
            except OSError:
                pass
        else:
            with stack.children[name].log_path.open("rb") as log:
                log.seek(logged)
                if b"connected to the broker" in log.read():
                    return
        time.sleep(0.2)


def revive_the_dead(run: Run, killed: str = "") -> None:
    """A process that died without being killed is a finding; start it again like `make run`."""
    stack = run.stack
    for name, child in stack.children.items():
        if name != killed and child.proc is not None and child.proc.poll() is not None:
            run.unexpected.append(f"{name} exited with code {child.proc.returncode}")
            say(
                f"!!! {name} died on its own (code {child.proc.returncode}); "
                f"last lines:\n{child.tail(15)}"
            )
            child.start()
    for name, proc in (("tansu", stack.kafka), ("seaweedfs", stack.s3)):
        if name != killed and not proc.is_running():
            run.unexpected.append(f"{name} exited with code {proc.proc.returncode}")
            say(f"!!! {name} died on its own (code {proc.proc.returncode})")
            proc.start()


# -- setting up the district's devices ---------------------------------------------------------


def register_sensors(client: Client, admin: dict, tag: str, port: int) -> list[MqttSensor]:
    """A hazard source unit and its MQTT sensors, their secrets issued."""
    unit_id = f"{tag}-unit"
    chain = [
        {"role": role, "name": name}
        for role, name in (("principal", "甲"), ("technical", "乙"), ("operational", "丙"))
    ]
    expect(
        client.send(
            "PUT", f"/v1/hazard-sources/units/{unit_id}", headers=admin,
            body={"enterprise_id": f"{tag}-ent", "enterprise_name": "故障演练化工",
                  "town": "薛家镇", "kind": "storage", "name": "故障演练储罐区",
                  "holdings": [{"chemical": "氯", "max_t": 20}], "people_within_500m": 40,
                  "chain": chain},
        ),
        200,
    )  # fmt: skip
    sensors = []
    for n in range(SENSORS):
        sensor_id = f"{tag}-pt-{n}"
        expect(
            client.send(
                "PUT", f"/v1/hazard-sources/sensors/{sensor_id}", headers=admin,
                body={"unit_id": unit_id, "quantity": "pressure", "high": 1.6,
                      "stale_after_s": 3600},
            ),
            200,
        )  # fmt: skip
        issued = client.send(
            "POST", f"/v1/devices/{sensor_id}/credentials", headers=admin,
            body={"kind": "hazard_sensor", "owner_id": unit_id},
        )  # fmt: skip
        sensors.append(MqttSensor(port, sensor_id, expect(issued, 201)["secret"], client.ledger))
    return sensors


def register_venues(client: Client, admin: dict, tag: str) -> list[GasVenue]:
    venues = []
    for v in range(VENUES):
        venue_id = f"{tag}-venue-{v}"
        expect(
            client.send(
                "PUT", f"/v1/gas/venues/{venue_id}", headers=admin,
                body={"name": f"故障演练餐馆{v}", "town": "薛家镇", "first_lel": 20,
                      "second_lel": 40},
            ),
            200,
        )  # fmt: skip
        devices = []
        for device_id, kind in (
            (f"{tag}-det-{v}", "gas_detector"),
            (f"{tag}-valve-{v}a", "shutoff_valve"),
            (f"{tag}-valve-{v}b", "shutoff_valve"),
        ):
            expect(
                client.send(
                    "PUT", f"/v1/gas/devices/{device_id}", headers=admin,
                    body={"venue_id": venue_id, "kind": kind},
                ),
                200,
            )  # fmt: skip
            issued = client.send(
                "POST", f"/v1/devices/{device_id}/credentials", headers=admin,
                body={"kind": kind, "owner_id": venue_id},
            )  # fmt: skip
            devices.append(Device(client, device_id, expect(issued, 201)["secret"]))
        venues.append(GasVenue(venue_id, devices[0], devices[1:], wait_s=120))
    return venues


# -- the run ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run():
    unknown = set(PROCESSES) - set(ALL)
    assert not unknown, f"FAULTS_PROCESSES: unknown {sorted(unknown)}; known: {', '.join(ALL)}"
    shutil.rmtree(VAR, ignore_errors=True)
    stack = Stack(VAR / "var", free_ports())
    say(f"starting the embedded stack in {stack.var} ...")
    started = time.monotonic()
    try:  # a start that fails half-way leaves no process running either
        stack.start(ready_timeout=180)
        say(f"stack ready in {time.monotonic() - started:.0f} s")
        yield drive(stack)
    finally:
        stack.stop()


def drive(
    stack: Stack,
    processes: list[str] | None = None,
    broker_kills: int | None = None,
    dbs: object = None,
    ready=None,
) -> Run:
    """The load, the kills and the checks. The replicas mode (test_replicas.py) passes its
    own processes, no broker kills, its databases (PostgreSQL) and a per-replica readiness."""
    processes = PROCESSES if processes is None else processes
    broker_kills = BROKER_KILLS if broker_kills is None else broker_kills
    tag = f"flt{int(time.time()) % 1_000_000}"
    ledger = Ledger(tag)
    run = Run(stack, ledger, dbs=dbs or invariants.Databases(stack.var))
    give_up = [float("inf")]
    clients: list[Client] = []

    def client() -> Client:
        c = Client(stack.gateway_url, ledger, lambda: give_up[0])
        clients.append(c)
        return c

    password = stack.secrets["demo_password"]
    admin_client = client()
    admin, _ = login(admin_client, "admin", password)
    venues = register_venues(admin_client, admin, tag)
    sensors = register_sensors(admin_client, admin, tag, stack.ports["mqtt"])
    station_secret = json.loads((stack.var / "demo-devices.json").read_text())["wim-station-01"]
    station = WeighStation(Device(client(), "wim-station-01", station_secret["secret"]))

    phones = []
    for n in range(PHONES):
        c = client()
        me, colleague = ("officer1", "officer2") if n % 2 == 0 else ("officer2", "officer1")
        auth, _ = login(c, me, password)
        _, colleague_id = login(c, colleague, password)
        phones.append(Phone(c, f"phone{n}", auth, colleague_id, review_wait_s=SETTLE_S))
    reviewer_client = client()
    reviewer = Reviewer(reviewer_client, login(reviewer_client, "reviewer", password)[0])
    desk_client = client()
    desk = HazardDesk(desk_client, login(desk_client, "officer1", password)[0])

    stop, phones_done = threading.Event(), threading.Event()
    workers = [
        *(threading.Thread(target=p.run, args=(stop,), name=p.name) for p in phones),
        *(threading.Thread(target=v.run, args=(stop,), name=v.venue_id) for v in venues),
        threading.Thread(target=station.run, args=(stop,), name="weigh-station"),
        *(threading.Thread(target=m.run, args=(stop,), name=m.sensor_id) for m in sensors),
        threading.Thread(target=desk.run, args=(stop,), name="hazard-desk"),
    ]
    review_thread = threading.Thread(target=reviewer.run, args=(stop, phones_done), name="reviewer")
    for t in (*workers, review_thread):
        t.start()
    say(f"load: {PHONES} phones, 1 legal reviewer, {VENUES} gas venues (a detector and two "
        f"valves each), 1 weigh station, {SENSORS} MQTT sensors, 1 hazard desk; "
        f"run tag {tag}")  # fmt: skip

    def progress(what: str) -> None:
        counts = ledger.counts()
        say(f"{what}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))

    load_started = time.monotonic()
    try:
        time.sleep(WARMUP_S)
        progress("warm-up done")
        # Quick broker kills last: a produce cut short is where a loss was found.
        plan = [(n, DOWN_S, BETWEEN_S) for n in processes * ROUNDS]
        plan += [("tansu", 1.0, 3.0)] * broker_kills
        for name, down_s, between_s in plan:
            revive_the_dead(run)
            pid = kill(stack, name)
            killed_at = time.monotonic()
            say(f"kill -9 {name} (pid {pid})")
            time.sleep(down_s)
            revive_the_dead(run, killed=name)
            began = time.monotonic()
            logged = start(stack, name)
            wait_ready(stack, name=name, logged=logged) if ready is None else ready(name)
            run.windows.append((name, killed_at, time.monotonic()))
            run.killed.setdefault(name, []).append(time.monotonic() - began)
            progress(f"{name} back in {run.killed[name][-1]:.1f} s")
            time.sleep(between_s)
            revive_the_dead(run)
        progress("every kill done; load stops after the cases in hand")
    finally:
        stop.set()
        give_up[0] = time.monotonic() + SETTLE_S + 60
        for t in workers:
            t.join()
        phones_done.set()
        review_thread.join()
    progress(f"load ended after {time.monotonic() - load_started:.0f} s")
    for c in clients:
        c.close()

    settle(run)
    run.verifier, run.verifier_ok = verify_records(stack)
    say(f"records verifier: {run.verifier.strip().splitlines()[0] if run.verifier else '-'}")
    stack.stop()
    run.checks = invariants.all_checks(run.dbs, ledger)
    report(run)
    return run


def settle(run: Run) -> None:
    """Wait for the events still on their way to take effect (or for the deadline)."""
    dbs = run.dbs
    deadline = time.monotonic() + SETTLE_S
    while True:
        revive_the_dead(run)
        pending = [c for c in invariants.effect_checks(dbs, run.ledger) if not c.ok]
        if not pending:
            say("every effect is in place")
            return
        if time.monotonic() > deadline:
            say(f"still pending after {SETTLE_S:.0f} s: {', '.join(c.name for c in pending)}")
            return
        time.sleep(2)


def verify_records(stack: Stack) -> tuple[str, bool]:
    """`python -m services.records.verify` over the records database and its evidence."""
    done = subprocess.run(
        [sys.executable, "-m", "services.records.verify"],
        env=stack._service_env("records"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done.stdout + done.stderr, done.returncode == 0


def report(run: Run) -> None:
    ledger = run.ledger
    lines = ["", "=== fault injection: what was checked ==="]
    lines.append(
        "killed and restarted: "
        + ", ".join(
            f"{n} (ready in {', '.join(f'{s:.1f}' for s in took)} s)"
            for n, took in run.killed.items()
        )
    )
    lines.append(f"died without being killed: {', '.join(run.unexpected) or 'none'}")
    lines.append(
        "acknowledged to the clients: " + ", ".join(f"{v} {k}" for k, v in ledger.counts().items())
    )
    lines.append(
        "retries: " + (", ".join(f"{v} x {k}" for k, v in ledger.retries.most_common()) or "none")
    )
    for check in run.checks:
        lines.append(check.line())
        lines += [f"    {b}" for b in check.breaches[:20]]
    lines.append(f"records verifier: {' | '.join(run.verifier.strip().splitlines()[:3])}")
    lines += [f"client could not finish: {p}" for p in ledger.problems]
    print("\n".join(lines), flush=True)
    summary = {
        "processes_killed": run.killed,
        "unexpected_exits": run.unexpected,
        "acknowledged": ledger.counts(),
        "retries": dict(ledger.retries),
        "checks": {c.name: {"counts": c.counts, "breaches": c.breaches} for c in run.checks},
        "verifier": run.verifier,
        "client_problems": ledger.problems,
    }
    (run.stack.var.parent / "last-run.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2)
    )


def _check(run: Run, name: str) -> invariants.Check:
    [check] = [c for c in run.checks if c.name == name]
    return check


# -- the tests ----------------------------------------------------------------------------------


def test_every_process_was_killed_and_came_back(run):
    assert set(run.killed) == set(PROCESSES) | ({"tansu"} if BROKER_KILLS else set())
    assert run.unexpected == [], "processes died without being killed"
    assert run.ledger.problems == [], "clients could not finish their work"


def test_the_load_did_every_kind_of_write(run):
    counts = run.ledger.counts()
    for what in ("cases", "evidence", "decided", "approved", "leaks", "weighings"):
        assert counts[what] > 0, f"the load made no {what}; nothing was checked for them"


def test_every_acknowledged_write_is_stored_exactly_once(run):
    check = _check(run, "acknowledged writes stored exactly once")
    assert check.ok, check.breaches


def test_every_event_was_consumed_exactly_once_in_effect(run):
    check = _check(run, "events consumed exactly once in effect")
    assert check.ok, check.breaches


def test_every_gas_alarm_closed_every_valve_of_its_venue(run):
    check = _check(run, "every gas alarm closed every valve of its venue")
    assert check.ok, check.breaches


def test_every_decided_penalty_was_disclosed(run):
    check = _check(run, "every decided penalty disclosed")
    assert check.ok, check.breaches


def test_no_evidence_object_is_missing_or_corrupt(run):
    assert run.verifier_ok, run.verifier
    assert f"{len(run.ledger.evidence)} evidence objects" in run.verifier, run.verifier


def test_every_mqtt_reading_confirmed_stored_was_taken_once(run):
    """Killing the broker (amqtt keeps messages in memory) or the bridge loses nothing a
    sensor was told is stored: it keeps each reading until then (docs/hazard-sources.md)."""
    check = _check(run, "MQTT readings confirmed stored taken once")
    assert check.ok, check.breaches
