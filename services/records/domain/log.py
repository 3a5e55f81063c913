"""The append side of the Merkle log: its right edge ("peaks") kept between appends.

The RFC 6962 tree of n leaves splits at the largest power of two below n, so its root is the
perfect subtrees of n's binary digits, largest first, folded from the right. Keeping those
subtree roots makes an append and a new root O(log n) instead of rehashing every leaf.
"""

from __future__ import annotations

import json

from services.records.domain import merkle

Peaks = list[tuple[int, bytes]]  # (height, subtree root), left to right


def append(peaks: Peaks, leaf: bytes) -> Peaks:
    out = [*peaks, (0, leaf)]
    while len(out) >= 2 and out[-1][0] == out[-2][0]:
        (height, left), (_, right) = out[-2], out[-1]
        out[-2:] = [(height + 1, merkle.node_hash(left, right))]
    return out


def root(peaks: Peaks) -> bytes:
    if not peaks:
        return merkle.EMPTY_ROOT
    acc = peaks[-1][1]
    for _, left in reversed(peaks[:-1]):
        acc = merkle.node_hash(left, acc)
    return acc


def dumps(peaks: Peaks) -> str:
    return json.dumps([[h, node.hex()] for h, node in peaks])


def loads(text: str) -> Peaks:
    return [(int(h), bytes.fromhex(node)) for h, node in json.loads(text)]
