"""`fapiao bench` as a user runs it: the real console script against the shared broker, checked for the
shape and sense of its figures, never for their size (speed belongs to docs/figures.md, not to a test)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fapiao.settings import Settings

pytestmark = pytest.mark.integration

FIGURES = {"count", "latency_ms", "invoices_per_s", "p50_ms", "p95_ms", "p99_ms", "ceiling_per_s", "ratio",
           "worker_rss_mb", "faust_ceiling_per_s", "records_per_invoice", "faust_bound_per_s", "worker_cpu_s",
           "cpu_ms_per_invoice", "processes", "issued_twice"}


def bench(settings: Settings, *args: str) -> dict[str, Any]:
    """Run `fapiao bench --count 40 --warmup 5 --json ARGS` to its end; its figures."""
    env = {**os.environ, "FAPIAO_KAFKA_BOOTSTRAP": settings.kafka_bootstrap or "",
           "FAPIAO_TOPIC_PREFIX": settings.topic_prefix, "FAPIAO_APP_ID": settings.app_id}
    # Its own session: on a timeout the whole group goes (the bench starts a worker, a gateway, sandboxes).
    process = subprocess.Popen([str(Path(sys.executable).with_name("fapiao")), "bench", "--count", "40", "--warmup",
                                "5", "--json", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               encoding="utf-8", env=env, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def assert_a_sensible_run(figures: dict[str, Any]) -> None:
    assert (figures["count"], figures["warmup"], figures["pending"], figures["latency_ms"]) == (40, 5, 0, 0)
    assert figures["issued_twice"] == 0
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    assert figures["invoices_per_s"] > 0 and figures["worker_rss_mb"] > 0
    # the worker's own counters (summed over its processes) saw each invoice cross several topics
    assert figures["records_per_invoice"] >= 10
    # both inputs are rounded: the CPU to 0.1 s, its share of an invoice to 0.01 ms
    assert figures["cpu_ms_per_invoice"] > 0
    assert figures["cpu_ms_per_invoice"] * figures["count"] / 1000 == pytest.approx(figures["worker_cpu_s"], abs=0.06)


def test_bench_answers_every_request_and_ends_with_its_figures_and_audit_as_json(settings: Settings) -> None:
    figures = bench(settings, "--audit")
    assert FIGURES <= figures.keys() and figures["processes"] == 1 and "scaling" not in figures
    assert figures["audit"] == {"ok": True, "violated": []}
    assert_a_sensible_run(figures)
    assert figures["ceiling_per_s"] > 0
    # both inputs are rounded to 0.1 and the ratio to 0.001
    assert figures["ratio"] == pytest.approx(figures["invoices_per_s"] / figures["ceiling_per_s"], rel=0.02, abs=0.002)
    # The faust mover ran to its end.
    assert figures["faust_ceiling_per_s"] > 0
    assert figures["faust_bound_per_s"] == pytest.approx(
        2 * figures["faust_ceiling_per_s"] / figures["records_per_invoice"], rel=0.01)


def test_bench_with_two_processes_reports_their_scaling_over_one_measured_in_the_same_run(settings: Settings) -> None:
    figures = bench(settings, "--processes", "2")
    one = figures["one_process"]
    assert FIGURES <= figures.keys() and (figures["processes"], one["processes"]) == (2, 1)
    assert_a_sensible_run(figures)
    assert_a_sensible_run(one)
    assert figures["scaling"] == pytest.approx(figures["invoices_per_s"] / one["invoices_per_s"], rel=0.02, abs=0.01)
    # The supervisor's /metrics is both members' sum: one member alone would have seen about half the records.
    assert figures["records_per_invoice"] == pytest.approx(one["records_per_invoice"], rel=0.3)
