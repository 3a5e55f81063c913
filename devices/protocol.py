r"""Device request signing: HMAC-SHA256 over the request, with a time window and nonces.

Gas detectors, shut-off valves and weigh stations do not log in: they sign every request
with the secret issued when the device was provisioned. Firmware sends four headers:

    X-Device-Id:  the device id the platform issued
    X-Timestamp:  Unix time in whole seconds, decimal digits only (the device's clock; at
                  most 300 s before or after the server's clock)
    X-Nonce:      16-64 characters of [A-Za-z0-9_-], never reused by that device
    X-Signature:  lower-case hex of HMAC-SHA256(key = secret, message = canonical)

The canonical string, exactly (UTF-8; "\n" is one line feed, 0x0A; no trailing newline):

    canonical = METHOD + "\n" + PATH + "\n" + TIMESTAMP + "\n" + NONCE + "\n" + BODY_SHA256

    METHOD       the HTTP method in upper case, e.g. "POST"
    PATH         the request target: the path, e.g. "/v1/devices/events", and when the
                 request has a query string, "?" and the query string exactly as sent,
                 byte for byte (not re-ordered, not re-encoded), e.g.
                 "/v1/gas/commands?wait=25"; no scheme or host. Without a query string
                 (nothing after the path, not even "?") it is the path alone, as before
                 issue 13, so a request without one signs as it always did. (Device paths
                 are plain ASCII, so no percent-encoding applies to the path.)
    TIMESTAMP    the X-Timestamp header value, byte for byte
    NONCE        the X-Nonce header value, byte for byte
    BODY_SHA256  lower-case hex SHA-256 of the raw request body bytes exactly as sent
                 (of an empty body:
                 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)

    The key is the secret string as issued (its UTF-8 bytes), not base64-decoded.

Example (pinned in tests/gateway/test_device_signing.py): secret
"s3cr3t-example-0123456789abcdefghijklmnopq", method POST, path /v1/devices/events,
timestamp 1767225600, nonce "n0nce-0123456789ab", body `{"ok":true}` (11 bytes) give

    canonical = "POST\n/v1/devices/events\n1767225600\nn0nce-0123456789ab\n" + sha256hex(body)
    X-Signature: 21f2decfb7f7ded4da4347c764f18d6dc552934b1bdaa52c566b9b70ebda3566

A long-poll `GET /v1/gas/commands?wait=25` signs "GET\n/v1/gas/commands?wait=25\n...":
the query string is covered, so nobody on the way can change what the device asked for.

Over MQTT (devices that keep a connection to the broker) the same secret signs two things:

    CONNECT      username = the device id; password = TIMESTAMP + "." + NONCE + "." +
                 hex HMAC of canonical("CONNECT", "mqtt", TIMESTAMP, NONCE, b"")
    PUBLISH      the payload is a JSON envelope {"ts", "nonce", "sig", "body"}, where body is
                 the JSON text an HTTP post would carry and sig the HMAC of
                 canonical("PUBLISH", TOPIC, ts, nonce, body UTF-8)

so a message copied to another topic, or replayed, is refused exactly as an HTTP request is.
A device publishes only under `devices/<device-id>/up/...`, reads its commands from
`devices/<device-id>/cmd` (QoS 1) and subscribes to nothing else but
`devices/<device-id>/ack` (QoS 1), where the platform says what it has STORED:

    {"kind": "readings", "stored_up_to": N, "gap": false}   every reading up to seq N
    {"kind": "events", "stored": [[first, last], ...]}        these seq ranges of events
    {"kind": ..., "refused": [[first, last], ...], "reason": "..."}  never to be stored

A broker's PUBACK only says the broker has the message; a broker that dies loses what it
held in memory. So a device keeps every reading until the ack topic says it is stored, and
publishes again what is unconfirmed after a timeout and after every reconnect (the platform
takes each seq once). A readings batch names the seq sent just before it (`after`); the
platform takes no batch over a hole (`gap`), and the device then sends again from its first
unconfirmed reading (devices.client.Unconfirmed).

`sign()` below is the reference implementation; the gateway verifies with this module.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time

DEFAULT_WINDOW_S = 300
DEFAULT_GRACE_S = 24 * 3600
HEADERS = ("X-Device-Id", "X-Timestamp", "X-Nonce", "X-Signature")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_DEVICE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^[0-9a-fA-F]{64}$")


def request_target(path: str, query: str = "") -> str:
    """PATH of the canonical string: the path, and "?" + the query string when there is one."""
    return f"{path}?{query}" if query else path


def canonical(method: str, path: str, timestamp: str | int, nonce: str, body: bytes) -> bytes:
    """The exact bytes that are signed (see the module docstring); `path` is the request
    target, with its query string (`request_target`)."""
    return "\n".join(
        [method.upper(), path, str(timestamp), nonce, hashlib.sha256(body).hexdigest()]
    ).encode("utf-8")


def sign(secret: str, method: str, path: str, timestamp: str | int, nonce: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of the canonical string under `secret`."""
    return hmac.new(
        secret.encode("utf-8"), canonical(method, path, timestamp, nonce, body), hashlib.sha256
    ).hexdigest()


def signed_headers(
    device_id: str,
    secret: str,
    method: str,
    path: str,
    body: bytes,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four headers a device sends (for simulators, tests and the load test). `path` is
    the request target: with "?" and the query string exactly as the request sends it."""
    ts = str(int(now if now is not None else time.time()))
    nonce = nonce or secrets.token_urlsafe(18)
    return {
        "X-Device-Id": device_id,
        "X-Timestamp": ts,
        "X-Nonce": nonce,
        "X-Signature": sign(secret, method, path, ts, nonce, body),
    }


# -- MQTT ------------------------------------------------------------------------------------

CONNECT_TARGET = "mqtt"
TOPIC_ROOT = "devices"


def up_topic(device_id: str, kind: str) -> str:
    """Where a device publishes its `kind` of message (events, readings, ack)."""
    return f"{TOPIC_ROOT}/{device_id}/up/{kind}"


def command_topic(device_id: str) -> str:
    """Where the platform sends a device its commands (QoS 1)."""
    return f"{TOPIC_ROOT}/{device_id}/cmd"


def ack_topic(device_id: str) -> str:
    """Where the platform tells a device what it has stored (QoS 1)."""
    return f"{TOPIC_ROOT}/{device_id}/ack"


def device_of_topic(topic: str) -> str | None:
    """The device id a `devices/<id>/...` topic belongs to, or None."""
    parts = topic.split("/")
    if len(parts) >= 3 and parts[0] == TOPIC_ROOT and _DEVICE_ID.match(parts[1]):
        return parts[1]
    return None


def may_publish(device_id: str, topic: str) -> bool:
    """The ACL: a device publishes only under its own `up/` branch, without wildcards."""
    return (
        topic.startswith(f"{TOPIC_ROOT}/{device_id}/up/") and "+" not in topic and "#" not in topic
    )


def may_subscribe(device_id: str, topic: str) -> bool:
    """The ACL: a device subscribes only to its own command and ack topics."""
    return topic in (command_topic(device_id), ack_topic(device_id))


def connect_password(secret: str, now: float | None = None, nonce: str | None = None) -> str:
    """The MQTT CONNECT password of a device (the username is its id)."""
    ts = str(int(now if now is not None else time.time()))
    nonce = nonce or secrets.token_urlsafe(18)
    return f"{ts}.{nonce}.{sign(secret, 'CONNECT', CONNECT_TARGET, ts, nonce, b'')}"


def connect_headers(device_id: str, password: str) -> dict[str, str]:
    """A CONNECT password as the four (lower-case) headers the verifier checks."""
    ts, _, rest = password.partition(".")
    nonce, _, signature = rest.rpartition(".")
    return {"x-device-id": device_id, "x-timestamp": ts, "x-nonce": nonce, "x-signature": signature}


def sign_publish(
    secret: str, topic: str, body: dict | str, now: float | None = None, nonce: str | None = None
) -> bytes:
    """The payload of a signed MQTT publish: the envelope around the JSON `body`."""
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    ts = str(int(now if now is not None else time.time()))
    nonce = nonce or secrets.token_urlsafe(18)
    sig = sign(secret, "PUBLISH", topic, ts, nonce, text.encode("utf-8"))
    envelope = {"ts": ts, "nonce": nonce, "sig": sig, "body": text}
    return json.dumps(envelope, ensure_ascii=False).encode("utf-8")


def open_publish(device_id: str, payload: bytes) -> tuple[dict[str, str], bytes]:
    """The (lower-case) headers and body bytes of a signed publish, for the verifier.
    Raises ValueError when the payload is not an envelope."""
    envelope = json.loads(payload)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("body"), str):
        raise ValueError("not a signed envelope")
    headers = {
        "x-device-id": device_id,
        "x-timestamp": str(envelope.get("ts", "")),
        "x-nonce": str(envelope.get("nonce", "")),
        "x-signature": str(envelope.get("sig", "")),
    }
    return headers, envelope["body"].encode("utf-8")
