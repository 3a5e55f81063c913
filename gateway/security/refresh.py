"""Refresh tokens that rotate: each works once; reusing a spent one revokes them all.

Every issued refresh token's `jti` is stored. Spending one marks it `replaced_by` its
successor. A token that comes back after it was replaced or revoked means a copy exists (a
stolen token, or two app instances racing): every refresh token of that user is revoked and
the caller gets 401, so the user must log in again.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from gateway import db
from gateway.problems import ProblemError
from gateway.security.principals import Principal
from gateway.security.tokens import TokenService, invalid_token
from services.chassis.db import Database

_t = db.refresh_tokens


class RefreshTokens:
    def __init__(self, database: Database, tokens: TokenService) -> None:
        self._db = database
        self._tokens = tokens

    def issue(self, principal: Principal) -> tuple[str, datetime]:
        """A new refresh token for `principal` (e.g. at login): (token, expires_at)."""
        with self._db.unit_of_work() as uow:
            token, _jti, expires_at = self._issue(uow.conn, principal)
            uow.commit()
        return token, expires_at

    def _issue(self, conn: sa.Connection, principal: Principal) -> tuple[str, str, datetime]:
        token, jti, expires_at = self._tokens.issue_refresh(principal)
        conn.execute(
            _t.insert().values(
                jti=jti, user_id=principal.user_id, issued_at=db.utcnow(), expires_at=expires_at
            )
        )
        return token, jti, expires_at

    def rotate(self, refresh_token: str) -> tuple[Principal, str, datetime]:
        """Spend `refresh_token` for a new one: (principal, new refresh token, expires_at).

        The principal is read again from the users table, so role changes apply at the next
        refresh. Raises ProblemError(401) for an invalid, unknown, spent or revoked token, or
        a disabled account.
        """
        claims = self._tokens.decode_refresh(refresh_token)
        jti = claims["jti"]
        with self._db.unit_of_work() as uow:
            row = uow.conn.execute(sa.select(_t).where(_t.c.jti == jti).with_for_update()).first()
            if row is None:
                raise invalid_token("unknown refresh token")
            if row.user_id != claims["sub"]:
                raise invalid_token("the refresh token does not match its record")
            if row.revoked_at is None and row.replaced_by is None:
                user = db.get_user(uow.conn, row.user_id)
                if user is None or not user.active:
                    raise invalid_token("the account is disabled")
                principal = user.to_principal()
                token, new_jti, expires_at = self._issue(uow.conn, principal)
                spent = uow.conn.execute(
                    _t.update()
                    .where(_t.c.jti == jti, _t.c.replaced_by.is_(None), _t.c.revoked_at.is_(None))
                    .values(replaced_by=new_jti)
                )
                if spent.rowcount == 1:
                    uow.commit()
                    return principal, token, expires_at
                # Lost a race with another use of the same token: that is a reuse too (the
                # token just inserted is revoked with the rest below).
            # A spent token came back: someone holds a copy. End every session of the user.
            self._revoke_all(uow.conn, row.user_id)
            uow.commit()
        raise ProblemError(
            status=401,
            type="refresh-token-reused",
            title="Refresh token already used",
            detail="all sessions of this account were ended; log in again",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    def revoke_all(self, user_id: str) -> int:
        """Revoke every live refresh token of the user (logout everywhere); returns how many."""
        with self._db.unit_of_work() as uow:
            count = self._revoke_all(uow.conn, user_id)
            uow.commit()
        return count

    @staticmethod
    def _revoke_all(conn: sa.Connection, user_id: str) -> int:
        result = conn.execute(
            _t.update()
            .where(_t.c.user_id == user_id, _t.c.revoked_at.is_(None))
            .values(revoked_at=db.utcnow())
        )
        return result.rowcount
