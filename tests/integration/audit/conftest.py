"""Audit integration tests: the shared session broker (tests/integration/conftest.py), own topics per
test, and the `fapiao` console script run as a real subprocess against them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from fapiao.settings import Settings

FAPIAO = Path(sys.executable).with_name("fapiao")
Run = Callable[..., subprocess.CompletedProcess[str]]


def env_of(settings: Settings, **extra: str) -> dict[str, str]:
    return {**os.environ, "FAPIAO_KAFKA_BOOTSTRAP": settings.kafka_bootstrap or "",
            "FAPIAO_TOPIC_PREFIX": settings.topic_prefix, "FAPIAO_APP_ID": settings.app_id, **extra}


@pytest.fixture
def fapiao(topics: Settings) -> Run:
    """Run `fapiao ARGS…` against this test's topics; the process ends before this returns."""

    def run(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(FAPIAO), *args], capture_output=True, text=True, encoding="utf-8",
                              timeout=timeout, check=False, env=env_of(topics, **env))

    return run


def last_json(process: subprocess.CompletedProcess[str]) -> Any:
    """The JSON object on the last line of stdout."""
    assert process.stdout.strip(), process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])
