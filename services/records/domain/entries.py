"""Entries of the full-process record: append-only, hash-chained per case.

An entry's canonical bytes are the sorted-key, compact JSON of every field it stores; its
hash is SHA-256 of them. Each entry names the hash of the one before it in its case, so a
changed, removed or reordered entry breaks the chain from that point on. The same bytes are
the leaf of the agency-wide Merkle log (see merkle.py), whose signed tree heads pin the
whole history.

Format 2 (entries written since the log's sequencer) leaves the leaf index out of the bytes:
an entry is sealed and chained when it is written, and gets its place in the log when the
sequencer takes it from the queue; its position is proven by the Merkle tree itself, as in
Trillian. Format 1 entries (written before) carry their leaf index in their bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64  # prev_hash of a case's first entry
FORMAT = 2  # of entries written now; see the module's docstring

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class EntryKind(StrEnum):
    """What an act of the record is."""

    opened = "opened"  # 启动: the case was opened
    transition = "transition"  # the case moved to another stage
    note = "note"
    step = "step"  # an on-site act: inspection, sampling, seal-up, service, ...
    document = "document"  # 文书: notices, forms, receipts (送达回证)
    evidence = "evidence"  # photo, audio, video, body-camera, verified by SHA-256
    signature = "signature"
    statement = "statement"  # the party's statement and defence (陈述申辩)
    hearing_request = "hearing-request"  # 听证申请
    proposal = "proposal"  # penalty proposal
    review_outcome = "review-outcome"  # legal review (法制审核) result
    decision = "decision"  # 处罚决定
    revocation = "revocation"  # 撤销
    correction = "correction"  # corrects an earlier entry, which stays as it was
    deadline_recomputed = "deadline-recomputed"  # a deadline recounted on the official calendar


# Kinds a phone may append directly; the others come from their own commands.
CLIENT_KINDS = frozenset(
    {
        EntryKind.note,
        EntryKind.step,
        EntryKind.document,
        EntryKind.signature,
        EntryKind.statement,
        EntryKind.hearing_request,
        EntryKind.correction,
    }
)

MAX_PAYLOAD_BYTES = 64 * 1024


class InvalidEntry(ValueError):
    pass


class RecordClosed(ValueError):
    """The case is archived: its record takes no more entries."""


@dataclass(frozen=True)
class EvidenceRef:
    sha256: str
    size: int
    media_type: str
    object_key: str
    filename: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
            "object_key": self.object_key,
            "filename": self.filename,
        }


@dataclass(frozen=True)
class Entry:
    entry_id: str
    case_id: str
    seq: int
    leaf_index: int | None  # None while the entry waits in the log's queue
    kind: str
    client_entry_id: str
    actor_id: str
    device_time: datetime | None
    server_time: datetime
    location: dict[str, float] | None
    payload: dict[str, Any]
    evidence: tuple[EvidenceRef, ...] = ()
    corrects_entry_id: str = ""
    prev_hash: str = GENESIS
    entry_hash: str = field(default="", compare=False)
    v: int = FORMAT

    @property
    def queued(self) -> bool:
        """Written, but not yet given its place in the log by the sequencer."""
        return self.leaf_index is None

    @property
    def delay_s(self) -> float:
        """How late the act reached the server (an offline phone syncs later)."""
        if self.device_time is None:
            return 0.0
        return max(0.0, (self.server_time - self.device_time).total_seconds())


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_bytes(entry: Entry) -> bytes:
    """The bytes that the entry hash and the Merkle leaf are computed over."""
    body = {
        "v": entry.v,
        "entry_id": entry.entry_id,
        "case_id": entry.case_id,
        "seq": entry.seq,
        "kind": entry.kind,
        "client_entry_id": entry.client_entry_id,
        "actor_id": entry.actor_id,
        "device_time": _time(entry.device_time),
        "server_time": _time(entry.server_time),
        "location": entry.location,
        "payload": entry.payload,
        "evidence": [e.as_dict() for e in entry.evidence],
        "corrects_entry_id": entry.corrects_entry_id,
        "prev_hash": entry.prev_hash,
    }
    if entry.v == 1:
        body["leaf_index"] = entry.leaf_index
    elif entry.v != FORMAT:
        raise ValueError(f"unknown entry format {entry.v}")
    return canonical_json(body).encode()


def entry_hash(entry: Entry) -> str:
    return hashlib.sha256(canonical_bytes(entry)).hexdigest()


def seal(entry: Entry) -> Entry:
    """The entry with its hash filled in."""
    return replace(entry, entry_hash=entry_hash(entry))


def validate_payload(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidEntry("payload must be a JSON object")
    if len(canonical_json(payload).encode()) > MAX_PAYLOAD_BYTES:
        raise InvalidEntry(f"payload is larger than {MAX_PAYLOAD_BYTES} bytes")
    return payload


@dataclass(frozen=True)
class ChainBreak:
    """Where a case's record stops being what was written."""

    entry_id: str
    seq: int
    problem: str


def check_chain(entries: list[Entry], blobs: list[bytes] | None = None) -> list[ChainBreak]:
    """Every entry's hash, seq and link to the one before; [] when the chain is intact.

    `blobs` are the entries' canonical bytes when the caller already has them.
    """
    breaks: list[ChainBreak] = []
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq:
            breaks.append(
                ChainBreak(entry.entry_id, entry.seq, f"seq {entry.seq}, expected {expected_seq}")
            )
        blob = blobs[expected_seq - 1] if blobs is not None else canonical_bytes(entry)
        actual = hashlib.sha256(blob).hexdigest()
        if actual != entry.entry_hash:
            breaks.append(
                ChainBreak(
                    entry.entry_id,
                    entry.seq,
                    f"content does not match its hash (stored {entry.entry_hash[:12]}..., "
                    f"computed {actual[:12]}...)",
                )
            )
        if entry.prev_hash != prev:
            breaks.append(
                ChainBreak(entry.entry_id, entry.seq, "does not link to the entry before it")
            )
        prev = entry.entry_hash
    return breaks


# Keys under which an entry names a natural person other than the party: a witness to a
# seal-up or a service left at the premises (留置送达), a person interviewed (询问笔录), an
# agent. Each holds a name, a list of names, or objects with a "name".
PERSON_KEYS = frozenset(
    {"persons", "witnesses", "witness", "interviewee", "interviewees", "agent", "signer_name"}
)


def named_persons(payloads: list[dict[str, Any]]) -> list[str]:
    """The natural persons a case's entries name, in order of appearance, each once.

    Disclosure replaces them exactly wherever they appear in published text (个人信息保护法
    Art. 4; names of persons other than the party are not published).
    """
    found: list[str] = []

    def take(value: Any) -> None:
        if isinstance(value, str):
            name = value.strip()
            if 2 <= len(name) <= 40 and name not in found:
                found.append(name)
        elif isinstance(value, list):
            for item in value:
                take(item)
        elif isinstance(value, dict):
            take(value.get("name"))

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in PERSON_KEYS:
                    take(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for payload in payloads:
        walk(payload)
    return found
