"""Refresh tokens that rotate: each works once; reusing a spent one revokes them all."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from gateway import db
from gateway.problems import ProblemError
from gateway.security.principals import Principal
from gateway.security.tokens import TokenService, _invalid
from services.chassis.db import Database


class RefreshTokens:
    def __init__(self, database: Database, tokens: TokenService) -> None:
        self._db = database
        self._tokens = tokens

    def issue(self, principal: Principal) -> tuple[str, datetime]:
        with self._db.unit_of_work() as uow:
            token, expires_at = self._issue(uow.conn, principal)
            uow.commit()
        return token, expires_at

    def _issue(self, conn: sa.Connection, principal: Principal) -> tuple[str, datetime]:
        token, jti, expires_at = self._tokens.issue_refresh(principal)
        conn.execute(db.refresh_tokens.insert().values(
            jti=jti, user_id=principal.user_id, issued_at=db.utcnow(), expires_at=expires_at))
        return token, expires_at

    def rotate(self, refresh_token: str) -> tuple[Principal, str, datetime]:
        """Spend `refresh_token` for a new one; returns the user and the new token."""
        claims = self._tokens.decode_refresh(refresh_token)
        reuse = False
        with self._db.unit_of_work() as uow:
            row = uow.conn.execute(sa.select(db.refresh_tokens).where(
                db.refresh_tokens.c.jti == claims["jti"])).first()
            if row is None:
                raise _invalid("unknown refresh token")
            if row.revoked_at is not None or row.replaced_by is not None:
                # A spent token came back: someone holds a copy. End every session of the user.
                self._revoke_all(uow.conn, row.user_id)
                uow.commit()
                reuse = True
            else:
                user = db.get_user(uow.conn, row.user_id)
                if user is None or not user.active:
                    raise _invalid("the account is disabled")
                principal = user.to_principal()
                token, expires_at = self._issue(uow.conn, principal)
                new_jti = self._tokens.decode_refresh(token)["jti"]
                uow.conn.execute(db.refresh_tokens.update()
                                 .where(db.refresh_tokens.c.jti == claims["jti"])
                                 .values(replaced_by=new_jti))
                uow.commit()
        if reuse:
            raise ProblemError(status=401, type="refresh-token-reused",
                               title="Refresh token already used",
                               detail="all sessions of this account were ended; log in again",
                               headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return principal, token, expires_at

    def revoke_all(self, user_id: str) -> None:
        with self._db.unit_of_work() as uow:
            self._revoke_all(uow.conn, user_id)
            uow.commit()

    @staticmethod
    def _revoke_all(conn: sa.Connection, user_id: str) -> None:
        conn.execute(db.refresh_tokens.update()
                     .where(db.refresh_tokens.c.user_id == user_id,
                            db.refresh_tokens.c.revoked_at.is_(None))
                     .values(revoked_at=db.utcnow()))
