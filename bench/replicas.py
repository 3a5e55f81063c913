"""One replica beside two on PostgreSQL: gas ingestion and records appends over gRPC.

For each path and each replica count, fresh service processes are started on one fresh
PostgreSQL database (with the embedded S3 and broker beside them, so the outbox relays and
consumers run as in production), and a load process keeps `--in-flight` calls open, spread
in turn over the replicas, for `--seconds`. Gas: detectors post batches of readings
(`IngestEvents`, 10 events each). Records: notes appended to 64 cases (`AppendEntry`), so
only the log's one sequence, not a case's lock, is shared.

`python -m bench.replicas` (part of `make bench`) writes the section "Replicas" of
docs/benchmarks.md's sibling docs/scaleout.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import grpc
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy.engine import make_url

from bench.outbox import percentile
from deploy.embedded import SeaweedFS, Tansu, free_port
from deploy.init import InitSettings, initialise
from enforcement.gas.v1 import gas_pb2, gas_pb2_grpc
from enforcement.records.v1 import records_pb2, records_pb2_grpc
from services.chassis.db import Database, make_engine, migrate

DOC = Path("docs/scaleout.md")
BEGIN, END = "<!-- bench.replicas begin -->", "<!-- bench.replicas end -->"
AGENCY = "xinbei-yjj"
KEYS = {"access_key": "bench", "secret_key": "bench-secret-0123"}
ROOT = Path(__file__).resolve().parents[1]


def _admin(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def _start(service: str, url: str, s3, broker, count: int, logs: Path) -> tuple[list, list[int]]:
    procs, ports = [], []
    for n in range(count):
        port = free_port()
        p = service.upper()
        env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            f"{p}_MODE": "development",
            f"{p}_DATABASE_URL": url,
            f"{p}_KAFKA_BOOTSTRAP": broker.bootstrap,
            f"{p}_KAFKA_IDEMPOTENT_PRODUCER": "false",
            f"{p}_GRPC_HOST": "127.0.0.1",
            f"{p}_GRPC_PORT": str(port),
            f"{p}_S3_ENDPOINT": s3.endpoint,
            f"{p}_S3_ACCESS_KEY": KEYS["access_key"],
            f"{p}_S3_SECRET_KEY": KEYS["secret_key"],
            f"{p}_LOG_LEVEL": "WARNING",
        }
        if service == "records":
            env["RECORDS_LOG_SIGNING_KEY"] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        out = (logs / f"{service}-{count}-{n}.log").open("ab")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", f"services.{service}"],
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            )
        )  # fmt: skip
        ports.append(port)
    for port in ports:
        _wait_serving(port)
    return procs, ports


def _wait_serving(port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=2
                )
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
        time.sleep(0.3)
    raise RuntimeError(f"no service on port {port}")


def _setup_gas(url: str, devices: int) -> list[str]:
    from services.gas import handlers

    database = Database.from_url(url)
    ids = []
    try:
        for v in range(devices // 2):
            handlers.upsert_venue(
                database,
                gas_pb2.Venue(
                    venue_id=f"bv-{v}", name=f"基准餐馆{v}", agency_id=AGENCY, town="薛家镇",
                    first_lel=20, second_lel=40, sustain=2,
                ),
            )  # fmt: skip
            for d in range(2):
                device_id = f"bdet-{v}-{d}"
                handlers.upsert_device(
                    database,
                    gas_pb2.Device(device_id=device_id, venue_id=f"bv-{v}", kind="gas_detector"),
                )
                ids.append(device_id)
    finally:
        database.dispose()
    return ids


def _setup_records(url: str, cases: int) -> list[str]:
    from services.records import handlers
    from services.records.domain.cases import Domain, Officer, OpenCase
    from services.records.domain.parties import Party, PartyKind

    database = Database.from_url(url)
    officers = (Officer("u-a", "张伟", "32041120001"), Officer("u-b", "李娜", "32041120002"))
    party = Party(PartyKind.organization, "常州某餐饮有限公司", credit_code="914403001922038216",
                  legal_representative="周建国")  # fmt: skip
    ids = []
    try:
        for _ in range(cases):
            case, _ = handlers.open_inspection_case(
                database,
                OpenCase(
                    client_case_id=str(uuid.uuid4()), agency_id=AGENCY, town="薛家镇",
                    domain=Domain.gas, title="基准测试案件", party=party, officers=officers,
                    opened_by="u-a",
                ),
            )  # fmt: skip
            ids.append(case.case_id)
    finally:
        database.dispose()
    return ids


async def _drive(path: str, ports: list[int], keys: list[str], seconds: float, in_flight: int):
    channels = [grpc.aio.insecure_channel(f"127.0.0.1:{p}") for p in ports]
    gas = [gas_pb2_grpc.GasServiceStub(c) for c in channels]
    records = [records_pb2_grpc.RecordsServiceStub(c) for c in channels]
    latencies: list[float] = []
    errors = 0
    done_units = 0
    turn = 0
    seq = int(time.time() * 1000)
    stop_at = time.monotonic() + seconds

    async def one(worker: int) -> None:
        nonlocal errors, done_units, turn, seq
        key = keys[worker % len(keys)]
        while time.monotonic() < stop_at:
            turn += 1
            replica = turn % len(ports)
            started = time.perf_counter()
            try:
                if path == "gas":
                    events = []
                    for _ in range(10):
                        seq += 1
                        e = gas_pb2.DeviceEvent(seq=seq, type="reading", lel=3)
                        e.device_time.FromDatetime(datetime.now(UTC))
                        events.append(e)
                    await gas[replica].IngestEvents(
                        gas_pb2.IngestEventsRequest(device_id=key, events=events, agency_id=AGENCY),
                        timeout=30,
                    )
                    units = len(events)
                else:
                    meta = records_pb2.WriteMeta(
                        client_entry_id=str(uuid.uuid4()), actor_id="u-a", agency_id=AGENCY
                    )
                    meta.device_time.FromDatetime(datetime.now(UTC))
                    await records[replica].AppendEntry(
                        records_pb2.AppendEntryRequest(
                            case_id=key, kind="note", meta=meta,
                            payload_json=json.dumps({"text": "现场检查记录", "items": ["报警器"]}),
                        ),
                        timeout=30,
                    )  # fmt: skip
                    units = 1
            except grpc.aio.AioRpcError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)
            done_units += units

    began = time.monotonic()
    await asyncio.gather(*(one(w) for w in range(in_flight)))
    wall = time.monotonic() - began
    for c in channels:
        await c.close()
    return {
        "calls": len(latencies),
        "errors": errors,
        "per_s": done_units / wall,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
    }


def _cpu_busy() -> float:
    fields = list(map(int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]))
    return sum(fields) - fields[3] - fields[4], sum(fields)


def measure(path: str, replicas: int, admin: str, s3, broker, args, work: Path) -> dict:
    name = f"bench_{path}_{replicas}_{uuid.uuid4().hex[:6]}"
    _admin(admin, f'CREATE DATABASE "{name}"')
    url = (
        make_url(admin).set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )  # fmt: skip
    procs: list = []
    try:
        engine = make_engine(url)
        migrate(engine, ROOT / "services" / path / "migrations")
        engine.dispose()
        keys = _setup_gas(url, 200) if path == "gas" else _setup_records(url, 64)
        procs, ports = _start(path, url, s3, broker, replicas, work)
        asyncio.run(_drive(path, ports, keys, 3.0, args.in_flight))  # warm-up
        busy0, total0 = _cpu_busy()
        row = asyncio.run(_drive(path, ports, keys, args.seconds, args.in_flight))
        busy1, total1 = _cpu_busy()
        row["machine_cpu_busy"] = (busy1 - busy0) / max(1, total1 - total0)
        return {"path": path, "replicas": replicas, **row}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def markdown(rows: list[dict], args) -> list[str]:
    lines = [
        BEGIN,
        "",
        f"`python -m bench.replicas` on {os.cpu_count()} cores, {args.seconds:.0f} s per run, "
        f"{args.in_flight} calls in flight, PostgreSQL on the same machine; "
        + (
            "one round."
            if args.rounds == 1
            else f"of {args.rounds} rounds the middle one by throughput (of two, the better)."
        ),
        "",
        "| path | replicas | per second | p50 ms | p95 ms | errors | machine CPU busy |",
        "|---|---|---|---|---|---|---|",
    ]
    med: dict[tuple[str, int], dict] = {}
    for path in ("gas", "records"):
        for replicas in (1, 2):
            chosen = [r for r in rows if r["path"] == path and r["replicas"] == replicas]
            if not chosen:
                continue
            chosen.sort(key=lambda r: r["per_s"])
            m = med[(path, replicas)] = chosen[len(chosen) // 2]
            unit = "events" if path == "gas" else "appends"
            lines.append(
                f"| {path} | {replicas} | {m['per_s']:.0f} {unit} | {m['p50_ms']:.0f} | "
                f"{m['p95_ms']:.0f} | {sum(r['errors'] for r in chosen)} | "
                f"{m['machine_cpu_busy']:.0%} |"
            )
    lines.append("")
    for path in ("gas", "records"):
        if (path, 1) in med and (path, 2) in med:
            ratio = med[(path, 2)]["per_s"] / med[(path, 1)]["per_s"]
            lines.append(f"- {path}: two replicas / one = **{ratio:.2f}×**")
    lines += ["", END]
    return lines


def write_doc(lines: list[str]) -> None:
    text = DOC.read_text() if DOC.exists() else ""
    block = "\n".join(lines)
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text += "\n" + block + "\n"
    DOC.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--paths", default="gas,records")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args()
    admin = make_url(args.database_url).set(drivername="postgresql")
    admin = admin.render_as_string(hide_password=False)
    try:
        _admin(admin, "SELECT 1")
    except psycopg.OperationalError as exc:
        print(f"bench.replicas skipped: no PostgreSQL at {args.database_url} ({exc})")
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with (
            SeaweedFS(data_dir=work / "s3", **KEYS) as s3,
            Tansu(s3_endpoint=s3.endpoint, log_path=work / "tansu.log", **KEYS) as broker,
        ):
            initialise(
                InitSettings(
                    kafka_bootstrap=broker.bootstrap, s3_endpoint=s3.endpoint,
                    s3_access_key=KEYS["access_key"], s3_secret_key=KEYS["secret_key"],
                )
            )  # fmt: skip
            for r in range(args.rounds):
                for path in args.paths.split(","):
                    # Alternate the order so neither count always runs on a warmer machine.
                    for replicas in (1, 2) if r % 2 == 0 else (2, 1):
                        print(f"round {r + 1}: {path} with {replicas} replica(s) ...", flush=True)
                        row = measure(path, replicas, admin, s3, broker, args, work)
                        print("  " + json.dumps({k: round(v, 2) if isinstance(v, float) else v
                                                 for k, v in row.items()}), flush=True)  # fmt: skip
                        rows.append(row)
    write_doc(markdown(rows, args))
    print("\n".join(markdown(rows, args)))


if __name__ == "__main__":
    main()
