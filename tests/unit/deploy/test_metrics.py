"""The shared Prometheus registry and the worker's series on it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.metrics import Registry, samples
from fapiao.schemas.records import InvoiceResult, InvoiceState, Status
from fapiao.streams.metrics import MeteredProvider, WorkerMetrics

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_counters_gauges_and_histograms_render_as_prometheus_text() -> None:
    registry = Registry()
    calls = registry.counter("calls_total", "Calls.", ("provider",))
    registry.gauge("idle", "Idle.")
    latency = registry.histogram("latency_seconds", "Latency.", ("op",), buckets=(0.1, 1.0))
    calls.inc("kingdee")
    calls.inc("kingdee", by=2)
    calls.inc('we"ird\\')
    latency.observe(0.05, "submit")
    latency.observe(0.5, "submit")
    text = registry.render()
    assert text.splitlines()[:2] == ["# HELP calls_total Calls.", "# TYPE calls_total counter"]
    assert samples(text) == {
        ("calls_total", (("provider", "kingdee"),)): 3, ("calls_total", (("provider", 'we"ird\\'),)): 1,
        ("idle", ()): 0,
        ("latency_seconds_bucket", (("le", "0.1"), ("op", "submit"))): 1,
        ("latency_seconds_bucket", (("le", "1.0"), ("op", "submit"))): 2,
        ("latency_seconds_bucket", (("le", "+Inf"), ("op", "submit"))): 2,
        ("latency_seconds_sum", (("op", "submit"),)): 0.55, ("latency_seconds_count", (("op", "submit"),)): 2}
    assert registry.names == ["calls_total", "idle", "latency_seconds"]


def test_a_gauge_replaced_whole_forgets_label_sets_not_given() -> None:
    registry = Registry()
    lag = registry.gauge("lag", "Lag.", ("topic", "partition"))
    lag.replace({("a", "0"): 5, ("a", "1"): 0})
    lag.replace({("a", "1"): 2})
    assert lag.get("a", "0") == 0 and lag.get("a", "1") == 2
    assert samples(registry.render()) == {("lag", (("partition", "1"), ("topic", "a"))): 2}


def state(serial: str, status: Status) -> InvoiceState:
    return InvoiceState(serial=serial, status=status, seq=1, created_at=NOW, updated_at=NOW)


def test_in_doubt_counts_serials_while_their_row_says_so() -> None:
    metrics = WorkerMetrics()
    metrics.row(state("A", Status.IN_DOUBT))
    metrics.row(state("B", Status.IN_DOUBT))
    metrics.row(state("A", Status.IN_DOUBT))
    assert samples(metrics.render())[("fapiao_in_doubt_serials", ())] == 2
    metrics.row(state("A", Status.ISSUED))
    assert metrics.in_doubt.get() == 1
    metrics.forget_rows()
    assert metrics.in_doubt.get() == 0


def test_results_by_status_and_provider() -> None:
    metrics = WorkerMetrics()
    metrics.result(InvoiceResult(serial="A", status=Status.ISSUED, at=NOW, provider="kingdee"))
    metrics.result(InvoiceResult(serial="B", status=Status.REJECTED, at=NOW))
    found = samples(metrics.render())
    assert found[("fapiao_results_total", (("provider", "kingdee"), ("status", "issued")))] == 1
    assert found[("fapiao_results_total", (("provider", "none"), ("status", "rejected")))] == 1


class SlowProvider:
    name = "kingdee"

    def __init__(self, metrics: WorkerMetrics) -> None:
        self.metrics = metrics
        self.in_flight_seen = -1.0

    async def submit(self, request: object) -> Outcome:
        self.in_flight_seen = self.metrics.in_flight.get("kingdee")
        await asyncio.sleep(0.01)
        return Outcome(OutcomeKind.ACCEPTED)

    async def query(self, request: object) -> Outcome:
        raise RuntimeError("boom")

    async def aclose(self) -> None: ...


async def test_a_metered_provider_times_each_call_and_counts_it_in_flight() -> None:
    metrics = WorkerMetrics()
    inner = SlowProvider(metrics)
    provider = MeteredProvider(inner, metrics)  # type: ignore[arg-type]
    assert (await provider.submit(None)).kind is OutcomeKind.ACCEPTED  # type: ignore[arg-type]
    try:
        await provider.query(None)  # type: ignore[arg-type]
    except RuntimeError:
        pass
    assert inner.in_flight_seen == 1 and metrics.in_flight.get("kingdee") == 0
    assert metrics.provider_seconds.count("kingdee", "submit") == 1
    assert metrics.provider_seconds.count("kingdee", "query") == 1  # a call that raised is timed too
    bucket = (("le", "0.005"), ("operation", "submit"), ("provider", "kingdee"))
    assert samples(metrics.render())[("fapiao_provider_call_seconds_bucket", bucket)] == 0
