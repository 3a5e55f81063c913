"""The gateway's own database: users, refresh tokens, device credentials, device nonces and
idempotency keys. SQLAlchemy Core; portable types only (SQLite embedded, PostgreSQL in
production). Every timestamp is UTC (SQLite hands them back naive: see `as_utc`).

The schema is created by `gateway/migrations`; a change here needs a new migration there
(tests/gateway/test_migrations.py compares the two).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from gateway.security.passwords import hash_password
from gateway.security.principals import Principal, Role

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("roles", sa.JSON, nullable=False),  # list of Role values
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("town", sa.String(64), nullable=True),  # town/street; None = whole agency
    sa.Column("certificate_no", sa.String(40), nullable=True),  # 执法证号
    sa.Column("venue_id", sa.String(64), nullable=True),  # venue owners: their gas venue
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # Bumped when the account is deactivated, its roles, town, certificate or venue change, or
    # its password is reset: access tokens carrying an older version are refused at once.
    sa.Column("token_version", sa.Integer, nullable=False, server_default="0"),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("jti", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("replaced_by", sa.String(64), nullable=True),  # jti of its successor
    sa.Index("ix_refresh_tokens_user_id", "user_id"),
)

device_credentials = sa.Table(
    "device_credentials",
    metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),  # gas-detector, shutoff-valve, ...
    sa.Column("owner_id", sa.String(64), nullable=False),  # venue or weigh station
    sa.Column("agency_id", sa.String(64), nullable=True),  # whose admins manage it
    # Recoverable on purpose: HMAC verification needs the secret itself.
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("previous_secret", sa.String(200), nullable=True),
    sa.Column("previous_valid_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),  # active | revoked
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

device_nonces = sa.Table(
    "device_nonces",
    metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("nonce", sa.String(64), primary_key=True),
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_device_nonces_seen_at", "seen_at"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("principal", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("path", sa.String(500), nullable=False),
    sa.Column("request_hash", sa.String(64), nullable=False),  # SHA-256 of method/path/body
    sa.Column("status_code", sa.Integer, nullable=True),  # NULL while in progress
    sa.Column("content_type", sa.String(200), nullable=True),
    sa.Column("location", sa.String(500), nullable=True),
    sa.Column("body", sa.LargeBinary, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    # The gateway process running it (replicas on PostgreSQL): when that process is gone,
    # another replica runs a retry at once instead of answering 409 until the timeout.
    sa.Column("owner", sa.String(64), nullable=True),
    sa.Index("ix_idempotency_keys_created_at", "created_at"),
)

# Who did what: one row per change an account asked for (every method but GET/HEAD/OPTIONS),
# whatever its answer, kept for the agency's admins. Path without its query; never a body.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("agency_id", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("route", sa.String(300), nullable=False),  # the template, e.g. /v1/users/{user_id}
    sa.Column("path", sa.String(500), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Index("ix_audit_log_agency_at", "agency_id", "at"),
)

# Rate limits and stream caps shared by the gateway replicas (PostgreSQL); the embedded
# default keeps them in the process (gateway/security/ratelimit.py, caps.py).
rate_limit_windows = sa.Table(
    "rate_limit_windows",
    metadata,
    sa.Column("bucket", sa.String(40), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    # epoch seconds of the key's recent events; an array on PostgreSQL, where it is used
    sa.Column(
        "hits",
        sa.JSON().with_variant(postgresql.ARRAY(sa.Float(precision=53)), "postgresql"),
        nullable=False,
    ),
)

stream_slots = sa.Table(
    "stream_slots",
    metadata,
    sa.Column("slot_id", sa.String(36), primary_key=True),
    sa.Column("user_key", sa.String(200), nullable=False),
    sa.Column("until", sa.Float(precision=53), nullable=False),  # epoch seconds
    sa.Column("owner", sa.String(64), nullable=True),  # the gateway process holding it
    sa.Index("ix_stream_slots_user_key", "user_key"),
)

TABLE_NAMES = (
    "users", "refresh_tokens", "device_credentials", "device_nonces", "idempotency_keys",
    "audit_log", "rate_limit_windows", "stream_slots",
)  # fmt: skip


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
    venue_id: str | None = None
    token_version: int = 0

    def to_principal(self) -> Principal:
        return Principal(
            user_id=self.user_id,
            username=self.username,
            roles=frozenset(Role(r) for r in self.roles),
            agency_id=self.agency_id,
            town=self.town,
            display_name=self.display_name,
            certificate_no=self.certificate_no,
            venue_id=self.venue_id,
            token_version=self.token_version,
        )


def _user(row: Any) -> User | None:
    if row is None:
        return None
    return User(
        user_id=row.user_id,
        username=row.username,
        password_hash=row.password_hash,
        display_name=row.display_name,
        roles=tuple(row.roles or ()),
        agency_id=row.agency_id,
        town=row.town,
        certificate_no=row.certificate_no,
        active=bool(row.active),
        venue_id=row.venue_id,
        token_version=int(row.token_version or 0),
    )


def create_user(
    conn: sa.Connection,
    *,
    username: str,
    password: str,
    display_name: str,
    roles: Iterable[Role | str],
    agency_id: str,
    town: str | None = None,
    certificate_no: str | None = None,
    user_id: str | None = None,
    venue_id: str | None = None,
) -> str:
    """Insert a user with an argon2id hash of `password`; returns the user id.

    Raises ValueError for an unknown role and sqlalchemy IntegrityError for a username (or
    user id) that exists. The caller commits.
    """
    role_values = sorted({Role(r).value for r in roles})
    if not role_values:
        raise ValueError("a user needs at least one role")
    user_id = user_id or f"u-{uuid.uuid4().hex[:12]}"
    conn.execute(
        users.insert().values(
            user_id=user_id,
            username=username,
            password_hash=hash_password(password),
            display_name=display_name,
            roles=role_values,
            agency_id=agency_id,
            town=town,
            certificate_no=certificate_no,
            venue_id=venue_id,
            active=True,
            created_at=utcnow(),
        )
    )
    return user_id


def get_user_by_username(conn: sa.Connection, username: str) -> User | None:
    return _user(conn.execute(sa.select(users).where(users.c.username == username)).first())


def get_user(conn: sa.Connection, user_id: str) -> User | None:
    return _user(conn.execute(sa.select(users).where(users.c.user_id == user_id)).first())


def set_password_hash(conn: sa.Connection, user_id: str, password_hash: str) -> None:
    """Store a rehashed password (after `needs_rehash` at login). The caller commits."""
    conn.execute(
        users.update().where(users.c.user_id == user_id).values(password_hash=password_hash)
    )


def list_users(conn: sa.Connection, agency_id: str) -> list[User]:
    rows = conn.execute(
        sa.select(users).where(users.c.agency_id == agency_id).order_by(users.c.username)
    )
    return [_user(r) for r in rows]


# A change to any of these ends the access tokens issued before it.
TOKEN_FIELDS = frozenset({"roles", "town", "certificate_no", "venue_id", "active", "agency_id"})


def update_user(conn: sa.Connection, user_id: str, **values: Any) -> None:
    """Change a user's profile, roles or `active`; the caller commits.

    A change of roles, jurisdiction, certificate, venue or `active` bumps the token version,
    so access tokens issued before it are refused from the next request on.
    """
    touched = sorted(TOKEN_FIELDS.intersection(values))
    if touched:
        row = conn.execute(
            sa.select(*(users.c[f] for f in touched)).where(users.c.user_id == user_id)
        ).first()
        if row is None or any(_differs(f, getattr(row, f), values[f]) for f in touched):
            values = {**values, "token_version": users.c.token_version + 1}
    conn.execute(users.update().where(users.c.user_id == user_id).values(**values))


def _differs(field: str, stored: Any, new: Any) -> bool:
    if field == "roles":
        return sorted(stored or ()) != sorted(new or ())
    if field == "active":
        return bool(stored) != bool(new)
    return stored != new


def bump_token_version(conn: sa.Connection, user_id: str) -> None:
    """End every access token of the user (e.g. after a password reset); the caller commits."""
    conn.execute(
        users.update()
        .where(users.c.user_id == user_id)
        .values(token_version=users.c.token_version + 1)
    )


@dataclass(frozen=True)
class AccountState:
    """What every authenticated request checks against its access token."""

    active: bool
    token_version: int


def account_state(conn: sa.Connection, user_id: str) -> AccountState | None:
    row = conn.execute(
        sa.select(users.c.active, users.c.token_version).where(users.c.user_id == user_id)
    ).first()
    if row is None:
        return None
    return AccountState(active=bool(row.active), token_version=int(row.token_version or 0))
