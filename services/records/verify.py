"""Verify the full-process record: hash chains, Merkle proofs, signed tree heads, evidence.

Library: `verify(database, store, bucket, public_key_b64, case_ids=None)` returns a Report.
Command: `python -m services.records.verify [--case ID ...] [--witness FILE] [--json]
[--var VAR]` reads RECORDS_ settings (or the embedded stack's, VAR/records.env) and exits 1 when
anything does not match what was written, 2 when its settings are missing or wrong (no verdict).

What is checked, per entry: its bytes against its own hash, its link to the entry before it
in its case, its leaf against the leaf stored in the log, and its inclusion in the tree whose
head the log key signed; per tree head kept: its signature and its consistency with the
current one; per evidence object: its SHA-256 and size in object storage.

Heads the log stored itself prove nothing against someone who holds both the database and the
signing key: they could rewrite history and sign it again. Heads kept elsewhere close that
gap: anyone may fetch `GET /v1/public/log/tree-head` and keep what it says; `--witness FILE`
(a JSON list of such heads, or one per line) checks that the stored log still reproduces
each of them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from services.chassis.db import Database, as_utc
from services.chassis.storage import ObjectStore
from services.records import db
from services.records.domain import merkle
from services.records.domain.entries import Entry, canonical_bytes, check_chain
from services.records.domain.treehead import TreeHead, verify_tree_head


@dataclass(frozen=True)
class Problem:
    case_id: str
    entry_id: str
    seq: int
    what: str


@dataclass
class Report:
    tree_size: int = 0
    cases: int = 0
    entries: int = 0
    evidence_objects: int = 0
    tree_heads: int = 0
    witnessed: int = 0
    queued: int = 0  # written, not yet sequenced into the log (checked by their chain only)
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _subtree_roots(leaves: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every node of the tree over `leaves`, keyed by (start, size): one pass for all proofs."""
    nodes: dict[tuple[int, int], bytes] = {}

    def build(lo: int, n: int) -> bytes:
        if n == 1:
            nodes[(lo, 1)] = leaves[lo]
            return leaves[lo]
        k = 1 << ((n - 1).bit_length() - 1)
        node = merkle.node_hash(build(lo, k), build(lo + k, n - k))
        nodes[(lo, n)] = node
        return node

    if leaves:
        build(0, len(leaves))
    return nodes


def _path(nodes: dict[tuple[int, int], bytes], index: int, n: int) -> list[bytes]:
    """RFC 6962 PATH(index, D[0:n]) read from precomputed nodes."""
    path: list[bytes] = []
    lo = 0
    while n > 1:
        k = 1 << ((n - 1).bit_length() - 1)
        if index - lo < k:
            path.append(nodes[(lo + k, n - k)])
            n = k
        else:
            path.append(nodes[(lo, k)])
            lo, n = lo + k, n - k
    path.reverse()
    return path


def verify(
    database: Database,
    store: ObjectStore | None,
    bucket: str,
    public_key_b64: str,
    case_ids: Iterable[str] | None = None,
    head: TreeHead | None = None,
    witnessed: Iterable[TreeHead] = (),
) -> Report:
    """Check the given cases (all when None) against the latest signed tree head, and the
    log against `witnessed` heads that were kept outside it."""
    started = time.perf_counter()
    report = Report()
    with database.read() as conn:
        head = head or db.latest_tree_head(conn)
        heads = db.all_tree_heads(conn)
        ids = list(dict.fromkeys(case_ids)) if case_ids is not None else db.all_case_ids(conn)
        size = head.tree_size if head else 0
        leaves = _leaf_hashes(conn, size)
        report.tree_size, report.cases, report.tree_heads = size, len(ids), len(heads)
        leaves_root = merkle.root(leaves)
        if head is None:
            report.problems.append(
                Problem("", "", 0, "no signed tree head; the log was never signed")
            )
        elif len(leaves) < size:
            report.problems.append(
                Problem(
                    "", "", 0,
                    f"the log holds {len(leaves)} leaves but its signed head has size {size}: "
                    "entries were removed",
                )
            )  # fmt: skip
        else:
            _check_heads(report, head, heads, leaves, leaves_root, public_key_b64)
        _check_witnessed(report, list(witnessed), leaves, public_key_b64)
        root = bytes.fromhex(head.root_hash) if head else b""
        # When the stored leaves hash to the signed root, an entry whose leaf is the stored one
        # is included in the signed tree: no audit path per entry needed. Otherwise every
        # entry's path is checked, to point at the entries the signed tree does not hold.
        nodes = (
            None
            # with leaves missing no path can be built; the log's problem is reported above
            if head is not None and (leaves_root == root or len(leaves) < size)
            else _subtree_roots(leaves)
        )
        blob_of = _Canonical(conn.dialect)
        for case_id, rows in _case_rows(conn, ids, case_ids is None):
            blobs = [blob_of(r) for r in rows]
            for brk in check_chain(rows, blobs):
                report.problems.append(Problem(case_id, brk.entry_id, brk.seq, brk.problem))
            for row, blob in zip(rows, blobs, strict=True):
                report.entries += 1
                report.queued += row.leaf_index is None
                _check_leaf(report, row, blob, leaves, nodes, size, root)
                if store is not None and blob:  # unreadable rows were reported above
                    _check_evidence(report, store, bucket, _entry(row, blob_of.datetime))
    report.seconds = time.perf_counter() - started
    return report


# What the verifier reads of an entry; the times as stored (SQLite: text), see _Canonical.
_E = db.entries.c
_COLUMNS = (
    _E.entry_id, _E.case_id, _E.seq, _E.leaf_index, _E.kind, _E.client_entry_id, _E.actor_id,
    sa.type_coerce(_E.device_time, sa.String).label("device_time"),
    sa.type_coerce(_E.server_time, sa.String).label("server_time"),
    _E.location, _E.payload, _E.evidence, _E.corrects_entry_id, _E.prev_hash, _E.format,
    _E.entry_hash,
)  # fmt: skip


def _leaf_hashes(conn: sa.Connection, size: int) -> list[bytes]:
    hexes = conn.execute(
        sa.select(_E.leaf_hash).where(_E.leaf_index < size).order_by(_E.leaf_index)
    ).scalars()
    raw = bytes.fromhex("".join(hexes))  # one conversion, then 32-byte slices
    return [raw[i : i + 32] for i in range(0, len(raw), 32)]


def _case_rows(
    conn: sa.Connection, ids: list[str], every_case: bool
) -> Iterator[tuple[str, list[Any]]]:
    """Each case's entries in seq order, `ids`' order; all cases in one streamed query."""
    if not every_case:
        for case_id in ids:
            yield (
                case_id,
                conn.execute(
                    sa.select(*_COLUMNS).where(_E.case_id == case_id).order_by(_E.seq)
                ).all(),
            )
        return
    rows = conn.execution_options(yield_per=2000).execute(
        sa.select(*_COLUMNS)
        .where(_E.case_id.in_(sa.select(db.cases.c.case_id)))
        .order_by(_E.case_id, _E.seq)
    )
    by_case = {case_id: list(group) for case_id, group in groupby(rows, key=itemgetter(1))}
    for case_id in ids:  # cases without entries too, in the order they were asked for
        yield case_id, by_case.pop(case_id, [])


# A stored time as SQLite keeps it (SQLAlchemy's format, UTC) and as the canonical JSON has it.
_SQLITE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
_STRING = json.encoder.encode_basestring  # what canonical_json writes for a str
_JSON_VALUE = json.JSONDecoder().decode


class _Canonical:
    """An entry's canonical bytes straight from its stored columns.

    The stored location, payload and evidence are the canonical JSON text the hash was taken
    over, so the bytes are put together from them without parsing and dumping the entry
    again. Each stored text must still be exactly one JSON value: then the bytes parse back
    into the same fields, and bytes that hash to the entry's hash mean columns as written.
    Anything else (bytes that do not match, a time not in the usual form) is rebuilt the
    exact way, `canonical_bytes` of the entry, which decides.
    """

    def __init__(self, dialect: sa.Dialect) -> None:
        impl = sa.DateTime(timezone=True).dialect_impl(dialect)
        self._parse_time = impl.result_processor(dialect, None)

    def datetime(self, value: Any) -> datetime | None:
        if isinstance(value, str) and self._parse_time is not None:
            value = self._parse_time(value)
        return as_utc(value)

    def __call__(self, row: Any) -> bytes:
        try:
            blob = self._spliced(row)
        except (ValueError, TypeError):
            blob = None
        if blob is not None and hashlib.sha256(blob).hexdigest() == row[-1]:  # entry_hash
            return blob
        try:
            return canonical_bytes(_entry(row, self.datetime))
        except (ValueError, TypeError):  # stored text that is not JSON: cannot match its hash
            return b""

    def _spliced(self, row: Any) -> bytes | None:
        (
            entry_id, case_id, seq, leaf_index, kind, client_entry_id, actor_id, device_time,
            server_time, location, payload, evidence, corrects_entry_id, prev_hash, fmt, _,
        ) = row  # fmt: skip
        device, server = _time_text(device_time), _time_text(server_time)
        if device is None or server is None or type(seq) is not int:
            return None
        if fmt == 1:  # the leaf index was hashed with the entry
            if type(leaf_index) is not int:
                return None
            leaf = f'"leaf_index":{leaf_index},'
        elif fmt == 2:  # sequenced later: the tree alone proves the position
            leaf = ""
        else:
            return None
        if location is None:
            location = "null"
        for text in (location, payload, evidence):
            if text != "null" and text != "[]":
                _JSON_VALUE(text)  # exactly one JSON value, or ValueError
        return (
            f'{{"actor_id":{_STRING(actor_id)},"case_id":{_STRING(case_id)},'
            f'"client_entry_id":{_STRING(client_entry_id)},'
            f'"corrects_entry_id":{_STRING(corrects_entry_id)},"device_time":{device},'
            f'"entry_id":{_STRING(entry_id)},"evidence":{evidence},'
            f'"kind":{_STRING(kind)},{leaf}"location":{location},'
            f'"payload":{payload},"prev_hash":{_STRING(prev_hash)},"seq":{seq},'
            f'"server_time":{server},"v":{fmt}}}'
        ).encode()


def _time_text(value: Any) -> str | None:
    """The canonical JSON of a stored time, or None when only the exact way can tell."""
    if value is None:
        return "null"
    if isinstance(value, str):  # SQLite
        if len(value) == 26 and _SQLITE_TIME.fullmatch(value):
            return f'"{value[:10]}T{value[11:]}Z"'
        return None
    if isinstance(value, datetime) and value.tzinfo is not None and value.year >= 1000:
        utc = value.astimezone(UTC).replace(tzinfo=None)
        return f'"{utc.isoformat(timespec="microseconds")}Z"'
    return None


def _entry(row: Any, to_datetime: Any) -> Entry:
    return db.entry_from_row(row, to_datetime)


def _check_heads(
    report: Report,
    head: TreeHead,
    heads: list[TreeHead],
    leaves: list[bytes],
    leaves_root: bytes,
    public_key_b64: str,
) -> None:
    for h in heads:
        if not verify_tree_head(h, public_key_b64):
            report.problems.append(
                Problem("", "", 0, f"tree head of size {h.tree_size} has a bad signature")
            )
    if leaves_root.hex() != head.root_hash:
        report.problems.append(
            Problem(
                "",
                "",
                0,
                f"the stored log does not hash to the signed root of size {head.tree_size}",
            )
        )
    for h in heads:
        if 0 < h.tree_size < head.tree_size:
            proof = merkle.consistency_proof(h.tree_size, leaves[: head.tree_size])
            if not merkle.verify_consistency(
                h.tree_size,
                head.tree_size,
                bytes.fromhex(h.root_hash),
                bytes.fromhex(head.root_hash),
                proof,
            ):
                report.problems.append(
                    Problem(
                        "",
                        "",
                        0,
                        f"tree of size {h.tree_size} is not a prefix of the tree of size "
                        f"{head.tree_size}: history was rewritten",
                    )
                )


def _check_witnessed(
    report: Report, witnessed: list[TreeHead], leaves: list[bytes], public_key_b64: str
) -> None:
    for w in witnessed:
        report.witnessed += 1
        if not verify_tree_head(w, public_key_b64):
            report.problems.append(
                Problem(
                    "", "", 0, f"witnessed head of size {w.tree_size} is not signed by the log key"
                )
            )
        elif w.tree_size > len(leaves):
            report.problems.append(
                Problem(
                    "", "", 0,
                    f"the log holds {len(leaves)} entries but a head of size {w.tree_size} was "
                    "published: entries were removed",
                )
            )  # fmt: skip
        elif merkle.root(leaves[: w.tree_size]).hex() != w.root_hash:
            report.problems.append(
                Problem(
                    "", "", 0,
                    f"the stored log does not reproduce the head of size {w.tree_size} "
                    f"published at {w.timestamp_ms} ms: history was rewritten after it",
                )
            )  # fmt: skip


def load_witnessed(text: str) -> list[TreeHead]:
    """Heads as `GET /v1/public/log/tree-head` gives them: a JSON list or one per line."""
    text = text.strip()
    items = json.loads(text) if text.startswith("[") else [
        json.loads(line) for line in text.splitlines() if line.strip()
    ]  # fmt: skip
    return [
        TreeHead(
            int(h["tree_size"]),
            h["root_hash"],
            int(h["timestamp_ms"]),
            h["signature"],
            h["key_id"],
        )
        for h in items
    ]


def _check_leaf(
    report: Report,
    entry: Any,
    blob: bytes,
    leaves: list[bytes],
    nodes: dict[tuple[int, int], bytes] | None,
    size: int,
    root: bytes,
) -> None:
    """`nodes` is None when the stored leaves hash to the signed root."""
    if entry.leaf_index is None or entry.leaf_index >= size:
        return  # queued or sequenced after the signed head; a later head covers it
    if entry.leaf_index >= len(leaves):  # reported once for the log as a whole
        report.problems.append(
            Problem(entry.case_id, entry.entry_id, entry.seq, "the entry's log leaf is missing")
        )
        return
    leaf = merkle.leaf_hash(blob)
    matches = leaves[entry.leaf_index] == leaf
    if not matches:
        report.problems.append(
            Problem(entry.case_id, entry.entry_id, entry.seq, "entry differs from its log leaf")
        )
    if nodes is None:
        included = matches  # the tree over the stored leaves is the signed one
    else:
        path = _path(nodes, entry.leaf_index, size)
        included = merkle.verify_inclusion(leaf, entry.leaf_index, size, path, root)
    if not included:
        report.problems.append(
            Problem(
                entry.case_id,
                entry.entry_id,
                entry.seq,
                f"entry is not included in the signed tree of size {size}",
            )
        )


def _check_evidence(report: Report, store: ObjectStore, bucket: str, entry: Entry) -> None:
    for ref in entry.evidence:
        report.evidence_objects += 1
        result = store.verify_sha256(bucket, ref.object_key, ref.sha256, ref.size)
        if not result.ok:
            report.problems.append(
                Problem(
                    entry.case_id,
                    entry.entry_id,
                    entry.seq,
                    f"evidence {ref.object_key}: {result.reason}",
                )
            )


EXIT_OK, EXIT_BROKEN, EXIT_CANNOT_VERIFY = 0, 1, 2


class CannotVerify(Exception):
    """The verifier's own settings are missing or wrong: no verdict about the record."""


def settings_from_env_file(path: Path):
    """RECORDS_ settings from a KEY='value' file (what `make run` writes to var/records.env);
    they win over the environment, so `--var` checks exactly that stack."""
    from services.records.config import Settings

    if not path.is_file():
        raise CannotVerify(
            f"{path} not found: `make run` writes it when the embedded stack starts "
            "(or give the RECORDS_ settings in the environment, without --var)"
        )
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("RECORDS_") and not line.lstrip().startswith("#"):
            values[key.removeprefix("RECORDS_").lower()] = value.strip().strip("'")
    return Settings(**values)


def _check_settings(settings, database: Database, signer, store: ObjectStore | None) -> None:
    """Refuse to give a verdict with settings that cannot be the log's own."""
    url = sa.engine.make_url(settings.database_url)
    if url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:"):
        if not Path(url.database).is_file():
            raise CannotVerify(f"no records database at {url.database} (RECORDS_DATABASE_URL)")
    try:
        has_log = sa.inspect(database.engine).has_table(db.tree_heads.name)
    except sa.exc.SQLAlchemyError as exc:
        raise CannotVerify(f"cannot open the records database: {exc.__class__.__name__}") from exc
    if not has_log:
        raise CannotVerify(f"{url.render_as_string()} holds no records log (RECORDS_DATABASE_URL)")
    with database.read() as conn:
        latest = db.latest_tree_head(conn)
    if latest is not None and latest.key_id != signer.key_id:
        raise CannotVerify(
            f"the log is signed with key {latest.key_id}, but RECORDS_LOG_SIGNING_KEY gives key "
            f"{signer.key_id}: these are not the log's settings"
        )
    if store is not None:
        import urllib3
        from minio import Minio

        probe = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            secure=settings.s3_secure,
            region=settings.s3_region,
            http_client=urllib3.PoolManager(timeout=urllib3.Timeout(5, 10), retries=False),
        )
        try:
            found = probe.bucket_exists(settings.evidence_bucket)
        except Exception as exc:
            reason = getattr(exc, "code", None) or exc.__class__.__name__
            raise CannotVerify(
                f"cannot read the evidence store at {settings.s3_endpoint} ({reason}): is it "
                "running (`make run` for the embedded stack)? Check RECORDS_S3_ENDPOINT, "
                "RECORDS_S3_ACCESS_KEY and RECORDS_S3_SECRET_KEY, or skip the files with "
                "--no-evidence"
            ) from exc
        if not found:
            raise CannotVerify(
                f"no bucket {settings.evidence_bucket} at {settings.s3_endpoint}: "
                "check RECORDS_S3_ENDPOINT and RECORDS_EVIDENCE_BUCKET"
            )


def main(argv: list[str] | None = None) -> int:
    """Exit 0: the record is as written; 1: something does not match (BROKEN); 2: the
    verifier could not check (missing or wrong settings), which says nothing of the record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", help="case id (repeatable); default all")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-evidence", action="store_true", help="skip object storage")
    parser.add_argument(
        "--witness",
        type=argparse.FileType(encoding="utf-8"),
        help="tree heads kept outside the log (JSON list or lines) that it must still reproduce",
    )
    parser.add_argument(
        "--var",
        type=Path,
        help="the embedded stack's data directory (`make run`'s var/): read its settings from "
        "VAR/records.env instead of the RECORDS_ environment",
    )
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except CannotVerify as exc:
        print(f"CANNOT VERIFY (no verdict on the record): {exc}", file=sys.stderr)
        return EXIT_CANNOT_VERIFY


def _run(args: argparse.Namespace) -> int:
    from services.records.config import Settings
    from services.records.domain.treehead import TreeHeadSigner
    from services.records.grpc_api import make_stores
    from services.records.transparency import current_tree_head

    if args.var is not None:
        settings = settings_from_env_file(args.var / "records.env")
    else:
        settings = Settings()
    if not settings.log_signing_key.get_secret_value():
        raise CannotVerify(
            "RECORDS_LOG_SIGNING_KEY is not set, so the log's key is unknown. For the embedded "
            "stack run `make verify` (or add --var var); elsewhere give the records service's "
            "RECORDS_ settings (database, S3, log key)"
        )
    database = Database.from_url(settings.database_url)
    try:
        signer = TreeHeadSigner(settings.signing_seed_b64())
        store = None if args.no_evidence else make_stores(settings)[0]
        _check_settings(settings, database, signer, store)
        head = current_tree_head(database, signer)
        witnessed = load_witnessed(args.witness.read()) if args.witness else []
        report = verify(
            database, store, settings.evidence_bucket, signer.public_key_b64, args.case, head,
            witnessed,
        )  # fmt: skip
    finally:
        database.dispose()
    if args.json:
        print(json.dumps({**asdict(report), "ok": report.ok}, ensure_ascii=False, indent=2))
    else:
        print(
            f"tree size {report.tree_size}, {report.cases} cases, {report.entries} entries, "
            f"{report.evidence_objects} evidence objects, {report.tree_heads} tree heads, "
            f"{report.witnessed} witnessed heads checked in {report.seconds:.2f} s"
            + (f" ({report.queued} entries still queued for the log)" if report.queued else "")
        )
        for p in report.problems:
            print(f"BROKEN case {p.case_id} entry {p.entry_id} (seq {p.seq}): {p.what}")
        print("OK: the record is as it was written" if report.ok else "FAILED")
    return EXIT_OK if report.ok else EXIT_BROKEN


if __name__ == "__main__":
    sys.exit(main())
