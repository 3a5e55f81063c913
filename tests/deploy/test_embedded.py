"""The embedded infrastructure: Tansu keeps its log in S3 across restarts, SeaweedFS keeps its
objects and ports across restarts, and topics are created idempotently."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError

from deploy.embedded import SeaweedFS, Tansu, free_port, free_ports
from services.chassis.kafka_admin import ensure_topics
from services.chassis.storage import ObjectStore
from tests.conftest import S3_KEYS

pytestmark = pytest.mark.integration


def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    try:
        for i, value in enumerate(values):
            producer.send(topic, key=str(i % 3).encode(), value=value)
        producer.flush(timeout=30)
    finally:
        producer.close()


def read_all(bootstrap: str, topic: str, partitions: int, expected: int) -> list[bytes]:
    """Every record of the topic, by assignment from the beginning (no group)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        values: list[bytes] = []
        deadline = time.monotonic() + 30
        while len(values) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(r.value for r in records)
        return values
    finally:
        consumer.close()


def partition_counts(bootstrap: str, names: list[str]) -> dict[str, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return {t["name"]: len(t["partitions"]) for t in admin.describe_topics(names)}
    finally:
        admin.close()


@pytest.fixture
def own_broker(seaweedfs: SeaweedFS, tmp_path: Path):
    """A Tansu of its own on the session SeaweedFS, in its own bucket, so restarting it leaves
    the session broker alone."""
    broker = Tansu(
        s3_endpoint=seaweedfs.endpoint,
        bucket=f"tansu-restart-{uuid.uuid4().hex[:8]}",
        log_path=tmp_path / "tansu.log",
        **S3_KEYS,
    )
    broker.start()
    try:
        broker.wait_ready(timeout=60)
        yield broker
    finally:
        broker.kill()


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_tansu_with_s3_storage_keeps_messages_across_a_restart(own_broker: Tansu, how: str):
    topic = f"embedded.restart-{how}.v1"
    ensure_topics(own_broker.bootstrap, {topic: 3})
    values = [f"event-{i}".encode() for i in range(300)]
    produce(own_broker.bootstrap, topic, values)

    port = own_broker.port
    getattr(own_broker, how)()
    assert not own_broker.is_running()
    own_broker.start()
    own_broker.wait_ready(timeout=60)

    assert own_broker.port == port
    assert sorted(read_all(own_broker.bootstrap, topic, 3, len(values))) == sorted(values)
    assert partition_counts(own_broker.bootstrap, [topic]) == {topic: 3}


def test_seaweedfs_keeps_objects_and_ports_across_restarts(tmp_path: Path):
    data = tmp_path / "s3"
    first = SeaweedFS(data_dir=data, log_path=tmp_path / "weed.log", **S3_KEYS)
    first.start()
    try:
        first.wait_ready(timeout=60)
        store = ObjectStore(first.endpoint, **S3_KEYS)
        store.ensure_bucket("records-evidence")
        store.put_bytes("records-evidence", "kept.txt", b"still here", "text/plain")
        ports = dict(first.ports)

        # The same object again: the same ports, the object still there.
        first.stop(timeout=3)
        assert not first.is_running()
        first.start()
        first.wait_ready(timeout=60)
        assert first.ports == ports
        assert store.stat("records-evidence", "kept.txt").size == len(b"still here")
    finally:
        first.stop(timeout=3)

    # A new launcher on the same data dir (a second `make run`) reuses the stored ports.
    assert json.loads((data / "ports.json").read_text()) == ports
    second = SeaweedFS(data_dir=data, log_path=tmp_path / "weed.log", **S3_KEYS)
    second.start()
    try:
        second.wait_ready(timeout=60)
        assert second.endpoint == first.endpoint
        assert second.ports == ports
        store = ObjectStore(second.endpoint, **S3_KEYS)
        digest = hashlib.sha256(b"still here").hexdigest()
        assert store.verify_sha256("records-evidence", "kept.txt", digest, expected_size=10).ok
    finally:
        second.stop(timeout=3)
    assert not second.is_running()
    assert not list(Path("/tmp").glob(f"seaweedfs-*-{ports['master_grpc']}.sock"))


def test_seaweedfs_picks_a_new_internal_port_when_its_stored_one_is_taken(tmp_path: Path):
    weed = SeaweedFS(data_dir=tmp_path / "s3", log_path=tmp_path / "weed.log", **S3_KEYS)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", weed.ports["filer"]))
        squatter.listen()
        taken = weed.ports["filer"]
        weed._repick_busy_ports()
    assert weed.ports["filer"] != taken
    assert json.loads((tmp_path / "s3" / "ports.json").read_text()) == weed.ports
    assert len(set(weed.ports.values())) == len(weed.ports)


def test_seaweedfs_refuses_a_busy_s3_port(tmp_path: Path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = squatter.getsockname()[1]
        weed = SeaweedFS(
            data_dir=tmp_path / "s3", s3_port=busy, log_path=tmp_path / "w.log", **S3_KEYS
        )
        with pytest.raises(RuntimeError, match="in use"):
            weed.start()
    assert not weed.is_running()


def test_wait_ready_reports_a_dead_broker_with_its_log(tmp_path: Path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        broker = Tansu(
            port=squatter.getsockname()[1], log_path=tmp_path / "tansu.log", storage="memory://"
        )
        broker.start()
        try:
            with pytest.raises(RuntimeError, match="not running") as info:
                broker.wait_ready(timeout=20)
        finally:
            broker.kill()
    assert "tansu.log" in str(info.value)


def test_context_manager_starts_and_stops(tmp_path: Path):
    with Tansu(log_path=tmp_path / "tansu.log", storage="memory://") as broker:
        assert broker.is_running()
        ensure_topics(broker.bootstrap, {"embedded.cm.v1": 1})
    assert not broker.is_running()


def test_free_ports_are_distinct():
    ports = free_ports(20)
    assert len(set(ports)) == 20
    assert 0 < free_port() < 65536


def test_ensure_topics_creates_topics_with_their_partition_counts(kafka_bootstrap: str):
    run = uuid.uuid4().hex[:8]
    a, b, c = (f"embedded.{n}-{run}.v1" for n in ("alpha", "beta", "gamma"))
    ensure_topics(kafka_bootstrap, {a: 4, b: 1})
    assert partition_counts(kafka_bootstrap, [a, b]) == {a: 4, b: 1}

    # Again, with one topic more: the existing ones are left alone, the new one is made.
    ensure_topics(kafka_bootstrap, {a: 4, b: 1, c: 2})
    ensure_topics(kafka_bootstrap, [(a, 4), (b, 1), (c, 2)])  # pairs work as well as a dict
    assert partition_counts(kafka_bootstrap, [a, b, c]) == {a: 4, b: 1, c: 2}


def test_ensure_topics_waits_for_a_broker_that_is_starting(tmp_path: Path):
    broker = Tansu(log_path=tmp_path / "tansu.log", storage="memory://")
    starter = threading.Timer(2.0, broker.start)
    starter.start()
    try:
        ensure_topics(broker.bootstrap, {"embedded.late.v1": 2}, timeout_s=30)
        assert partition_counts(broker.bootstrap, ["embedded.late.v1"]) == {"embedded.late.v1": 2}
    finally:
        starter.join()
        broker.stop()


def test_ensure_topics_gives_up_after_its_timeout():
    started = time.monotonic()
    with pytest.raises(KafkaError):
        ensure_topics(f"127.0.0.1:{free_port()}", {"embedded.never.v1": 1}, timeout_s=3)
    assert time.monotonic() - started < 15


def test_ports_handed_out_once_are_not_handed_out_again():
    # A stack releases its ports before its children bind them; a second pick in between
    # (SeaweedFS's internal ports) must not land on one of them.
    first = set(free_ports(40))
    for _ in range(50):
        assert not first & set(free_ports(10))


def test_seaweedfs_stays_off_the_ports_of_the_stack_around_it(tmp_path):
    data = tmp_path / "s3"
    data.mkdir()
    stack_port, other = free_ports(2)
    stored = {"master": stack_port, "master_grpc": other}
    (data / "ports.json").write_text(json.dumps(stored))
    weed = SeaweedFS(data_dir=data, avoid=[stack_port], **S3_KEYS)
    assert weed.ports["master"] != stack_port
    assert weed.ports["master_grpc"] == other  # what it stored and nobody else owns stays
    assert stack_port not in weed.ports.values()
