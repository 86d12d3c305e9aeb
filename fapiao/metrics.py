"""Prometheus metrics on `prometheus_client`, for the worker and the gateway.

Each process part (a worker's pipeline, a gateway app) keeps its own `Registry`, so that several can live
in one process (the tests make many), and the series are `prometheus_client` metrics on it:

    registry = Registry()
    calls = registry.counter("fapiao_calls_total", "Provider calls.", ("provider",))
    calls.inc("kingdee")
    registry.render()   # the text format, for GET /metrics

**Several processes** (a worker started as N processes): set `PROMETHEUS_MULTIPROC_DIR` to an empty
directory, the same for those processes and for no others, before they start. Each process then writes
its values to files there, and a scrape of any of them adds up all of them: counters and histograms
summed, gauges summed over the processes still alive (`livesum`). Whoever starts the processes clears
the directory before a start, and calls `prometheus_client.multiprocess.mark_process_dead(pid)` for one
that died without stopping (a stopping worker does it itself), so that its gauges stop counting.
"""

from __future__ import annotations

import os
from typing import Iterable, Mapping

from prometheus_client import CollectorRegistry, disable_created_metrics, generate_latest
from prometheus_client import Counter as _Counter
from prometheus_client import Gauge as _Gauge
from prometheus_client import Histogram as _Histogram
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Registry", "Counter", "Gauge", "Histogram", "LATENCY_BUCKETS", "CONTENT_TYPE", "multiprocess_dir",
           "process_stopped", "Sample", "samples"]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CONTENT_TYPE = "text/plain; version=0.0.4"  # the text format generate_latest writes
Labels = tuple[str, ...]
Sample = tuple[str, tuple[tuple[str, str], ...]]  # (sample name, its labels sorted by name)
disable_created_metrics()  # no `_created` series beside each counter and histogram: nothing here reads them


def multiprocess_dir() -> str | None:
    """Where the processes of one worker share their values, when they do (`PROMETHEUS_MULTIPROC_DIR`)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_stopped() -> None:
    """A stopping process's gauges stop counting in the others' scrapes (multiprocess mode only)."""
    if multiprocess_dir():
        mark_process_dead(os.getpid(), multiprocess_dir())


def samples(text: str) -> dict[Sample, float]:
    """Every sample of a scrape, whatever order its labels come in (the benchmark and the tests read them)."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _key(values: Iterable[object]) -> Labels:
    return tuple(str(value) for value in values)


class _Series:
    """One metric family on a registry, with its label values given positionally, in the declared order."""

    def __init__(self, registry: CollectorRegistry, metric: _Counter | _Gauge | _Histogram, labels: Labels) -> None:
        self._registry, self.metric, self.labels = registry, metric, labels

    def _child(self, values: Iterable[object]) -> _Counter | _Gauge | _Histogram:
        return self.metric.labels(*_key(values)) if self.labels else self.metric

    def _sample(self, suffix: str, values: Iterable[object]) -> float:
        """This process's sample of the family (tests and the benchmark read it)."""
        found = self._registry.get_sample_value(self.metric._name + suffix, dict(zip(self.labels, _key(values))))
        return found or 0.0


class Counter(_Series):
    """A value per label set that only goes up."""

    def inc(self, *labels: str, by: float = 1) -> None:
        self._child(labels).inc(by)  # type: ignore[union-attr]

    def get(self, *labels: str) -> float:
        return self._sample("_total", labels)


class Gauge(_Series):
    """A value per label set that goes up and down, or is replaced whole on each look."""

    def __init__(self, registry: CollectorRegistry, metric: _Gauge, labels: Labels) -> None:
        super().__init__(registry, metric, labels)
        self._replaced: set[Labels] = set()

    def inc(self, *labels: str, by: float = 1) -> None:
        self._child(labels).inc(by)  # type: ignore[union-attr]

    def dec(self, *labels: str, by: float = 1) -> None:
        self._child(labels).dec(by)  # type: ignore[union-attr]

    def set(self, value: float, *labels: str) -> None:
        self._child(labels).set(value)  # type: ignore[union-attr]

    def get(self, *labels: str) -> float:
        return self._sample("", labels)

    def replace(self, values: Mapping[Labels, float]) -> None:
        """Every label set at once: those not given are gone (a partition this worker no longer has)."""
        wanted = {_key(key): value for key, value in values.items()}
        for key in self._replaced - wanted.keys():
            self.metric.labels(*key).set(0)  # multiprocess files keep a removed child's last value: zero it first
            self.metric.remove(*key)
        for key, value in wanted.items():
            self.metric.labels(*key).set(value)
        self._replaced = set(wanted)


class Histogram(_Series):
    """Observations counted in cumulative buckets per label set, with their sum and count."""

    def observe(self, value: float, *labels: str) -> None:
        self._child(labels).observe(value)  # type: ignore[union-attr]

    def count(self, *labels: str) -> int:
        return int(self._sample("_count", labels))


class Registry:
    """The metrics of one part of a process, rendered on their own (or, in multiprocess mode, with every
    process's writing to the same directory)."""

    def __init__(self) -> None:
        self.collectors = CollectorRegistry(auto_describe=True)
        self.names: list[str] = []  # as declared, `_total` included: what dashboards and alert rules may name

    def counter(self, name: str, help_text: str, labels: Labels = ()) -> Counter:
        self.names.append(name)
        return Counter(self.collectors, _Counter(name, help_text, labels, registry=self.collectors), labels)

    def gauge(self, name: str, help_text: str, labels: Labels = ()) -> Gauge:
        self.names.append(name)
        # livesum: in multiprocess mode the live processes' values add up (calls in flight, lag per partition)
        metric = _Gauge(name, help_text, labels, registry=self.collectors, multiprocess_mode="livesum")
        return Gauge(self.collectors, metric, labels)

    def histogram(self, name: str, help_text: str, labels: Labels = (),
                  buckets: tuple[float, ...] = LATENCY_BUCKETS) -> Histogram:
        self.names.append(name)
        return Histogram(self.collectors, _Histogram(name, help_text, labels, registry=self.collectors,
                                                     buckets=buckets), labels)

    def render(self) -> str:
        """The text format: this registry's series, or in multiprocess mode every process's, added up."""
        folder = multiprocess_dir()
        if folder is None:
            return generate_latest(self.collectors).decode("utf-8")
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=folder)
        return generate_latest(merged).decode("utf-8")
