"""The device protocol over MQTT: the CONNECT token and signed publishes are checked by the
gateway's verifier with the same rules as HTTP, and the ACL keeps devices to their topics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devices import protocol
from gateway.problems import ProblemError
from gateway.security.device_signing import DeviceCredentials
from services.chassis.db import Database, make_engine, migrate

GATEWAY_MIGRATIONS = Path(__file__).resolve().parents[2] / "gateway" / "migrations"


@pytest.fixture
def credentials(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gateway.db'}")
    migrate(engine, GATEWAY_MIGRATIONS)
    database = Database(engine)
    yield DeviceCredentials(database)
    database.dispose()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("topic", "allowed"),
    [
        ("devices/pt-01/up/readings", True),
        ("devices/pt-01/up/events", True),
        ("devices/pt-02/up/readings", False),
        ("devices/pt-01/cmd", False),
        ("devices/pt-01/up/#", False),
        ("devices/+/up/readings", False),
        ("other/pt-01/up/readings", False),
    ],
)
def test_a_device_publishes_only_under_its_own_up_branch(topic, allowed):
    assert protocol.may_publish("pt-01", topic) is allowed


@pytest.mark.unit
def test_a_device_subscribes_only_to_its_own_command_and_ack_topics():
    assert protocol.may_subscribe("valve-01", "devices/valve-01/cmd")
    assert not protocol.may_subscribe("valve-01", "devices/valve-02/cmd")
    assert not protocol.may_subscribe("valve-01", "devices/+/cmd")
    assert not protocol.may_subscribe("valve-01", "#")
    # the platform's stored-acks: its own topic only
    assert protocol.may_subscribe("valve-01", "devices/valve-01/ack")
    assert not protocol.may_subscribe("valve-01", "devices/valve-02/ack")
    assert not protocol.may_subscribe("valve-01", "devices/+/ack")
    assert not protocol.may_publish("valve-01", "devices/valve-01/ack")


@pytest.mark.integration
def test_the_connect_token_is_checked_once(credentials):
    secret = credentials.provision("pt-01", "hazard_sensor", "unit-01", "agency")
    password = protocol.connect_password(secret)
    check = dict(method="CONNECT", path=protocol.CONNECT_TARGET, body=b"")
    device = credentials.verify(headers=protocol.connect_headers("pt-01", password), **check)
    assert (device.device_id, device.owner_id) == ("pt-01", "unit-01")
    with pytest.raises(ProblemError) as replayed:
        credentials.verify(headers=protocol.connect_headers("pt-01", password), **check)
    assert replayed.value.type.endswith("replayed-nonce")
    wrong = protocol.connect_password("not-the-secret-0123456789abcdefghijkl")
    with pytest.raises(ProblemError) as refused:
        credentials.verify(headers=protocol.connect_headers("pt-01", wrong), **check)
    assert refused.value.type.endswith("bad-signature")


@pytest.mark.integration
def test_a_signed_publish_is_bound_to_its_topic(credentials):
    secret = credentials.provision("pt-01", "hazard_sensor", "unit-01", "agency")
    topic = protocol.up_topic("pt-01", "readings")
    payload = protocol.sign_publish(secret, topic, {"readings": [{"seq": 1, "value": 1.2}]})
    headers, body = protocol.open_publish("pt-01", payload)
    assert json.loads(body)["readings"][0]["value"] == 1.2
    # the same envelope copied to another topic does not pass
    with pytest.raises(ProblemError):
        credentials.verify(
            method="PUBLISH", path=protocol.up_topic("pt-01", "events"), headers=headers, body=body
        )
    credentials.verify(method="PUBLISH", path=topic, headers=headers, body=body)


@pytest.mark.unit
def test_a_payload_that_is_no_envelope_is_refused():
    with pytest.raises(ValueError):
        protocol.open_publish("pt-01", b'{"readings": []}')


@pytest.mark.unit
def test_the_sensor_simulators_batches_pass_the_gateways_schema():
    import random

    from devices.sensor_simulator import SimSensor, readings
    from gateway.routes.hazard_sources import ReadingsIn

    sensor = SimSensor("pt-01", "secret")
    rng = random.Random(1)
    calm = ReadingsIn.model_validate(readings(5, sensor.next_values(rng, 3)))
    assert [r.seq for r in calm.readings] == [5, 6, 7]
    assert all(1.1 < r.value < 1.3 for r in calm.readings)
    hot = ReadingsIn.model_validate(readings(8, sensor.next_values(rng, 2, excursion=True)))
    assert all(r.value > 1.6 for r in hot.readings)
