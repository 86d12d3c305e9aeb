"""The facts regrouped by serial, with at-least-once copies folded away: what invariants and counts read.

A worker may write the same event (serial, seq, content) twice after a crash, and the same result
twice; such copies count once. A second copy with *other* content is kept aside as a conflict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fapiao.audit.model import Facts, RequestFact, Seen
from fapiao.schemas.records import InvoiceEvent, InvoiceResult, InvoiceState
from fapiao.streams.lifecycle import replay

__all__ = ["SerialLog", "Ledger", "ledger_of"]


@dataclass
class SerialLog:
    """One serial's story as the topics tell it."""

    serial: str
    requests: list[RequestFact] = field(default_factory=list)
    events: dict[int, Seen[InvoiceEvent]] = field(default_factory=dict)  # seq -> first copy; seq 0 left out
    seq_conflicts: list[int] = field(default_factory=list)  # a seq written twice with different content
    results: list[Seen[InvoiceResult]] = field(default_factory=list)  # distinct contents, first seen first

    @property
    def request(self) -> RequestFact | None:
        """The first request for the serial: the one its lifecycle answers (later ones are duplicates)."""
        if len(self.requests) == 1:  # the common case, without a sort
            return self.requests[0]
        return min(self.requests, key=lambda r: (r.at, r.position), default=None)

    @property
    def result(self) -> Seen[InvoiceResult] | None:
        return self.results[0] if self.results else None

    def state(self) -> InvoiceState | None:
        """The fold of the serial's events in seq order, as `fapiao replay` rebuilds it."""
        return replay(self.events[seq].record for seq in sorted(self.events))

    def requested_at(self) -> datetime | None:
        request = self.request
        return request.at if request else None


@dataclass
class Ledger:
    facts: Facts
    serials: dict[str, SerialLog]

    def log(self, serial: str) -> SerialLog:
        if serial not in self.serials:
            self.serials[serial] = SerialLog(serial)
        return self.serials[serial]

    def add_request(self, request: RequestFact) -> SerialLog | None:
        """File a request under its serial; None when it has none."""
        if request.serial is None:
            return None
        log = self.log(request.serial)
        log.requests.append(request)
        return log

    def add_event(self, seen: Seen[InvoiceEvent]) -> SerialLog | None:
        """File an event under its serial and seq; None for an orphan callback (seq 0)."""
        seq = seen["seq"]
        if seq <= 0:
            return None  # orphan callbacks belong to no lifecycle
        log = self.log(seen["serial"])
        first = log.events.setdefault(seq, seen)
        if first is not seen and first.datum != seen.datum:
            log.seq_conflicts.append(seq)
        return log

    def add_result(self, seen: Seen[InvoiceResult]) -> SerialLog:
        log = self.log(seen["serial"])
        if all(known.datum != seen.datum for known in log.results):
            log.results.append(seen)
        return log


def ledger_of(facts: Facts) -> Ledger:
    """Group the facts by serial; identical copies of an event or a result count once."""
    ledger = Ledger(facts, {})
    for request in facts.requests:
        ledger.add_request(request)
    for seen in facts.events:
        ledger.add_event(seen)
    for seen in facts.results:
        ledger.add_result(seen)
    return ledger
