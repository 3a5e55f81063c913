"""Object storage over the S3 API (minio SDK): buckets, presigned URLs, hash verification.

Evidence is addressed by its SHA-256: phones upload straight to S3 with a presigned URL and
the service then streams the stored bytes to check them against the declared hash.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from minio import Minio
from minio.datatypes import Part
from minio.error import S3Error

CHUNK = 1024 * 1024
_MISSING = {"NoSuchKey", "NoSuchObject", "NoSuchBucket"}


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str
    content_type: str | None


@dataclass(frozen=True)
class Verification:
    ok: bool
    reason: Literal["ok", "missing", "size-mismatch", "hash-mismatch"]
    actual_sha256: str | None
    size: int | None


class ObjectStore:
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
    ) -> None:
        # A fixed region spares the SDK a location lookup before every presign.
        self.client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )

    def ensure_bucket(self, name: str) -> None:
        if self.client.bucket_exists(name):
            return
        try:
            self.client.make_bucket(name)
        except S3Error as exc:
            if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    def presigned_put_url(self, bucket: str, key: str, expires: timedelta) -> str:
        return self.client.presigned_put_object(bucket, key, expires=expires)

    def presigned_get_url(self, bucket: str, key: str, expires: timedelta) -> str:
        return self.client.presigned_get_object(bucket, key, expires=expires)

    # Multipart uploads for large videos. The SDK keeps create/complete/abort private; they
    # are wrapped here only, so an SDK change touches one place.
    def start_multipart(self, bucket: str, key: str, content_type: str) -> str:
        return self.client._create_multipart_upload(bucket, key, {"Content-Type": content_type})

    def presigned_part_url(
        self, bucket: str, key: str, upload_id: str, part_number: int, expires: timedelta
    ) -> str:
        return self.client.get_presigned_url(
            "PUT",
            bucket,
            key,
            expires=expires,
            extra_query_params={"uploadId": upload_id, "partNumber": str(part_number)},
        )

    def complete_multipart(
        self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> None:
        self.client._complete_multipart_upload(
            bucket, key, upload_id, [Part(number, etag) for number, etag in sorted(parts)]
        )

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        self.client._abort_multipart_upload(bucket, key, upload_id)

    def put_bytes(
        self, bucket: str, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        self.client.put_object(bucket, key, io.BytesIO(data), len(data), content_type=content_type)

    def stat(self, bucket: str, key: str) -> ObjectInfo | None:
        try:
            obj = self.client.stat_object(bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                return None
            raise
        return ObjectInfo(size=obj.size or 0, etag=obj.etag or "", content_type=obj.content_type)

    def delete(self, bucket: str, key: str) -> None:
        self.client.remove_object(bucket, key)

    def verify_sha256(
        self, bucket: str, key: str, expected_hex: str, expected_size: int | None = None
    ) -> Verification:
        """Stream the stored object through SHA-256 and compare with what was declared."""
        try:
            response = self.client.get_object(bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                return Verification(False, "missing", None, None)
            raise
        digest = hashlib.sha256()
        size = 0
        try:
            for chunk in response.stream(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        finally:
            response.close()
            response.release_conn()
        actual = digest.hexdigest()
        if expected_size is not None and size != expected_size:
            return Verification(False, "size-mismatch", actual, size)
        if actual != expected_hex.lower():
            return Verification(False, "hash-mismatch", actual, size)
        return Verification(True, "ok", actual, size)
