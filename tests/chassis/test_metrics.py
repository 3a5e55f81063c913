"""Prometheus metrics: one set per process, served over HTTP and rendered for the gateway."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from services.chassis import metrics

pytestmark = pytest.mark.integration

SHARED = [
    "grpc_server_requests_total",
    "grpc_server_latency_seconds",
    "outbox_published_total",
    "outbox_relay_failures_total",
    "outbox_backlog",
    "consumer_messages_total",
    "consumer_handle_latency_seconds",
]


@pytest.fixture
def metrics_port():
    port = metrics.start_metrics_server(0)
    yield port
    metrics.stop_metrics_servers()


def scrape(port: int) -> tuple[str, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        return reply.read().decode(), reply.headers["Content-Type"]


def test_port_0_gives_a_free_port(metrics_port):
    assert metrics_port > 0


def test_the_server_answers_with_every_shared_metric(metrics_port):
    body, content_type = scrape(metrics_port)
    assert content_type.startswith("text/plain")
    for name in SHARED:
        assert f"# TYPE {name} " in body, name


def test_recorded_values_show_in_the_scrape(metrics_port):
    metrics.GRPC_REQUESTS.labels("/test.Metrics/Ping", "OK").inc()
    metrics.CONSUMER_MESSAGES.labels("review", "records.case-opened.v1", "duplicate").inc()
    metrics.OUTBOX_BACKLOG.labels("metrics-test").set(17)
    body, _ = scrape(metrics_port)
    assert 'grpc_server_requests_total{code="OK",method="/test.Metrics/Ping"}' in body
    assert (
        'consumer_messages_total{consumer="review",outcome="duplicate",'
        'topic="records.case-opened.v1"}' in body
    )
    assert 'outbox_backlog{service="metrics-test"} 17.0' in body


def test_two_servers_get_two_ports():
    try:
        first = metrics.start_metrics_server(0)
        second = metrics.start_metrics_server(0)
        assert first != second
        assert "outbox_backlog" in scrape(second)[0]
    finally:
        metrics.stop_metrics_servers()


def test_a_stopped_server_refuses_connections():
    port = metrics.start_metrics_server(0)
    metrics.stop_metrics_servers()
    with pytest.raises(urllib.error.URLError):
        scrape(port)


def test_render_latest_gives_the_text_format_for_the_gateway():
    body, content_type = metrics.render_latest()
    assert isinstance(body, bytes)
    assert content_type.startswith("text/plain")
    for name in SHARED:
        assert name.removesuffix("_total").encode() in body
