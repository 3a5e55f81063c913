"""`make run` keeps its secrets in var/secrets.json; a secret added later (the gateway's
service-token key, issue 13 item 8) is added to an existing file, the others kept."""

from __future__ import annotations

import json

import pytest

from deploy.stack import DEFAULT_PORTS, Stack, load_or_make_secrets
from services.chassis.service_auth import public_key_of

pytestmark = pytest.mark.unit


def test_an_older_secrets_file_gets_the_service_token_key_and_keeps_the_rest(tmp_path):
    old = {"jwt_secret": "kept", "s3_access_key": "a", "s3_secret_key": "b",
           "records_log_signing_key": "c", "demo_password": "d"}  # fmt: skip
    (tmp_path / "secrets.json").write_text(json.dumps(old))
    made = load_or_make_secrets(tmp_path)
    assert made["jwt_secret"] == "kept"
    assert public_key_of(made["service_token_key"])
    assert load_or_make_secrets(tmp_path) == made  # made once


def test_the_services_get_the_public_half_and_the_gateway_the_private_key(tmp_path):
    stack = Stack(tmp_path / "var", {name: 1 for name in DEFAULT_PORTS})  # nothing is started
    key = stack.secrets["service_token_key"]
    assert stack.children["gateway"].env["GATEWAY_SERVICE_TOKEN_KEY"] == key
    for name in ("records", "gas"):
        env = stack.children[name].env
        assert env[f"{name.upper()}_SERVICE_TOKEN_PUBLIC_KEY"] == public_key_of(key)
        assert key not in env.values()
