"""Object storage over the S3 API (minio SDK): buckets, presigned URLs, multipart uploads and
streaming SHA-256 verification.

Evidence is addressed by its SHA-256: phones upload straight to S3 through presigned URLs and
the service then streams the stored bytes to check them against the hash the phone declared.
No settings are read here: the caller builds an ObjectStore from its own Settings.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from urllib.parse import quote

from minio import Minio
from minio.commonconfig import REPLACE, CopySource
from minio.datatypes import Part
from minio.error import S3Error

CHUNK = 1024 * 1024  # verification reads the object 1 MiB at a time
_MISSING = {"NoSuchKey", "NoSuchObject", "NoSuchBucket", "ResourceNotFound"}

VerificationReason = Literal["ok", "missing", "size-mismatch", "hash-mismatch"]


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str
    content_type: str | None = None
    # The SHA-256 the S3 server computed and checked when the object was PUT through a URL
    # bound to it (`presigned_put_url(..., sha256_hex=...)`), as hex; None when it has none.
    sha256: str | None = None


def attachment(filename: str = "") -> str:
    """A Content-Disposition that makes a browser save the file, never show it in the page
    (an uploaded HTML or SVG would run as the platform's own). RFC 6266 / RFC 5987."""
    if not filename:
        return "attachment"
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a stored object against a declared SHA-256 (and size)."""

    ok: bool
    actual_sha256: str | None
    size: int | None
    reason: VerificationReason


class ObjectStore:
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        secure: bool = False,
        region: str = "us-east-1",
    ) -> None:
        # A fixed region spares the SDK a location lookup before each presign.
        self.client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region
        )

    # -- buckets --------------------------------------------------------------------------

    def ensure_bucket(self, name: str, object_lock: bool = False) -> None:
        """Create the bucket unless it exists; safe to call concurrently and repeatedly.
        `object_lock` (WORM retention) can only be switched on when the bucket is made."""
        if self.client.bucket_exists(name):
            return
        try:
            self.client.make_bucket(name, object_lock=object_lock)
        except S3Error as exc:
            if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    # -- presigned single uploads and downloads --------------------------------------------

    def presigned_put_url(
        self, bucket: str, key: str, expires: timedelta, sha256_hex: str | None = None
    ) -> str:
        """A URL to PUT one object. With `sha256_hex`, the checksum is part of the signed URL
        (`x-amz-checksum-sha256`): a server that supports S3 additional checksums (SeaweedFS
        4.48 does, and AWS S3) refuses any other bytes with 400 BadDigest and keeps the
        checksum it checked, which `stat` then reports. Others ignore it."""
        if sha256_hex is None:
            return self.client.presigned_put_object(bucket, key, expires=expires)
        checksum = base64.b64encode(bytes.fromhex(sha256_hex)).decode()
        return self.client.get_presigned_url(
            "PUT",
            bucket,
            key,
            expires=expires,
            extra_query_params={
                "x-amz-checksum-sha256": checksum,
                "x-amz-sdk-checksum-algorithm": "SHA256",
            },
        )

    def presigned_get_url(
        self,
        bucket: str,
        key: str,
        expires: timedelta,
        *,
        media_type: str | None = None,
        filename: str | None = None,
    ) -> str:
        """A download URL. With `media_type` (or `filename`) the answer is an attachment of
        that type, whatever the stored object says (`response-content-*` overrides)."""
        headers = None
        if media_type is not None or filename is not None:
            headers = {"response-content-disposition": attachment(filename or "")}
            if media_type:
                headers["response-content-type"] = media_type
        return self.client.presigned_get_object(
            bucket, key, expires=expires, response_headers=headers
        )

    # -- multipart uploads (large videos), parts PUT by the client through presigned URLs --
    # The SDK keeps create/complete/abort of a multipart upload private (put_object drives
    # them itself). They are called here and nowhere else, so an SDK change touches one place.

    def start_multipart(
        self, bucket: str, key: str, content_type: str = "application/octet-stream"
    ) -> str:
        """Open a multipart upload; returns its upload id."""
        return self.client._create_multipart_upload(bucket, key, {"Content-Type": content_type})

    def presigned_part_url(
        self, bucket: str, key: str, upload_id: str, part_number: int, expires: timedelta
    ) -> str:
        """A URL to PUT part `part_number` (1..10000; all but the last at least 5 MiB)."""
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
        """Join the parts, given as (part number, ETag returned by that part's PUT)."""
        # The SDK adds the quotes itself; an ETag header as received carries them already.
        self.client._complete_multipart_upload(
            bucket,
            key,
            upload_id,
            [Part(number, etag.strip('"')) for number, etag in sorted(parts)],
        )

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        self.client._abort_multipart_upload(bucket, key, upload_id)

    # -- objects ---------------------------------------------------------------------------

    def put_bytes(
        self, bucket: str, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        self.client.put_object(bucket, key, io.BytesIO(data), len(data), content_type=content_type)

    def stat(self, bucket: str, key: str) -> ObjectInfo | None:
        """Size, ETag and (where the server kept one) SHA-256 of a stored object, or None."""
        try:
            obj = self.client.stat_object(
                bucket, key, extra_headers={"x-amz-checksum-mode": "ENABLED"}
            )
        except S3Error as exc:
            if exc.code in _MISSING:
                return None
            raise
        checksum = (obj.metadata or {}).get("x-amz-checksum-sha256")
        try:
            sha256 = base64.b64decode(checksum, validate=True).hex() if checksum else None
        except (binascii.Error, ValueError):
            sha256 = None
        return ObjectInfo(
            size=obj.size or 0,
            etag=(obj.etag or "").strip('"'),
            content_type=obj.content_type,
            sha256=sha256 if sha256 and len(sha256) == 64 else None,
        )

    def seal(
        self,
        bucket: str,
        source_key: str,
        key: str,
        *,
        etag: str,
        media_type: str,
        filename: str = "",
    ) -> None:
        """Copy an uploaded object, inside the server, to `key`: a key no upload URL ever
        named, so nothing handed out before can replace it. Only the version with `etag` is
        copied (a changed source fails with 412), stored as `media_type` and as an
        attachment, whatever type the upload declared."""
        self.client.copy_object(
            bucket,
            key,
            CopySource(bucket, source_key, match_etag=etag),
            metadata={"Content-Type": media_type, "Content-Disposition": attachment(filename)},
            metadata_directive=REPLACE,
        )

    def delete(self, bucket: str, key: str) -> None:
        self.client.remove_object(bucket, key)

    def verify_sha256(
        self, bucket: str, key: str, expected_hex: str, expected_size: int | None = None
    ) -> Verification:
        """Stream the stored object through SHA-256 and compare it with what was declared.

        Reads 1 MiB at a time, so a large video is never held in memory.
        """
        try:
            response = self.client.get_object(bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                return Verification(ok=False, actual_sha256=None, size=None, reason="missing")
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
            return Verification(ok=False, actual_sha256=actual, size=size, reason="size-mismatch")
        if actual != expected_hex.strip().lower():
            return Verification(ok=False, actual_sha256=actual, size=size, reason="hash-mismatch")
        return Verification(ok=True, actual_sha256=actual, size=size, reason="ok")
