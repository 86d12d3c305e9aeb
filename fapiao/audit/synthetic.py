"""Synthetic logs for the audit's benchmark and tests: the records a clean run writes, made by the real fold.

Each serial gets a JSON request (as an ERP sends it), the events `decide` produces for request →
accepted → issued (or → rejected), and the result `result_of` makes of the final state.
`red_letter` writes a red and its blue's bookkeeping by hand, as docs/red-letter.md describes them,
for readers (the console) to be tested on before the fold makes them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import ROUND_DOWN
from typing import Any

from confluent_kafka import Producer

from fapiao.samples import CENT, invalid_request, valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import (
    EventType,
    InvoiceEvent,
    InvoiceInfo,
    InvoiceRequest,
    InvoiceResult,
    RedForm,
    RedLine,
    RedOrder,
    RequestKind,
    Signal,
    SignalKind,
    Status,
)
from fapiao.schemas.requests import fingerprint, parse_request
from fapiao.streams.lifecycle import Policy, decide, replay, result_of
from fapiao.streams.topics import topic_name
from fapiao.streams.validation import validate

__all__ = ["Lifecycle", "lifecycle", "red_letter", "publish", "FORM_HOURS"]

FORM_HOURS = 72  # a 红字确认单 the counterparty must answer lapses this long after it was raised


@dataclass(frozen=True)
class Lifecycle:
    serial: str
    request: dict[str, Any]
    events: list[InvoiceEvent]
    result: InvoiceResult | None


def lifecycle(serial: str, at: datetime, *, valid: bool = True, finished: bool = True,
              provider: str = "kingdee") -> Lifecycle:
    """One serial's records; `finished=False` stops before the provider's answer (in progress)."""
    request = valid_request(serial, provider) if valid else invalid_request(serial, provider)
    parsed, findings = parse_request(request)
    signals = [Signal(serial, SignalKind.REQUEST, at, "intake", request=parsed, findings=tuple(findings),
                      fingerprint=fingerprint(parsed) if parsed else serial)]
    if finished:
        signals += [Signal(serial, SignalKind.ACCEPTED, at + timedelta(seconds=1), "issue", attempt=1),
                    Signal(serial, SignalKind.ISSUED, at + timedelta(seconds=2), "callback-signed", attempt=1,
                           invoice=InvoiceInfo(number=f"2444{abs(hash(serial)) % 10**16:016d}"))]
    state, events = None, []
    for signal in signals:
        new = decide(state, signal, Policy(), validate)
        events += new
        state = replay(new, state)
    done = state is not None and state.status.terminal
    return Lifecycle(serial, request, events, result_of(state) if done and state else None)


def red_letter(blue: Lifecycle, serial: str, at: datetime, *, issued: bool = False) -> tuple[Lifecycle, Lifecycle]:
    """A red taking back half of `blue`'s first line, and `blue` with the red booked against it.

    The red's form waits for the counterparty (`awaiting_counterparty`, deadline 72 h after `at`), or,
    with `issued`, was confirmed and the red invoice issued (the blue's book then says `red_settled`).
    """
    if blue.result is None or blue.events[0].request is None:
        raise ValueError(f"{blue.serial} is not an issued blue: a red needs one")
    first = blue.events[0].request.lines[0]
    # Rounded down: two such reds never take back more than the line (the fold would refuse the second).
    taken = RedLine(1, (first.amount / 2).quantize(CENT, ROUND_DOWN), (first.tax_amount / 2).quantize(CENT, ROUND_DOWN))
    request = InvoiceRequest(serial=serial, provider=None, invoice_type=None, seller=None, buyer=None, lines=(),
                             total_amount=-taken.amount, total_tax=-taken.tax_amount,
                             total_with_tax=-(taken.amount + taken.tax_amount), kind=RequestKind.RED,
                             original_serial=blue.serial, red_reason="04")
    order = RedOrder(request, blue.serial, blue.result.invoice or InvoiceInfo(), "04", (taken,), whole=False)
    form = RedForm(number=f"RF{serial}", uuid=f"uuid-{serial}", status="04" if issued else "02", entered_at=at,
                   deadline=at + timedelta(hours=FORM_HOURS))
    steps: list[tuple[EventType, dict[str, Any]]] = [
        (EventType.RECEIVED, {"request": request}), (EventType.VALIDATED, {}),
        (EventType.RESERVING, {"peer": blue.serial}), (EventType.SUBMITTING, {"attempt": 1, "red": order}),
        (EventType.AWAITING_COUNTERPARTY, {"attempt": 1, "form": form, "due_at": at + timedelta(minutes=1)})]
    number = f"2444{abs(hash(serial)) % 10**16:016d}"
    if issued:
        steps += [(EventType.CONFIRMED, {"attempt": 1, "form": form}), (EventType.ACCEPTED, {"attempt": 1}),
                  (EventType.ISSUED, {"attempt": 1, "invoice": InvoiceInfo(number=number)})]
    red_events = [InvoiceEvent(serial, seq, kind, at + timedelta(seconds=seq), provider="kingdee", **fields)
                  for seq, (kind, fields) in enumerate(steps, start=1)]
    result = InvoiceResult(serial, Status.ISSUED, red_events[-1].at, provider="kingdee",
                           invoice=InvoiceInfo(number=number), total_amount=request.total_amount,
                           total_tax=request.total_tax, total_with_tax=request.total_with_tax,
                           kind=RequestKind.RED, original_serial=blue.serial, form=form) if issued else None
    book = [(EventType.RED_RESERVED, {"red": order})]
    if issued:
        book.append((EventType.RED_SETTLED, {"invoice": InvoiceInfo(number=number)}))
    seq = blue.events[-1].seq
    blue_events = [InvoiceEvent(blue.serial, seq + i, kind, at + timedelta(seconds=i), provider="kingdee",
                                peer=serial, **fields) for i, (kind, fields) in enumerate(book, start=1)]
    red_json = {"serial": serial, "kind": "red", "original_serial": blue.serial, "red_reason": "04",
                "total_amount": str(request.total_amount), "total_tax": str(request.total_tax),
                "total_with_tax": str(request.total_with_tax)}
    return (replace(blue, events=blue.events + blue_events),
            Lifecycle(serial, red_json, red_events, result))


def publish(out: Producer, prefix: str, codec: Codec, lifecycles: list[Lifecycle], requests: bool = True) -> int:
    """Produce every record keyed by serial (results after events, as the worker does); return the count.

    Without `requests`, only what a worker writes: beside a running worker, which would answer a request.
    """
    count = 0
    for item in lifecycles:
        key = item.serial.encode("utf-8")
        records = [(topic_name(prefix, "requests"), json.dumps(item.request, ensure_ascii=False).encode("utf-8"))
                   ] if requests else []
        records += [(topic_name(prefix, "events"), codec.encode(event)) for event in item.events]
        if item.result is not None:
            records.append((topic_name(prefix, "results"), codec.encode(item.result)))
        for topic, value in records:
            out.produce(topic, key=key, value=value)
            out.poll(0)
            count += 1
    out.flush(60)
    return count
