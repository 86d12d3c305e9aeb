"""`fapiao bench` as a user runs it: the real console script against the shared broker, checked for the
shape and sense of its figures, never for their size (speed belongs to docs/figures.md, not to a test)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fapiao.settings import Settings

pytestmark = pytest.mark.integration

FIGURES = {"count", "latency_ms", "invoices_per_s", "p50_ms", "p95_ms", "p99_ms", "ceiling_per_s", "ratio",
           "worker_rss_mb", "faust_ceiling_per_s", "records_per_invoice", "faust_bound_per_s"}


def test_bench_answers_every_request_and_ends_with_its_figures_as_json(settings: Settings) -> None:
    env = {**os.environ, "FAPIAO_KAFKA_BOOTSTRAP": settings.kafka_bootstrap or "",
           "FAPIAO_TOPIC_PREFIX": settings.topic_prefix, "FAPIAO_APP_ID": settings.app_id}
    # Its own session: on a timeout the whole group goes (the bench starts a worker, a gateway, sandboxes).
    bench = subprocess.Popen([str(Path(sys.executable).with_name("fapiao")), "bench", "--count", "40", "--warmup", "5",
                              "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                             env=env, start_new_session=True)
    try:
        stdout, stderr = bench.communicate(timeout=300)
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGKILL)
            bench.wait()
    assert bench.returncode == 0, stderr[-3000:]
    figures = json.loads(stdout.strip().splitlines()[-1])
    assert FIGURES <= figures.keys()
    assert (figures["count"], figures["warmup"], figures["pending"], figures["latency_ms"]) == (40, 5, 0, 0)
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    assert figures["invoices_per_s"] > 0 and figures["ceiling_per_s"] > 0 and figures["worker_rss_mb"] > 0
    # both inputs are rounded to 0.1 and the ratio to 0.001
    assert figures["ratio"] == pytest.approx(figures["invoices_per_s"] / figures["ceiling_per_s"], rel=0.02, abs=0.002)
    # The faust mover ran to its end, and the worker's own counters saw each invoice cross several topics.
    assert figures["faust_ceiling_per_s"] > 0 and figures["records_per_invoice"] >= 10
    assert figures["faust_bound_per_s"] == pytest.approx(
        2 * figures["faust_ceiling_per_s"] / figures["records_per_invoice"], rel=0.01)
