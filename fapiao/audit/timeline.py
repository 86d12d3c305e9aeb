"""One serial's story from the topics, for support staff: request, events by seq, callbacks, result, DLQ.

No buyer data and no callback bodies: they can hold personal data (names, phones, e-mails).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from fapiao.audit.ledger import SerialLog, ledger_of
from fapiao.audit.model import DlqFact, Facts, Position, Seen
from fapiao.schemas.records import CallbackRecord, InvoiceEvent

__all__ = ["Entry", "timeline", "entries_of"]


@dataclass(frozen=True)
class Entry:
    at: datetime
    position: Position
    what: str
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"at": self.at.isoformat(), "topic": self.position.topic, "partition": self.position.partition,
                "offset": self.position.offset, "what": self.what, "detail": self.detail}


def _join(*parts: object) -> str:
    return " ".join(str(part) for part in parts if part not in (None, "", 0))


def timeline(facts: Facts, serial: str) -> list[Entry]:
    """Every record naming `serial`, section by section; events in seq order (copies shown once)."""
    return entries_of(ledger_of(facts).serials.get(serial) or SerialLog(serial),
                      orphans=(seen for seen in facts.events if seen.record.serial == serial and seen.record.seq == 0),
                      callbacks=(seen for seen in facts.callbacks if seen.record.serial == serial),
                      dead=(dead for dead in facts.dlq if dead.key == serial))


def entries_of(log: SerialLog, *, orphans: Iterable[Seen[InvoiceEvent]] = (),
               callbacks: Iterable[Seen[CallbackRecord]] = (), dead: Iterable[DlqFact] = ()) -> list[Entry]:
    """One serial's entries from its log and the records naming it that no log keeps (the console's own index)."""
    entries: list[Entry] = []
    for fact in log.requests:
        entries.append(Entry(fact.at, fact.position, "request", _join(
            fact.provider, fact.invoice_type, f"seller {fact.seller_tax_id}" if fact.seller_tax_id else "",
            f"total {fact.totals[2]}" if fact.totals else "(totals are not numbers: a rejection is due)")))
    for seq in sorted(log.events):
        seen = log.events[seq]
        event = seen.record
        number = event.invoice.number if event.invoice else None
        form = event.form
        entries.append(Entry(seen.at, seen.position, f"event {seq} {event.type.value}",
                             _join(f"attempt {event.attempt}" if event.attempt else "", event.code, event.message,
                                   f"invoice {number}" if number else "", f"peer {event.peer}" if event.peer else "",
                                   f"form {form.number or ''} status {form.status}" if form else "")))
    for seen in orphans:
        entries.append(Entry(seen.at, seen.position, "orphan callback", _join(seen.record.code)))
    for seen in callbacks:
        callback = seen.record
        entries.append(Entry(seen.at, seen.position, "callback",
                             _join(callback.provider, callback.route, callback.verdict, callback.reason)))
    for seen in log.results:
        result = seen.record
        number = result.invoice.number if result.invoice else None
        entries.append(Entry(seen.at, seen.position, f"result {result.status.value}", _join(
            f"invoice {number}" if number else "", f"total {result.total_with_tax}" if result.total_with_tax else "",
            result.code, result.message)))
    for fact in dead:
        entries.append(Entry(fact.at, fact.position, f"dlq ({fact.stage})", f"{fact.source}: {fact.reason}"))
    return entries
