"""The public reports' limits keep an address or device only as a keyed hash, which nobody
without the gateway's secret can reverse by trying every IPv4 address."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest
from pydantic import SecretStr

from gateway.routes.hazards import _key

pytestmark = pytest.mark.unit


def state(secret: str):
    return SimpleNamespace(settings=SimpleNamespace(jwt_secret=SecretStr(secret)))


def test_an_address_is_kept_as_a_keyed_hash_that_depends_on_the_secret():
    one, other = state("a" * 40), state("b" * 40)
    address = "203.0.113.7"
    assert _key(one, address) == _key(one, address)  # the same key counts the same sender
    assert _key(one, address) != _key(other, address)
    assert _key(one, address) != _key(one, "203.0.113.8")
    assert _key(one, address) not in (
        hashlib.sha256(address.encode()).hexdigest(),
        hashlib.sha256(("hazard-report:" + address).encode()).hexdigest(),
    )
    assert _key(one, "") == ""  # no device id: nothing to count
