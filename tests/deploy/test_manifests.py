"""The deployment manifests give every process the internal secret and let only the gateway
reach the services."""

from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
APPS = ("members", "content", "events", "scoring", "gateway")
BACKENDS = APPS[:-1]


def k8s_resources() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    return [
        document
        for name in kustomization["resources"]
        for document in yaml.safe_load_all((DEPLOY / "k8s" / name).read_text())
        if document
    ]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in k8s_resources() if r["kind"] == kind}


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted: dict[str, str] = selector.get("matchLabels", {})
    return all(labels.get(key) == value for key, value in wanted.items())


@pytest.mark.parametrize("app", APPS)
def test_every_deployment_gets_the_internal_secret_from_the_secret(app: str) -> None:
    [container] = of_kind("Deployment")[app]["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    reference = env["HUOLI_INTERNAL_SECRET"]["valueFrom"]["secretKeyRef"]
    assert reference == {"name": "huoli-secrets", "key": "HUOLI_INTERNAL_SECRET"}
    example = yaml.safe_load((DEPLOY / "k8s" / "secret.example.yaml").read_text())
    assert "CHANGE_ME" in example["stringData"]["HUOLI_INTERNAL_SECRET"]


def test_only_the_gateway_may_reach_the_services() -> None:
    policies = of_kind("NetworkPolicy")
    pod_labels = {
        name: deployment["spec"]["template"]["metadata"]["labels"]
        for name, deployment in of_kind("Deployment").items()
    }
    # Everything is isolated first: a pod no policy lets in accepts nothing.
    deny = policies["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {} and "ingress" not in deny
    for app in BACKENDS:
        admitting = [
            p["spec"]
            for p in policies.values()
            if selects(p["spec"]["podSelector"], pod_labels[app])
        ]
        sources = [
            source
            for spec in admitting
            for rule in spec.get("ingress", [])
            for source in rule.get("from", [None])
        ]
        assert sources, f"{app} admits nobody"
        for source in sources:
            assert source is not None, f"{app} admits any source"
            assert selects(source["podSelector"], pod_labels["gateway"])
            assert not any(selects(source["podSelector"], pod_labels[other]) for other in BACKENDS)
    gateway_rules = [
        rule
        for p in policies.values()
        if selects(p["spec"]["podSelector"], pod_labels["gateway"])
        for rule in p["spec"].get("ingress", [])
    ]
    assert any("from" not in rule for rule in gateway_rules), "the gateway must be reachable"


def test_compose_gives_every_process_the_same_required_internal_secret() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for app in APPS:
        value = compose["services"][app]["environment"]["HUOLI_INTERNAL_SECRET"]
        assert value == "${HUOLI_INTERNAL_SECRET:?set HUOLI_INTERNAL_SECRET}"


def test_every_component_autoscales_and_consumers_stay_within_the_partitions() -> None:
    autoscalers = of_kind("HorizontalPodAutoscaler")
    deployments = of_kind("Deployment")
    partitions = int(of_kind("ConfigMap")["huoli-config"]["data"]["KAFKA_TOPIC_PARTITIONS"])
    for app in APPS:
        spec = autoscalers[app]["spec"]
        assert spec["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": app,
        }
        assert app in deployments
        assert 2 <= spec["minReplicas"] <= spec["maxReplicas"]
    for app in BACKENDS:
        # A consumer replica beyond the partition count would hold no partition.
        assert autoscalers[app]["spec"]["maxReplicas"] <= partitions


def test_every_component_keeps_one_pod_through_voluntary_disruptions() -> None:
    budgets = of_kind("PodDisruptionBudget")
    for app in APPS:
        assert budgets[app]["spec"]["minAvailable"] >= 1
        labels = of_kind("Deployment")[app]["spec"]["template"]["metadata"]["labels"]
        assert selects(budgets[app]["spec"]["selector"], labels)


def test_migrations_run_as_a_job_with_every_database() -> None:
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "jobs" / "kustomization.yaml").read_text())
    [job] = [
        document
        for name in kustomization["resources"]
        for document in yaml.safe_load_all((DEPLOY / "k8s" / "jobs" / name).read_text())
        if document and document["kind"] == "Job"
    ]
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    [container] = spec["containers"]
    assert container["command"] == ["huoli", "migrate"]
    env = {item["name"] for item in container["env"]}
    assert {f"{app.upper()}_DATABASE_URL" for app in APPS} <= env
    pyproject = (DEPLOY.parent / "pyproject.toml").read_text()
    assert 'huoli = "huoli.cli:app"' in pyproject
    assert "COPY huoli/ huoli/" in (DEPLOY / "Dockerfile").read_text()


def test_the_gateway_gets_its_own_database_everywhere() -> None:
    [container] = of_kind("Deployment")["gateway"]["spec"]["template"]["spec"]["containers"]
    env = {item["name"]: item for item in container["env"]}
    assert env["GATEWAY_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "GATEWAY_DATABASE_URL"
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert compose["services"]["gateway"]["environment"]["GATEWAY_DATABASE_URL"].endswith(
        "/huoli_gateway"
    )
    assert "CREATE DATABASE huoli_gateway" in (DEPLOY / "postgres-init.sql").read_text()
