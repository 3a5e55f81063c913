from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from gateway.security.passwords import hash_password, needs_rehash, verify_password

pytestmark = pytest.mark.unit


def test_hash_is_argon2id_and_salted():
    first, second = hash_password("s3cret pass"), hash_password("s3cret pass")
    assert first.startswith("$argon2id$")
    assert first != second
    assert "s3cret" not in first


def test_verify_accepts_the_password_and_refuses_others():
    stored = hash_password("correct horse battery")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse battery ")
    assert not verify_password(stored, "")


@pytest.mark.parametrize(
    "garbage", ["", "plain", "$argon2id$v=19$m=1,t=1,p=1$bad$bad", "$2b$12$abcdefghijklmnopqrstuv"]
)
def test_verify_is_false_for_invalid_hashes(garbage):
    assert verify_password(garbage, "anything") is False


def test_needs_rehash_when_parameters_change():
    assert needs_rehash(hash_password("pw")) is False
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("pw")
    assert needs_rehash(weaker) is True
    assert verify_password(weaker, "pw")
