"""The append benchmark's baseline: a bare FastAPI endpoint inserting the same row into SQLite.

`python -m bench.bare_app DB_PATH PORT`. Same engine settings as the services (WAL, BEGIN
IMMEDIATE); no auth, no gRPC, no hashing.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

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

    return app


if __name__ == "__main__":
    engine = make_engine(f"sqlite:///{sys.argv[1]}")
    metadata.create_all(engine)
    uvicorn.run(
        make_app(Database(engine)), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning"
    )
