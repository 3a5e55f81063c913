"""Baselines for the benchmarks through the gateway, as bare FastAPI endpoints.

`python -m bench.bare_app DATABASE PORT` (a URL, or the path of a SQLite file). Same engine
settings as the services (on SQLite: WAL, BEGIN IMMEDIATE).

- `POST /v1/cases/{id}/entries` inserts the same row as a records append; no auth, no gRPC,
  no hashing.
- `POST /v1/gas/device-events` only checks the device's signature, as the gateway does (the
  secret looked up and the nonce stored in this database), and counts the events; no schema,
  no gRPC, nothing stored.
- `POST /v1/stations/weighings` checks the station's signature the same way and inserts the
  weighing as one row (idempotent on client_weighing_id); no schema, no gRPC, no rules.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI, Request
from pydantic import BaseModel

from gateway import db as gwdb
from gateway.security.device_signing import DeviceCredentials, verify_device_request
from services.chassis.db import Database, make_engine

metadata = sa.MetaData()
notes = sa.Table(
    "entries",
    metadata,
    sa.Column("entry_id", sa.String(36), primary_key=True),
    sa.Column("client_entry_id", sa.String(100), unique=True),
    sa.Column("case_id", sa.String(36)),
    sa.Column("kind", sa.String(24)),
    sa.Column("payload", sa.Text),
    sa.Column("server_time", sa.DateTime(timezone=True)),
)

weighings = sa.Table(
    "weighings",
    metadata,
    sa.Column("weighing_id", sa.String(36), primary_key=True),
    sa.Column("client_weighing_id", sa.String(100), unique=True),
    sa.Column("device_id", sa.String(64)),
    sa.Column("payload", sa.Text),
    sa.Column("server_time", sa.DateTime(timezone=True)),
)


class NoteIn(BaseModel):
    client_entry_id: str
    kind: str
    payload: dict


def make_app(database: Database) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/cases/{case_id}/entries", status_code=201)
    def append(case_id: str, body: NoteIn) -> dict:
        entry_id = str(uuid.uuid4())
        with database.unit_of_work() as uow:
            uow.conn.execute(
                notes.insert().values(
                    entry_id=entry_id,
                    client_entry_id=body.client_entry_id,
                    case_id=case_id,
                    kind=body.kind,
                    payload=json.dumps(body.payload, ensure_ascii=False),
                    server_time=datetime.now(UTC),
                )
            )
            uow.commit()
        return {"entry_id": entry_id}

    credentials = DeviceCredentials(database)

    @app.post("/v1/gas/device-events")
    async def gas_events(request: Request) -> dict:
        await verify_device_request(request, credentials)
        events = json.loads(await request.body())["events"]
        return {"accepted": len(events), "duplicates": 0, "commands": []}

    @app.post("/v1/stations/weighings", status_code=201)
    async def weighing(request: Request) -> dict:
        station = await verify_device_request(request, credentials)
        raw = await request.body()
        client_id = json.loads(raw)["client_weighing_id"]
        weighing_id = str(uuid.uuid4())

        def insert() -> None:
            with database.unit_of_work() as uow:
                uow.conn.execute(
                    weighings.insert().values(
                        weighing_id=weighing_id,
                        client_weighing_id=client_id,
                        device_id=station.device_id,
                        payload=raw.decode(),
                        server_time=datetime.now(UTC),
                    )
                )
                uow.commit()

        await asyncio.to_thread(insert)
        return {"weighing_id": weighing_id}

    return app


@contextmanager
def serving(database_url: str) -> Iterator[tuple[str, int]]:
    """Run the bare app on `database_url` in its own process; yields its base URL and pid."""
    from bench.records import _free_port, _wait_http

    engine = make_engine(database_url)
    create_tables(engine)
    engine.dispose()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.bare_app", database_url, str(port)],
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    try:
        _wait_http(f"http://127.0.0.1:{port}/docs")
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(10)


def create_tables(engine: sa.Engine) -> None:
    metadata.create_all(engine)
    gwdb.metadata.create_all(engine, tables=[gwdb.device_credentials, gwdb.device_nonces])


if __name__ == "__main__":
    target = sys.argv[1]
    engine = make_engine(target if "://" in target else f"sqlite:///{target}")
    create_tables(engine)
    uvicorn.run(
        make_app(Database(engine)), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning"
    )
