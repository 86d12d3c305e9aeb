"""One serial's story from the topics, for support staff: request, events by seq, callbacks, result, DLQ.

No buyer data and no callback bodies: they can hold personal data (names, phones, e-mails).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from fapiao.audit.ledger import SerialLog, ledger_of
from fapiao.audit.model import DlqFact, Facts, Position, Seen
from fapiao.schemas.convert import to_json
from fapiao.schemas.records import CallbackRecord, InvoiceEvent, RequestKind
from fapiao.streams.redletter.remaining import remaining

__all__ = ["Entry", "timeline", "entries_of", "red_links"]


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
        totals = f"total {fact.totals[2]}" if fact.totals else (
            "(totals are not numbers: a rejection is due)" if fact.kind == RequestKind.BLUE.value else "")
        entries.append(Entry(fact.at, fact.position, "request" if fact.kind == RequestKind.BLUE.value else fact.kind,
                             _join(f"of {fact.original_serial}" if fact.original_serial else "", fact.provider,
                                   fact.invoice_type, f"seller {fact.seller_tax_id}" if fact.seller_tax_id else "",
                                   totals)))
    for seq in sorted(log.events):
        seen = log.events[seq]
        event = seen.record
        number = event.invoice.number if event.invoice else None
        entries.append(Entry(seen.at, seen.position, f"event {seq} {event.type.value}",
                             _join(f"attempt {event.attempt}" if event.attempt else "", _pair(event), event.code,
                                   event.message, f"invoice {number}" if number else "")))
    for seen in orphans:
        entries.append(Entry(seen.at, seen.position, f"outside its lifecycle: {seen.record.type.value}",
                             _join(_pair(seen.record), seen.record.code)))
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


def _pair(event: InvoiceEvent) -> str:
    """The other serial of a red pair and the form, where a transition names them."""
    form = f"form {event.form.number or ''} status {event.form.status}" if event.form else ""
    return _join(f"red/blue/cancel {event.peer}" if event.peer else "", form)


def red_links(facts: Facts, serial: str) -> dict[str, object]:
    """How a serial is tied to others: a blue's reds and what remains of it; a red's blue and its form."""
    log = ledger_of(facts).serials.get(serial)
    state = log.state() if log is not None else None
    if state is None or state.request is None:
        return {}
    request = state.request
    if request.kind is RequestKind.BLUE:
        if not state.reds:
            return {}
        return {"reds": [to_json(entry) for entry in state.reds],
                "remaining": [to_json(line) for line in remaining(request, state.reds)]}
    links: dict[str, object] = {"kind": request.kind.value, "original_serial": request.original_serial}
    if state.form is not None:
        links["form"] = to_json(state.form)
    if state.red is not None:
        links["takes"] = [to_json(line) for line in state.red.lines]
        links["remaining_after"] = [to_json(line) for line in state.red.remaining]
    return links
