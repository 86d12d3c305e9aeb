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


def ledger_of(facts: Facts) -> Ledger:
    """Group the facts by serial; identical copies of an event or a result count once."""
    ledger = Ledger(facts, {})
    for request in facts.requests:
        if request.serial is not None:
            ledger.log(request.serial).requests.append(request)
    for seen in facts.events:
        seq = seen["seq"]
        if seq <= 0:
            continue  # orphan callbacks belong to no lifecycle
        log = ledger.log(seen["serial"])
        first = log.events.setdefault(seq, seen)
        if first is not seen and first.datum != seen.datum:
            log.seq_conflicts.append(seq)
    for seen in facts.results:
        log = ledger.log(seen["serial"])
        if all(known.datum != seen.datum for known in log.results):
            log.results.append(seen)
    return ledger
