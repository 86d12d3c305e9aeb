"""A small Prometheus registry: counters, gauges and histograms with labels, rendered as text.

No client library: a handful of series per process, pure data, rendered on each scrape.

    registry = Registry()
    calls = registry.counter("fapiao_calls_total", "Provider calls.", ("provider",))
    calls.inc("kingdee")
    registry.render()   # the text format version 0.0.4, "# HELP" and "# TYPE" before each family
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Mapping, TypeVar

__all__ = ["Registry", "Counter", "Gauge", "Histogram", "LATENCY_BUCKETS"]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
Labels = tuple[str, ...]
_F = TypeVar("_F", bound="Counter | Histogram")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _selector(names: Labels, values: Labels, extra: str = "") -> str:
    pairs = [f'{name}="{_escape(value)}"' for name, value in zip(names, values)]
    if extra:
        pairs.append(extra)
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _le(bound: str) -> str:
    return f'le="{bound}"'


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6f}"


class _Family:
    kind = ""

    def __init__(self, name: str, help_text: str, labels: Labels = ()) -> None:
        self.name, self.help, self.labels = name, help_text, labels

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]

    def _key(self, values: Iterable[str]) -> Labels:
        key = tuple(str(value) for value in values)
        if len(key) != len(self.labels):
            raise ValueError(f"{self.name} takes labels {self.labels}, got {key}")
        return key


class Counter(_Family):
    """A value per label set that only goes up."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, labels: Labels = ()) -> None:
        super().__init__(name, help_text, labels)
        self.values: dict[Labels, float] = defaultdict(float)

    def inc(self, *labels: str, by: float = 1) -> None:
        self.values[self._key(labels)] += by

    def get(self, *labels: str) -> float:
        return self.values.get(self._key(labels), 0)

    def render(self) -> list[str]:
        if not self.labels and not self.values:
            return [*self.header(), f"{self.name} 0"]
        return [*self.header(), *(f"{self.name}{_selector(self.labels, key)} {_number(value)}"
                                  for key, value in sorted(self.values.items()))]


class Gauge(Counter):
    """A value per label set that goes up and down, or is replaced whole on each look."""

    kind = "gauge"

    def dec(self, *labels: str, by: float = 1) -> None:
        self.values[self._key(labels)] -= by

    def set(self, value: float, *labels: str) -> None:
        self.values[self._key(labels)] = value

    def replace(self, values: Mapping[Labels, float]) -> None:
        """Every label set at once: those not given are gone (a partition this worker no longer has)."""
        self.values = defaultdict(float, {self._key(key): value for key, value in values.items()})


class Histogram(_Family):
    """Observations counted in cumulative buckets per label set, with their sum and count."""

    kind = "histogram"

    def __init__(self, name: str, help_text: str, labels: Labels = (),
                 buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        super().__init__(name, help_text, labels)
        self.buckets = buckets
        self.series: dict[Labels, list[float]] = {}  # bucket counts..., sum, count

    def observe(self, value: float, *labels: str) -> None:
        series = self.series.setdefault(self._key(labels), [0.0] * (len(self.buckets) + 2))
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                series[i] += 1
        series[-2] += value
        series[-1] += 1

    def count(self, *labels: str) -> int:
        return int(self.series.get(self._key(labels), [0.0])[-1])

    def render(self) -> list[str]:
        lines = self.header()
        series = self.series or ({} if self.labels else {(): [0.0] * (len(self.buckets) + 2)})
        bounds = [*(str(bound) for bound in self.buckets), "+Inf"]
        for key, values in sorted(series.items()):
            counts = [*values[:-2], values[-1]]
            lines += [f"{self.name}_bucket{_selector(self.labels, key, _le(bound))} {_number(count)}"
                      for bound, count in zip(bounds, counts)]
            lines += [f"{self.name}_sum{_selector(self.labels, key)} {values[-2]:.6f}",
                      f"{self.name}_count{_selector(self.labels, key)} {_number(values[-1])}"]
        return lines


class Registry:
    """The families of one process, rendered in the order they were made."""

    def __init__(self) -> None:
        self.families: list[Counter | Histogram] = []

    def counter(self, name: str, help_text: str, labels: Labels = ()) -> Counter:
        return self._add(Counter(name, help_text, labels))

    def gauge(self, name: str, help_text: str, labels: Labels = ()) -> Gauge:
        return self._add(Gauge(name, help_text, labels))

    def histogram(self, name: str, help_text: str, labels: Labels = (),
                  buckets: tuple[float, ...] = LATENCY_BUCKETS) -> Histogram:
        return self._add(Histogram(name, help_text, labels, buckets))

    def _add(self, family: _F) -> _F:
        self.families.append(family)
        return family

    def render(self) -> str:
        return "\n".join(line for family in self.families for line in family.render()) + "\n"
