"""deploy/docker-compose.yml and the Dockerfile: the services the issue asks for, no secret in the file."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from deploy_support import COMPOSE, DECLARED, DOCKERFILE, SECRETS, documents


def services() -> dict[str, dict]:
    [compose] = documents(COMPOSE)
    return compose["services"]


def test_kafka_runs_in_kraft_mode_beside_a_schema_registry() -> None:
    kafka = services()["kafka"]
    assert kafka["image"].startswith("apache/kafka:") and "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
    assert "schema-registry" in services()


def test_two_workers_and_a_gateway_start_after_the_topics_job() -> None:
    every = services()
    assert every["topics"]["command"] == ["topics", "create"]
    assert every["worker"]["deploy"]["replicas"] == 2
    for name in ("worker", "gateway"):
        assert every[name]["depends_on"]["topics"]["condition"] == "service_completed_successfully"


def test_the_sandboxes_are_behind_a_profile() -> None:
    sandboxes = {name: s for name, s in services().items() if s.get("command", [""])[0] == "sandbox"}
    assert set(sandboxes) == {"kingdee-sandbox", "yipiaoyun-sandbox"}
    assert all(s["profiles"] == ["sandbox"] for s in sandboxes.values())


def test_settings_are_declared_keys_and_secrets_only_come_from_the_environment() -> None:
    env = services()["worker"]["environment"]
    assert set(env) <= DECLARED
    assert env["FAPIAO_WEB_HOST"] == "0.0.0.0" and env["FAPIAO_LOG_FORMAT"] == "json"
    for name in SECRETS & set(env):
        assert re.fullmatch(rf"\$\{{{name}:-[^}}]*\}}", env[name]), f"{name} must be interpolated from the environment"


def test_the_dockerfile_pins_its_base_and_runs_as_non_root() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    bases = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    assert bases and all(re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", b) for b in bases)
    [user] = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user.split(":")[0] not in ("root", "0")
    assert "FAPIAO_WEB_HOST=0.0.0.0" in text


def _compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


@pytest.mark.skipif(_compose_command() is None, reason="neither the docker compose plugin nor docker-compose is installed")
def test_docker_compose_config_accepts_the_file() -> None:
    command = _compose_command() or []
    checked = subprocess.run([*command, "-f", str(COMPOSE), "--profile", "sandbox", "config", "--quiet"],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
