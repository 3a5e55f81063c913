"""Baselines for the benchmarks through the gateway, as bare FastAPI endpoints.

`python -m bench.bare_app DB_PATH PORT`. Same engine settings as the services (WAL, BEGIN
IMMEDIATE).

- `POST /v1/cases/{id}/entries` inserts the same row as a records append; no auth, no gRPC,
  no hashing.
- `POST /v1/gas/device-events` only checks the device's signature, as the gateway does (the
  secret looked up and the nonce stored in this database), and counts the events; no schema,
  no gRPC, nothing stored.
"""

from __future__ import annotations

import json
import sys
import uuid
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

    return app


def create_tables(engine: sa.Engine) -> None:
    metadata.create_all(engine)
    gwdb.metadata.create_all(engine, tables=[gwdb.device_credentials, gwdb.device_nonces])


if __name__ == "__main__":
    engine = make_engine(f"sqlite:///{sys.argv[1]}")
    create_tables(engine)
    uvicorn.run(
        make_app(Database(engine)), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning"
    )
