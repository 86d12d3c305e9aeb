"""Gateway unit fixtures: the aiohttp app over a real loopback socket, with a producer that stores in memory."""

from __future__ import annotations

import dataclasses
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fapiao.connectors.gateway import SERVER_OPTIONS, GatewayConfig, create_app
from fapiao.connectors.registry import callback_parsers
from fapiao.schemas.codec import Codec
from fapiao.settings import load
from gateway_fakes import SIGNALS, TOPIC, MemoryProducer


@pytest.fixture
def producer() -> MemoryProducer:
    return MemoryProducer()


@pytest.fixture
async def client_factory(producer: MemoryProducer) -> AsyncIterator[Callable[..., Awaitable[TestClient[Any, Any]]]]:
    """`await client_factory(**config_overrides)`: a client of a gateway whose producer is `producer`."""
    clients: list[TestClient[Any, Any]] = []

    async def make(**overrides: Any) -> TestClient[Any, Any]:
        config = dataclasses.replace(GatewayConfig(topic=TOPIC, signals_topic=SIGNALS), **overrides)
        app = create_app(callback_parsers(load({})), producer, Codec(), config)  # type: ignore[arg-type]
        server = TestServer(app, host="127.0.0.1")
        await server.start_server(**SERVER_OPTIONS)  # served as `fapiao gateway` serves it
        client: TestClient[Any, Any] = TestClient(server)
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
