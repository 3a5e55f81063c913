"""Issue 20: every process of the platform runs as several replicas in Kubernetes, survives
a node drain and a rolling update, and the gateway and gas grow with their load. Offline
checks of the manifests (their schemas are checked in test_compose.py)."""

from __future__ import annotations

import functools

import pytest

from tests.deploy.test_compose import APP_PROCESSES, SERVICES, k8s_documents, k8s_name

pytestmark = pytest.mark.unit


@functools.cache
def _documents() -> tuple:
    return tuple(doc for _, doc in k8s_documents())  # parsed once: YAML is slow


def of_kind(kind: str) -> list[dict]:
    return [doc for doc in _documents() if doc["kind"] == kind]


@functools.cache
def deployments() -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in of_kind("Deployment")}


def test_every_process_runs_two_or_more_replicas_with_rolling_updates() -> None:
    for name in map(k8s_name, APP_PROCESSES):
        spec = deployments()[name]["spec"]
        assert spec["replicas"] >= 2, name
        assert spec["strategy"]["type"] == "RollingUpdate", name
        assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, name


def test_replicas_prefer_different_nodes() -> None:
    for name in map(k8s_name, APP_PROCESSES):
        pod = deployments()[name]["spec"]["template"]["spec"]
        terms = pod["affinity"]["podAntiAffinity"][
            "preferredDuringSchedulingIgnoredDuringExecution"
        ]
        by_key = {t["podAffinityTerm"]["topologyKey"]: t["podAffinityTerm"] for t in terms}
        host = by_key["kubernetes.io/hostname"]
        assert host["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": name}


def test_every_process_has_a_disruption_budget_that_keeps_one_replica() -> None:
    budgets = {doc["metadata"]["name"]: doc["spec"] for doc in of_kind("PodDisruptionBudget")}
    for name in map(k8s_name, APP_PROCESSES):
        budget = budgets[name]
        assert budget["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        replicas = deployments()[name]["spec"]["replicas"]
        assert 1 <= budget["minAvailable"] < replicas, name


def test_the_gateway_and_gas_scale_with_their_load() -> None:
    scalers = {doc["metadata"]["name"]: doc["spec"] for doc in of_kind("HorizontalPodAutoscaler")}
    assert set(scalers) == {"gateway", "gas"}
    for name, spec in scalers.items():
        assert spec["scaleTargetRef"] == {
            "apiVersion": "apps/v1", "kind": "Deployment", "name": name
        }  # fmt: skip
        assert spec["minReplicas"] >= 2
        assert spec["maxReplicas"] > spec["minReplicas"]
        [metric] = spec["metrics"]
        assert metric["resource"]["name"] == "cpu"


def test_grpc_services_are_headless_so_calls_spread_over_every_replica() -> None:
    from services.chassis.grpc_client import _CHANNEL_OPTIONS

    services = {doc["metadata"]["name"]: doc["spec"] for doc in of_kind("Service")}
    for name in map(k8s_name, SERVICES):
        assert services[name]["clusterIP"] == "None", name
    assert ("grpc.lb_policy_name", "round_robin") in _CHANNEL_OPTIONS
