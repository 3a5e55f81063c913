"""Records benchmarks, each beside its baseline in the same run.

1. Entries appended per second through the gateway (HTTP -> JWT -> gRPC -> records: hash
   chain, Merkle log, one transaction) against a bare FastAPI endpoint that inserts the same
   row into SQLite the same way (WAL, BEGIN IMMEDIATE) with nothing else.
2. The verifier's entries checked per second (canonical bytes, chain, leaf, inclusion proof
   against the signed head) against raw hashlib SHA-256 over the same canonical bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.outbox import percentile
from deploy.stack import Stack


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _drive(url: str, headers: dict, n: int, threads: int) -> dict:
    """POST n notes with `threads` concurrent clients; throughput and latency percentiles."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    per_thread = n // threads

    def worker() -> None:
        nonlocal errors
        with httpx.Client(timeout=30, headers=headers) as client:
            for i in range(per_thread):
                body = {
                    "client_entry_id": str(uuid.uuid4()),
                    "kind": "note",
                    "payload": {"text": f"现场检查记录 {i}", "items": ["灭火器", "报警器"]},
                }
                started = time.perf_counter()
                r = client.post(url, json=body)
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    if r.status_code != 201:
                        errors += 1

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "per_s": len(latencies) / wall,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
    }


def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def open_case(stack: Stack) -> tuple[str, dict]:
    """A case of officer1's (officer2 its co-officer) to append to, and officer1's headers."""
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as http:
        password = stack.secrets["demo_password"]
        tokens = {}
        for user in ("officer1", "officer2"):
            r = http.post("/v1/auth/login", json={"username": user, "password": password})
            r.raise_for_status()
            tokens[user] = r.json()["access_token"]
        headers = {"Authorization": f"Bearer {tokens['officer1']}"}
        colleague = http.get(
            "/v1/auth/me", headers={"Authorization": f"Bearer {tokens['officer2']}"}
        ).json()["user_id"]
        r = http.post(
            "/v1/cases",
            headers=headers,
            json={
                "client_case_id": str(uuid.uuid4()),
                "domain": "gas",
                "title": "基准测试案件",
                "party": {
                    "kind": "organization",
                    "name": "常州某餐饮有限公司",
                    "credit_code": "914403001922038216",
                },
                "co_officer_ids": [colleague],
            },
        )
        r.raise_for_status()
        case_id = r.json()["case_id"]
    return case_id, headers


def bench_append(stack: Stack, bare_db: str, n: int, threads: int, rounds: int) -> list[dict]:
    """`stack` is started by the caller and stays up for the next benchmark; the baseline
    writes to the database `bare_db`."""
    from bench.bare_app import serving

    rows: list[dict] = []
    with serving(bare_db) as (bare_base, _pid):
        case_id, headers = open_case(stack)
        gateway_url = f"{stack.gateway_url}/v1/cases/{case_id}/entries"
        bare_url = f"{bare_base}/v1/cases/{case_id}/entries"
        for r_ in range(rounds):
            order = ("bare", "gateway") if r_ % 2 == 0 else ("gateway", "bare")
            for name in order:
                print(f"round {r_ + 1}/{rounds}: append via {name} ({n}) ...", flush=True)
                url, h = (gateway_url, headers) if name == "gateway" else (bare_url, {})
                row = {"variant": name, **_drive(url, h, n, threads)}
                print(
                    "  "
                    + json.dumps(
                        {k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}
                    ),
                    flush=True,
                )
                rows.append(row)
    return rows


def _read_and_hash(database) -> tuple[int, float]:
    """The verifier's baseline: the same reads (the leaves, each case's rows in order) from
    the same database, and SHA-256 over each row's columns; nothing rebuilt or checked."""
    from services.records import db

    started = time.perf_counter()
    count = 0
    with database.read() as conn:
        leaves = conn.execute(
            sa.select(db.entries.c.leaf_hash).order_by(db.entries.c.leaf_index)
        ).all()
        for case_id in db.all_case_ids(conn):
            rows = conn.execute(
                sa.select(db.entries)
                .where(db.entries.c.case_id == case_id)
                .order_by(db.entries.c.seq)
            )
            for row in rows:
                hashlib.sha256("\x1f".join(map(str, row)).encode()).digest()
                count += 1
    del leaves
    return count, time.perf_counter() - started


def bench_verify(database_url: str, entries: int) -> dict:
    """Build a record of `entries` entries in `database_url`, then time the verifier, the
    same rows read and hashed, and raw hashlib over bytes in memory."""
    from services.chassis.db import Database, make_engine, migrate
    from services.records import handlers, transparency
    from services.records.domain.cases import Domain, Officer, OpenCase
    from services.records.domain.entries import canonical_bytes
    from services.records.domain.meta import WriteMeta
    from services.records.domain.parties import Party, PartyKind
    from services.records.domain.treehead import TreeHeadSigner
    from services.records.verify import verify

    engine = make_engine(database_url)
    migrate(engine, Path("services/records/migrations"))
    database = Database(engine)
    officers = (Officer("u-1", "张伟", "320001"), Officer("u-2", "李娜", "320002"))
    per_case = 50
    print(f"writing {entries} entries for the verifier ...", flush=True)
    for c in range(entries // per_case):
        case, _ = handlers.open_inspection_case(
            database,
            OpenCase(
                client_case_id=str(uuid.uuid4()),
                agency_id="bench",
                town="薛家镇",
                domain=Domain.gas,
                title=f"案件 {c}",
                party=Party(PartyKind.organization, "某公司", credit_code="914403001922038216"),
                officers=officers,
                opened_by="u-1",
            ),
        )
        for i in range(per_case - 1):
            handlers.append_entry(
                database,
                case_id=case.case_id,
                kind="note",
                payload={"text": f"现场检查记录 {i}", "items": ["灭火器", "报警器"]},
                corrects_entry_id="",
                meta=WriteMeta(str(uuid.uuid4()), "u-1", "bench"),
            )
        if c % 20 == 0:
            print(f"  {(c + 1) * per_case} / {entries}", flush=True)
    signer = TreeHeadSigner(base64.b64encode(b"b" * 32).decode())
    head = transparency.current_tree_head(database, signer)
    # Best of 3, as the baseline below: the first pass also warms the database's cache.
    report = min(
        (verify(database, None, "", signer.public_key_b64, None, head) for _ in range(3)),
        key=lambda r: r.seconds,
    )
    assert report.ok, report.problems[:3]
    from services.records import db

    with database.read() as conn:
        blobs = [
            canonical_bytes(e) for cid in db.all_case_ids(conn) for e in db.case_entries(conn, cid)
        ]
    started = time.perf_counter()
    for blob in blobs:
        hashlib.sha256(blob).digest()
    hashlib_s = time.perf_counter() - started
    read_n, read_s = min((_read_and_hash(database) for _ in range(3)), key=lambda x: x[1])
    database.dispose()
    return {
        "read_hash_s": read_s,
        "read_hash_per_s": read_n / read_s,
        "entries": report.entries,
        "verifier_s": report.seconds,
        "verifier_per_s": report.entries / report.seconds,
        "hashlib_s": hashlib_s,
        "hashlib_per_s": len(blobs) / hashlib_s,
        "bytes": sum(len(b) for b in blobs),
    }


def markdown(append_rows: list[dict], verify_row: dict, threads: int) -> list[str]:
    def median(name: str, key: str) -> float:
        values = sorted(r[key] for r in append_rows if r["variant"] == name)
        return values[len(values) // 2]

    g, b = "gateway", "bare"
    lines = [
        "## Records: appending entries through the gateway",
        "",
        "`gateway`: `POST /v1/cases/{id}/entries` on the embedded stack as `make run` starts it:",
        "JWT check, gRPC to records, the entry's hash chain and Merkle log append and the case",
        "update in one SQLite transaction. `bare` (the baseline): a FastAPI endpoint with no",
        "auth, no gRPC and no hashing that inserts the same note into SQLite the same way (WAL,",
        f"BEGIN IMMEDIATE). {threads} client threads, each request a new note.",
        "",
        "| variant | entries/s | p50 | p95 | p99 | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in (b, g):
        lines.append(
            f"| {name} | {median(name, 'per_s'):.0f} | {median(name, 'p50_ms'):.1f} ms | "
            f"{median(name, 'p95_ms'):.1f} ms | {median(name, 'p99_ms'):.1f} ms | "
            f"{sum(r['errors'] for r in append_rows if r['variant'] == name)} |"
        )
    lines += [
        "",
        f"Ratio gateway / bare: throughput {median(g, 'per_s') / median(b, 'per_s'):.2f}×, "
        f"p95 latency {median(g, 'p95_ms') / median(b, 'p95_ms'):.2f}×.",
        "",
        "| round variant | requests | entries/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in append_rows:
        lines.append(
            f"| {r['variant']} | {r['requests']} | {r['per_s']:.0f} | {r['p50_ms']:.1f} | "
            f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} |"
        )
    v = verify_row
    lines += [
        "",
        "## Records: the verifier",
        "",
        f"{v['entries']} entries in cases of 50 ({v['bytes'] / 1e6:.1f} MB of canonical JSON).",
        "`verifier`: `services.records.verify.verify` reads every entry, rebuilds its canonical",
        "bytes, checks its hash and chain link, its leaf and its inclusion proof against the",
        "signed tree head (one pass builds the tree; best of 3). `read+hash` (the baseline): the",
        "same reads from the same database (the leaves, each case's rows in order) and SHA-256",
        "over each row's columns, nothing rebuilt or checked (best of 3). `hashlib`: SHA-256 of",
        "the canonical bytes already in memory, for scale.",
        "",
        "| variant | entries/s | time |",
        "|---|---:|---:|",
        f"| hashlib | {v['hashlib_per_s']:.0f} | {v['hashlib_s']:.3f} s |",
        f"| read+hash | {v['read_hash_per_s']:.0f} | {v['read_hash_s']:.3f} s |",
        f"| verifier | {v['verifier_per_s']:.0f} | {v['verifier_s']:.2f} s |",
        "",
        f"Ratio verifier / read+hash: {v['verifier_per_s'] / v['read_hash_per_s']:.3f}× "
        "(goal ≥ 0.3× and ≥ 50,000 entries/s); verifier / hashlib: "
        f"{v['verifier_per_s'] / v['hashlib_per_s']:.4f}×.",
    ]
    return lines


def summary(append_rows: list[dict], verify_row: dict) -> list[tuple[str, str]]:
    """The headline figures of both benchmarks, for the side-by-side table."""

    def median(name: str, key: str) -> float:
        values = sorted(r[key] for r in append_rows if r["variant"] == name)
        return values[len(values) // 2]

    v = verify_row
    ms = "{:.0f} / {:.0f} / {:.0f} ms"
    return [
        ("records append: gateway entries/s", f"{median('gateway', 'per_s'):.0f}"),
        ("records append: bare entries/s", f"{median('bare', 'per_s'):.0f}"),
        (
            "records append: ratio gateway / bare (goal ≥ 0.5×)",
            f"{median('gateway', 'per_s') / median('bare', 'per_s'):.2f}×",
        ),
        (
            "records append: gateway p50 / p95 / p99",
            ms.format(*(median("gateway", f"p{q}_ms") for q in (50, 95, 99))),
        ),
        (
            "records append: bare p50 / p95 / p99",
            ms.format(*(median("bare", f"p{q}_ms") for q in (50, 95, 99))),
        ),
        ("verifier entries/s (goal ≥ 50,000)", f"{v['verifier_per_s']:.0f}"),
        ("verifier: read+hash entries/s", f"{v['read_hash_per_s']:.0f}"),
        (
            "verifier: ratio verifier / read+hash (goal ≥ 0.3×)",
            f"{v['verifier_per_s'] / v['read_hash_per_s']:.3f}×",
        ),
    ]
