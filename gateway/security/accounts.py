"""Account changes take effect at once: every authenticated request checks that the account
is still active and that its token version is the one the access token carries.

An admin who deactivates an account, changes its roles, town, certificate or venue, or resets
its password bumps the version (`gateway.db.update_user`, `bump_token_version`); access tokens
issued before then are refused from the next request on, not when they expire 15 minutes
later. The state is read from the gateway's database and kept for at most `ttl_s` seconds
(2 s by default, `GATEWAY_ACCOUNT_CHECK_CACHE_S`), so each gateway replica reads each busy
account at most once every two seconds; the replica that made the change forgets its copy at
once, the others within `ttl_s`.
"""

from __future__ import annotations

import threading
import time

from gateway import db as gwdb
from gateway.security.principals import Principal
from gateway.security.tokens import invalid_token
from services.chassis.db import Database


class AccountStates:
    """A short-lived cache of each account's (active, token version)."""

    def __init__(self, database: Database, ttl_s: float = 2.0, max_entries: int = 50_000) -> None:
        self._db = database
        self.ttl_s = ttl_s
        self._max = max_entries
        self._seen: dict[str, tuple[float, gwdb.AccountState | None]] = {}
        self._lock = threading.Lock()

    def state(self, user_id: str) -> gwdb.AccountState | None:
        now = time.monotonic()
        with self._lock:
            hit = self._seen.get(user_id)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        with self._db.read() as conn:
            state = gwdb.account_state(conn, user_id)
        with self._lock:
            if len(self._seen) >= self._max:
                self._seen.clear()
            self._seen[user_id] = (now, state)
        return state

    def forget(self, user_id: str) -> None:
        """Called after this process changed the account: the next request reads it again."""
        with self._lock:
            self._seen.pop(user_id, None)

    def check(self, principal: Principal) -> Principal:
        """`principal` when its account is active and its token current; else 401."""
        state = self.state(principal.user_id)
        if state is None or not state.active:
            raise invalid_token("the account is deactivated", "account-disabled")
        if state.token_version != principal.token_version:
            raise invalid_token(
                "the account was changed (roles, jurisdiction or password) after this token "
                "was issued; refresh it or log in again",
                "token-outdated",
            )
        return principal
