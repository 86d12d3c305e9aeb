"""Multiprocess mode: two real processes write the worker's series, and one scrape adds them up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.multiprocess import mark_process_dead

from fapiao.metrics import Sample, samples
from fapiao.streams.metrics import WorkerMetrics

# A worker process's part: count records, hold calls in flight, time a call; then wait to be told to exit.
WRITER = """
import sys
from fapiao.metrics import Sample, samples
from fapiao.streams.metrics import WorkerMetrics
metrics = WorkerMetrics()
records, in_flight = int(sys.argv[1]), int(sys.argv[2])
metrics.records_in.inc("fapiao.signals", by=records)
for _ in range(in_flight):
    metrics.in_flight.inc("kingdee")
metrics.provider_seconds.observe(0.2, "kingdee", "submit")
metrics.lag.replace({("fapiao.signals", sys.argv[3]): 7})
print("written", flush=True)
sys.stdin.read()
"""


def scrape() -> dict[Sample, float]:
    return samples(WorkerMetrics().render())


def test_one_scrape_adds_up_every_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(records), str(calls), str(partition)], env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for records, calls, partition in ((5, 2, 0), (7, 3, 1))]
    try:
        for writer in writers:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "written"
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
        found = scrape()
        assert found[("fapiao_records_in_total", (("topic", "fapiao.signals"),))] == 12
        assert found[("fapiao_provider_calls_in_flight", (("provider", "kingdee"),))] == 5
        assert found[("fapiao_provider_call_seconds_count", (("operation", "submit"), ("provider", "kingdee")))] == 2
        assert found[("fapiao_consumer_lag", (("partition", "0"), ("topic", "fapiao.signals")))] == 7
        assert found[("fapiao_consumer_lag", (("partition", "1"), ("topic", "fapiao.signals")))] == 7

        # A process that died: its gauges stop counting once it is marked dead; its counts stay counted.
        writers[0].kill()
        writers[0].wait(10)
        mark_process_dead(writers[0].pid, str(tmp_path))
        found = scrape()
        assert found[("fapiao_provider_calls_in_flight", (("provider", "kingdee"),))] == 3
        assert found[("fapiao_records_in_total", (("topic", "fapiao.signals"),))] == 12
    finally:
        for writer in writers:
            writer.kill()
            writer.wait(10)


def test_without_the_directory_a_scrape_is_this_process_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    metrics = WorkerMetrics()
    metrics.records_in.inc("fapiao.signals", by=3)
    found = samples(metrics.render())
    assert found[("fapiao_records_in_total", (("topic", "fapiao.signals"),))] == 3
