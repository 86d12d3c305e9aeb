"""Support for the fault tests: real processes killed, a real broker frozen, providers misbehaving on purpose.

Each test runs its own stack (broker, sandboxes, gateway, workers as processes) and ends with the same
proof: every request reached exactly one terminal result, and no provider sandbox issued any serial
twice. Every test is bounded in count and time and stops every process it started.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from fapiao.connectors.kafka import read_topic
from fapiao.connectors.stack import Stack
from fapiao.connectors.watch import ResultWatcher
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import EventType, InvoiceEvent, Status
from fapiao.streams.topics import topic_name


@dataclass
class Run:
    """A stack, the requests sent through it, and what came back."""

    stack: Stack
    requests: list[dict[str, Any]]
    watcher: ResultWatcher

    @property
    def serials(self) -> list[str]:
        return [r["serial"] for r in self.requests]

    def publish(self, values: list[tuple[bytes | None, bytes]] | None = None) -> None:
        out = self.stack.cluster.producer()
        topic = topic_name(self.stack.settings.topic_prefix, "requests")
        for key, value in values if values is not None else [
                (r["serial"].encode(), json.dumps(r, ensure_ascii=False).encode()) for r in self.requests]:
            out.produce(topic, key=key, value=value)
            out.poll(0)
        assert out.flush(60) == 0


def assert_exactly_once(run: Run, deadline_s: float = 240) -> None:
    """Every request has exactly one terminal outcome; valid ones issued once, invalid ones rejected."""
    run.watcher.wait(deadline_s)
    assert not run.watcher.pending, f"{len(run.watcher.pending)} serials have no result, e.g. {sorted(run.watcher.pending)[:5]}"
    ours = {serial: run.watcher.results[serial] for serial in run.serials}
    statuses = Counter(result.status for result in ours.values())
    assert statuses[Status.FAILED] == 0, [(r.serial, r.code, r.message) for r in ours.values()
                                          if r.status is Status.FAILED][:5]
    expected_rejected = {r["serial"] for r in run.requests if _deliberately_invalid(r)}
    rejected = {s for s, r in ours.items() if r.status is Status.REJECTED}
    assert rejected == expected_rejected
    # Results may repeat after a crash, but never disagree.
    issued_events: dict[str, set[str]] = {}
    codec = Codec()
    for message in read_topic(run.stack.cluster, topic_name(run.stack.settings.topic_prefix, "events")):
        event = codec.decode(message.value(), InvoiceEvent)
        if event.type is EventType.ISSUED:
            issued_events.setdefault(event.serial, set()).add(event.invoice.number if event.invoice else "")
    assert all(len(numbers) == 1 for numbers in issued_events.values()), "a serial got two invoice numbers"
    # The provider's own count: nothing issued twice, everything valid issued.
    per_serial: Counter[str] = Counter()
    for provider in run.stack.sandbox_urls:
        stats = run.stack.sandbox_stats(provider)
        assert stats["duplicates"] == 0, f"{provider} issued {stats['duplicates']} serials twice"
        per_serial.update(stats["issued_per_serial"])
    valid = set(run.serials) - expected_rejected
    assert {s for s in valid if per_serial[s] != 1} == set(), "a valid serial was not issued exactly once"


def _deliberately_invalid(request: dict[str, Any]) -> bool:
    from fapiao.streams.validation import check

    _, findings = check(json.loads(json.dumps(request)))
    return any(f.severity == "error" for f in findings)
