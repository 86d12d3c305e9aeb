"""Support for the fault tests: real processes killed, a real broker frozen, providers misbehaving on purpose.

Each test runs its own stack (broker, sandboxes, gateway, workers as processes) and ends with the same
proof: every request reached exactly one terminal result, and no provider sandbox issued any serial
twice. Each test also checks its own premises, from sources the worker does not write: the faults it
injected fired (the sandboxes' `/_sandbox/stats`), and a process it killed had work in flight (the
broker's end offsets against the group's committed ones). Every test is bounded in count and time and
stops every process it started.
"""

from __future__ import annotations

import json
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from broker_offsets import Partition, committed_offsets, end_offsets, uncommitted

from fapiao.connectors.kafka import read_topic
from fapiao.connectors.stack import Stack
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import EventType, InvoiceEvent, Status
from fapiao.streams.topics import topic_name

# The topics a worker consumes: what it has not committed there is work in flight.
SOURCES = ("requests", "signals", "calls")


def _line(request: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**request, "lines": [{**request["lines"][0], **changes}, *request["lines"][1:]]}


# What an ERP gets wrong, and the finding the worker must reject it with. Written here by hand, not asked
# of the worker's validator: a validator that stopped finding a mistake must fail these tests.
DELIBERATE_MISTAKES: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    "total_one_yuan_off": (lambda r: {**r, "total_with_tax": str(Decimal(r["total_with_tax"]) + 1)},
                           "total_with_tax_mismatch"),
    "five_digit_tax_code": (lambda r: _line(r, tax_code="30402"), "tax_code_format"),
    "seller_tax_id_bad_check_digit": (lambda r: {**r, "seller": {**r["seller"], "tax_id": "91440300MA5G9GK78X"}},
                                      "tax_id_checksum"),
    "no_lines": (lambda r: {**r, "lines": []}, "lines_required"),
    "tax_rate_fourteen_percent": (lambda r: _line(r, tax_rate="0.14"), "tax_rate_unsupported"),
    "unknown_provider": (lambda r: {**r, "provider": "baiwang"}, "provider_unsupported"),
}


def deliberately_invalid(prefix: str, provider: str) -> dict[str, tuple[dict[str, Any], str]]:
    """serial -> (request, the error code it must be rejected with), one per deliberate mistake and provider."""
    providers = ("kingdee", "yipiaoyun") if provider == "mixed" else (provider,)
    out = {}
    for index, (name, (mistake, code)) in enumerate(DELIBERATE_MISTAKES.items()):
        for chosen in providers:
            serial = f"{prefix}X{index:02d}{chosen[0].upper()}"
            out[serial] = ({**mistake(valid_request(serial, chosen)), "serial": serial}, code)
    return out


@dataclass
class Run:
    """A stack, the requests sent through it, and what came back."""

    stack: Stack
    requests: list[dict[str, Any]]
    watcher: ResultWatcher
    # serial -> the error code it must be rejected with (the hand-written mistakes above)
    rejections: dict[str, str] = field(default_factory=dict)

    @property
    def serials(self) -> list[str]:
        return [r["serial"] for r in self.requests]

    @property
    def group(self) -> str:
        return self.stack.settings.app_id

    def topics(self, roles: tuple[str, ...] = SOURCES) -> list[str]:
        return [topic_name(self.stack.settings.topic_prefix, role) for role in roles]

    def publish(self, values: list[tuple[bytes | None, bytes]] | None = None) -> None:
        out = self.stack.cluster.producer()
        topic = topic_name(self.stack.settings.topic_prefix, "requests")
        for key, value in values if values is not None else [
                (r["serial"].encode(), json.dumps(r, ensure_ascii=False).encode()) for r in self.requests]:
            out.produce(topic, key=key, value=value)
            out.poll(0)
        assert out.flush(60) == 0

    def committed(self) -> dict[Partition, int]:
        return committed_offsets(self.stack.cluster, self.group, end_offsets(self.stack.cluster, self.topics()))

    def in_flight(self) -> dict[Partition, int]:
        """Records the worker group has not committed, per partition (from the broker)."""
        return uncommitted(self.stack.cluster, self.group, self.topics())

    def wait_for_commits_past(self, before: dict[Partition, int], deadline_s: float = 60.0) -> None:
        """Wait until the group has committed something since `before`: a worker is working, not joining."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.committed() != before:
                return
            self.watcher.poll(0.2)
        raise AssertionError(f"the group committed nothing for {deadline_s:.0f}s")

    def kill_mid_work(self, name: str, rng: random.Random, sig: int = signal.SIGKILL,
                      timeout_s: float = 25.0) -> tuple[dict[Partition, int], int | None]:
        """Once the group commits, wait a random moment and signal `name`; return the work in flight (read
        from the broker just before the signal) and its exit code."""
        self.wait_for_commits_past(self.committed())
        stop = time.monotonic() + rng.uniform(0.2, 1.5)
        while time.monotonic() < stop:
            self.watcher.poll(0.2)
        in_flight = self.in_flight()
        return in_flight, self.stack.processes[name].stop(timeout_s=timeout_s, sig=sig)


def assert_faults_fired(run: Run, expected: dict[str, tuple[str, ...]]) -> None:
    """Each provider's sandbox counts at least one firing of every fault named for it."""
    for provider, faults in expected.items():
        fired = run.stack.sandbox_stats(provider)["faults"]
        assert all(fired.get(fault, 0) > 0 for fault in faults), f"{provider}: injected {faults}, fired {fired}"


def assert_exactly_once(run: Run, deadline_s: float = 240) -> None:
    """Every request has exactly one terminal outcome; valid ones issued once, the hand-written mistakes
    rejected with their findings; no sandbox issued any serial twice."""
    run.watcher.wait(deadline_s)
    assert not run.watcher.pending, f"{len(run.watcher.pending)} serials have no result, e.g. {sorted(run.watcher.pending)[:5]}"
    ours = {serial: run.watcher.results[serial] for serial in run.serials}
    statuses = Counter(result.status for result in ours.values())
    assert statuses[Status.FAILED] == 0, [(r.serial, r.code, r.message) for r in ours.values()
                                          if r.status is Status.FAILED][:5]
    rejected = {s for s, r in ours.items() if r.status is Status.REJECTED}
    assert rejected == set(run.rejections)
    for serial, code in run.rejections.items():
        assert code in {finding.code for finding in ours[serial].errors}, (serial, code, ours[serial].errors)
    # Results may repeat after a crash, but never disagree.
    issued_events: dict[str, set[str]] = {}
    codec = Codec()
    for message in read_topic(run.stack.cluster, topic_name(run.stack.settings.topic_prefix, "events")):
        event = codec.decode(message.value(), InvoiceEvent)
        if event.type is EventType.ISSUED:
            issued_events.setdefault(event.serial, set()).add(event.invoice.number if event.invoice else "")
    assert all(len(numbers) == 1 for numbers in issued_events.values()), "a serial got two invoice numbers"
    # The providers' own count, invoice by invoice: nothing issued twice, every valid serial issued.
    per_serial: Counter[str] = Counter()
    for provider in run.stack.sandbox_urls:
        per_serial.update(run.stack.sandbox_stats(provider)["issued_per_serial"])
    assert {s: n for s, n in per_serial.items() if n > 1} == {}, "the sandboxes issued these serials twice"
    valid = set(run.serials) - set(run.rejections)
    assert {s for s in valid if per_serial[s] != 1} == set(), "a valid serial was not issued exactly once"
