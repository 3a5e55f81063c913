"""Public reports (举报): what a report must hold, its tracking code, what the public sees.

The reporter's name and phone are optional and confidential (安全生产领域举报奖励办法:
举报人的信息予以保密): the service keeps them encrypted, shows them only to the handling
officers, and never publishes or logs them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from services.hazards.domain.registry import InvalidHazard

# No 0/O, 1/I/L: a code read over the phone is not misheard.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
MAX_PHOTOS = 4
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic")


class ReportStatus(StrEnum):
    received = "received"  # 已受理
    verified = "verified"  # 经核查属实
    unfounded = "unfounded"  # 经核查不属实
    closed = "closed"  # 隐患已整改销号


PUBLIC_STATUS = {
    ReportStatus.received: "已受理, 正在核查",
    ReportStatus.verified: "经核查属实, 已登记整改",
    ReportStatus.unfounded: "经核查未发现所反映问题",
    ReportStatus.closed: "所反映问题已整改完毕",
}


def tracking_code() -> str:
    """12 characters from 31: about 59 bits, not guessable within the rate limits."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


@dataclass(frozen=True)
class PhotoDeclared:
    sha256: str
    size: int
    media_type: str


def check_photos(photos: list[PhotoDeclared]) -> None:
    """At most 4 photos of at most 5 MB each, in an image type, each with its SHA-256 (the
    upload URL is bound to it, so no other bytes can take the slot)."""
    if len(photos) > MAX_PHOTOS:
        raise InvalidHazard(f"最多上传 {MAX_PHOTOS} 张照片")
    for p in photos:
        if p.media_type not in PHOTO_TYPES:
            raise InvalidHazard(f"照片格式 {p.media_type} 不支持")
        if not 0 < p.size <= MAX_PHOTO_BYTES:
            raise InvalidHazard(f"每张照片不超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
        if len(p.sha256) != 64 or any(c not in "0123456789abcdef" for c in p.sha256):
            raise InvalidHazard("照片须附 SHA-256 (64 位十六进制小写)")


def check_report(what: str, where: str, phone: str) -> None:
    if len(what.strip()) < 5:
        raise InvalidHazard("请写明举报的问题 (至少 5 个字)")
    if len(where.strip()) < 2:
        raise InvalidHazard("请写明问题所在地点")
    digits = phone.replace(" ", "").replace("-", "")
    if phone and not (digits.isdigit() and 7 <= len(digits) <= 15):
        raise InvalidHazard("联系电话格式不正确")
