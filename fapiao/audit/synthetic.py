"""Synthetic logs for the audit's benchmark and tests: the records a clean run writes, made by the real fold.

Each serial gets a JSON request (as an ERP sends it), the events `decide` produces for request →
accepted → issued (or → rejected), and the result `result_of` makes of the final state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from confluent_kafka import Producer

from fapiao.samples import invalid_request, valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import InvoiceEvent, InvoiceInfo, InvoiceResult, Signal, SignalKind
from fapiao.schemas.requests import fingerprint, parse_request
from fapiao.streams.lifecycle import Policy, decide, replay, result_of
from fapiao.streams.topics import topic_name
from fapiao.streams.validation import validate

__all__ = ["Lifecycle", "lifecycle", "publish"]


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


def publish(out: Producer, prefix: str, codec: Codec, lifecycles: list[Lifecycle]) -> int:
    """Produce every record keyed by serial (results after events, as the worker does); return the count."""
    count = 0
    for item in lifecycles:
        key = item.serial.encode("utf-8")
        records = [(topic_name(prefix, "requests"), json.dumps(item.request, ensure_ascii=False).encode("utf-8"))]
        records += [(topic_name(prefix, "events"), codec.encode(event)) for event in item.events]
        if item.result is not None:
            records.append((topic_name(prefix, "results"), codec.encode(item.result)))
        for topic, value in records:
            out.produce(topic, key=key, value=value)
            out.poll(0)
            count += 1
    out.flush(60)
    return count
