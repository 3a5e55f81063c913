"""The gateway's own database: users, refresh tokens, device credentials, nonces and
idempotency keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from gateway.security.passwords import hash_password
from gateway.security.principals import Principal, Role

metadata = sa.MetaData()


def _columns(name: str) -> list[Any]:
    # Shared with migration 0001 to write the schema once; a later schema change gets its
    # own migration and must not edit these definitions in place.
    return {
        "users": [
            sa.Column("user_id", sa.String(64), primary_key=True),
            sa.Column("username", sa.String(64), nullable=False, unique=True),
            sa.Column("password_hash", sa.String(200), nullable=False),
            sa.Column("display_name", sa.String(100), nullable=False),
            sa.Column("roles", sa.JSON, nullable=False),
            sa.Column("agency_id", sa.String(64), nullable=False),
            sa.Column("town", sa.String(64), nullable=True),
            sa.Column("certificate_no", sa.String(40), nullable=True),
            sa.Column("active", sa.Boolean, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        ],
        "refresh_tokens": [
            sa.Column("jti", sa.String(64), primary_key=True),
            sa.Column("user_id", sa.String(64), nullable=False),
            sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("replaced_by", sa.String(64), nullable=True),
        ],
        "device_credentials": [
            sa.Column("device_id", sa.String(64), primary_key=True),
            sa.Column("kind", sa.String(40), nullable=False),
            sa.Column("owner_id", sa.String(64), nullable=False),
            sa.Column("secret", sa.String(200), nullable=False),
            sa.Column("previous_secret", sa.String(200), nullable=True),
            sa.Column("previous_valid_until", sa.DateTime(timezone=True), nullable=True),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        ],
        "device_nonces": [
            sa.Column("device_id", sa.String(64), primary_key=True),
            sa.Column("nonce", sa.String(64), primary_key=True),
            sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        ],
        "idempotency_keys": [
            sa.Column("principal", sa.String(64), primary_key=True),
            sa.Column("key", sa.String(200), primary_key=True),
            sa.Column("method", sa.String(10), nullable=False),
            sa.Column("path", sa.String(500), nullable=False),
            sa.Column("request_hash", sa.String(64), nullable=False),
            sa.Column("status_code", sa.Integer, nullable=True),
            sa.Column("content_type", sa.String(200), nullable=True),
            sa.Column("location", sa.String(500), nullable=True),
            sa.Column("body", sa.LargeBinary, nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        ],
    }[name]


TABLE_NAMES = ("users", "refresh_tokens", "device_credentials", "device_nonces",
               "idempotency_keys")
users, refresh_tokens, device_credentials, device_nonces, idempotency_keys = (
    sa.Table(name, metadata, *_columns(name)) for name in TABLE_NAMES
)
sa.Index("ix_refresh_tokens_user_id", refresh_tokens.c.user_id)
sa.Index("ix_device_nonces_seen_at", device_nonces.c.seen_at)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything stored is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class User:
    user_id: str
    username: str
    password_hash: str
    display_name: str
    roles: tuple[str, ...]
    agency_id: str
    town: str | None
    certificate_no: str | None
    active: bool

    def to_principal(self) -> Principal:
        return Principal(user_id=self.user_id, username=self.username,
                         roles=frozenset(Role(r) for r in self.roles),
                         agency_id=self.agency_id, town=self.town,
                         display_name=self.display_name, certificate_no=self.certificate_no)


def _user(row: Any) -> User | None:
    if row is None:
        return None
    return User(row.user_id, row.username, row.password_hash, row.display_name,
                tuple(row.roles), row.agency_id, row.town, row.certificate_no, row.active)


def create_user(conn: sa.Connection, *, username: str, password: str, display_name: str,
                roles: list[Role] | list[str], agency_id: str, town: str | None = None,
                certificate_no: str | None = None, user_id: str | None = None) -> str:
    user_id = user_id or f"u-{uuid.uuid4().hex[:12]}"
    conn.execute(users.insert().values(
        user_id=user_id, username=username, password_hash=hash_password(password),
        display_name=display_name, roles=[Role(r).value for r in roles], agency_id=agency_id,
        town=town, certificate_no=certificate_no, active=True, created_at=utcnow()))
    return user_id


def get_user_by_username(conn: sa.Connection, username: str) -> User | None:
    return _user(conn.execute(sa.select(users).where(users.c.username == username)).first())


def get_user(conn: sa.Connection, user_id: str) -> User | None:
    return _user(conn.execute(sa.select(users).where(users.c.user_id == user_id)).first())
