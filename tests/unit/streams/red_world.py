"""A small world for the red-letter fold: the real `decide`, `evolve` and `crossings`, signals delivered
serial by serial in whatever order a test picks, and a provider model that answers every call.

The provider model keeps its own books (forms, invoices issued per serial, red amounts issued per blue
line) and is careless on purpose (it issues a serial sent twice): the oracle of "never more red than blue"
and "one invoice per serial" is what it issued, not what the rows say. Crashes are modelled as Kafka's
at-least-once gives them: a signal decided and its output sent, but its row never written (the next
delivery decides it again from the old row, and sends the same transitions again).

The issue agent is modelled with the guard the real one keeps (`fapiao.streams.guard`): a call is made
for a transition only once its row is durable with it, once per (serial, seq); a call the process had
read but not finished when it died is inherited by its successor, which does not make it but reports it
in doubt (the fold then asks the provider before sending anything again).
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
                                    RedForm, RedOrder, Signal, SignalKind, Status)
from fapiao.samples import valid_request
from fapiao.schemas.requests import fingerprint, parse_request
from fapiao.streams.lifecycle import Policy, decide, replay, result_of
from fapiao.streams.redletter.crossings import crossings
from fapiao.streams.validation import validate

CALLS = (EventType.SUBMITTING, EventType.QUERYING, EventType.REVOKING)
ISSUE = "(issue agent)"  # what `World.pending` names the issue agent's turn by
FLUSH = "(fold flushes)"  # and the end of the fold's batch
BUYER_DELAY = timedelta(seconds=2)  # how long after a form is raised the buyer answers it
POLICY = Policy(form_poll=timedelta(seconds=1), form_deadline=timedelta(seconds=30), max_attempts=4)


@dataclass
class Provider:
    """What a provider holds. Careless on purpose: a serial submitted again is issued again, and it never
    refuses an over-flush. The fold must ask for neither; the counts here show it if it does."""

    used: set[str] = field(default_factory=set)  # blue serials the buyer already used (their forms wait)
    buyer: Callable[[str], str] = lambda blue: "confirm"  # confirm | refuse | silent, per blue serial
    forms: dict[str, RedForm] = field(default_factory=dict)  # the latest form raised under a red's serial
    issued: Counter[str] = field(default_factory=Counter)  # invoices per serial
    submissions: Counter[str] = field(default_factory=Counter)
    red_taken: dict[str, dict[int, tuple[Decimal, Decimal]]] = field(default_factory=lambda: defaultdict(dict))
    _waiting: dict[str, list[RedOrder]] = field(default_factory=lambda: defaultdict(list))  # reds per form

    def answer(self, event: InvoiceEvent) -> Signal:
        """The provider's answer to one call, as the issue agent would signal it."""
        serial, red = event.serial, event.red
        def say(kind: SignalKind, **fields: object) -> Signal:
            return Signal(serial=serial, kind=kind, at=event.at, source="issue", attempt=event.attempt,
                          **fields)  # type: ignore[arg-type]

        if red is None:  # a blue: issued at once
            if event.type is EventType.SUBMITTING:
                self.submissions[serial] += 1
                self.issued[serial] += 1
            return say(SignalKind.ISSUED, invoice=InvoiceInfo(number=f"B{serial}"))
        if event.type is EventType.SUBMITTING:  # the red, raising its form with it
            self.submissions[serial] += 1
            used = red.original_serial in self.used
            self.forms[serial] = RedForm(number=f"F{serial}{self.submissions[serial]}", uuid=f"U{serial}",
                                         status="02" if used else "01", entered_at=event.at)
            self._waiting[serial].append(red)
            if not used:
                self._issue(serial)
            return say(SignalKind.ACCEPTED)
        form = self.forms.get(serial)
        if form is None:
            return say(SignalKind.NOT_FOUND)
        if event.type is EventType.REVOKING:
            if form.status == "02":
                self.forms[serial] = dataclasses.replace(form, status="08")
            return say(SignalKind.FORM, form=self.forms[serial])
        if form.status == "02" and event.at >= (form.entered_at or event.at) + BUYER_DELAY:
            answer = self.buyer(red.original_serial)
            status = {"confirm": "04", "refuse": "05"}.get(answer, "02")
            if answer == "silent" and event.at >= (form.entered_at or event.at) + timedelta(seconds=30):
                status = "07"
            form = self.forms[serial] = dataclasses.replace(form, status=status)
            if status == "04":
                self._issue(serial)
        if self.issued[serial]:
            return say(SignalKind.ISSUED, invoice=InvoiceInfo(number=f"R{serial}"), form=form)
        if form.status in ("05", "07", "08"):
            return say(SignalKind.FAILED, code="4", message="开票失败", form=form)
        return say(SignalKind.PENDING, form=form)

    def _issue(self, serial: str) -> None:
        """Every red waiting under the serial is issued (a careless provider issues each one it accepted)."""
        for red in self._waiting.pop(serial, []):
            self.issued[serial] += 1
            for line in red.lines:
                amount, tax = self.red_taken[red.original_serial].get(line.original_line, (Decimal(0), Decimal(0)))
                self.red_taken[red.original_serial][line.original_line] = (amount + line.amount, tax + line.tax_amount)


@dataclass
class World:
    """The fold's signals per serial, its rows (durable, and written but not yet durable), the issue agent's
    calls, the results, and the provider model. The fold writes rows in batches: what it decided is sent at
    once, its rows become durable (and its signals committed) only at `flush`; `crash` loses what was not."""

    provider: Provider
    rows: dict[str, InvoiceState] = field(default_factory=dict)  # durable: in the changelog
    written: dict[str, InvoiceState] = field(default_factory=dict)  # the fold's newer rows, not yet durable
    inbox: dict[str, deque[Signal]] = field(default_factory=lambda: defaultdict(deque))
    read: list[Signal] = field(default_factory=list)  # signals folded but not yet committed
    events: list[InvoiceEvent] = field(default_factory=list)
    results: dict[str, list[Status]] = field(default_factory=lambda: defaultdict(list))
    published: list[InvoiceRequest] = field(default_factory=list)
    result_records: list[InvoiceResult] = field(default_factory=list)
    calls: deque[tuple[InvoiceEvent, bool]] = field(default_factory=deque)  # read by the issue agent; inherited?
    made: set[tuple[str, int]] = field(default_factory=set)  # (serial, seq) of calls this process made
    now: datetime = datetime(2025, 3, 11, 4, 0, 0).astimezone()

    def publish(self, request: InvoiceRequest) -> None:
        self.published.append(request)
        self.inbox[request.serial].append(Signal(serial=request.serial, kind=SignalKind.REQUEST, at=self.now,
                                                 source="intake", request=request,
                                                 fingerprint=fingerprint(request)))

    def row(self, serial: str) -> InvoiceState | None:
        """The row as the fold holds it (its newest write)."""
        return self.written.get(serial, self.rows.get(serial))

    def pending(self) -> list[str]:
        """Serials with a signal to fold, FLUSH when rows wait to be durable, ISSUE when the issue agent has a
        call it may make."""
        ready = sorted(serial for serial, queue in self.inbox.items() if queue)
        if self.written or self.read:
            ready.append(FLUSH)
        return ready + [ISSUE] if any(self._may_call(call) for call in self.calls) else ready

    def _may_call(self, call: tuple[InvoiceEvent, bool]) -> bool:
        """The guard: a call only for a transition whose row is durable with it (or one inherited: reported)."""
        event, inherited = call
        row = self.rows.get(event.serial)
        return inherited or row is not None and row.seq >= event.seq

    def step(self, serial: str) -> None:
        """Fold the serial's next signal and send what it causes; its row is written, not yet durable."""
        self.now += timedelta(milliseconds=100)
        signal = dataclasses.replace(self.inbox[serial].popleft(), at=self.now)
        self.read.append(signal)
        before = self.row(serial)
        decided = decide(before, signal, POLICY, validate)
        after = replay(decided, before)
        self.events += decided
        for message in crossings(before, decided, after):
            self.inbox[message.serial].append(message)
        if after is not None and after.status.terminal and (before is None or not before.status.terminal):
            result = result_of(after)
            self.results[serial].append(result.status)
            self.result_records.append(result)
        self.calls += [(event, False) for event in decided if event.type in CALLS]
        if after is not None:
            self.written[serial] = after

    def flush(self) -> None:
        """The fold's batch ends: its rows are in the changelog, its signals committed."""
        self.rows.update(self.written)
        self.written.clear()
        self.read.clear()

    def crash(self) -> None:
        """The worker dies and a new one takes over: rows not yet durable are lost, uncommitted signals are
        read again, and every call the issue agent had read but not made is inherited."""
        for signal in reversed(self.read):
            self.inbox[signal.serial].appendleft(signal)
        self.read.clear()
        self.written.clear()
        self.calls = deque((event, True) for event, _ in self.calls)
        self.made.clear()

    def issue(self) -> None:
        """The issue agent takes the first call it may make, and makes it once (or reports it in doubt)."""
        call = next(call for call in self.calls if self._may_call(call))
        self.calls.remove(call)
        event, inherited = call
        row = self.rows.get(event.serial)
        if (event.serial, event.seq) in self.made or row is not None and (
                row.status.terminal or row.attempt > event.attempt):
            return  # a copy of a call made, or one the serial has moved past
        self.made.add((event.serial, event.seq))
        if inherited and event.type is EventType.SUBMITTING:
            self.inbox[event.serial].append(Signal(serial=event.serial, kind=SignalKind.IN_DOUBT, at=self.now,
                                                   source="issue", attempt=event.attempt, code="inherited_call"))
        else:
            self.inbox[event.serial].append(self.provider.answer(event))

    def tick(self, seconds: float) -> None:
        """The reconcile timer: time passes, and every serial whose wait is over is told so."""
        self.flush()
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


def run(world: World, order: list[int], crashes: set[int], rounds: int = 400,
        until: Callable[[World], bool] = lambda world: False) -> None:
    """Deliver every signal (the test picks whose comes next), let the timer fire until all is quiet (or `until`)."""
    for step in range(rounds):
        if until(world):
            return
        pending = world.pending()
        if not pending:
            waiting = [row.due_at for row in world.rows.values() if not row.status.terminal and row.due_at is not None]
            if not waiting:
                return
            world.tick(max((min(waiting) - world.now).total_seconds(), 0.1))  # the timer, at the next due time
            continue
        if step in crashes:
            world.crash()
        chosen = pending[order[step % len(order)] % len(pending)] if order else pending[0]
        if chosen == ISSUE:
            world.issue()
        elif chosen == FLUSH:
            world.flush()
        else:
            world.step(chosen)
    raise AssertionError(f"still busy after {rounds} steps: {world.pending()}")
