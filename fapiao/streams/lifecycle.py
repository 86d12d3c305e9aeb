"""The lifecycle of a serial, as two pure functions (no I/O, no clock):

    decide(state, signal, policy) -> events      what a signal means for this serial now
    evolve(state, event) -> state                how one event changes the state row

The invoice agent calls `decide`, folds the events with `evolve`, writes them to `fapiao.events`
and the new state to the table. Replaying `fapiao.events` through `evolve` alone rebuilds every
state row, which is how `fapiao replay` proves the table. Signals may come late, twice or out of
order: a signal about an attempt other than the current one, or about a serial already terminal,
decides nothing.

    received ─► rejected                                   (terminal)
       └──► validated ─► submitting ─► accepted ─► issued      (terminal)
                            │  ▲          └────► failed      (terminal)
                            │  └── retry_wait | paused (due) ◄┘
                            └──► in_doubt ─► querying ─► accepted | issued | failed | resubmit
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable, Iterable

from fapiao.schemas.records import (
    EventType,
    Finding,
    HistoryEntry,
    InvoiceEvent,
    InvoiceRequest,
    InvoiceResult,
    InvoiceState,
    Severity,
    Signal,
    SignalKind,
    Status,
)

__all__ = ["Policy", "decide", "evolve", "replay", "result_of", "backoff", "stretched", "Validator", "HISTORY_LIMIT", "FINDINGS_LIMIT",
           "CALLBACK_HINT", "CALLBACK_VERIFIED"]

Validator = Callable[[InvoiceRequest], list[Finding]]
HISTORY_LIMIT = 50  # state rows keep the latest transitions; the log keeps them all
FINDINGS_LIMIT = 100  # a hostile request can have a finding per line; a record must stay a Kafka message

# A callback from a provider that does not sign (Kingdee) is only a hint, answered with a query.
# One that carried a valid signature (yipiaoyun) is taken as the provider's word.
CALLBACK_HINT = "callback"
CALLBACK_VERIFIED = "callback-signed"


@dataclass(frozen=True)
class Policy:
    """Timing and retry knobs of the fold (from settings)."""

    in_doubt_grace: timedelta = timedelta(seconds=5)
    pending_recheck: timedelta = timedelta(seconds=15)
    submit_timeout: timedelta = timedelta(seconds=30)  # no answer by then: the submit is in doubt
    retry_base: timedelta = timedelta(seconds=1)
    retry_cap: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    paused_probe: timedelta = timedelta(seconds=10)
    wait_cap: timedelta = timedelta(minutes=10)  # the longest a repeated wait (pause, doubt, recheck) grows


def stretched(state: InvoiceState, kind: EventType, base: timedelta, policy: Policy) -> timedelta:
    """`base` doubled for each earlier wait of this kind the serial has had, up to the wait cap.

    A seller paused over a weekend, or a provider that keeps answering "pending", would otherwise be
    asked at a fixed interval forever, and each round writes transitions to the permanent log.
    """
    earlier = sum(1 for entry in state.history if entry.type is kind)
    return min(max(policy.wait_cap, base), base * (2 ** min(earlier, 20)))


def backoff(serial: str, attempt: int, policy: Policy) -> timedelta:
    """Exponential backoff with jitter in [50%, 100%], derived from the serial so the fold stays pure."""
    ceiling = policy.retry_base
    for _ in range(max(attempt - 1, 0)):  # double up to the cap: 2**n itself overflows timedelta past n≈46
        if ceiling >= policy.retry_cap:
            break
        ceiling *= 2
    ceiling = min(policy.retry_cap, ceiling)
    digest = hashlib.sha256(f"{serial}:{attempt}".encode()).digest()
    fraction = 0.5 + 0.5 * int.from_bytes(digest[:4], "big") / 0xFFFFFFFF
    # Whole milliseconds, as Avro's timestamp-millis keeps a due_at: a row read back from the table must
    # decide exactly as the row the fold holds in memory.
    return min(ceiling, timedelta(milliseconds=math.ceil(ceiling * fraction / timedelta(milliseconds=1))))


class _Builder:
    """Numbers the events of one decision after the state's last seq."""

    def __init__(self, state: InvoiceState | None, signal: Signal, policy: Policy) -> None:
        self.seq = state.seq if state else 0
        self.policy = policy
        self.signal = signal
        self.state = state
        self.events: list[InvoiceEvent] = []

    def add(self, type_: EventType, **fields: object) -> None:
        self.seq += 1
        provider = self.state.provider if self.state else None
        request = fields.get("request")
        if provider is None and isinstance(request, InvoiceRequest):
            provider = request.provider
        fields.setdefault("attempt", self.state.attempt if self.state else 0)
        self.events.append(InvoiceEvent(serial=self.signal.serial, seq=self.seq, type=type_, at=self.signal.at,
                                        provider=provider, origin=self.signal.origin, **fields))  # type: ignore[arg-type]


def _capped(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """At most FINDINGS_LIMIT findings, errors first, and one more saying how many were left out."""
    if len(findings) <= FINDINGS_LIMIT:
        return findings
    ordered = sorted(findings, key=lambda f: f.severity is not Severity.ERROR)
    left_out = len(findings) - FINDINGS_LIMIT
    return tuple(ordered[:FINDINGS_LIMIT]) + (Finding(
        "too_many_findings", "", Severity.ERROR, f"另有 {left_out} 处问题未列出",
        f"{left_out} more findings are not listed"),)


def _errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def _on_request(state: InvoiceState | None, signal: Signal, validate: Validator, out: _Builder) -> None:
    if state is not None:
        if signal.fingerprint == state.fingerprint:
            out.add(EventType.DUPLICATE_REQUEST, fingerprint=signal.fingerprint)
        else:
            conflict = Finding("serial_conflict", "serial", Severity.ERROR,
                               "该流水号已用于内容不同的请求,已推送的发票不可修改,保留首次请求的结果",
                               "this serial was already used for a request with different content; "
                               "the first request's outcome is kept")
            out.add(EventType.SERIAL_CONFLICT, fingerprint=signal.fingerprint, findings=(conflict,),
                    code="serial_conflict")
        return
    request = signal.request
    findings = _capped(tuple(signal.findings) + (tuple(validate(request)) if request is not None else ()))
    out.add(EventType.RECEIVED, request=request, fingerprint=signal.fingerprint)
    if request is None or _errors(findings):
        out.add(EventType.REJECTED, findings=findings, code=next(
            (f.code for f in findings if f.severity is Severity.ERROR), "malformed_request"))
        return
    out.add(EventType.VALIDATED, findings=findings)
    out.add(EventType.SUBMITTING, attempt=1, request=request, due_at=signal.at + out.policy.submit_timeout)


def _submit_again(state: InvoiceState, signal: Signal, policy: Policy, out: _Builder) -> None:
    out.add(EventType.SUBMITTING, attempt=state.attempt + 1, request=state.request,
            due_at=signal.at + policy.submit_timeout)


def _on_answer(state: InvoiceState, signal: Signal, policy: Policy, out: _Builder) -> None:
    """A provider's answer (to a submit, a query, or by callback) for a live serial."""
    kind, status = signal.kind, state.status
    if signal.source == CALLBACK_HINT:
        # Unsigned callbacks can be forged: confirm with a query before believing them.
        if status is not Status.QUERYING:
            out.add(EventType.QUERYING, request=state.request, due_at=signal.at + policy.submit_timeout)
    elif kind is SignalKind.ISSUED:
        out.add(EventType.ISSUED, invoice=signal.invoice, code=signal.code, message=signal.message)
    elif kind is SignalKind.FAILED:
        out.add(EventType.FAILED, code=signal.code, message=signal.message)
    elif kind in (SignalKind.ACCEPTED, SignalKind.PENDING):
        if status is not Status.ACCEPTED or kind is SignalKind.PENDING:
            out.add(EventType.ACCEPTED, invoice=signal.invoice,
                    # grows per query round, so a "pending" delivered twice does not move it again
                    due_at=signal.at + stretched(state, EventType.QUERYING, policy.pending_recheck, policy))
    elif signal.attempt != state.attempt:
        return  # an answer about an earlier attempt: the current one decides
    elif kind is SignalKind.RETRYABLE and status is Status.SUBMITTING:
        # Pauses (a seller's session) do not use up attempts; only answers that said "try again" do.
        failures = 1 + sum(1 for entry in state.history if entry.type is EventType.RETRY_WAIT)
        if failures >= policy.max_attempts:
            out.add(EventType.FAILED, code=signal.code or "retries_exhausted",
                    message=f"gave up after {failures} attempts: {signal.message or signal.code}")
        else:
            out.add(EventType.RETRY_WAIT, code=signal.code, message=signal.message,
                    due_at=signal.at + backoff(state.serial, state.attempt, policy))
    elif kind is SignalKind.SESSION and status is Status.SUBMITTING:
        out.add(EventType.PAUSED, code=signal.code, message=signal.message,
                due_at=signal.at + stretched(state, EventType.PAUSED, policy.paused_probe, policy))
    elif kind in (SignalKind.IN_DOUBT, SignalKind.RETRYABLE, SignalKind.SESSION) and status in (
            Status.SUBMITTING, Status.QUERYING):
        out.add(EventType.IN_DOUBT, code=signal.code, message=signal.message,
                due_at=signal.at + stretched(state, EventType.IN_DOUBT, policy.in_doubt_grace, policy))
    elif kind is SignalKind.NOT_FOUND and status is Status.QUERYING:
        _submit_again(state, signal, policy, out)


def _on_due(state: InvoiceState, signal: Signal, policy: Policy, out: _Builder) -> None:
    """The reconcile timer says this serial's wait is over."""
    if state.due_at is None or state.due_at > signal.at:
        return  # already moved on, or not yet due
    if state.status in (Status.RETRY_WAIT, Status.PAUSED):
        _submit_again(state, signal, policy, out)
    elif state.status in (Status.IN_DOUBT, Status.ACCEPTED, Status.SUBMITTING, Status.QUERYING):
        out.add(EventType.QUERYING, request=state.request, due_at=signal.at + policy.submit_timeout)


def decide(state: InvoiceState | None, signal: Signal, policy: Policy, validate: Validator) -> list[InvoiceEvent]:
    """The events a signal causes for its serial; empty when it changes nothing."""
    out = _Builder(state, signal, policy)
    if signal.kind is SignalKind.REQUEST:
        _on_request(state, signal, validate, out)
    elif state is None:
        out.seq = -1  # an orphan belongs to no lifecycle: seq 0, outside the serial's sequence
        out.add(EventType.ORPHAN_CALLBACK, code=signal.code, message=signal.message, invoice=signal.invoice)
    elif signal.kind is SignalKind.DUE and not state.status.terminal:
        _on_due(state, signal, policy, out)
    elif not state.status.terminal:
        _on_answer(state, signal, policy, out)
    return out.events


_STATUS_OF = {
    EventType.RECEIVED: Status.RECEIVED,
    EventType.REJECTED: Status.REJECTED,
    EventType.VALIDATED: Status.VALIDATED,
    EventType.SUBMITTING: Status.SUBMITTING,
    EventType.ACCEPTED: Status.ACCEPTED,
    EventType.RETRY_WAIT: Status.RETRY_WAIT,
    EventType.IN_DOUBT: Status.IN_DOUBT,
    EventType.QUERYING: Status.QUERYING,
    EventType.PAUSED: Status.PAUSED,
    EventType.ISSUED: Status.ISSUED,
    EventType.FAILED: Status.FAILED,
}


def evolve(state: InvoiceState | None, event: InvoiceEvent) -> InvoiceState | None:
    """The state after one event. Events about no lifecycle (orphans) leave it as it was."""
    if event.type is EventType.ORPHAN_CALLBACK:
        return state
    entry = HistoryEntry(seq=event.seq, type=event.type, at=event.at, attempt=event.attempt,
                         code=event.code, message=event.message)
    if state is None:
        state = InvoiceState(serial=event.serial, status=Status.RECEIVED, seq=0, created_at=event.at,
                             updated_at=event.at)
    status = _STATUS_OF.get(event.type, state.status)
    changes: dict[str, object] = {"seq": event.seq, "updated_at": event.at,
                                  "history": _trimmed(state.history + (entry,))}
    if event.type in _STATUS_OF:
        changes.update(status=status, attempt=event.attempt, due_at=event.due_at,
                       code=event.code, message=event.message)
        if event.findings:
            changes["findings"] = event.findings
        if event.invoice is not None:
            changes["invoice"] = event.invoice
    if event.type is EventType.RECEIVED:
        changes.update(request=event.request, fingerprint=event.fingerprint, provider=event.provider)
    return replace(state, **changes)  # type: ignore[arg-type]


def _trimmed(history: tuple[HistoryEntry, ...]) -> tuple[HistoryEntry, ...]:
    """The latest HISTORY_LIMIT entries, but every retry kept: `_on_answer` counts the retry budget from
    them, and a long pause (an entry pair per probe) must not scroll earlier retries out of the count."""
    excess = len(history) - HISTORY_LIMIT
    kept = []
    for entry in history:
        if excess > 0 and entry.type is not EventType.RETRY_WAIT:
            excess -= 1
            continue
        kept.append(entry)
    return tuple(kept)


def replay(events: Iterable[InvoiceEvent], state: InvoiceState | None = None) -> InvoiceState | None:
    """Fold events into a state, from nothing or from `state`."""
    for event in events:
        state = evolve(state, event)
    return state


def result_of(state: InvoiceState) -> InvoiceResult:
    """The terminal summary of a state that has just become terminal."""
    request = state.request
    return InvoiceResult(
        serial=state.serial, status=state.status, at=state.updated_at, provider=state.provider,
        invoice_type=request.invoice_type if request else None,
        seller_tax_id=request.seller.tax_id if request else None,
        invoice=state.invoice if state.status is Status.ISSUED else None,
        total_amount=request.total_amount if request else None,
        total_tax=request.total_tax if request else None,
        total_with_tax=request.total_with_tax if request else None,
        errors=tuple(f for f in state.findings if f.severity is Severity.ERROR),
        code=state.code, message=state.message,
        order_no=request.order_no if request else None,
        erp_order_no=request.erp_order_no if request else None,
        attempts=state.attempt, fingerprint=state.fingerprint,
    )
