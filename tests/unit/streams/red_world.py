"""A small world for the red-letter fold: the real `decide`, `evolve` and `crossings`, signals delivered
serial by serial in whatever order a test picks, and a provider model that answers every call.

The provider model keeps its own books (forms, invoices issued per serial, red amounts issued per blue
line): the oracle of "never more red than blue" and "one invoice per serial" is what it issued, not what
the rows say. Crashes are modelled as Kafka's at-least-once gives them: a signal decided and its output
sent, but its row never written (the next delivery decides it again from the old row).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

from fapiao.schemas.records import (EventType, InvoiceEvent, InvoiceInfo, InvoiceRequest, InvoiceResult, InvoiceState,
                                    RedForm, Signal, SignalKind, Status)
from fapiao.samples import valid_request
from fapiao.schemas.requests import fingerprint, parse_request
from fapiao.streams.lifecycle import Policy, decide, replay, result_of
from fapiao.streams.redletter.crossings import crossings
from fapiao.streams.validation import validate

CALLS = (EventType.SUBMITTING, EventType.QUERYING, EventType.FORM_APPLYING, EventType.FORM_QUERYING,
         EventType.REVOKING)
POLICY = Policy(form_poll=timedelta(seconds=1), form_deadline=timedelta(seconds=30), max_attempts=4)


@dataclass
class Provider:
    """What a provider holds: it issues what it is asked to, and counts it (it never refuses an over-flush:
    the fold must never ask for one)."""

    used: set[str] = field(default_factory=set)  # blue serials the buyer already used (their forms wait)
    buyer: Callable[[str], str] = lambda blue: "confirm"  # confirm | refuse | silent, per blue serial
    forms: dict[str, RedForm] = field(default_factory=dict)  # by the red's serial (the form's order number)
    issued: Counter[str] = field(default_factory=Counter)  # invoices per serial
    red_taken: dict[str, dict[int, tuple[Decimal, Decimal]]] = field(default_factory=lambda: defaultdict(dict))
    clock: datetime | None = None

    def answer(self, event: InvoiceEvent) -> Signal:
        """The provider's answer to one call, as the issue agent would signal it."""
        serial, red = event.serial, event.red
        def say(kind: SignalKind, **fields: object) -> Signal:
            return Signal(serial=serial, kind=kind, at=event.at, source="issue", attempt=event.attempt,
                          **fields)  # type: ignore[arg-type]

        if red is None:  # a blue: issued at once
            if event.type is EventType.SUBMITTING and not self.issued[serial]:
                self.issued[serial] += 1
            return say(SignalKind.ISSUED, invoice=InvoiceInfo(number=f"B{serial}"))
        blue = red.original_serial
        if event.type is EventType.FORM_APPLYING:
            form = self.forms.setdefault(serial, RedForm(number=f"F{serial}", uuid=f"U{serial}",
                                                           status="02" if blue in self.used else "01",
                                                           entered_at=event.at))
            return say(SignalKind.FORM, form=form)
        if event.type in (EventType.FORM_QUERYING, EventType.REVOKING):
            form = self.forms[serial]
            if event.type is EventType.REVOKING and form.status in ("02", "03"):
                form = self.forms[serial] = dataclasses.replace(form, status="08")
            elif form.status == "02":
                answer = self.buyer(blue)
                status = {"confirm": "04", "refuse": "05"}.get(answer, "02")
                if answer == "silent" and event.at >= (form.entered_at or event.at) + timedelta(seconds=30):
                    status = "07"
                form = self.forms[serial] = dataclasses.replace(form, status=status)
            return say(SignalKind.FORM, form=form)
        if event.type is EventType.QUERYING:
            if self.issued[serial]:
                return say(SignalKind.ISSUED, invoice=InvoiceInfo(number=f"R{serial}"))
            return say(SignalKind.NOT_FOUND)
        assert event.form is not None and event.form.status in ("01", "04"), "a red submitted without its form"
        if not self.issued[serial]:
            self.issued[serial] += 1
            for line in red.lines:
                amount, tax = self.red_taken[blue].get(line.original_line, (Decimal(0), Decimal(0)))
                self.red_taken[blue][line.original_line] = (amount + line.amount, tax + line.tax_amount)
        return say(SignalKind.ISSUED, invoice=InvoiceInfo(number=f"R{serial}"))


@dataclass
class World:
    provider: Provider
    rows: dict[str, InvoiceState] = field(default_factory=dict)
    inbox: dict[str, deque[Signal]] = field(default_factory=lambda: defaultdict(deque))
    events: list[InvoiceEvent] = field(default_factory=list)
    results: dict[str, list[Status]] = field(default_factory=lambda: defaultdict(list))
    published: list[InvoiceRequest] = field(default_factory=list)
    result_records: list[InvoiceResult] = field(default_factory=list)
    now: datetime = datetime(2025, 3, 11, 4, 0, 0).astimezone()

    def publish(self, request: InvoiceRequest) -> None:
        self.published.append(request)
        self.inbox[request.serial].append(Signal(serial=request.serial, kind=SignalKind.REQUEST, at=self.now,
                                                 source="intake", request=request,
                                                 fingerprint=fingerprint(request)))

    def pending(self) -> list[str]:
        return sorted(serial for serial, queue in self.inbox.items() if queue)

    def step(self, serial: str, crash: bool = False) -> None:
        """Fold the serial's next signal; with `crash`, send what it caused but lose the row (and read the
        signal again later)."""
        self.now += timedelta(milliseconds=100)
        queue = self.inbox[serial]
        signal = dataclasses.replace(queue[0], at=self.now)
        before = self.rows.get(serial)
        decided = decide(before, signal, POLICY, validate)
        after = replay(decided, before)
        self.events += decided
        for message in crossings(before, decided, after):
            self.inbox[message.serial].append(message)
        if after is not None and after.status.terminal and (before is None or not before.status.terminal):
            result = result_of(after)
            self.results[serial].append(result.status)
            self.result_records.append(result)
        for event in decided:
            if event.type in CALLS:  # the issue agent answers it (a crash may make it ask twice)
                self.inbox[serial].append(self.provider.answer(event))
        if crash:
            return  # the row is not written; the same signal is read again
        queue.popleft()
        if after is not None:
            self.rows[serial] = after

    def tick(self, seconds: float) -> None:
        """The reconcile timer: time passes, and every serial whose wait is over is told so."""
        self.now += timedelta(seconds=seconds)
        for serial, row in self.rows.items():
            if row.due_at is not None and not row.status.terminal and row.due_at <= self.now:
                self.inbox[serial].append(Signal(serial=serial, kind=SignalKind.DUE, at=self.now, source="reconcile"))


CENT = Decimal("0.01")


def blue(serial: str) -> InvoiceRequest:
    """A valid 数电 blue for Kingdee, the one provider with a red-letter API."""
    request, findings = parse_request(json.loads(json.dumps(valid_request(serial, "kingdee",
                                                                          invoice_type="digital_normal"))))
    assert request is not None, findings
    return request


def red(serial: str, original: str, reason: str = "02", share: Decimal | None = None, line: int = 1,
        whole_of: InvoiceRequest | None = None) -> InvoiceRequest:
    """A red of `share` of one blue line (an allowance, 04, leaves quantity out), or of all that remains."""
    shape: dict[str, object] = {"serial": serial, "kind": "red", "original_serial": original, "red_reason": reason}
    if share is not None and whole_of is not None:
        source = whole_of.lines[line - 1]
        amount = (source.amount * share).quantize(CENT, ROUND_HALF_UP)
        tax = (amount * (source.tax_rate or 0)).quantize(CENT, ROUND_HALF_UP)
        shape.update(lines=[{"original_line": line, "amount": str(-amount), "tax_amount": str(-tax)}],
                     total_amount=str(-amount), total_tax=str(-tax), total_with_tax=str(-(amount + tax)))
    request, findings = parse_request(shape)
    assert request is not None, findings
    return request


def run(world: World, order: list[int], crashes: set[int], rounds: int = 400) -> None:
    """Deliver every signal (the test picks whose comes next), let the timer fire until all is quiet."""
    for step in range(rounds):
        pending = world.pending()
        if not pending:
            waiting = [row for row in world.rows.values() if not row.status.terminal and row.due_at is not None]
            if not waiting:
                return
            world.tick(31)
            continue
        chosen = pending[order[step % len(order)] % len(pending)] if order else pending[0]
        world.step(chosen, crash=step in crashes)
    raise AssertionError(f"still busy after {rounds} steps: {world.pending()}")
