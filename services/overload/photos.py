"""Photos of a weighing as evidence: presigned upload to `overload-evidence`, then a
SHA-256 check of the stored bytes before the photo counts."""

from __future__ import annotations

import re
from datetime import timedelta

import uuid_utils

from services.chassis.db import Database
from services.chassis.events import utcnow
from services.chassis.storage import ObjectStore
from services.overload import db
from services.overload.domain.rules import InvalidWeighing

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
MEDIA = re.compile(r"^(image|video)/[a-z0-9.+-]{1,60}$")
MAX_BYTES = 200 * 1024 * 1024
URL_TTL = timedelta(minutes=15)


class NotFound(LookupError):
    pass


class PhotoMismatch(ValueError):
    pass


def request_slot(
    database: Database,
    presigner: ObjectStore,
    bucket: str,
    *,
    weighing_id: str,
    agency_id: str = "",
    station_id: str = "",
    sha256: str,
    size: int,
    media_type: str,
) -> tuple[str, str]:
    sha256 = sha256.lower()
    if not SHA256_HEX.match(sha256):
        raise InvalidWeighing("sha256 must be 64 hex digits")
    if not 0 < size <= MAX_BYTES:
        raise InvalidWeighing(f"size must be between 1 byte and {MAX_BYTES} bytes")
    if not MEDIA.match(media_type):
        raise InvalidWeighing("media_type must be an image/ or video/ type")
    with database.read() as conn:
        weighing = db.get_weighing(conn, weighing_id)
    if weighing is None or not _may_touch(weighing, agency_id, station_id):
        raise NotFound("weighing not found")
    photo_id = str(uuid_utils.uuid7())
    key = f"{weighing_id}/{photo_id}/{sha256}"
    with database.unit_of_work() as uow:
        db.insert(
            uow.conn,
            db.photos,
            photo_id=photo_id,
            weighing_id=weighing_id,
            agency_id=weighing.agency_id,
            sha256=sha256,
            size=size,
            media_type=media_type,
            object_key=key,
            status="pending",
            created_at=utcnow(),
        )
        uow.commit()
    return photo_id, presigner.presigned_put_url(bucket, key, URL_TTL)


def _may_touch(weighing, agency_id: str, station_id: str) -> bool:
    """Officers reach their agency's weighings; a station's camera only its own station's."""
    if station_id:
        return weighing.station_id == station_id
    return bool(agency_id) and weighing.agency_id == agency_id


def confirm(
    database: Database,
    store: ObjectStore,
    bucket: str,
    *,
    photo_id: str,
    agency_id: str = "",
    station_id: str = "",
) -> tuple[str, str]:
    with database.read() as conn:
        photo = db.get_photo(conn, photo_id)
        weighing = db.get_weighing(conn, photo.weighing_id) if photo is not None else None
    if photo is None or weighing is None or not _may_touch(weighing, agency_id, station_id):
        raise NotFound("photo not found")
    if photo.status == "attached":
        return photo.status, photo.object_key
    result = store.verify_sha256(bucket, photo.object_key, photo.sha256, photo.size)
    if not result.ok:
        raise PhotoMismatch(
            "nothing was uploaded yet"
            if result.reason == "missing"
            else "the upload is not the declared file (SHA-256 or size differs); upload it again"
        )
    with database.unit_of_work() as uow:
        uow.conn.execute(
            db.photos.update().where(db.photos.c.photo_id == photo_id).values(status="attached")
        )
        uow.commit()
    return "attached", photo.object_key
