"""The console's index: the topics' records filed by serial and by what support searches with. Pure.

`Index.add(role, fact)` files one record as `fapiao.audit.reader.fact_of` decodes it (role: requests,
events, results, callbacks, dlq); the views below read the index. No I/O and no clock: whoever
asks passes `now`. Copies written twice (at-least-once) count once, as in the audit's `Ledger`.

A serial's status is the latest transition that names a status (`received`, `in_doubt`,
`awaiting_counterparty` …: the event types that are also `Status` values), else its result's. For
every transition the fold knows today this is exactly the status `replay` gives; it also reads the
red-letter transitions the fold is learning now, and it never needs to fold a serial again to show it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from fapiao.audit.ledger import Ledger, SerialLog
from fapiao.audit.model import DlqFact, Facts, Position, Seen
from fapiao.audit.timeline import Entry, entries_of
from fapiao.schemas.records import (
    CallbackRecord,
    EventType,
    InvoiceEvent,
    InvoiceRequest,
    InvoiceResult,
    RedForm,
    RedLine,
    RequestKind,
    Status,
)

__all__ = ["Index", "SerialView", "RedRow", "Overview", "Waiting", "PausedSeller", "Found", "status_of",
           "SEARCH_LIMIT", "WAITING_FOR_COUNTERPARTY"]

SEARCH_LIMIT = 100
_STATUS_NAMES = frozenset(status.value for status in Status)
WAITING_FOR_COUNTERPARTY = (Status.AWAITING_COUNTERPARTY,)
# What a blue's transition about one of its reds says of that red's share.
_BOOK = {EventType.RED_RESERVED.value: "reserved", EventType.RED_SETTLED.value: "issued",
         EventType.RED_RELEASED.value: "released", EventType.RED_REFUSED.value: "refused"}
_COUNTING = ("reserved", "issued")  # shares that are taken from the blue


def status_of(log: SerialLog) -> Status | None:
    """The latest status a transition named, else the result's; None when only the request was seen."""
    for seq in sorted(log.events, reverse=True):
        name = log.events[seq]["type"]
        if name in _STATUS_NAMES:
            return Status(name)
    return Status(log.result["status"]) if log.result is not None else None


@dataclass(frozen=True)
class Found:
    """A serial as a search lists it."""

    serial: str
    status: str
    provider: str | None
    at: datetime | None


@dataclass(frozen=True)
class RedRow:
    """One red of a blue, as the blue's row books it, with the red's own status."""

    serial: str
    share: str  # reserved | issued | released | refused
    status: str
    lines: tuple[RedLine, ...]
    invoice_number: str | None


@dataclass(frozen=True)
class SerialView:
    """Everything the console shows about one serial."""

    serial: str
    status: str
    kind: str
    provider: str | None
    request: InvoiceRequest | None  # as the fold received it (None: not received yet, or unparsable)
    result: InvoiceResult | None
    entries: list[Entry]  # request, events, callbacks, result, DLQ records: in time order
    callbacks: list[Seen[CallbackRecord]]
    dead: list[DlqFact]
    reds: list[RedRow] = field(default_factory=list)  # a blue's
    remaining: tuple[RedLine, ...] | None = None  # a blue's, once a red was booked against it
    original_serial: str | None = None  # a red's blue (a red_cancel's red)
    form: RedForm | None = None  # a red's 红字确认单 as last heard
    time_left: timedelta | None = None  # a red waiting for the counterparty: until its form's deadline


@dataclass(frozen=True)
class Waiting:
    """A serial that waits: in doubt, paused, or a red whose form waits for the counterparty."""

    serial: str
    since: datetime
    provider: str | None
    code: str | None
    message: str | None
    seller_tax_id: str | None = None
    original_serial: str | None = None
    form: RedForm | None = None
    time_left: timedelta | None = None


@dataclass(frozen=True)
class PausedSeller:
    seller_tax_id: str
    serials: int
    since: datetime
    code: str | None
    message: str | None


@dataclass(frozen=True)
class Overview:
    serials: int
    by_status: Counter[str]
    results: list[tuple[datetime, str, str]]  # (when, provider, status) of each serial's first result
    in_doubt: list[Waiting]
    paused: list[PausedSeller]
    forms: list[Waiting]  # reds whose form waits for the counterparty, nearest deadline first
    dlq: list[DlqFact]  # newest first
    records: int
    undecodable: int


@dataclass
class Index:
    """Every record read so far, filed by serial; `version` counts what was filed."""

    ledger: Ledger = field(default_factory=lambda: Ledger(Facts(now=datetime.min), {}))
    callbacks: dict[str, list[Seen[CallbackRecord]]] = field(default_factory=dict)
    orphans: dict[str, list[Seen[InvoiceEvent]]] = field(default_factory=dict)
    dlq: list[DlqFact] = field(default_factory=list)
    dead: dict[str, list[DlqFact]] = field(default_factory=dict)
    status: dict[str, Status | None] = field(default_factory=dict)
    by_order: dict[str, set[str]] = field(default_factory=dict)
    by_buyer: dict[str, set[str]] = field(default_factory=dict)
    results: list[tuple[datetime, str, str]] = field(default_factory=list)
    undecodable: list[tuple[Position, str]] = field(default_factory=list)
    records: int = 0
    version: int = 0

    # -- filing ---------------------------------------------------------------------------------

    def add(self, role: str, fact: Any) -> None:
        """File one decoded record of the topic with `role`."""
        self.records += 1
        self.version += 1
        if role == "requests":
            self._filed(self.ledger.add_request(fact))
        elif role == "events":
            self._add_event(fact)
        elif role == "results":
            self._add_result(fact)
        elif role == "callbacks":
            if fact["serial"]:
                self.callbacks.setdefault(fact["serial"], []).append(fact)
        elif role == "dlq":
            self.dlq.append(fact)
            if fact.key is not None:
                self.dead.setdefault(fact.key, []).append(fact)
        else:
            raise ValueError(f"no topic role {role!r}")

    def add_undecodable(self, position: Position, reason: str) -> None:
        self.records += 1
        self.version += 1
        self.undecodable.append((position, reason))

    def _add_event(self, seen: Seen[InvoiceEvent]) -> None:
        log = self.ledger.add_event(seen)
        if log is None:
            self.orphans.setdefault(seen["serial"], []).append(seen)
            return
        request = seen["request"]
        if seen["type"] == EventType.RECEIVED.value and request:
            self._search_keys(log.serial, request.get("erp_order_no"), (request.get("buyer") or {}).get("tax_id"))
        self._filed(log)

    def _add_result(self, seen: Seen[InvoiceResult]) -> None:
        log = self.ledger.add_result(seen)
        if len(log.results) == 1 and log.results[0] is seen:
            self.results.append((seen["at"], seen["provider"] or "?", seen["status"]))
            self._search_keys(log.serial, seen["erp_order_no"], None)
        self._filed(log)

    def _search_keys(self, serial: str, order: str | None, buyer: str | None) -> None:
        if order:
            self.by_order.setdefault(order.strip(), set()).add(serial)
        if buyer:
            self.by_buyer.setdefault(buyer.strip().upper(), set()).add(serial)

    def _filed(self, log: SerialLog | None) -> None:
        if log is not None:
            self.status[log.serial] = status_of(log)

    # -- reading --------------------------------------------------------------------------------

    def search(self, query: str) -> list[Found]:
        """Serials whose serial, ERP order number or buyer tax ID is `query`, then serials starting with it."""
        text = query.strip()
        if not text:
            return []
        exact = ({text} & self.status.keys()) | self.by_order.get(text, set()) | self.by_buyer.get(text.upper(), set())
        found = sorted(exact)
        if len(found) < SEARCH_LIMIT:
            found += sorted(s for s in self.status if s.startswith(text) and s not in exact)[:SEARCH_LIMIT - len(found)]
        return [self._found(serial) for serial in found]

    def _found(self, serial: str) -> Found:
        log = self.ledger.serials[serial]
        request = log.request
        first = request.at if request else min((seen.at for seen in log.events.values()), default=None)
        return Found(serial, _status_text(serial, self.status), self._provider(log), first)

    @staticmethod
    def _provider(log: SerialLog) -> str | None:
        if log.request is not None and log.request.provider:
            return log.request.provider
        return next((seen["provider"] for seen in log.events.values() if seen["provider"]), None)

    def serial_view(self, serial: str, now: datetime) -> SerialView | None:
        """One serial's page; None when no record names it."""
        log = self.ledger.serials.get(serial)
        callbacks = self.callbacks.get(serial, [])
        dead = self.dead.get(serial, [])
        if log is None and not callbacks and not dead and serial not in self.orphans:
            return None
        log = log or SerialLog(serial)
        events = _in_order(log)
        received = _received(events)
        request = received.record.request if received is not None else None
        result = log.result.record if log.result is not None else None
        status = self.status.get(serial)
        kind = (request.kind.value if request else None) or (result.kind.value if result else RequestKind.BLUE.value)
        entries = sorted(entries_of(log, orphans=self.orphans.get(serial, ()), callbacks=callbacks, dead=dead),
                         key=lambda entry: entry.at)
        view = SerialView(serial, _status_text(serial, self.status), kind, self._provider(log), request, result,
                          entries, callbacks, dead)
        if kind == RequestKind.BLUE.value:
            return _with_reds(view, events, request, self.status)
        form = _latest_form(events) or (result.form if result else None)
        waiting = status in WAITING_FOR_COUNTERPARTY
        return replace(view, original_serial=(request.original_serial if request else None) or (
            result.original_serial if result else None), form=form,
            time_left=form.deadline - now if waiting and form and form.deadline else None)

    def overview(self, now: datetime) -> Overview:
        in_doubt, paused, forms = [], [], []
        for serial, status in self.status.items():
            if status is Status.IN_DOUBT:
                in_doubt.append(self._waiting(serial, now))
            elif status is Status.PAUSED:
                paused.append(self._waiting(serial, now))
            elif status in WAITING_FOR_COUNTERPARTY:
                forms.append(self._waiting(serial, now))
        forms.sort(key=lambda w: (w.time_left is None, w.time_left or timedelta(0), w.serial))
        return Overview(len(self.status), Counter(_status_text(serial, self.status) for serial in self.status),
                        self.results, sorted(in_doubt, key=lambda w: w.since), _by_seller(paused),
                        forms, list(reversed(self.dlq)), self.records, len(self.undecodable))

    def _waiting(self, serial: str, now: datetime) -> Waiting:
        log = self.ledger.serials[serial]
        events = _in_order(log)
        status = self.status[serial]
        since = next((seen for seen in reversed(events) if seen["type"] == (status.value if status else None)),
                     events[-1])
        received = _received(events)
        request: Mapping[str, Any] = (received["request"] if received is not None else None) or {}
        form = _latest_form(events)
        return Waiting(serial, since.at, self._provider(log), since["code"], since["message"],
                       seller_tax_id=(request.get("seller") or {}).get("tax_id"),
                       original_serial=request.get("original_serial"), form=form,
                       time_left=form.deadline - now if form and form.deadline else None)


def _in_order(log: SerialLog) -> list[Seen[InvoiceEvent]]:
    return [log.events[seq] for seq in sorted(log.events)]


def _received(events: list[Seen[InvoiceEvent]]) -> Seen[InvoiceEvent] | None:
    """The `received` transition: it carries the request as the worker parsed it."""
    return next((seen for seen in events if seen["type"] == EventType.RECEIVED.value), None)


def _latest_form(events: list[Seen[InvoiceEvent]]) -> RedForm | None:
    return next((seen.record.form for seen in reversed(events) if seen["form"]), None)


def _with_reds(view: SerialView, events: list[Seen[InvoiceEvent]], request: InvoiceRequest | None,
               status: Mapping[str, Status | None]) -> SerialView:
    """A blue's reds as its row booked them, and what remains of it: its lines less every share taken."""
    book: dict[str, tuple[str, tuple[RedLine, ...], str | None]] = {}
    for seen in events:
        share = _BOOK.get(seen["type"])
        peer = seen["peer"]
        if share is None or not peer:
            continue
        event, (_, lines, number) = seen.record, book.get(peer, ("", (), None))
        book[peer] = (share, event.red.lines if event.red else lines, event.invoice.number if event.invoice else number)
    if not book:
        return view
    reds = [RedRow(serial, share, _status_text(serial, status), lines, number)
            for serial, (share, lines, number) in book.items()]
    taken = [line for share, lines, _ in book.values() if share in _COUNTING for line in lines]
    return replace(view, reds=reds, remaining=_remaining(request, taken) if request else None)


def _status_text(serial: str, status: Mapping[str, Status | None]) -> str:
    if serial not in status:
        return "not seen"  # e.g. its records are on a partition not read up to them yet
    known = status[serial]
    return known.value if known else "requested"


def _remaining(blue: InvoiceRequest, taken: Iterable[RedLine]) -> tuple[RedLine, ...]:
    """Each blue line less what reds take back of it (amounts as positive magnitudes)."""
    left = {number: [line.amount, line.tax_amount, line.quantity]
            for number, line in enumerate(blue.lines, start=1)}
    for red in taken:
        if red.original_line in left:
            row = left[red.original_line]
            row[0] -= red.amount
            row[1] -= red.tax_amount
            if row[2] is not None and red.quantity is not None:
                row[2] -= red.quantity
    return tuple(RedLine(number, amount, tax, quantity) for number, (amount, tax, quantity) in left.items())


def _by_seller(paused: list[Waiting]) -> list[PausedSeller]:
    sellers: dict[str, list[Waiting]] = {}
    for waiting in paused:
        sellers.setdefault(waiting.seller_tax_id or "?", []).append(waiting)
    rows = []
    for seller, serials in sellers.items():
        latest = max(serials, key=lambda w: w.since)
        rows.append(PausedSeller(seller, len(serials), min(w.since for w in serials), latest.code, latest.message))
    return sorted(rows, key=lambda row: row.since)

