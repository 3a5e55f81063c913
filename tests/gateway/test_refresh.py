from __future__ import annotations

import pytest
import sqlalchemy as sa

from gateway import db as gwdb
from gateway.problems import PROBLEM_BASE, ProblemError
from gateway.security.refresh import RefreshTokens
from gateway.security.tokens import TokenService
from tests.gateway.conftest import SECRET

pytestmark = pytest.mark.unit


@pytest.fixture
def refresh(database, tokens) -> RefreshTokens:
    return RefreshTokens(database, tokens)


def _refused(fn, *args, slug="invalid-token") -> ProblemError:
    with pytest.raises(ProblemError) as info:
        fn(*args)
    assert info.value.status == 401
    assert info.value.type == PROBLEM_BASE + slug
    assert info.value.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    return info.value


def _live_tokens(database, user_id) -> int:
    t = gwdb.refresh_tokens
    with database.read() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(t)
            .where(t.c.user_id == user_id, t.c.revoked_at.is_(None), t.c.replaced_by.is_(None))
        ).scalar_one()


def test_issue_stores_the_jti(refresh, tokens, make_user, database):
    principal = make_user().to_principal()
    token, expires_at = refresh.issue(principal)
    jti = tokens.decode_refresh(token)["jti"]
    with database.read() as conn:
        row = conn.execute(
            sa.select(gwdb.refresh_tokens).where(gwdb.refresh_tokens.c.jti == jti)
        ).one()
    assert row.user_id == principal.user_id
    assert gwdb.as_utc(row.expires_at) == expires_at


def test_rotate_spends_the_token_and_returns_a_new_one(refresh, make_user, database):
    principal = make_user().to_principal()
    first, _ = refresh.issue(principal)
    who, second, _expires = refresh.rotate(first)
    assert who == principal
    assert second != first
    who_again, third, _ = refresh.rotate(second)
    assert who_again == principal
    assert _live_tokens(database, principal.user_id) == 1
    assert third


def test_reusing_a_spent_token_revokes_every_session(refresh, make_user, database):
    principal = make_user().to_principal()
    first, _ = refresh.issue(principal)
    other_device, _ = refresh.issue(principal)
    _who, second, _ = refresh.rotate(first)
    _refused(refresh.rotate, first, slug="refresh-token-reused")
    assert _live_tokens(database, principal.user_id) == 0
    # the thief's copy is dead, and so is the legitimate successor and the other session
    _refused(refresh.rotate, second, slug="refresh-token-reused")
    _refused(refresh.rotate, other_device, slug="refresh-token-reused")


def test_reuse_does_not_touch_other_users(refresh, make_user, database):
    alice = make_user("alice").to_principal()
    bob = make_user("bob").to_principal()
    alice_token, _ = refresh.issue(alice)
    bob_token, _ = refresh.issue(bob)
    refresh.rotate(alice_token)
    _refused(refresh.rotate, alice_token, slug="refresh-token-reused")
    assert refresh.rotate(bob_token)[0] == bob


def test_revoke_all_ends_every_session(refresh, make_user):
    principal = make_user().to_principal()
    tokens = [refresh.issue(principal)[0] for _ in range(3)]
    assert refresh.revoke_all(principal.user_id) == 3
    for token in tokens:
        _refused(refresh.rotate, token, slug="refresh-token-reused")


def test_rotate_reads_the_user_again(refresh, make_user, database):
    user = make_user()
    token, _ = refresh.issue(user.to_principal())
    with database.unit_of_work() as uow:
        uow.conn.execute(
            gwdb.users.update()
            .where(gwdb.users.c.user_id == user.user_id)
            .values(roles=["officer", "supervisor"])
        )
        uow.commit()
    who, token, _ = refresh.rotate(token)
    assert {r.value for r in who.roles} == {"officer", "supervisor"}
    with database.unit_of_work() as uow:
        uow.conn.execute(
            gwdb.users.update().where(gwdb.users.c.user_id == user.user_id).values(active=False)
        )
        uow.commit()
    _refused(refresh.rotate, token)


def test_unknown_tampered_and_access_tokens_are_refused(refresh, tokens, make_user):
    principal = make_user().to_principal()
    unstored, _jti, _exp = tokens.issue_refresh(principal)
    _refused(refresh.rotate, unstored)
    access, _ = tokens.issue_access(principal)
    _refused(refresh.rotate, access)
    good, _ = refresh.issue(principal)
    _refused(refresh.rotate, good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"))
    other = TokenService(SECRET, "test-issuer", "another-audience")
    _refused(refresh.rotate, other.issue_refresh(principal)[0])
    assert refresh.rotate(good)[0] == principal  # none of that spent the good token


def test_create_user_refuses_duplicates_and_unknown_roles(database, make_user):
    make_user("dup")
    with pytest.raises(sa.exc.IntegrityError):
        make_user("dup")
    with pytest.raises(ValueError):
        make_user("emperor", roles=("emperor",))
    with database.read() as conn:
        user = gwdb.get_user_by_username(conn, "dup")
    assert user.password_hash.startswith("$argon2id$")
    assert user.to_principal().username == "dup"
