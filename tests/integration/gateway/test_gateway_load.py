"""Moderate load from this process onto a gateway subprocess: no 5xx, and every acknowledged callback is on the
topic. Correctness only: the speed figures belong to `fapiao bench` (loadgen), not to a test."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from gateway_processes import CALLBACKS

from fapiao.connectors.broker import EmbeddedBroker
from fapiao.connectors.gateway.loadgen import run
from fapiao.connectors.kafka import read_topic

pytestmark = pytest.mark.integration


async def test_every_acknowledged_callback_is_on_the_topic(gateway_factory: Callable[..., Any],
                                                           broker: EmbeddedBroker) -> None:
    # One source sends it all, so the per-source limit is lifted for this gateway.
    _, url = gateway_factory(FAPIAO_GATEWAY_RATE_PER_S="1000000", FAPIAO_GATEWAY_BURST="1000000")
    report = await run(url, count=3000, concurrency=16, duration_s=30, prefix="LOADTEST")
    assert not [status for status in report["statuses"] if status.startswith("5") or not status.isdigit()]
    assert report["statuses"]["200"] == len(report["acknowledged"]) > 0
    on_topic = {message.key().decode() for message in read_topic(broker.cluster, CALLBACKS)}
    assert set(report["acknowledged"]) <= on_topic
