"""The simulator's pure pieces: its signer is the gateway's verifier's other half, its events
pass the gateway's schema, and its leak ramp raises the alarm on its last reading."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devices import gas_simulator as sim
from gateway.problems import ProblemError
from gateway.routes.gas import BatchIn
from gateway.security import device_signing
from gateway.security.device_signing import DeviceCredentials
from services.chassis.db import Database, make_engine, migrate
from services.gas.domain.alarms import AlarmState, Change, Thresholds, on_reading

GATEWAY_MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"


@pytest.fixture
def gateway_db(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    migrate(engine, GATEWAY_MIGRATIONS)
    database = Database(engine)
    yield database
    database.dispose()


@pytest.mark.unit
def test_the_signer_gives_the_pinned_example_of_the_signing_spec():
    body = b'{"ok":true}'
    signature = sim.sign(
        "s3cr3t-example-0123456789abcdefghijklmnopq",
        "POST",
        "/v1/devices/events",
        1767225600,
        "n0nce-0123456789ab",
        body,
    )
    assert signature == "21f2decfb7f7ded4da4347c764f18d6dc552934b1bdaa52c566b9b70ebda3566"


@pytest.mark.unit
def test_the_signer_agrees_with_the_gateway_on_any_body():
    for body in (b"", sim.batch_body([sim.reading(1, 12.5)]), "燃气".encode()):
        args = ("secret-xyz", "POST", sim.PATH, 1767225600, "nonce-abcdefghijkl", body)
        assert sim.sign(*args) == device_signing.sign(*args)


@pytest.mark.integration
def test_the_gateway_accepts_the_simulators_headers_once(gateway_db):
    credentials = DeviceCredentials(gateway_db)
    secret = credentials.provision("sim-venue-0001-det", sim.DETECTOR, "sim-venue-0001")
    body = sim.batch_body([sim.heartbeat(1, datetime.now(UTC))])
    headers = sim.signed_headers("sim-venue-0001-det", secret, body)

    def verify():
        return credentials.verify(
            method="POST",
            path=sim.PATH,
            headers={k.lower(): v for k, v in headers.items()},
            body=body,
        )

    assert verify().owner_id == "sim-venue-0001"
    with pytest.raises(ProblemError):
        verify()  # the same nonce twice


@pytest.mark.unit
def test_every_event_builder_fits_the_gateways_batch_schema():
    at = datetime.now(UTC)
    events = [
        sim.heartbeat(1, at),
        sim.reading(2, 17.25, at),
        sim.detector_alarm(3, 2, 45, at),
        sim.fault(4, "line-open", at),
        sim.fault(5, ""),
        sim.valve_report(6, "closed", "cmd-1", at=at),
        sim.valve_report(7, "open", manual=True),
    ]
    batch = BatchIn.model_validate(json.loads(sim.batch_body(events)))
    assert [e.type for e in batch.events] == [
        "heartbeat", "reading", "alarm", "fault", "fault", "valve", "valve",
    ]  # fmt: skip
    assert batch.events[5].command_id == "cmd-1" and batch.events[0].device_time == at


@pytest.mark.unit
@pytest.mark.parametrize(("first", "sustain"), [(20, 2), (25, 3), (20, 1)])
def test_a_leak_ramp_raises_the_alarm_on_its_last_reading(first, sustain):
    thresholds = Thresholds(first, first * 2, sustain)
    state, changes = AlarmState(), []
    for lel in sim.leak_ramp(first, sustain):
        state, change = on_reading(state, lel, thresholds, device_id="d", at=datetime.now(UTC))
        changes.append(change)
    assert changes[-1] is Change.raised
    assert all(c is Change.unchanged for c in changes[:-1])
