"""The worker's /metrics on a real stack: results by status and provider, provider latency, records by topic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import httpx
import pytest
from sandbox_options import CARELESS

from fapiao.connectors.stack import Stack, StackOptions
from fapiao.metrics import samples
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import valid_request
from fapiao.schemas.codec import Codec
from fapiao.settings import Settings
from fapiao.streams.topics import topic_name

pytestmark = pytest.mark.integration


def _value(text: str, name: str, **labels: str) -> float:
    found = samples(text).get((name, tuple(sorted(labels.items()))))
    assert found is not None, f"{name}{labels} not in /metrics:\n{text}"
    return found


def test_metrics_count_results_and_time_provider_calls(settings_factory: Callable[..., Settings],
                                                       tmp_path: Path) -> None:
    settings = settings_factory(FAPIAO_PARTITIONS="2")
    with Stack(settings, tmp_path, StackOptions(providers=("kingdee",), sandbox_args=CARELESS)) as stack:
        serials = [f"M-{n}" for n in range(3)]
        out = stack.cluster.producer()
        for serial in serials:
            out.produce(topic_name(settings.topic_prefix, "requests"), key=serial.encode(),
                        value=json.dumps(valid_request(serial, "kingdee"), ensure_ascii=False).encode())
        assert out.flush(10) == 0
        watcher = ResultWatcher(stack.cluster, topic_name(settings.topic_prefix, "results"), Codec(), serials)
        try:
            assert watcher.wait(40), f"no result for {watcher.pending}"
        finally:
            watcher.close()
        text = httpx.get(f"{stack.web_urls[0]}/metrics", timeout=5).text

    issued = sum(1 for result in watcher.results.values() if result.status.value == "issued")
    assert _value(text, "fapiao_results_total", status="issued", provider="kingdee") == issued == len(serials)
    assert _value(text, "fapiao_provider_call_seconds_count", provider="kingdee", operation="submit") >= len(serials)
    requests = topic_name(settings.topic_prefix, "requests")
    assert _value(text, "fapiao_records_in_total", topic=requests) >= len(serials)
    assert "# TYPE fapiao_consumer_lag gauge" in text and _value(text, "fapiao_in_doubt_serials") == 0
