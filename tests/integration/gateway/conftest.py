"""Gateway integration fixtures: a real Tansu broker on a free port with the topics created first, and gateways
as `python -m fapiao gateway` subprocesses on it; every process stopped by its pid at the end."""

from __future__ import annotations

from typing import Callable, Iterator

import pytest
from gateway_processes import create_all_topics, start_gateway

from fapiao.connectors.broker import EmbeddedBroker
from fapiao.connectors.stack import Process


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker(log_path=tmp_path_factory.mktemp("broker") / "broker.log") as running:
        create_all_topics(running.cluster)
        yield running


@pytest.fixture(scope="module")
def gateway_factory(broker: EmbeddedBroker,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., tuple[Process, str]]]:
    """`gateway_factory(**env)`: a gateway on the module's broker; all stopped at the end of the module."""
    started: list[Process] = []

    def start(**env: str) -> tuple[Process, str]:
        process, url = start_gateway(broker.bootstrap, tmp_path_factory.mktemp("gateway") / "gateway.log", **env)
        started.append(process)
        return process, url

    yield start
    for process in started:
        process.stop()
