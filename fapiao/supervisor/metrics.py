"""Adding up several processes' Prometheus text (format 0.0.4) into one scrape. Pure: text in, text out.

A sample is a metric name, its labels and a value. Samples with the same name and labels add up:
counters, histogram buckets, sums and counts, and gauges too, since each worker process holds its
own partitions (its lag, its in-doubt serials, its calls in flight). Only `*_created` samples (the
moment a series was created, which `prometheus_client` writes) take the earliest, not the sum.

    add_up([member_0_text, member_1_text])   # one text, families in the order first seen

It reads what any registry writes (ours, `prometheus_client`'s, one with timestamps or labels in
another order), so it does not care which one the processes use.

A member that dies and starts again counts from zero, and a sum that went down would read to
Prometheus as a counter reset (`increase()` over it overcounts). So the supervisor keeps, per member,
what it has `Counted`: the counting samples (`# TYPE` counter, histogram and summary `_bucket`, `_sum`,
`_count`) of its processes that died, as last scraped, and of its current one. `carry` adds those into
each scrape of the member, and stands in for the member with them while it does not answer. Gauges
are never carried: a dead process holds no partitions. What a process counted after its last scrape
is lost with it; the sum still never goes down.

    counted[i], share = carry(counted[i], member.restarts, parse(text))   # or None: it did not answer
    render(total([*shares, parse(own_text)]))
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

__all__ = ["Sample", "ParseError", "Families", "Counted", "parse", "carry", "total", "render", "add_up"]

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


Families = dict[str, _Family]  # a scrape: families by name, in the order first seen


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


def parse(text: str) -> Families:
    """One process's text as families (keyed by the name in `# TYPE`), in the order they appear."""
    families: Families = {}
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


def _later(a: Sample, b: Sample) -> Sample:
    """Two readings of one process's counting sample: the later is the larger, whichever came back first."""
    return a if a.value >= b.value else b


def total(scrapes: Iterable[Families], how: Callable[[Sample, Sample], Sample] = _combine) -> Families:
    """Every scrape's samples added up (by `how`), as new families: `# HELP`/`# TYPE` from the first that has them."""
    into: Families = {}
    for scrape in scrapes:
        for name, family in scrape.items():
            found = into.setdefault(name, _Family())
            found.metadata = found.metadata or list(family.metadata)
            for key, sample in family.samples.items():
                previous = found.samples.get(key)
                found.samples[key] = sample if previous is None else how(previous, sample)
    return into


# -- carrying a member's counts across its restarts ------------------------------------------------

_COUNTING = {"counter": ("", "_total"), "histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


def _type(name: str, family: _Family) -> str | None:
    for line in family.metadata:
        words = line.split()
        if words[1:3] == ["TYPE", name] and len(words) > 3:
            return words[3]
    return None


def _split(scrape: Families) -> tuple[Families, Families]:
    """A scrape's counting samples (of counters, histograms and summaries), and the scrape without them."""
    counting: Families = {}
    others: Families = {}
    for name, family in scrape.items():
        names = {name + suffix for suffix in _COUNTING.get(_type(name, family) or "", ())}
        others[name] = _Family(list(family.metadata), {k: s for k, s in family.samples.items() if s.name not in names})
        if names:
            counting[name] = _Family(list(family.metadata), {k: s for k, s in family.samples.items() if s.name in names})
    return counting, others


@dataclass(frozen=True)
class Counted:
    """What one member has counted: `gone`, in its processes that died (each as last scraped); `last`, in
    its process number `process` (the member's restarts when it started), as last scraped."""

    process: int = -1
    gone: Families = field(default_factory=dict)
    last: Families = field(default_factory=dict)


def carry(counted: Counted, process: int, scrape: Families | None) -> tuple[Counted, Families]:
    """What a member has counted after a scrape of its process number `process` (None: it did not
    answer), and its share of the sum.

    The share is the scrape with every counting sample raised by what the member's dead processes had
    counted, and those samples alone while it does not answer. A scrape of a process older than one
    already seen (two scrapes crossing a restart) is not read, and within one process the larger of
    two readings wins: the share never goes down.
    """
    if process < counted.process:
        scrape = None
    elif process > counted.process:  # the processes up to now have died: what they counted is gone
        counted = Counted(process, total([counted.gone, counted.last]))
    counting, others = _split(scrape or {})
    counted = Counted(counted.process, counted.gone, total([counted.last, counting], how=_later))
    return counted, total([others, counted.gone, counted.last])


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


def render(families: Families) -> str:
    """Families as Prometheus text: each family's `# HELP` and `# TYPE`, then its samples."""
    lines = [line for family in families.values()
             for line in [*family.metadata, *(_render(s) for s in family.samples.values())]]
    return "\n".join(lines) + "\n" if lines else ""


def add_up(texts: Iterable[str]) -> str:
    """The sum of every text's samples, as one text: `# HELP`/`# TYPE` from the first text that has them."""
    return render(total(parse(text) for text in texts))
