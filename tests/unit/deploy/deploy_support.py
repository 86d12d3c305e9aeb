"""Where the deploy files are, and the settings keys they may name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from fapiao.settings import KEYS

ROOT = Path(__file__).parents[3]
K8S = ROOT / "deploy" / "k8s"
COMPOSE = ROOT / "deploy" / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DECLARED = {key.name for key in KEYS}
SECRETS = {key.name for key in KEYS if key.secret}


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def manifests() -> list[dict[str, Any]]:
    """Every Kubernetes object under deploy/k8s (the kustomization itself left out)."""
    return [doc for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in documents(path)]


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in manifests() if doc["kind"] == kind}
