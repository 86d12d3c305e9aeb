"""Broker down: the gateway answers 503 (the provider retries); broker back on the same port: the retry lands."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from gateway_processes import JSON, create_all_topics, start_gateway, stored

from fapiao.connectors.broker import EmbeddedBroker
from fapiao.connectors.gateway.loadgen import kingdee_callback

pytestmark = pytest.mark.integration


def test_a_callback_is_never_acknowledged_then_lost(tmp_path: Path) -> None:
    broker = EmbeddedBroker(log_path=tmp_path / "broker.log").start()
    gateway = None
    try:
        create_all_topics(broker.cluster)
        gateway, url = start_gateway(broker.bootstrap, tmp_path / "gateway.log", FAPIAO_GATEWAY_ACK_DEADLINE_S="1")
        assert httpx.post(f"{url}/callbacks/kingdee", content=kingdee_callback("OUT-0"), headers=JSON).status_code == 200

        broker.stop()
        body = kingdee_callback("OUT-1")
        assert httpx.post(f"{url}/callbacks/kingdee", content=body, headers=JSON, timeout=10).status_code == 503
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 503

        # Memory storage: the new broker on the same port starts empty, so the topics are created again.
        broker = EmbeddedBroker(port=broker.port, log_path=tmp_path / "broker.log").start()
        create_all_topics(broker.cluster)
        statuses = []
        for _ in range(10):  # the provider's retries
            statuses.append(httpx.post(f"{url}/callbacks/kingdee", content=body, headers=JSON, timeout=10).status_code)
            if statuses[-1] == 200:
                break
        assert statuses[-1] == 200 and set(statuses) <= {200, 503}
        assert [r.body for r in stored(broker.cluster) if r.serial == "OUT-1"] == [body]
    finally:
        if gateway is not None:
            gateway.stop()
        broker.stop()
