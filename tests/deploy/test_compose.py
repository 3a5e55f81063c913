"""The production composition, checked without a Docker engine or a cluster.

`docker-compose.yml` is validated against the compose specification offline
(`check-jsonschema --builtin-schema vendor.compose-spec`) and then read for the rules the
platform depends on: health checks, one image, secrets only from `${VAR:?...}`, a database
per service, a 3-broker Kafka with min ISR 2, production mode. The Kubernetes manifests under
`deploy/k8s/` are validated against the Kubernetes schemas when `kubernetes-validate` is
installed, and always read for probes, resources and secret handling.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"

SERVICES = {
    "records": 50051,
    "review": 50052,
    "disclosure": 50053,
    "gas": 50054,
    "overload": 50055,
    "documents": 50056,
    "hazard_sources": 50057,
    "hazards": 50058,
}
APP_PROCESSES = {**{name: f"services.{name}" for name in SERVICES}, "gateway": "gateway"}
S3_SERVICES = {"records", "overload", "documents", "hazard_sources", "hazards"}
FILE_KEEPERS = S3_SERVICES | {"enforcement-init"}

SECRET_WORDS = ("PASSWORD", "SECRET", "KEY")
# Names that contain a secret word but hold no secret (an access key *id* names a key, it
# does not grant anything by itself; a public key and where a keystore lies are not secret).
NOT_SECRET_SUFFIXES = ("_KEY_ID", "_PUBLIC_KEY", "_KEYSTORE_TYPE", "_KEYSTORE_LOCATION")
REQUIRED_VAR = re.compile(r"^\$\{(?P<var>[A-Z][A-Z0-9_]*):\?[^}]+\}$")
# `${NAME...}` references in the file, skipping `$${...}` (escaped, expanded by a shell later).
VAR_REFERENCE = re.compile(r"(?<!\$)\$\{(?P<var>[A-Z][A-Z0-9_]*)(?P<op>:?[-?+])?")


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    if upper.endswith(NOT_SECRET_SUFFIXES):
        return False
    return any(word in upper for word in SECRET_WORDS)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict) -> dict:
    return compose["services"]


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def command_module(service: dict) -> str | None:
    command = service.get("command")
    if isinstance(command, list) and command[:2] == ["python", "-m"]:
        return command[2]
    return None


def one_shot(services: dict) -> set[str]:
    """Services others wait on with `service_completed_successfully`: jobs, not daemons."""
    names = set()
    for service in services.values():
        depends = service.get("depends_on") or {}
        if isinstance(depends, dict):
            for name, spec in depends.items():
                if (spec or {}).get("condition") == "service_completed_successfully":
                    names.add(name)
    return names


# ---- compose --------------------------------------------------------------------------------


def test_compose_file_matches_the_compose_specification() -> None:
    tool = Path(sys.executable).parent / "check-jsonschema"
    if not tool.exists():
        pytest.fail(f"check-jsonschema is not installed next to {sys.executable}")
    result = subprocess.run(
        [str(tool), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
        # Offline: the builtin schema ships inside check-jsonschema; no proxy, no download.
        env={**os.environ, "NO_PROXY": "*", "no_proxy": "*"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_process_of_the_platform_is_composed(services: dict) -> None:
    modules = {command_module(s) for s in services.values()}
    for module in [*APP_PROCESSES.values(), "deploy.init"]:
        assert module in modules, f"no compose service runs python -m {module}"
    kafka = [n for n, s in services.items() if str(s.get("image", "")).startswith("apache/kafka:")]
    assert len(kafka) == 3
    assert any(str(s.get("image", "")).startswith("postgres:16") for s in services.values())
    assert any(str(s.get("image", "")).startswith("chrislusf/seaweedfs") for s in services.values())


def test_every_long_running_service_has_a_healthcheck(services: dict) -> None:
    jobs = one_shot(services)
    assert jobs, "the init job should be waited on with service_completed_successfully"
    for name, service in services.items():
        if name in jobs:
            assert service.get("restart") in ("no", None), f"{name} is a one-shot job"
            continue
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name}: no healthcheck"


def test_health_checks_use_the_right_probe(services: dict) -> None:
    for name, port in SERVICES.items():
        test = services[name]["healthcheck"]["test"]
        assert test[:4] == ["CMD", "python", "-m", "services.chassis.healthcheck"], name
        assert test[4].endswith(f":{port}"), name
    gateway_test = " ".join(services["gateway"]["healthcheck"]["test"])
    assert "urllib" in gateway_test and "/readyz" in gateway_test
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    for service in services.values():
        if str(service.get("image", "")).startswith("apache/kafka:"):
            assert "kafka-broker-api-versions.sh" in " ".join(service["healthcheck"]["test"])
        if str(service.get("image", "")).startswith("chrislusf/seaweedfs"):
            assert ":8333/" in " ".join(service["healthcheck"]["test"])


def test_dependencies_wait_for_health_or_completion(services: dict) -> None:
    jobs = one_shot(services)
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on must name a condition"
        for target, spec in depends.items():
            expected = "service_completed_successfully" if target in jobs else "service_healthy"
            assert spec["condition"] == expected, f"{name} -> {target}"
    for name in APP_PROCESSES:
        depends = services[name]["depends_on"]
        assert "postgres" in depends and "init" in depends, name
    assert set(SERVICES) <= set(services["gateway"]["depends_on"])
    init_depends = set(services["init"]["depends_on"])
    assert {"kafka-1", "kafka-2", "kafka-3", "seaweedfs"} <= init_depends


def test_application_services_build_from_the_one_dockerfile(services: dict) -> None:
    images = set()
    for name, service in services.items():
        if command_module(service) not in {*APP_PROCESSES.values(), "deploy.init"}:
            continue
        build = service.get("build")
        assert isinstance(build, dict), f"{name} must build the application image"
        assert build.get("context") == "."
        assert build.get("dockerfile") == "deploy/Dockerfile"
        images.add(service.get("image"))
    assert len(images) == 1, f"one image for every process, got {images}"
    assert (ROOT / "deploy" / "Dockerfile").is_file()


def test_secrets_come_only_from_required_variables(services: dict) -> None:
    for name, service in services.items():
        for key, value in env_of(service).items():
            if not is_secret_name(key):
                continue
            assert isinstance(value, str), f"{name}.{key} must be a ${{VAR:?...}} reference"
            assert REQUIRED_VAR.match(value), (
                f"{name}.{key}={value!r}: a secret must be ${{VAR:?message}}, no default"
            )


def test_no_secret_variable_has_a_default_anywhere() -> None:
    text = COMPOSE_FILE.read_text()
    for match in VAR_REFERENCE.finditer(text):
        if is_secret_name(match["var"]):
            assert match["op"] == ":?", f"${{{match['var']}}} must be written ${{VAR:?message}}"


def test_each_service_uses_its_own_database(services: dict) -> None:
    for name in APP_PROCESSES:
        prefix = name.upper()
        url = env_of(services[name])[f"{prefix}_DATABASE_URL"]
        # The password part is a `${...}` reference: take it out before parsing the URL.
        password_ref = re.search(r":(\$\{[^}]+\})@", url)
        assert password_ref, f"{name}: the password must come from a variable"
        assert password_ref.group(1).startswith(f"${{{prefix}_DB_PASSWORD:?")
        parts = urlsplit(url.replace(password_ref.group(1), "secret"))
        assert parts.scheme == "postgresql+psycopg", name
        assert parts.username == name, f"{name} must log in as its own role"
        assert parts.path == f"/{name}", f"{name} must use its own database"
        assert parts.hostname == "postgres"


def test_postgres_init_script_creates_every_database(services: dict) -> None:
    script = ROOT / "deploy" / "postgres" / "init-databases.sh"
    text = script.read_text()
    for name in APP_PROCESSES:
        assert re.search(rf"\b{name}\b", text), f"init-databases.sh does not create {name}"
    mounts = " ".join(services["postgres"]["volumes"])
    assert "./deploy/postgres/init-databases.sh:/docker-entrypoint-initdb.d/" in mounts
    env = env_of(services["postgres"])
    for name in APP_PROCESSES:
        assert f"{name.upper()}_DB_PASSWORD" in env


def test_kafka_is_three_kraft_brokers_with_replication_three(services: dict) -> None:
    brokers = {
        n: s for n, s in services.items() if str(s.get("image", "")).startswith("apache/kafka:")
    }
    assert len(brokers) == 3
    cluster_ids, node_ids = set(), set()
    for name, service in brokers.items():
        env = {k: str(v) for k, v in env_of(service).items()}
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller", name
        assert len(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == 3, name
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3", name
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2", name
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3", name
        assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "3", name
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", name
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"SASL_SSL://{name}:9092", name
        cluster_ids.add(env["CLUSTER_ID"])
        node_ids.add(env["KAFKA_NODE_ID"])
        assert any(":/var/lib/kafka/data" in v for v in service["volumes"]), name
    assert len(cluster_ids) == 1 and len(node_ids) == 3
    assert str(env_of(services["init"])["INIT_REPLICATION_FACTOR"]) == "3"
    bootstrap = env_of(services["init"])["INIT_KAFKA_BOOTSTRAP"]
    assert sorted(bootstrap.split(",")) == sorted(f"{n}:9092" for n in brokers)


def test_application_services_run_in_production_mode(services: dict) -> None:
    for name in APP_PROCESSES:
        env = env_of(services[name])
        prefix = name.upper()
        assert env[f"{prefix}_MODE"] == "production", name
        assert command_module(services[name]) == APP_PROCESSES[name]


def test_service_settings_are_complete_and_consistent(services: dict) -> None:
    for index, (name, port) in enumerate(SERVICES.items()):
        prefix = name.upper()
        env = {k: str(v) for k, v in env_of(services[name]).items()}
        assert env[f"{prefix}_GRPC_HOST"] == "0.0.0.0"
        assert env[f"{prefix}_GRPC_PORT"] == str(port)
        assert env[f"{prefix}_METRICS_PORT"] == str(9101 + index)
        assert env[f"{prefix}_KAFKA_BOOTSTRAP"] == env_of(services["init"])["INIT_KAFKA_BOOTSTRAP"]
        assert f"{prefix}_LOG_LEVEL" in env
        for setting in ("S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_SECURE"):
            assert (f"{prefix}_{setting}" in env) == (name in S3_SERVICES), f"{name} {setting}"
        gateway_addr = env_of(services["gateway"])[f"GATEWAY_{prefix}_ADDR"]
        assert gateway_addr == f"{name}:{port}"
    assert "RECORDS_LOG_SIGNING_KEY" in env_of(services["records"])
    assert "RECORDS_S3_PUBLIC_ENDPOINT" in env_of(services["records"])
    gateway = env_of(services["gateway"])
    for key in (
        "GATEWAY_HTTP_HOST",
        "GATEWAY_HTTP_PORT",
        "GATEWAY_JWT_SECRET",
    ):
        assert key in gateway


def test_kafka_accepts_only_scram_over_tls_and_s3_only_https(compose: dict, services: dict) -> None:
    """Issue 13, item 8: no client reaches the broker or S3 in the clear or anonymously."""
    for name, service in services.items():
        if not str(service.get("image", "")).startswith("apache/kafka:"):
            continue
        env = {k: str(v) for k, v in env_of(service).items()}
        listeners = dict(
            item.split(":", 1) for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
        )
        assert set(listeners.values()) <= {"SASL_SSL", "SSL"}, name
        assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512", name
        assert env["KAFKA_LISTENER_NAME_CONTROLLER_SSL_CLIENT_AUTH"] == "required", name
        assert "--command-config" in " ".join(service["healthcheck"]["test"]), name
    for name in [*APP_PROCESSES, "init"]:
        prefix = "INIT" if name == "init" else name.upper()
        env = {k: str(v) for k, v in env_of(services[name]).items()}
        if name != "gateway":
            assert env[f"{prefix}_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL", name
            assert env[f"{prefix}_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512", name
            assert REQUIRED_VAR.match(env[f"{prefix}_KAFKA_SASL_PASSWORD"]), name
        if f"{prefix}_S3_SECURE" in env:
            assert env[f"{prefix}_S3_SECURE"] == "true", name
    weed = " ".join(services["seaweedfs"]["command"])
    assert "-s3.cert.file=" in weed and "-s3.key.file=" in weed
    assert set(compose["secrets"]) >= {"deployment-ca", "s3-tls-cert", "s3-tls-key"}


def test_services_trust_only_the_gateways_service_token(services: dict) -> None:
    for name in SERVICES:
        env = env_of(services[name])
        assert REQUIRED_VAR.match(env[f"{name.upper()}_SERVICE_TOKEN_PUBLIC_KEY"]), name
    gateway = env_of(services["gateway"])
    for key in ("GATEWAY_SERVICE_TOKEN_KEY", "GATEWAY_METRICS_TOKEN", "GATEWAY_PUBLIC_BASE_URL"):
        assert REQUIRED_VAR.match(gateway[key]), key


def test_volumes_are_named(compose: dict, services: dict) -> None:
    named = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if source.startswith((".", "/")):
                assert source == "./deploy/postgres/init-databases.sh", f"{name}: bind {source}"
            else:
                assert source in named, f"{name}: volume {source} is not declared"


def test_dockerfile_is_multi_stage_non_root_without_dev_extras() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, flags=re.M)) >= 2
    assert "python:3.11-slim" in text
    assert "pip install -c constraints.txt grpcio-tools" in text
    assert "grpc_tools.protoc" in text
    assert re.search(r"pip install -c constraints\.txt \.(\s|$)", text)
    assert "[dev]" not in text
    users = re.findall(r"^USER (\S+)", text, flags=re.M)
    assert users and not users[-1].startswith(("root", "0")), "the image must not run as root"
    assert not re.search(r"^(ENV|ARG) \S*(PASSWORD|SECRET|_KEY)", text, flags=re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".venv", "var", ".git"):
        assert entry in ignored


# ---- kubernetes -----------------------------------------------------------------------------


def k8s_documents() -> list[tuple[str, dict]]:
    docs = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path.name, doc))
    return docs


def of_kind(kind: str) -> list[dict]:
    return [doc for _, doc in k8s_documents() if doc["kind"] == kind]


def test_k8s_manifests_match_the_kubernetes_schemas() -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for filename, doc in k8s_documents():
        for version in ("1.30", kubernetes_validate.latest_version()):
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as error:  # pragma: no cover - message
                pytest.fail(
                    f"{filename} {doc['kind']}/{doc['metadata']['name']} {version}: {error}"
                )


def test_k8s_has_every_process() -> None:
    kinds = {(doc["kind"], doc["metadata"]["name"]) for _, doc in k8s_documents()}
    assert ("Namespace", "enforcement") in kinds
    assert ("ConfigMap", "enforcement-config") in kinds
    assert ("Job", "enforcement-init") in kinds
    for name in map(k8s_name, APP_PROCESSES):
        assert ("Deployment", name) in kinds and ("Service", name) in kinds, name
    assert not of_kind("Secret"), "secret values never live in the repository"
    kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    files = {path.name for path in K8S_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def k8s_name(name: str) -> str:
    """Kubernetes names take no underscore: hazard_sources runs as `hazard-sources`."""
    return name.replace("_", "-")


def containers_of(doc: dict) -> list[dict]:
    return doc["spec"]["template"]["spec"]["containers"]


def test_every_deployment_has_probes_and_resources() -> None:
    for doc in of_kind("Deployment"):
        name = doc["metadata"]["name"]
        for container in containers_of(doc):
            for probe in ("livenessProbe", "readinessProbe"):
                assert probe in container, f"{name}: no {probe}"
            resources = container.get("resources") or {}
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(bound) or {}), f"{name} {bound}"
            security = container.get("securityContext") or {}
            assert security.get("allowPrivilegeEscalation") is False, name
        assert doc["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_grpc_services_use_native_grpc_probes_and_gateway_http() -> None:
    deployments = {doc["metadata"]["name"]: doc for doc in of_kind("Deployment")}
    for name, port in SERVICES.items():
        container = containers_of(deployments[k8s_name(name)])[0]
        assert container["command"] == ["python", "-m", f"services.{name}"]
        for probe in ("livenessProbe", "readinessProbe"):
            assert container[probe]["grpc"]["port"] == port, f"{name} {probe}"
    gateway = containers_of(deployments["gateway"])[0]
    assert gateway["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_k8s_secrets_only_by_reference_and_production_mode() -> None:
    workloads = of_kind("Deployment") + of_kind("Job")
    for doc in workloads:
        name = doc["metadata"]["name"]
        for container in containers_of(doc):
            env = {item["name"]: item for item in container.get("env", [])}
            for key, item in env.items():
                if is_secret_name(key) or key.endswith("_DATABASE_URL"):
                    assert "value" not in item, f"{name}.{key} must not hold a value"
                    assert "secretKeyRef" in item["valueFrom"], f"{name}.{key}"
            if doc["kind"] == "Deployment":
                prefix = name.upper().replace("-", "_")
                assert env[f"{prefix}_MODE"]["value"] == "production", name
    config = of_kind("ConfigMap")[0]["data"]
    for key in config:
        assert not is_secret_name(key.replace("-", "_")), f"ConfigMap holds {key}"


def test_k8s_readme_names_every_referenced_secret() -> None:
    readme = (K8S_DIR / "README.md").read_text()
    for doc in of_kind("Deployment") + of_kind("Job"):
        for container in containers_of(doc):
            for item in container.get("env", []):
                ref = (item.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] in readme, f"README.md does not name {ref['name']}"
                    assert ref["key"] in readme, f"README.md does not name key {ref['key']}"


def test_k8s_network_policies_deny_by_default_and_let_only_the_gateway_reach_services() -> None:
    """Issue 13, item 8: only the gateway reaches services; only services reach their stores."""
    policies = {doc["metadata"]["name"]: doc["spec"] for doc in of_kind("NetworkPolicy")}
    deny = [
        p for p in policies.values()
        if p["podSelector"] == {} and set(p["policyTypes"]) == {"Ingress", "Egress"}
        and not p.get("ingress") and not p.get("egress")
    ]  # fmt: skip
    assert deny, "no default-deny policy"
    grpc_ports = set(SERVICES.values())
    for name, spec in policies.items():
        for rule in spec.get("ingress") or []:
            ports = {p["port"] for p in rule.get("ports") or []}
            if ports & grpc_ports or any(p.get("endPort") for p in rule.get("ports") or []):
                if ports & {9101}:
                    continue  # the metrics ports, from the monitoring namespace
                sources = rule.get("from") or []
                assert sources == [
                    {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "gateway"}}}
                ], f"{name}: gRPC ports open to {sources}"
        for rule in spec.get("egress") or []:
            ports = {p["port"] for p in rule.get("ports") or []}
            if ports & {5432, 9092, 443}:
                selected = spec["podSelector"]
                labels = selected.get("matchLabels", {})
                names = {
                    v for e in selected.get("matchExpressions", []) for v in e.get("values", [])
                }
                assert labels.get("app.kubernetes.io/component") in {
                    "gateway", "grpc-service", "init"
                } or names <= FILE_KEEPERS, name  # fmt: skip
                if ports & {9092, 443}:
                    assert labels.get("app.kubernetes.io/component") != "gateway", name


def test_k8s_processes_reach_kafka_with_scram_over_tls_and_trust_the_service_token_key() -> None:
    config = next(d for d in of_kind("ConfigMap") if d["metadata"]["name"] == "enforcement-config")
    assert config["data"]["kafka-security-protocol"] == "SASL_SSL"
    assert config["data"]["kafka-sasl-mechanism"] == "SCRAM-SHA-512"
    assert config["data"]["s3-secure"] == "true"
    for doc in of_kind("Deployment") + of_kind("Job"):
        name = doc["metadata"]["name"]
        env = {item["name"]: item for item in containers_of(doc)[0].get("env", [])}
        if name == "gateway":
            for key in ("GATEWAY_SERVICE_TOKEN_KEY", "GATEWAY_METRICS_TOKEN"):
                assert "secretKeyRef" in env[key]["valueFrom"], key
            assert "GATEWAY_PUBLIC_BASE_URL" in env
            continue
        prefix = "INIT" if doc["kind"] == "Job" else name.upper().replace("-", "_")
        protocol = env[f"{prefix}_KAFKA_SECURITY_PROTOCOL"]["valueFrom"]["configMapKeyRef"]
        assert protocol["key"] == "kafka-security-protocol", name
        assert "secretKeyRef" in env[f"{prefix}_KAFKA_SASL_PASSWORD"]["valueFrom"], name
        if doc["kind"] == "Deployment":
            assert f"{prefix}_SERVICE_TOKEN_PUBLIC_KEY" in env, name


def test_the_names_people_read_are_set_by_the_deployment(services: dict) -> None:
    # The apps show the agency's name, documents print it, and the disclosure holds back
    # every decision whose authority has no credit code: none of it may fall back to the
    # demo district's defaults in production.
    required = {
        "gateway": {"GATEWAY_AGENCY_NAMES": "AGENCY_NAMES"},
        "documents": {"DOCUMENTS_AGENCY_NAMES": "AGENCY_NAMES"},
        "disclosure": {"DISCLOSURE_AUTHORITIES": "DISCLOSURE_AUTHORITIES"},
    }
    for name, settings in required.items():
        env = services[name]["environment"]
        for key, var in settings.items():
            match = REQUIRED_VAR.match(env.get(key, ""))
            assert match and match["var"] == var, f"{name}.{key}"
    config = next(
        doc for doc in of_kind("ConfigMap") if doc["metadata"]["name"] == "enforcement-config"
    )
    names = json.loads(config["data"]["agency-names"])
    authorities = json.loads(config["data"]["disclosure-authorities"])
    assert names and all(isinstance(v, str) for v in names.values())
    assert all(isinstance(v, list) and len(v) == 3 for v in authorities.values())
    wanted = {
        "gateway": {"GATEWAY_AGENCY_NAMES": "agency-names"},
        "documents": {"DOCUMENTS_AGENCY_NAMES": "agency-names"},
        "disclosure": {"DISCLOSURE_AUTHORITIES": "disclosure-authorities"},
    }
    for doc in of_kind("Deployment"):
        for env_name, key in wanted.get(doc["metadata"]["name"], {}).items():
            app = containers_of(doc)[0]
            refs = {
                e["name"]: e.get("valueFrom", {}).get("configMapKeyRef", {}) for e in app["env"]
            }
            assert refs.get(env_name, {}).get("key") == key, (doc["metadata"]["name"], env_name)
