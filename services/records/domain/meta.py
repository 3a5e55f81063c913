"""Who, when and where of a write from a phone: the part every command shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_CLOCK_AHEAD = timedelta(minutes=10)  # a phone clock further ahead than this is wrong


class InvalidMeta(ValueError):
    pass


@dataclass(frozen=True)
class WriteMeta:
    client_entry_id: str  # made on the phone; a replay returns the original result
    actor_id: str
    agency_id: str
    device_time: datetime | None = None
    location: dict[str, float] | None = None
    app_version: str = ""  # the phone app that made the write
    location_missing: str = ""  # why there is no location, in the phone's words

    def __post_init__(self) -> None:
        # Stored and hashed as UTC: SQLite keeps no offset, so a +08:00 time kept as given
        # would read back as another instant and no longer match the entry's hash.
        if self.device_time is not None and self.device_time.tzinfo is not None:
            object.__setattr__(self, "device_time", self.device_time.astimezone(UTC))


MAX_CLIENT_TEXT = 100


def client_facts(meta: WriteMeta) -> dict[str, str]:
    """What the phone says of itself, kept in the entry's payload beside the act: its app
    version, and why a write has no location (every on-site act records where, or why not)."""
    facts = {"app_version": meta.app_version, "location_missing": meta.location_missing}
    return {k: v for k, v in facts.items() if v}


def validate_meta(meta: WriteMeta, *, now: datetime) -> None:
    if not (8 <= len(meta.client_entry_id.strip()) <= 100):
        raise InvalidMeta("client_entry_id is required (8 to 100 characters)")
    if not meta.actor_id or not meta.agency_id:
        raise InvalidMeta("the acting officer and agency are required")
    if meta.device_time is not None and meta.device_time > now + MAX_CLOCK_AHEAD:
        raise InvalidMeta("device_time is in the future; check the phone's clock")
    if len(meta.app_version) > MAX_CLIENT_TEXT or len(meta.location_missing) > MAX_CLIENT_TEXT:
        raise InvalidMeta(f"app_version and location_missing: at most {MAX_CLIENT_TEXT} characters")
    if meta.location is not None:
        lat, lon = meta.location.get("latitude"), meta.location.get("longitude")
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidMeta("location is outside valid latitude/longitude ranges")
