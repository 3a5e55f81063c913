"""The record's Merkle log as the outside sees it: signed tree heads and proofs."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from services.chassis.db import Database
from services.records import db
from services.records.domain import log, merkle
from services.records.domain.entries import Entry
from services.records.domain.treehead import TreeHead, TreeHeadSigner


class ProofUnavailable(LookupError):
    pass


def current_tree_head(database: Database, signer: TreeHeadSigner) -> TreeHead:
    """The signed head of the log as it is now; signed once per size and kept."""
    with database.read() as conn:
        size, peaks = db.log_size(conn)
        head = db.tree_head_of_size(conn, size)
    if head is not None:
        return head
    root = log.root(log.loads(peaks)).hex()
    head = signer.sign(size, root, int(time.time() * 1000))
    try:
        with database.unit_of_work() as uow:
            db.insert_tree_head(uow.conn, head)
            uow.commit()
    except sa.exc.IntegrityError:
        with database.read() as conn:
            stored = db.tree_head_of_size(conn, size)
        assert stored is not None
        return stored
    return head


def _head_for(database: Database, signer: TreeHeadSigner, size: int) -> TreeHead:
    if size == 0:
        return current_tree_head(database, signer)
    with database.read() as conn:
        head = db.tree_head_of_size(conn, size)
    if head is None:
        current = current_tree_head(database, signer)
        if current.tree_size == size:
            return current
        raise ProofUnavailable(f"no signed tree head of size {size}; ask for the current one")
    return head


@dataclass(frozen=True)
class InclusionProof:
    entry: Entry
    leaf_hash: str
    audit_path: list[str]
    tree_head: TreeHead


def inclusion_proof(
    database: Database, signer: TreeHeadSigner, entry_id: str, agency_id: str, tree_size: int = 0
) -> InclusionProof:
    head = _head_for(database, signer, tree_size)
    with database.read() as conn:
        entry = db.get_entry(conn, entry_id)
        case = db.get_case(conn, entry.case_id) if entry is not None else None
        if entry is None or case is None or case.agency_id != agency_id:
            raise LookupError("entry not found")
        if entry.leaf_index >= head.tree_size:
            raise ProofUnavailable(
                f"the entry is at index {entry.leaf_index}, after the tree of size "
                f"{head.tree_size}; ask for a newer tree head"
            )
        leaves = db.leaf_hashes(conn, head.tree_size)
        leaf = db.stored_leaf_hash(conn, entry_id)
    path = merkle.inclusion_proof(entry.leaf_index, leaves)
    return InclusionProof(entry, leaf or "", [p.hex() for p in path], head)


def consistency_proof(
    database: Database, signer: TreeHeadSigner, first: int, second: int = 0
) -> tuple[list[str], TreeHead]:
    head = _head_for(database, signer, second)
    if not 0 < first <= head.tree_size:
        raise ValueError(f"first must be between 1 and {head.tree_size}")
    with database.read() as conn:
        leaves = db.leaf_hashes(conn, head.tree_size)
    return [p.hex() for p in merkle.consistency_proof(first, leaves)], head
