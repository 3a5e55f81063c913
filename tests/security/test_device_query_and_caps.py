"""Issue 13.11: a device's signature covers the query string, and live streams and exports
have caps per caller.

Before, a valve's long-poll `GET /v1/gas/commands?wait=25` signed only its path: anyone on
the way could change the query and the signature still held. Now the query string, exactly as
sent, is part of the signed request target. An account could open any number of hour-long
live streams, and an address pull the 5,000-row export 300 times a minute.
"""

from __future__ import annotations

import contextlib
import time

import pytest

from gateway.security.device_signing import signed_headers
from tests.security.conftest import client, device_secrets, is_problem, new_address

pytestmark = pytest.mark.e2e

VALVE = "gas-valve-0002"
COMMANDS = "/v1/gas/commands"
STREAMS_PER_USER = 3  # GATEWAY_LIVE_STREAMS_PER_USER
EXPORTS_PER_10_MIN = 20  # GATEWAY_EXPORTS_PER_10_MIN


def poll(http, stack, signed_target: str, sent_target: str):
    secret = device_secrets(stack)[VALVE]["secret"]
    headers = signed_headers(VALVE, secret, "GET", signed_target, b"")
    return http.get(sent_target, headers=headers)


def test_a_long_poll_signed_with_its_query_string_is_accepted(http, stack):
    target = f"{COMMANDS}?wait=0"
    r = poll(http, stack, target, target)
    assert r.status_code == 200, r.text


def test_a_query_string_left_out_of_the_signature_is_refused(http, stack):
    # Signed as before issue 13 (the path alone); sent with a query the signer never saw.
    r = poll(http, stack, COMMANDS, f"{COMMANDS}?wait=0")
    assert is_problem(r, 401, "bad-signature"), r.text


def test_a_changed_query_string_is_refused(http, stack):
    r = poll(http, stack, f"{COMMANDS}?wait=0", f"{COMMANDS}?wait=1")
    assert is_problem(r, 401, "bad-signature"), r.text
    # Appending a parameter is a change too.
    r = poll(http, stack, f"{COMMANDS}?wait=0", f"{COMMANDS}?wait=0&wait=1")
    assert is_problem(r, 401, "bad-signature"), r.text


def test_a_request_without_a_query_string_signs_as_it_always_did(http, stack):
    secret = device_secrets(stack)[VALVE]["secret"]
    headers = signed_headers(VALVE, secret, "GET", "/v1/devices/me", b"")
    r = http.get("/v1/devices/me", headers=headers)
    assert r.status_code == 200, r.text


def open_stream(stack, stack_of_streams: contextlib.ExitStack, headers: dict):
    c = stack_of_streams.enter_context(client(stack))
    return stack_of_streams.enter_context(
        c.stream("GET", "/v1/gas/alarms/stream", params={"max_seconds": 60}, headers=headers)
    )


def test_a_user_holds_a_few_live_streams_at_once(stack, login):
    supervisor = login("lht-supervisor")
    with contextlib.ExitStack() as streams:
        opened = [open_stream(stack, streams, supervisor.headers) for _ in range(STREAMS_PER_USER)]
        assert [r.status_code for r in opened] == [200] * STREAMS_PER_USER
        with client(stack) as c:
            r = c.get("/v1/gas/alarms/stream", headers=supervisor.headers)
        assert is_problem(r, 429, "too-many-requests"), r.text
        assert int(r.headers["Retry-After"]) > 0
        # Another user is not held back by this one's streams.
        with contextlib.ExitStack() as others:
            assert open_stream(stack, others, login("supervisor").headers).status_code == 200
    # Closed streams give their places back.
    deadline = time.monotonic() + 15
    while True:
        with contextlib.ExitStack() as again:
            if open_stream(stack, again, supervisor.headers).status_code == 200:
                break
        assert time.monotonic() < deadline, "closed streams never gave their places back"
        time.sleep(0.5)


def test_an_address_pulls_a_few_exports_at_a_time(stack):
    params = {"decision_no": "no-such-decision", "format": "csv"}
    with client(stack, new_address()) as reader:
        for _ in range(EXPORTS_PER_10_MIN):
            r = reader.get("/v1/public/disclosures-export", params=params)
            assert r.status_code == 200, r.text
        r = reader.get("/v1/public/disclosures-export", params=params)
        assert is_problem(r, 429, "too-many-requests"), r.text
        assert int(r.headers["Retry-After"]) > 0
        # The search itself is not held back by the export cap.
        assert reader.get("/v1/public/disclosures", params={"q": "x"}).status_code == 200
    with client(stack, new_address()) as neighbour:
        assert neighbour.get("/v1/public/disclosures-export", params=params).status_code == 200
