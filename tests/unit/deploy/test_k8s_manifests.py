"""The Kubernetes manifests: well formed, non-root, probed, and naming only settings that exist."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
from deploy_support import DECLARED, K8S, SECRETS, by_kind, documents, manifests


def pod_specs() -> dict[str, dict[str, Any]]:
    workloads = {**by_kind("Deployment"), **by_kind("Job")}
    return {name: doc["spec"]["template"]["spec"] for name, doc in workloads.items()}


def test_every_object_has_api_version_kind_and_name() -> None:
    for doc in manifests():
        assert doc.get("apiVersion") and doc.get("kind") and doc.get("metadata", {}).get("name"), doc


def test_the_kustomization_lists_every_manifest() -> None:
    [kustomization] = documents(K8S / "kustomization.yaml")
    files = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_there_are_worker_gateway_service_config_secret_and_topics_job() -> None:
    assert {"fapiao-worker", "fapiao-gateway"} <= set(by_kind("Deployment"))
    assert "fapiao-gateway" in by_kind("Service")
    assert "fapiao-config" in by_kind("ConfigMap") and "fapiao-secrets" in by_kind("Secret")
    [job] = by_kind("Job").values()
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["topics", "create"]


def test_every_pod_runs_as_non_root_without_privilege_escalation() -> None:
    for name, spec in pod_specs().items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and context["capabilities"]["drop"] == ["ALL"], name


def test_the_worker_is_ready_on_readyz_and_alive_on_healthz_of_its_web_port() -> None:
    [container] = pod_specs()["fapiao-worker"]["containers"]
    [port] = container["ports"]
    assert port["containerPort"] == 8781
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}


def test_the_gateway_service_selects_the_gateway_pods() -> None:
    service = by_kind("Service")["fapiao-gateway"]
    deployment = by_kind("Deployment")["fapiao-gateway"]
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_config_holds_declared_non_secret_keys_and_secrets_come_from_files() -> None:
    config = by_kind("ConfigMap")["fapiao-config"]["data"]
    assert set(config) <= DECLARED - SECRETS
    assert config["FAPIAO_WEB_HOST"] == "0.0.0.0" and config["FAPIAO_LOG_FORMAT"] == "json"
    secret_keys = set(by_kind("Secret")["fapiao-secrets"]["stringData"])
    for name, spec in pod_specs().items():
        mounts = {m["name"]: m["mountPath"] for c in spec["containers"] for m in c.get("volumeMounts", [])}
        for container in spec["containers"]:
            for env in container.get("env", []):
                assert env["name"].removesuffix("_FILE") in SECRETS, (name, env["name"])  # no plain-env secrets
                assert env["value"].startswith(mounts["secrets"] + "/"), (name, env)
                assert env["value"].rsplit("/", 1)[1] in secret_keys, (name, env)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
def test_kubectl_kustomize_renders_the_set() -> None:
    rendered = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.count("\nkind: ") + rendered.stdout.startswith("kind: ") >= len(manifests())


@pytest.mark.skipif(shutil.which("kubeconform") is None, reason="kubeconform is not on PATH")
def test_kubeconform_accepts_every_manifest() -> None:
    files = [str(path) for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"]
    checked = subprocess.run(["kubeconform", "-strict", "-summary", *files], capture_output=True, text=True,
                             timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
