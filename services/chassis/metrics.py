"""Prometheus metrics of one process, defined once here for every service and the gateway."""

from __future__ import annotations

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


def start_metrics_server(port: int, addr: str = "127.0.0.1") -> int:
    """Serve /metrics on `port` (0 picks a free one); returns the bound port."""
    server, _thread = start_http_server(port, addr=addr)
    return server.server_address[1]


def render_latest() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
