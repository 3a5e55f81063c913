"""Records tables and queries."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from services.chassis.db import as_utc
from services.chassis.messaging_tables import define_messaging_tables
from services.records.domain import log
from services.records.domain.cases import Case, Domain, GeoPoint, Officer, Stage
from services.records.domain.entries import GENESIS, Entry, EvidenceRef, canonical_json
from services.records.domain.parties import Party, PartyKind
from services.records.domain.treehead import TreeHead

metadata = sa.MetaData()

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("client_case_id", sa.String(100), nullable=False, unique=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("domain", sa.String(40), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("party", sa.JSON, nullable=False),
    sa.Column("officers", sa.JSON, nullable=False),
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("opened_by", sa.String(64), nullable=False),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("device_time", sa.DateTime(timezone=True), nullable=True),
    sa.Column("location", sa.JSON, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("case_no", sa.String(80), nullable=True, unique=True),
    sa.Column("decision_no", sa.String(80), nullable=True, unique=True),
    sa.Column("entry_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("head_hash", sa.String(64), nullable=False, server_default=GENESIS),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("proposal_id", sa.String(36), nullable=True),
    sa.Column("review_status", sa.String(20), nullable=False, server_default=""),
    sa.Column("source_topic", sa.String(100), nullable=False, server_default=""),
    sa.Column("source_ref", sa.String(100), nullable=False, server_default=""),
    sa.Index("ix_cases_agency_opened", "agency_id", "opened_at", "case_id"),
    sa.Index("ix_cases_source", "source_topic", "source_ref"),
)

case_officers = sa.Table(
    "case_officers",
    metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("officer_id", sa.String(64), primary_key=True),
    sa.Index("ix_case_officers_officer", "officer_id", "case_id"),
)

number_counters = sa.Table(
    "number_counters",
    metadata,
    sa.Column("agency_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(8), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)

entries = sa.Table(
    "entries",
    metadata,
    sa.Column("entry_id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    # None while the entry waits in `log_queue` for the sequencer
    sa.Column("leaf_index", sa.BigInteger, nullable=True, unique=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("client_entry_id", sa.String(100), nullable=False, unique=True),
    sa.Column("actor_id", sa.String(64), nullable=False),
    sa.Column("device_time", sa.DateTime(timezone=True), nullable=True),
    sa.Column("server_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("delay_s", sa.Float, nullable=False),
    # Stored as the canonical JSON text the hash was computed over, byte for byte.
    sa.Column("location", sa.Text, nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("corrects_entry_id", sa.String(36), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
    sa.Column("leaf_hash", sa.String(64), nullable=False),
    sa.Column("format", sa.SmallInteger, nullable=False, server_default="1"),
    sa.UniqueConstraint("case_id", "seq", name="uq_entries_case_seq"),
    sa.Index("ix_entries_actor_time", "actor_id", "server_time"),
)

log_state = sa.Table(
    "log_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("peaks", sa.Text, nullable=False),
)

# Trillian's unsequenced leaves: written with the entry, taken by the sequencer in queue order.
log_queue = sa.Table(
    "log_queue",
    metadata,
    sa.Column(
        "queue_id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("entry_id", sa.String(36), nullable=False, unique=True),
    sa.Column("leaf_hash", sa.String(64), nullable=False),
    sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
)

tree_heads = sa.Table(
    "tree_heads",
    metadata,
    sa.Column("tree_size", sa.BigInteger, primary_key=True),
    sa.Column("root_hash", sa.String(64), nullable=False),
    sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
    sa.Column("signature", sa.String(120), nullable=False),
    sa.Column("key_id", sa.String(64), nullable=False),
)

proposals = sa.Table(
    "proposals",
    metadata,
    sa.Column("proposal_id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("round", sa.Integer, nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("review_status", sa.String(20), nullable=False),
    sa.Column("review", sa.JSON, nullable=True),
    sa.Column("proposed_by", sa.String(64), nullable=False),
    sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("case_id", "round", name="uq_proposals_case_round"),
)

evidence_slots = sa.Table(
    "evidence_slots",
    metadata,
    sa.Column("slot_id", sa.String(36), primary_key=True),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("client_slot_id", sa.String(100), nullable=False, unique=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("media_type", sa.String(100), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("object_key", sa.String(200), nullable=False),
    sa.Column("upload_id", sa.String(300), nullable=True),
    sa.Column("part_size", sa.BigInteger, nullable=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("problem", sa.String(300), nullable=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("entry_id", sa.String(36), nullable=True),
)

outbox, inbox, dead_letter = define_messaging_tables(metadata)


def insert_case(conn: sa.Connection, case: Case) -> None:
    conn.execute(
        cases.insert().values(
            case_id=case.case_id,
            client_case_id=case.client_case_id,
            agency_id=case.agency_id,
            town=case.town,
            domain=case.domain.value,
            title=case.title,
            party={**asdict(case.party), "kind": case.party.kind.value},
            officers=[asdict(o) for o in case.officers],
            stage=case.stage.value,
            opened_by=case.opened_by,
            opened_at=case.opened_at,
            device_time=case.device_time,
            location=asdict(case.location) if case.location else None,
            version=case.version,
            entry_count=0,
            head_hash=GENESIS,
            updated_at=case.opened_at,
            review_status="",
            source_topic=case.source_topic,
            source_ref=case.source_ref,
        )
    )
    conn.execute(
        case_officers.insert(),
        [{"case_id": case.case_id, "officer_id": o.officer_id} for o in case.officers],
    )


def _case_from_row(row: Any) -> Case:
    party = dict(row.party)
    return Case(
        case_id=row.case_id,
        client_case_id=row.client_case_id,
        agency_id=row.agency_id,
        town=row.town,
        domain=Domain(row.domain),
        title=row.title,
        party=Party(**{**party, "kind": PartyKind(party["kind"])}),
        officers=tuple(Officer(**o) for o in row.officers),
        stage=Stage(row.stage),
        opened_by=row.opened_by,
        opened_at=as_utc(row.opened_at),
        device_time=as_utc(row.device_time),
        location=GeoPoint(**row.location) if row.location else None,
        version=row.version,
        case_no=row.case_no,
        decision_no=row.decision_no,
        entry_count=row.entry_count,
        head_hash=row.head_hash,
        updated_at=as_utc(row.updated_at),
        proposal_id=row.proposal_id,
        review_status=row.review_status,
        source_topic=row.source_topic,
        source_ref=row.source_ref,
    )


def get_case(conn: sa.Connection, case_id: str) -> Case | None:
    row = conn.execute(sa.select(cases).where(cases.c.case_id == case_id)).first()
    return _case_from_row(row) if row else None


def get_case_by_client_id(conn: sa.Connection, client_case_id: str) -> Case | None:
    row = conn.execute(sa.select(cases).where(cases.c.client_case_id == client_case_id)).first()
    return _case_from_row(row) if row else None


def get_case_by_source(conn: sa.Connection, source_topic: str, source_ref: str) -> Case | None:
    row = conn.execute(
        sa.select(cases).where(
            cases.c.source_topic == source_topic, cases.c.source_ref == source_ref
        )
    ).first()
    return _case_from_row(row) if row else None


def list_cases(
    conn: sa.Connection,
    *,
    agency_id: str,
    town: str | None,
    limit: int,
    after: tuple[datetime, str] | None,
    officer_id: str | None = None,
    stage: str | None = None,
) -> list[Case]:
    """Newest first, keyset-paginated on (opened_at, case_id)."""
    query = sa.select(cases).where(cases.c.agency_id == agency_id)
    if town:
        query = query.where(cases.c.town == town)
    if officer_id:
        query = query.where(
            cases.c.case_id.in_(
                sa.select(case_officers.c.case_id).where(case_officers.c.officer_id == officer_id)
            )
        )
    if stage:
        query = query.where(cases.c.stage == stage)
    if after is not None:
        opened_at, case_id = after
        query = query.where(
            sa.or_(
                cases.c.opened_at < opened_at,
                sa.and_(cases.c.opened_at == opened_at, cases.c.case_id < case_id),
            )
        )
    query = query.order_by(cases.c.opened_at.desc(), cases.c.case_id.desc()).limit(limit)
    return [_case_from_row(r) for r in conn.execute(query)]


def case_ids_of_officer(conn: sa.Connection, officer_id: str) -> list[str]:
    rows = conn.execute(
        sa.select(case_officers.c.case_id).where(case_officers.c.officer_id == officer_id)
    )
    return [r.case_id for r in rows]


def lock_case(conn: sa.Connection, case_id: str) -> Case | None:
    """Read a case for change; on PostgreSQL its row stays locked until commit."""
    row = conn.execute(sa.select(cases).where(cases.c.case_id == case_id).with_for_update()).first()
    return _case_from_row(row) if row else None


def update_case(conn: sa.Connection, case_id: str, **values: Any) -> None:
    conn.execute(
        cases.update()
        .where(cases.c.case_id == case_id)
        .values(version=cases.c.version + 1, **values)
    )


def next_number(conn: sa.Connection, *, agency_id: str, kind: str, year: int) -> int:
    """The next number of a gap-free series, moved in the caller's transaction."""
    insert = (
        postgresql.insert(number_counters)
        if conn.dialect.name == "postgresql"
        else sqlite.insert(number_counters)
    )
    stmt = (
        insert.values(agency_id=agency_id, kind=kind, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["agency_id", "kind", "year"],
            set_={"last": number_counters.c.last + 1},
        )
        .returning(number_counters.c.last)
    )
    return int(conn.execute(stmt).scalar_one())


# -- entries and the Merkle log --------------------------------------------------------------


def lock_log(conn: sa.Connection) -> tuple[int, str]:
    """The log's size and peaks, locked: the sequencer's batches pass this row one by one."""
    row = conn.execute(
        sa.select(log_state.c.size, log_state.c.peaks).where(log_state.c.id == 1).with_for_update()
    ).one()
    return int(row.size), row.peaks


def save_log(conn: sa.Connection, size: int, peaks: str) -> None:
    conn.execute(log_state.update().where(log_state.c.id == 1).values(size=size, peaks=peaks))


def log_size(conn: sa.Connection) -> tuple[int, str]:
    row = conn.execute(sa.select(log_state.c.size, log_state.c.peaks)).one()
    return int(row.size), row.peaks


def next_leaf(conn: sa.Connection, leaf_hash: str) -> int:
    """Take the log's next leaf index for `leaf_hash` in the caller's transaction and move the
    log's right edge; the caller inserts its entry with that index. For a database with one
    writer (SQLite), where placing the leaf inside the write costs two statements and queueing
    it would cost a queue row plus a transaction and two reads after the commit."""
    size, peaks_text = lock_log(conn)
    peaks = log.append(log.loads(peaks_text), bytes.fromhex(leaf_hash))
    save_log(conn, size + 1, log.dumps(peaks))
    return size


def queue_leaf(conn: sa.Connection, entry_id: str, leaf_hash: str, now: datetime) -> None:
    conn.execute(log_queue.insert().values(entry_id=entry_id, leaf_hash=leaf_hash, queued_at=now))


def queued_leaves(conn: sa.Connection, limit: int) -> list[Any]:
    """The oldest queued leaves: (queue_id, entry_id, leaf_hash), in queue order."""
    c = log_queue.c
    return list(
        conn.execute(
            sa.select(c.queue_id, c.entry_id, c.leaf_hash).order_by(c.queue_id).limit(limit)
        )
    )


def sequence_leaves(conn: sa.Connection, rows: list[Any], first_index: int) -> None:
    """Give the queued `rows` the leaf indexes from `first_index` on and take them off the
    queue; refuses (and the caller rolls back) unless every one was still unsequenced."""
    conn.execute(
        entries.update()
        .where(entries.c.entry_id == sa.bindparam("eid"), entries.c.leaf_index.is_(None))
        .values(leaf_index=sa.bindparam("idx")),
        [{"eid": r.entry_id, "idx": first_index + i} for i, r in enumerate(rows)],
    )
    ids = [r.entry_id for r in rows]
    placed = conn.execute(
        sa.select(sa.func.count())
        .select_from(entries)
        .where(
            entries.c.entry_id.in_(ids),
            entries.c.leaf_index >= first_index,
            entries.c.leaf_index < first_index + len(rows),
        )
    ).scalar_one()
    taken = conn.execute(
        log_queue.delete().where(log_queue.c.queue_id.in_([r.queue_id for r in rows]))
    ).rowcount
    if placed != len(rows) or taken != len(rows):
        raise RuntimeError(
            f"sequencing {len(rows)} leaves from {first_index}: {placed} placed, {taken} taken "
            "off the queue; nothing changed"
        )


def queue_length(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(log_queue)).scalar_one())


def leaf_indexes(conn: sa.Connection, entry_ids: list[str]) -> dict[str, int | None]:
    rows = conn.execute(
        sa.select(entries.c.entry_id, entries.c.leaf_index).where(entries.c.entry_id.in_(entry_ids))
    )
    return {r.entry_id: r.leaf_index for r in rows}


def insert_entry(conn: sa.Connection, entry: Entry, leaf_hash: str) -> None:
    conn.execute(
        entries.insert().values(
            entry_id=entry.entry_id,
            case_id=entry.case_id,
            seq=entry.seq,
            leaf_index=entry.leaf_index,
            kind=entry.kind,
            client_entry_id=entry.client_entry_id,
            actor_id=entry.actor_id,
            device_time=entry.device_time,
            server_time=entry.server_time,
            delay_s=entry.delay_s,
            location=canonical_json(entry.location) if entry.location is not None else None,
            payload=canonical_json(entry.payload),
            evidence=canonical_json([e.as_dict() for e in entry.evidence]),
            corrects_entry_id=entry.corrects_entry_id,
            prev_hash=entry.prev_hash,
            entry_hash=entry.entry_hash,
            leaf_hash=leaf_hash,
            format=entry.v,
        )
    )


def entry_from_row(row: Any, to_datetime: Any = as_utc) -> Entry:
    """An entry from its row; `to_datetime` reads a stored time (the verifier reads them as
    text, to splice them as written)."""
    return Entry(
        entry_id=row.entry_id,
        case_id=row.case_id,
        seq=row.seq,
        leaf_index=row.leaf_index,
        kind=row.kind,
        client_entry_id=row.client_entry_id,
        actor_id=row.actor_id,
        device_time=to_datetime(row.device_time),
        server_time=to_datetime(row.server_time),
        location=json.loads(row.location) if row.location is not None else None,
        payload=json.loads(row.payload),
        evidence=tuple(EvidenceRef(**e) for e in json.loads(row.evidence)),
        corrects_entry_id=row.corrects_entry_id,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
        v=row._mapping["format"],
    )


def case_entries(conn: sa.Connection, case_id: str) -> list[Entry]:
    rows = conn.execute(
        sa.select(entries).where(entries.c.case_id == case_id).order_by(entries.c.seq)
    )
    return [entry_from_row(r) for r in rows]


def get_entry(conn: sa.Connection, entry_id: str) -> Entry | None:
    row = conn.execute(sa.select(entries).where(entries.c.entry_id == entry_id)).first()
    return entry_from_row(row) if row else None


def get_entry_by_client_id(conn: sa.Connection, client_entry_id: str) -> Entry | None:
    row = conn.execute(
        sa.select(entries).where(entries.c.client_entry_id == client_entry_id)
    ).first()
    return entry_from_row(row) if row else None


def stored_leaf_hash(conn: sa.Connection, entry_id: str) -> str | None:
    return conn.execute(
        sa.select(entries.c.leaf_hash).where(entries.c.entry_id == entry_id)
    ).scalar_one_or_none()


def leaf_hashes(conn: sa.Connection, size: int) -> list[bytes]:
    rows = conn.execute(
        sa.select(entries.c.leaf_hash)
        .where(entries.c.leaf_index < size)
        .order_by(entries.c.leaf_index)
    )
    return [bytes.fromhex(r.leaf_hash) for r in rows]


def entries_since(conn: sa.Connection, case_ids: list[str], cursor: int, limit: int) -> list[Entry]:
    if not case_ids:
        return []
    rows = conn.execute(
        sa.select(entries)
        .where(entries.c.case_id.in_(case_ids), entries.c.leaf_index >= cursor)
        .order_by(entries.c.leaf_index)
        .limit(limit)
    )
    return [entry_from_row(r) for r in rows]


def delays_by_actor(
    conn: sa.Connection, case_ids_query: Any, since: datetime | None
) -> list[tuple[str, float]]:
    # Acts from the field only: a reviewer's outcome is not an officer's registration.
    query = sa.select(entries.c.actor_id, entries.c.delay_s).where(
        entries.c.case_id.in_(case_ids_query), entries.c.kind != "review-outcome"
    )
    if since is not None:
        query = query.where(entries.c.server_time >= since)
    return [(r.actor_id, float(r.delay_s)) for r in conn.execute(query)]


def agency_case_ids(agency_id: str, town: str = "") -> Any:
    query = sa.select(cases.c.case_id).where(cases.c.agency_id == agency_id)
    if town:
        query = query.where(cases.c.town == town)
    return query.scalar_subquery()


# -- tree heads ------------------------------------------------------------------------------


def latest_tree_head(conn: sa.Connection) -> TreeHead | None:
    row = conn.execute(
        sa.select(tree_heads).order_by(tree_heads.c.tree_size.desc()).limit(1)
    ).first()
    return _head(row) if row else None


def tree_head_of_size(conn: sa.Connection, size: int) -> TreeHead | None:
    row = conn.execute(sa.select(tree_heads).where(tree_heads.c.tree_size == size)).first()
    return _head(row) if row else None


def _head(row: Any) -> TreeHead:
    return TreeHead(row.tree_size, row.root_hash, row.timestamp_ms, row.signature, row.key_id)


def insert_tree_head(conn: sa.Connection, head: TreeHead) -> None:
    conn.execute(
        tree_heads.insert().values(
            tree_size=head.tree_size,
            root_hash=head.root_hash,
            timestamp_ms=head.timestamp_ms,
            signature=head.signature,
            key_id=head.key_id,
        )
    )


# -- penalty proposals -----------------------------------------------------------------------


def insert_proposal(conn: sa.Connection, **values: Any) -> None:
    conn.execute(proposals.insert().values(**values))


def get_proposal(conn: sa.Connection, proposal_id: str) -> Any:
    return conn.execute(sa.select(proposals).where(proposals.c.proposal_id == proposal_id)).first()


def proposal_rounds(conn: sa.Connection, case_id: str) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(proposals).where(proposals.c.case_id == case_id)
        ).scalar_one()
    )


def set_review(conn: sa.Connection, proposal_id: str, status: str, review: dict) -> None:
    conn.execute(
        proposals.update()
        .where(proposals.c.proposal_id == proposal_id)
        .values(review_status=status, review=review)
    )


# -- evidence slots --------------------------------------------------------------------------


def insert_slot(conn: sa.Connection, **values: Any) -> None:
    conn.execute(evidence_slots.insert().values(**values))


def get_slot(conn: sa.Connection, slot_id: str) -> Any:
    return conn.execute(
        sa.select(evidence_slots).where(evidence_slots.c.slot_id == slot_id)
    ).first()


def get_slot_by_client_id(conn: sa.Connection, client_slot_id: str) -> Any:
    return conn.execute(
        sa.select(evidence_slots).where(evidence_slots.c.client_slot_id == client_slot_id)
    ).first()


def count_pending_slots(conn: sa.Connection, created_by: str, since: datetime) -> int:
    """A user's pending slots asked for (or renewed) after `since`: their URLs still work."""
    c = evidence_slots.c
    return conn.execute(
        sa.select(sa.func.count())
        .select_from(evidence_slots)
        .where(c.created_by == created_by, c.status == "pending", c.created_at > since)
    ).scalar_one()


def stale_pending_slots(conn: sa.Connection, before: datetime, limit: int) -> list[Any]:
    c = evidence_slots.c
    return list(
        conn.execute(
            sa.select(evidence_slots)
            .where(c.status == "pending", c.created_at < before)
            .order_by(c.created_at)
            .limit(limit)
        )
    )


def expire_slot(conn: sa.Connection, slot_id: str) -> None:
    c = evidence_slots.c
    conn.execute(
        evidence_slots.update()
        .where(c.slot_id == slot_id, c.status == "pending")
        .values(status="expired", upload_id=None)
    )


def update_slot(conn: sa.Connection, slot_id: str, **values: Any) -> None:
    conn.execute(
        evidence_slots.update().where(evidence_slots.c.slot_id == slot_id).values(**values)
    )


def evidence_of_case(conn: sa.Connection, case_id: str) -> list[Any]:
    return list(
        conn.execute(
            sa.select(evidence_slots).where(
                evidence_slots.c.case_id == case_id, evidence_slots.c.status == "attached"
            )
        )
    )


def all_tree_heads(conn: sa.Connection) -> list[TreeHead]:
    return [_head(r) for r in conn.execute(sa.select(tree_heads).order_by(tree_heads.c.tree_size))]


def all_case_ids(conn: sa.Connection) -> list[str]:
    return [r.case_id for r in conn.execute(sa.select(cases.c.case_id).order_by(cases.c.case_id))]


# -- inspection tasks ------------------------------------------------------------------------

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("task_id", sa.String(36), primary_key=True),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=False),
    sa.Column("domain", sa.String(40), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("party", sa.JSON, nullable=True),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("source_topic", sa.String(100), nullable=False),
    sa.Column("source_ref", sa.String(100), nullable=False),
    sa.Column("priority", sa.String(10), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("case_id", sa.String(36), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("source_topic", "source_ref", name="uq_tasks_source"),
    sa.Index("ix_tasks_agency_status", "agency_id", "status", "created_at"),
)


def get_task_by_source(conn: sa.Connection, topic: str, ref: str) -> Any:
    return conn.execute(
        sa.select(tasks).where(tasks.c.source_topic == topic, tasks.c.source_ref == ref)
    ).first()


def get_task(conn: sa.Connection, task_id: str, *, for_update: bool = False) -> Any:
    query = sa.select(tasks).where(tasks.c.task_id == task_id)
    return conn.execute(query.with_for_update() if for_update else query).first()


def insert_task(conn: sa.Connection, **values: Any) -> None:
    conn.execute(tasks.insert().values(**values))


def update_task(conn: sa.Connection, task_id: str, **values: Any) -> None:
    conn.execute(tasks.update().where(tasks.c.task_id == task_id).values(**values))


def list_tasks(
    conn: sa.Connection, *, agency_id: str, town: str | None, status: str, limit: int
) -> list[Any]:
    query = sa.select(tasks).where(tasks.c.agency_id == agency_id, tasks.c.status == status)
    if town:
        query = query.where(tasks.c.town == town)
    return list(conn.execute(query.order_by(tasks.c.created_at.desc()).limit(limit)))
