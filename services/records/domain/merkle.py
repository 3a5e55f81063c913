"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification.

Everything here works on leaf hashes (``leaf_hash(entry)``), never on raw entries,
so callers can store the 32-byte hashes and rebuild proofs without the entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256

EMPTY_ROOT: bytes = _sha256(b"").digest()


class MerkleError(ValueError):
    """A proof was requested with arguments that do not fit the tree."""


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry)."""
    return _sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree_root(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(leaves[lo:hi]) without copying the slice and without recursion."""
    if hi <= lo:
        return EMPTY_ROOT
    # Compact-range stack: after appending leaf number c (1-based), merging once per
    # trailing zero bit of c keeps the stack equal to the perfect subtrees of the
    # prefix, largest first, which is exactly how RFC 6962 splits an unbalanced tree.
    stack: list[bytes] = []
    push, pop = stack.append, stack.pop
    for count in range(1, hi - lo + 1):
        h = leaves[lo + count - 1]
        while not count & 1:
            h = _sha256(_NODE_PREFIX + pop() + h).digest()
            count >>= 1
        push(h)
    h = pop()
    while stack:
        h = _sha256(_NODE_PREFIX + pop() + h).digest()
    return h


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH over ``leaves`` (leaf hashes); ``EMPTY_ROOT`` for no leaves."""
    return _subtree_root(leaves, 0, len(leaves))


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) of RFC 6962 section 2.1.1, nearest sibling first."""
    n = len(leaves)
    if not 0 <= index < n:
        raise MerkleError(f"leaf index {index} outside a tree of {n} leaves")
    siblings: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            siblings.append(_subtree_root(leaves, mid, hi))
            hi = mid
        else:
            siblings.append(_subtree_root(leaves, lo, mid))
            lo = mid
    # The walk went root-to-leaf; the proof is read leaf-to-root.
    siblings.reverse()
    return siblings


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(old_size, D[n]) of RFC 6962 section 2.1.2; empty when old_size is 0 or n."""
    n = len(leaves)
    if not 0 <= old_size <= n:
        raise MerkleError(f"old size {old_size} outside 0..{n}")
    if old_size in (0, n):
        return []
    siblings: list[bytes] = []
    lo, hi, m, whole_old_tree = 0, n, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            siblings.append(_subtree_root(leaves, lo + k, hi))
            hi = lo + k
        else:
            siblings.append(_subtree_root(leaves, lo, lo + k))
            lo += k
            m -= k
            whole_old_tree = False
    # SUBPROOF(m, D[m], true) is empty because the verifier already has the old root.
    proof = [] if whole_old_tree else [_subtree_root(leaves, lo, hi)]
    proof.extend(reversed(siblings))
    return proof


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_proof(proof: object) -> bool:
    return isinstance(proof, Sequence) and not isinstance(proof, bytes | bytearray | str)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check that leaf hash ``leaf`` sits at ``index`` of the tree of ``size`` with ``root``."""
    if not (_is_size(index) and _is_size(size) and index < size):
        return False
    if not (_is_hash(leaf) and _is_hash(root) and _is_proof(proof)):
        return False
    if not all(_is_hash(p) for p in proof):
        return False
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _sha256(_NODE_PREFIX + p + r).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(_NODE_PREFIX + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check that the tree of ``new_size`` with ``new_root`` extends the ``old_size`` one."""
    if not (_is_size(old_size) and _is_size(new_size) and old_size <= new_size):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root) and _is_proof(proof)):
        return False
    if not all(_is_hash(p) for p in proof):
        return False
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    if old_size == 0:
        # Every tree extends the empty one; a non-empty proof means the prover is confused.
        return len(proof) == 0
    if len(proof) == 0:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # A power-of-two old tree is a whole subtree of the new one, so its root is not sent.
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = _sha256(_NODE_PREFIX + c + fr).digest()
            sr = _sha256(_NODE_PREFIX + c + sr).digest()
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = _sha256(_NODE_PREFIX + sr + c).digest()
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
