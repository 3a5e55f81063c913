"""Issue 13, item 10: the login lockout cannot be used against an officer. Guessing stays slow
(per address; per username from devices that never logged in to it), but a stranger who
types wrong passwords for a named officer locks out only themselves, and a botnet that locks
the username out for unknown devices leaves the officer's own phone (its device cookie from an
earlier login) able to log in. See docs/security.md, issue 13 item 10."""

from __future__ import annotations

import pytest

from gateway.config import Settings
from tests.security.conftest import client, is_problem, new_address
from tests.security.test_account_changes import new_account

pytestmark = pytest.mark.e2e

SETTINGS = Settings()


def test_a_stranger_who_fails_against_an_officer_locks_out_only_themselves(http, login, stack):
    officer = new_account(http, login("admin"), ["supervisor"])
    wrong = {"username": officer.username, "password": "x"}
    with client(stack, new_address()) as stranger:
        for _ in range(SETTINGS.login_failures_per_15_min):
            r = stranger.post("/v1/auth/login", json=wrong)
            assert is_problem(r, 401, "bad-credentials"), r.text
        locked = stranger.post(
            "/v1/auth/login", json={"username": officer.username, "password": officer.password}
        )
        assert is_problem(locked, 429, "too-many-requests"), locked.text
        assert "access_token" not in locked.text
    # Once the username itself was locked, from every address, for as long as the stranger
    # kept going.
    with client(stack, new_address()) as new_phone:
        r = new_phone.post(
            "/v1/auth/login", json={"username": officer.username, "password": officer.password}
        )
        assert r.status_code == 200, r.text


def test_a_botnet_is_held_off_but_the_officers_own_phone_still_logs_in(http, login, stack):
    officer = new_account(http, login("admin"), ["supervisor"])
    right = {"username": officer.username, "password": officer.password}
    with client(stack, new_address()) as phone:
        first = phone.post("/v1/auth/login", json=right)
        assert first.status_code == 200, first.text
        cookie = first.json()["device_cookie"]
    other = new_account(http, login("admin"), ["supervisor"])
    with client(stack, new_address()) as somewhere:
        foreign_cookie = somewhere.post(
            "/v1/auth/login", json={"username": other.username, "password": other.password}
        ).json()["device_cookie"]

    for _ in range(SETTINGS.login_failures_per_username_15_min):  # one guess per address
        with client(stack, new_address()) as bot:
            r = bot.post("/v1/auth/login", json={**right, "password": "guess"})
            assert is_problem(r, 401, "bad-credentials"), r.text

    with client(stack, new_address()) as unknown_device:
        # Guessing is over for devices the officer never used, the right password too ...
        held = unknown_device.post("/v1/auth/login", json=right)
        assert is_problem(held, 429, "too-many-requests"), held.text
        # ... and another account's cookie, or a forged one, makes no device known.
        for fake in (foreign_cookie, cookie.rsplit(".", 1)[0] + "." + "A" * 43):
            r = unknown_device.post("/v1/auth/login", json={**right, "device_cookie": fake})
            assert is_problem(r, 429, "too-many-requests"), r.text
    with client(stack, new_address()) as phone_on_another_network:
        r = phone_on_another_network.post("/v1/auth/login", json={**right, "device_cookie": cookie})
        assert r.status_code == 200, r.text
        assert r.json()["device_cookie"]


def test_a_known_device_has_a_count_of_its_own(http, login, stack):
    officer = new_account(http, login("admin"), ["supervisor"])
    right = {"username": officer.username, "password": officer.password}
    with client(stack, new_address()) as phone:
        cookie = phone.post("/v1/auth/login", json=right).json()["device_cookie"]
        wrong = {**right, "password": "guess", "device_cookie": cookie}
        for _ in range(SETTINGS.login_failures_per_15_min):  # a stolen phone guessing
            assert is_problem(phone.post("/v1/auth/login", json=wrong), 401, "bad-credentials")
        held = phone.post("/v1/auth/login", json={**right, "device_cookie": cookie})
        assert is_problem(held, 429, "too-many-requests"), held.text
        # The guessing counted on the cookie, not on the address or the username.
        assert phone.post("/v1/auth/login", json=right).status_code == 200
