"""Signed tree heads of the record's Merkle log (RFC 6962 STH, Ed25519).

The signed bytes are a fixed text form, so a verifier in any language can rebuild them:
`enforcement-records-log-v1\\n<tree_size>\\n<root hex>\\n<timestamp ms>\\n`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CONTEXT = "enforcement-records-log-v1"


@dataclass(frozen=True)
class TreeHead:
    tree_size: int
    root_hash: str  # hex
    timestamp_ms: int
    signature: str  # base64
    key_id: str  # hex SHA-256 of the raw public key


def signed_bytes(tree_size: int, root_hash: str, timestamp_ms: int) -> bytes:
    return f"{CONTEXT}\n{tree_size}\n{root_hash}\n{timestamp_ms}\n".encode()


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


class TreeHeadSigner:
    """Signs tree heads with the log's Ed25519 key (a 32-byte seed, base64 in settings)."""

    def __init__(self, seed_b64: str) -> None:
        try:
            seed = base64.b64decode(seed_b64, validate=True)
        except ValueError as exc:
            raise ValueError("the log signing key must be base64") from exc
        if len(seed) != 32:
            raise ValueError("the log signing key must be a 32-byte Ed25519 seed")
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id(self.public_raw)

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(self.public_raw).decode()

    def sign(self, tree_size: int, root_hash: str, timestamp_ms: int) -> TreeHead:
        signature = self._key.sign(signed_bytes(tree_size, root_hash, timestamp_ms))
        return TreeHead(
            tree_size, root_hash, timestamp_ms, base64.b64encode(signature).decode(), self.key_id
        )


def new_seed_b64() -> str:
    key = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return base64.b64encode(raw).decode()


def verify_tree_head(head: TreeHead, public_key_b64: str) -> bool:
    """True when `head` was signed by the holder of `public_key_b64`."""
    try:
        public_raw = base64.b64decode(public_key_b64, validate=True)
        public = Ed25519PublicKey.from_public_bytes(public_raw)
        public.verify(
            base64.b64decode(head.signature, validate=True),
            signed_bytes(head.tree_size, head.root_hash, head.timestamp_ms),
        )
    except (ValueError, InvalidSignature):
        return False
    return head.key_id == key_id(public_raw)
