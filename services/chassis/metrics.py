"""Prometheus metrics of one process, defined once here for every service and the gateway.

Each service serves them with `start_metrics_server` (its `<SERVICE>_METRICS_PORT`); the
gateway renders them on its own `/metrics` route with `render_latest`.
"""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

GRPC_REQUESTS = Counter("grpc_server_requests_total", "gRPC calls served", ["method", "code"])
GRPC_LATENCY = Histogram("grpc_server_latency_seconds", "gRPC call duration", ["method"])
HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests served", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_latency_seconds", "HTTP request duration", ["method", "route"]
)
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Outbox rows published to Kafka", ["service"])
OUTBOX_FAILURES = Counter("outbox_relay_failures_total", "Relay rounds that failed", ["service"])
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet published", ["service"])
CONSUMER_MESSAGES = Counter(
    "consumer_messages_total", "Kafka messages handled", ["consumer", "topic", "outcome"]
)
CONSUMER_LATENCY = Histogram(
    "consumer_handle_latency_seconds", "Time to handle one message", ["consumer", "topic"]
)


_servers: list[WSGIServer] = []


def start_metrics_server(port: int, addr: str = "127.0.0.1") -> int:
    """Serve /metrics on `port` (0 picks a free one) from a daemon thread; returns the port."""
    # The pinned prometheus-client returns (server, thread); the server knows the bound port.
    server, _thread = start_http_server(port, addr=addr)
    _servers.append(server)
    return server.server_address[1]


def stop_metrics_servers() -> None:
    """Close every server `start_metrics_server` opened in this process (tests, shutdown)."""
    while _servers:
        server = _servers.pop()
        server.shutdown()
        server.server_close()


def render_latest() -> tuple[bytes, str]:
    """The process's metrics in the Prometheus text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
