"""The object-storage adapter against a real SeaweedFS: buckets, presigned uploads and
downloads, multipart uploads through presigned part URLs, SHA-256 verification."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import timedelta

import httpx
import pytest

from services.chassis.storage import ObjectStore, Verification

pytestmark = pytest.mark.integration

BUCKET = "chassis-storage-tests"
TEN_MIN = timedelta(minutes=10)
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def store(object_store: ObjectStore) -> ObjectStore:
    object_store.ensure_bucket(BUCKET)
    return object_store


def key() -> str:
    return f"evidence/{uuid.uuid4()}.bin"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload(store: ObjectStore, k: str, data: bytes) -> None:
    """As a phone does it: a plain HTTP PUT to a presigned URL."""
    url = store.presigned_put_url(BUCKET, k, TEN_MIN)
    r = httpx.put(url, content=data, timeout=30)
    assert r.status_code == 200, r.text


def test_ensure_bucket_is_idempotent(object_store: ObjectStore) -> None:
    name = f"t-{uuid.uuid4().hex[:12]}"
    object_store.ensure_bucket(name)
    object_store.ensure_bucket(name)
    assert object_store.client.bucket_exists(name)
    object_store.client.remove_bucket(name)


def test_presigned_put_then_verify_ok(store: ObjectStore) -> None:
    k, data = key(), os.urandom(300_000)
    upload(store, k, data)
    v = store.verify_sha256(BUCKET, k, sha(data), expected_size=len(data))
    assert v == Verification(ok=True, actual_sha256=sha(data), size=len(data), reason="ok")
    info = store.stat(BUCKET, k)
    assert info is not None and info.size == len(data) and info.etag


def test_verify_accepts_an_upper_case_hash(store: ObjectStore) -> None:
    k, data = key(), b"photo bytes"
    store.put_bytes(BUCKET, k, data, "image/jpeg")
    assert store.verify_sha256(BUCKET, k, sha(data).upper()).ok


def test_wrong_declared_hash_is_a_hash_mismatch(store: ObjectStore) -> None:
    k, data = key(), os.urandom(1000)
    upload(store, k, data)
    v = store.verify_sha256(BUCKET, k, sha(b"something else"), expected_size=len(data))
    assert (v.ok, v.reason, v.actual_sha256, v.size) == (False, "hash-mismatch", sha(data), 1000)


def test_wrong_declared_size_is_a_size_mismatch(store: ObjectStore) -> None:
    k, data = key(), os.urandom(1000)
    upload(store, k, data)
    v = store.verify_sha256(BUCKET, k, sha(data), expected_size=999)
    assert (v.ok, v.reason, v.size) == (False, "size-mismatch", 1000)


def test_missing_object(store: ObjectStore) -> None:
    k = key()
    assert store.verify_sha256(BUCKET, k, sha(b"")) == Verification(
        ok=False, actual_sha256=None, size=None, reason="missing"
    )
    assert store.stat(BUCKET, k) is None
    assert store.verify_sha256(f"no-such-{uuid.uuid4().hex[:8]}", k, sha(b"")).reason == "missing"


def test_presigned_get_returns_the_bytes(store: ObjectStore) -> None:
    k, data = key(), os.urandom(2 * MiB + 17)
    store.put_bytes(BUCKET, k, data, "video/mp4")
    r = httpx.get(store.presigned_get_url(BUCKET, k, TEN_MIN), timeout=30)
    assert r.status_code == 200
    assert r.content == data


def test_delete(store: ObjectStore) -> None:
    k = key()
    store.put_bytes(BUCKET, k, b"x", "text/plain")
    store.delete(BUCKET, k)
    assert store.stat(BUCKET, k) is None


def test_multipart_upload_through_presigned_part_urls(store: ObjectStore) -> None:
    k = key()
    parts_data = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1 * MiB + 3)]
    whole = b"".join(parts_data)
    upload_id = store.start_multipart(BUCKET, k, "video/mp4")
    parts = []
    with httpx.Client(timeout=60) as http:
        # Out of order, as parallel uploads from a phone may finish.
        for number in (2, 1, 3):
            url = store.presigned_part_url(BUCKET, k, upload_id, number, TEN_MIN)
            r = http.put(url, content=parts_data[number - 1])
            assert r.status_code == 200, r.text
            parts.append((number, r.headers["ETag"]))
    store.complete_multipart(BUCKET, k, upload_id, parts)

    v = store.verify_sha256(BUCKET, k, sha(whole), expected_size=len(whole))
    assert v.ok, v
    assert v.size == 11 * MiB + 3


def test_aborted_multipart_upload_leaves_no_object(store: ObjectStore) -> None:
    k = key()
    upload_id = store.start_multipart(BUCKET, k, "video/mp4")
    url = store.presigned_part_url(BUCKET, k, upload_id, 1, TEN_MIN)
    assert httpx.put(url, content=os.urandom(5 * MiB), timeout=60).status_code == 200
    store.abort_multipart(BUCKET, k, upload_id)
    assert store.stat(BUCKET, k) is None


def test_bytes_overwritten_after_verification_fail_the_next_verification(
    store: ObjectStore,
) -> None:
    k, data = key(), os.urandom(4096)
    upload(store, k, data)
    assert store.verify_sha256(BUCKET, k, sha(data), len(data)).ok

    tampered = bytearray(data)
    tampered[100] ^= 0xFF
    upload(store, k, bytes(tampered))  # the presigned URL is still valid: same length, new bytes

    v = store.verify_sha256(BUCKET, k, sha(data), len(data))
    assert (v.ok, v.reason, v.actual_sha256) == (False, "hash-mismatch", sha(bytes(tampered)))
