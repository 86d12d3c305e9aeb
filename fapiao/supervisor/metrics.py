"""Adding up several processes' Prometheus text (format 0.0.4) into one scrape. Pure: text in, text out.

A sample is a metric name, its labels and a value. Samples with the same name and labels add up:
counters, histogram buckets, sums and counts, and gauges too, since each worker process holds its
own partitions (its lag, its in-doubt serials, its calls in flight). Only `*_created` samples (the
moment a series was created, which `prometheus_client` writes) take the earliest, not the sum.

    add_up([member_0_text, member_1_text])   # one text, families in the order first seen

It reads what any registry writes (ours, `prometheus_client`'s, one with timestamps or labels in
another order), so it does not care which one the processes use.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterable

__all__ = ["Sample", "ParseError", "parse", "add_up"]

Labels = tuple[tuple[str, str], ...]
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


@dataclass(frozen=True)
class Sample:
    name: str
    labels: Labels
    value: float


@dataclass
class _Family:
    """A metric family's `# HELP` and `# TYPE` lines, and its samples by (name, sorted labels)."""

    metadata: list[str] = field(default_factory=list)
    samples: dict[tuple[str, Labels], Sample] = field(default_factory=dict)


class ParseError(ValueError):
    """A line that is not Prometheus text format."""


def _unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            char = "\n" if escaped == "n" else escaped
        out.append(char)
    return "".join(out)


def _labels(text: str, line: str) -> tuple[Labels, str]:
    """Parse `a="x",b="y"}` (just after the `{`); return the labels and the rest of the line after `}`."""
    labels: list[tuple[str, str]] = []
    rest = text.lstrip()
    while not rest.startswith("}"):
        name, eq, rest = rest.partition("=")
        if not eq or not rest.startswith('"'):
            raise ParseError(f"bad labels in {line!r}")
        end, escaped = 1, False
        while end < len(rest) and (escaped or rest[end] != '"'):
            escaped = not escaped and rest[end] == "\\"
            end += 1
        if end >= len(rest):
            raise ParseError(f"unterminated label value in {line!r}")
        labels.append((name.strip(), _unescape(rest[1:end])))
        rest = rest[end + 1:].lstrip().removeprefix(",").lstrip()
    return tuple(labels), rest[1:]


def _sample(line: str) -> Sample:
    brace = line.find("{")
    space = line.find(" ")
    if brace != -1 and (space == -1 or brace < space):
        name, (labels, rest) = line[:brace], _labels(line[brace + 1:], line)
    else:
        name, _, rest = line.partition(" ")
        labels = ()
    fields = rest.split()
    if not _NAME.fullmatch(name) or not fields:
        raise ParseError(f"not a sample: {line[:200]!r}")
    try:
        return Sample(name, labels, float(fields[0]))  # a timestamp after the value, if any, is dropped
    except ValueError:
        raise ParseError(f"not a number in {line[:200]!r}") from None


def _family_of(name: str, families: dict[str, _Family]) -> str:
    """The family a sample belongs to: its own name, or the name without a histogram/summary/counter suffix."""
    for suffix in ("_bucket", "_count", "_sum", "_created", "_total", ""):
        if suffix and name.endswith(suffix) and name[: -len(suffix)] in families:
            return name[: -len(suffix)]
    return name


def parse(text: str) -> dict[str, _Family]:
    """One process's text as families (keyed by the name in `# TYPE`), in the order they appear."""
    families: dict[str, _Family] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            words = line.split(None, 3)
            if len(words) >= 3 and words[1] in ("HELP", "TYPE"):
                families.setdefault(words[2], _Family()).metadata.append(line)
            continue
        sample = _sample(line)
        family = families.setdefault(_family_of(sample.name, families), _Family())
        key = (sample.name, tuple(sorted(sample.labels)))
        previous = family.samples.get(key)
        family.samples[key] = sample if previous is None else _combine(previous, sample)
    return families


def _combine(a: Sample, b: Sample) -> Sample:
    value = min(a.value, b.value) if a.name.endswith("_created") else a.value + b.value
    return Sample(a.name, a.labels, value)


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _render(sample: Sample) -> str:
    labels = ",".join(f'{name}="{_escape(value)}"' for name, value in sample.labels)
    return f"{sample.name}{{{labels}}} {_number(sample.value)}" if labels else f"{sample.name} {_number(sample.value)}"


def add_up(texts: Iterable[str]) -> str:
    """The sum of every text's samples, as one text: `# HELP`/`# TYPE` from the first text that has them."""
    total: dict[str, _Family] = {}
    for text in texts:
        for name, family in parse(text).items():
            into = total.setdefault(name, _Family())
            into.metadata = into.metadata or family.metadata
            for key, sample in family.samples.items():
                previous = into.samples.get(key)
                into.samples[key] = sample if previous is None else _combine(previous, sample)
    lines = [line for family in total.values()
             for line in [*family.metadata, *(_render(s) for s in family.samples.values())]]
    return "\n".join(lines) + "\n" if lines else ""
