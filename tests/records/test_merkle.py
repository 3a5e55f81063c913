"""RFC 6962 Merkle tree: published vectors, a naive reference, and tampered proofs."""

from __future__ import annotations

import hashlib

import pytest

from services.records.domain import merkle
from services.records.domain.merkle import (
    EMPTY_ROOT,
    MerkleError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

pytestmark = pytest.mark.unit


def h(hex_digest: str) -> bytes:
    return bytes.fromhex(hex_digest)


# Vectors from google/trillian merkle/testonly/constants.go (LeafInputs, NodeHashes,
# RootHashes), the same data certificate-transparency-go and transparency-dev/merkle test with.
LEAF_INPUTS = [
    h(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
# NodeHashes()[level][index]: every complete subtree of the 8-leaf tree.
NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [
        h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ],
]
# RootHashes()[size] for sizes 0..8.
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# Proof vectors from google/trillian merkle/logverifier/log_verifier_test.go
# (inclusionProofs, consistencyProofs). Trillian numbers leaves from 1 there; the
# indices below are 0-based: (index, tree size, audit path).
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        3,
        [
            h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        ],
    ),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]
# (old size, new size, consistency proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

VECTOR_LEAVES = [leaf_hash(e) for e in LEAF_INPUTS]


# --- Reference: RFC 6962 section 2.1, transcribed literally over raw entries. ---


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(n)
    return _sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


ENTRIES = [b"record-%d" % i for i in range(70)]
ENTRY_LEAVES = [leaf_hash(e) for e in ENTRIES]


# --- Published vectors ---


def test_hash_primitives_match_the_vector_node_hashes():
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == ROOTS[0]
    assert VECTOR_LEAVES == NODE_HASHES[0]
    for level in range(1, len(NODE_HASHES)):
        below = NODE_HASHES[level - 1]
        assert [node_hash(below[2 * i], below[2 * i + 1]) for i in range(len(below) // 2)] == (
            NODE_HASHES[level]
        )


@pytest.mark.parametrize("size", range(9))
def test_root_matches_vector(size):
    assert root(VECTOR_LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION_VECTORS)
def test_inclusion_vector(index, size, expected):
    leaves = VECTOR_LEAVES[:size]
    assert inclusion_proof(index, leaves) == expected
    assert verify_inclusion(VECTOR_LEAVES[index], index, size, expected, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "expected"), CONSISTENCY_VECTORS)
def test_consistency_vector(old, new, expected):
    assert consistency_proof(old, VECTOR_LEAVES[:new]) == expected
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)


# --- Agreement with the naive reference ---


@pytest.mark.parametrize("size", range(1, 71))
def test_agrees_with_rfc_reference(size):
    entries, leaves = ENTRIES[:size], ENTRY_LEAVES[:size]
    tree_root = root(leaves)
    assert tree_root == ref_mth(entries)

    for index in range(size):
        proof = inclusion_proof(index, leaves)
        assert proof == ref_path(index, entries), index
        assert verify_inclusion(leaves[index], index, size, proof, tree_root), index

    assert consistency_proof(0, leaves) == []
    assert verify_consistency(0, size, EMPTY_ROOT, tree_root, [])
    for old in range(1, size + 1):
        proof = consistency_proof(old, leaves)
        assert proof == ref_proof(old, entries), old
        assert verify_consistency(old, size, ref_mth(entries[:old]), tree_root, proof), old


def test_root_accepts_any_sequence():
    assert root(tuple(ENTRY_LEAVES)) == ref_mth(ENTRIES)


# --- Tampering ---


def _flip(proof: list[bytes], i: int) -> list[bytes]:
    wrong = list(proof)
    wrong[i] = bytes([wrong[i][0] ^ 0x08]) + wrong[i][1:]
    return wrong


GARBAGE = hashlib.sha256(b"garbage").digest()


@pytest.mark.parametrize("size", range(1, 34))
def test_corrupted_inclusion_proofs_fail(size):
    leaves = ENTRY_LEAVES[:size]
    tree_root = root(leaves)
    for index in range(size):
        leaf = leaves[index]
        proof = inclusion_proof(index, leaves)
        bad = [
            (leaf, index - 1, size, proof, tree_root),
            (leaf, index + 1, size, proof, tree_root),
            (leaf, index ^ 2, size, proof, tree_root),
            (leaf, index, size * 2, proof, tree_root),
            (leaf, index, size // 2, proof, tree_root),
            (GARBAGE, index, size, proof, tree_root),
            (leaf, index, size, proof, EMPTY_ROOT),
            (leaf, index, size, proof, GARBAGE),
            (leaf, index, size, [*proof, tree_root], tree_root),
            (leaf, index, size, [tree_root, *proof], tree_root),
            (leaf, index, size, [*proof, b""], tree_root),
        ]
        bad += [(leaf, index, size, _flip(proof, i), tree_root) for i in range(len(proof))]
        if proof:
            bad.append((leaf, index, size, proof[:-1], tree_root))
            bad.append((leaf, index, size, proof[1:], tree_root))
        if len(proof) > 1:
            bad.append((leaf, index, size, [proof[0], GARBAGE, *proof[1:]], tree_root))
        for other in range(1, size + 3):
            # Size and root are bound by the signed tree head, not by the proof: a size one
            # off can replay the same path, so wrong sizes are paired with their own roots.
            if other != size:
                bad.append((leaf, index, other, proof, root(ENTRY_LEAVES[:other])))
        for args in bad:
            assert verify_inclusion(*args) is False, (index, size, args[1:3])


@pytest.mark.parametrize("new", range(2, 34))
def test_corrupted_consistency_proofs_fail(new):
    leaves = ENTRY_LEAVES[:new]
    new_root = root(leaves)
    for old in range(1, new):
        old_root = root(leaves[:old])
        proof = consistency_proof(old, leaves)
        assert verify_consistency(old, new, old_root, new_root, proof)
        bad = [
            (old - 1, new, old_root, new_root, proof),
            (old + 1, new, old_root, new_root, proof),
            (old ^ 2, new, old_root, new_root, proof),
            (old, new * 2, old_root, new_root, proof),
            (old, new // 2, old_root, new_root, proof),
            (old, new, GARBAGE, new_root, proof),
            (old, new, old_root, GARBAGE, proof),
            (old, new, new_root, old_root, proof),
            (old, new, old_root, new_root, []),
            (old, new, old_root, new_root, proof[:-1]),
            (old, new, old_root, new_root, [*proof, old_root]),
            (old, new, old_root, new_root, [*proof, new_root]),
            (old, new, old_root, new_root, [old_root, *proof]),
            (old, new, old_root, new_root, [new_root, *proof]),
            (old, new, old_root, new_root, [proof[0], *proof]),
            (old, new, old_root, new_root, [*proof, b""]),
        ]
        bad += [(old, new, old_root, new_root, _flip(proof, i)) for i in range(len(proof))]
        for other in range(1, new):
            # A proof for one old size does not vouch for another old tree.
            if other != old:
                bad.append((other, new, root(leaves[:other]), new_root, proof))
        for other in range(old + 1, new + 3):
            if other != new:
                bad.append((old, other, old_root, root(ENTRY_LEAVES[:other]), proof))
        for args in bad:
            assert verify_consistency(*args) is False, (old, new, args[:2])


@pytest.mark.parametrize(("old", "new"), [(1, 2), (3, 7), (4, 8), (5, 13), (16, 33), (21, 64)])
def test_rewritten_old_leaf_breaks_consistency(old, new):
    honest = ENTRY_LEAVES[:new]
    for rewritten in range(old):
        forged = list(honest)
        forged[rewritten] = leaf_hash(b"rewritten " + ENTRIES[rewritten])
        seen_root = root(honest[:old])
        forged_root = root(forged)
        forged_proof = consistency_proof(old, forged)
        # The log rewrote history after a client saw seen_root: no proof it can build links them.
        assert not verify_consistency(old, new, seen_root, forged_root, forged_proof)
        assert not verify_consistency(
            old, new, seen_root, forged_root, consistency_proof(old, honest)
        )
        # Nor does the honest proof vouch for the forged history.
        assert not verify_consistency(
            old, new, root(forged[:old]), root(honest), consistency_proof(old, honest)
        )
        # The forged leaf cannot be shown to be in the honest tree.
        assert not verify_inclusion(
            forged[rewritten], rewritten, new, inclusion_proof(rewritten, forged), root(honest)
        )


# --- Edge cases and malformed input ---


def test_consistency_edge_cases():
    a, b = ROOTS[3], ROOTS[5]
    assert verify_consistency(0, 0, a, a, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, b, [])
    assert verify_consistency(0, 5, a, b, [])  # anything extends the empty tree
    assert verify_consistency(5, 5, b, b, [])
    assert not verify_consistency(0, 0, a, b, [])
    assert not verify_consistency(5, 5, a, b, [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, b, [EMPTY_ROOT])
    assert not verify_consistency(5, 5, b, b, [EMPTY_ROOT])
    assert not verify_consistency(0, 0, a, a, [EMPTY_ROOT])
    assert not verify_consistency(5, 3, b, a, [])
    assert not verify_consistency(3, 5, a, b, [])


def test_single_leaf_inclusion():
    assert verify_inclusion(ROOTS[1], 0, 1, [], ROOTS[1])
    assert not verify_inclusion(ROOTS[1], 0, 1, [], ROOTS[2])
    assert not verify_inclusion(ROOTS[1], 0, 1, [ROOTS[1]], ROOTS[1])
    assert not verify_inclusion(ROOTS[1], 0, 0, [], ROOTS[1])
    assert not verify_inclusion(ROOTS[1], 1, 1, [], ROOTS[1])


def test_path_longer_than_the_tree_is_rejected():
    # Without RFC 9162's "sn is 0" stop, any leaf could claim to be a 1-leaf tree whose
    # root is really a larger tree, by appending the remaining audit path.
    for size in range(2, 20):
        leaves = ENTRY_LEAVES[:size]
        tree_root = root(leaves)
        for index in range(size):
            proof = inclusion_proof(index, leaves)
            for k in range(len(proof)):
                # Claim the leaf sits in a smaller perfect subtree and keep the rest as padding.
                small = 1 << k
                assert not verify_inclusion(
                    leaves[index], index % small, small, proof, tree_root
                ), (size, index, k)


GOOD_LEAF, GOOD_PROOF, GOOD_ROOT = VECTOR_LEAVES[5], INCLUSION_VECTORS[2][2], ROOTS[8]


@pytest.mark.parametrize(
    "args",
    [
        (GOOD_LEAF, -1, 8, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF, 5, -8, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF, 8, 8, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF, 5.0, 8, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF, 5, "8", GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF, True, 8, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF, None, None, GOOD_PROOF, GOOD_ROOT),
        (None, 5, 8, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF.hex(), 5, 8, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF[:31], 5, 8, GOOD_PROOF, GOOD_ROOT),
        (GOOD_LEAF, 5, 8, GOOD_PROOF, None),
        (GOOD_LEAF, 5, 8, GOOD_PROOF, GOOD_ROOT + b"\x00"),
        (GOOD_LEAF, 5, 8, None, GOOD_ROOT),
        (GOOD_LEAF, 5, 8, b"".join(GOOD_PROOF), GOOD_ROOT),
        (GOOD_LEAF, 5, 8, [*GOOD_PROOF[:2], None], GOOD_ROOT),
        (GOOD_LEAF, 5, 8, [p.hex() for p in GOOD_PROOF], GOOD_ROOT),
        (GOOD_LEAF, 5, 8, [*GOOD_PROOF[:2], GOOD_PROOF[2][:16]], GOOD_ROOT),
        (GOOD_LEAF, 5, 2**70, GOOD_PROOF, GOOD_ROOT),
    ],
)
def test_malformed_inclusion_is_false_not_an_error(args):
    assert verify_inclusion(*args) is False


def test_inclusion_accepts_bytearray_and_tuple():
    assert verify_inclusion(
        bytearray(GOOD_LEAF), 5, 8, tuple(bytearray(p) for p in GOOD_PROOF), bytearray(GOOD_ROOT)
    )


C_OLD, C_NEW, C_PROOF = CONSISTENCY_VECTORS[2]


@pytest.mark.parametrize(
    "args",
    [
        (-1, 8, ROOTS[6], ROOTS[8], C_PROOF),
        (6, -8, ROOTS[6], ROOTS[8], C_PROOF),
        (9, 8, ROOTS[6], ROOTS[8], C_PROOF),
        (6.0, 8, ROOTS[6], ROOTS[8], C_PROOF),
        (6, "8", ROOTS[6], ROOTS[8], C_PROOF),
        (None, 8, ROOTS[6], ROOTS[8], C_PROOF),
        (6, 8, None, ROOTS[8], C_PROOF),
        (6, 8, ROOTS[6], ROOTS[8][:-1], C_PROOF),
        (6, 8, ROOTS[6].hex(), ROOTS[8], C_PROOF),
        (6, 8, ROOTS[6], ROOTS[8], None),
        (6, 8, ROOTS[6], ROOTS[8], b"".join(C_PROOF)),
        (6, 8, ROOTS[6], ROOTS[8], [None, *C_PROOF[1:]]),
        (6, 8, ROOTS[6], ROOTS[8], [*C_PROOF[:2], 7]),
        (6, 2**70, ROOTS[6], ROOTS[8], C_PROOF),
        (0, 0, None, None, []),
        (0, 8, b"", ROOTS[8], []),
    ],
)
def test_malformed_consistency_is_false_not_an_error(args):
    assert verify_consistency(*args) is False


def test_builders_reject_bad_arguments():
    assert issubclass(MerkleError, ValueError)
    with pytest.raises(MerkleError):
        inclusion_proof(0, [])
    with pytest.raises(MerkleError):
        inclusion_proof(-1, VECTOR_LEAVES)
    with pytest.raises(MerkleError):
        inclusion_proof(8, VECTOR_LEAVES)
    with pytest.raises(MerkleError):
        consistency_proof(-1, VECTOR_LEAVES)
    with pytest.raises(MerkleError):
        consistency_proof(9, VECTOR_LEAVES)
    assert consistency_proof(0, []) == []
    assert consistency_proof(8, VECTOR_LEAVES) == []
    assert root([]) == EMPTY_ROOT


# --- Scale ---


def test_proofs_over_a_hundred_thousand_leaves(monkeypatch):
    n = 100_003
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    tree_root = root(leaves)
    hashed = 0
    real = merkle._sha256

    def counting(data: bytes = b""):
        nonlocal hashed
        hashed += 1
        return real(data)

    monkeypatch.setattr(merkle, "_sha256", counting)
    proofs = {i: inclusion_proof(i, leaves) for i in (0, 65_535, 65_536, n - 1)}
    consistency = {m: consistency_proof(m, leaves) for m in (1, 65_536, 99_999)}
    monkeypatch.undo()
    # Seven proofs, each one pass over the tree (fewer than n node hashes): counting the work
    # instead of timing it catches an O(n log n) proof on any machine, loaded or not.
    assert n < hashed < 7 * n, hashed
    for i, proof in proofs.items():
        assert verify_inclusion(leaves[i], i, n, proof, tree_root)
    for m, proof in consistency.items():
        assert verify_consistency(m, n, root(leaves[:m]), tree_root, proof)
