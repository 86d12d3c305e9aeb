"""A real Kafka-protocol broker for the whole test session: the embedded Tansu broker by default,
or an Apache Kafka testcontainer with FAPIAO_TEST_KAFKA=docker (where a Docker engine runs).

Tests share the broker but never each other's data: each gets its own topic prefix and app id.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

from fapiao.connectors.broker import EmbeddedBroker
from fapiao.connectors.cluster import Cluster
from fapiao.connectors.kafka import create_topics
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.settings import Settings, load
from fapiao.streams.topics import all_topics


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    if os.environ.get("FAPIAO_TEST_KAFKA") == "docker":
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as container:
            yield container.get_bootstrap_server()
        return
    with EmbeddedBroker() as broker:
        yield broker.bootstrap


@pytest.fixture(scope="session")
def stack_factory(kafka_bootstrap: str) -> Callable[[str, Path, StackOptions], Stack]:
    """A whole stack (sandboxes, gateway, worker as processes) on the session's broker, with its own topic
    prefix and app id; use it as a context manager (`with stack_factory(name, workdir, options) as stack:`)."""

    def make(name: str, workdir: Path, options: StackOptions) -> Stack:
        run = uuid.uuid4().hex[:8]
        settings = load({**os.environ, "FAPIAO_KAFKA_BOOTSTRAP": kafka_bootstrap, "FAPIAO_TOPIC_PREFIX": f"{name}{run}",
                         "FAPIAO_APP_ID": f"fapiao-{name}-{run}"})
        return Stack(settings, workdir, options)

    return make


@pytest.fixture
def settings_factory(kafka_bootstrap: str) -> Callable[..., Settings]:
    """Settings isolated to one test: a fresh topic prefix and app id on the shared broker."""

    def make(**env: str) -> Settings:
        run = uuid.uuid4().hex[:8]
        return load({**os.environ, "FAPIAO_KAFKA_BOOTSTRAP": kafka_bootstrap, "FAPIAO_TOPIC_PREFIX": f"t{run}",
                     "FAPIAO_APP_ID": f"fapiao-test-{run}", **env})

    return make


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


@pytest.fixture
def topics(settings: Settings, kafka_bootstrap: str) -> Settings:
    """The test's topics, created."""
    create_topics(Cluster(kafka_bootstrap), all_topics(settings.topic_prefix, settings.app_id), settings.partitions)
    return settings


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
