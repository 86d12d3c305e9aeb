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

A red (docs/red-letter.md) is validated, then asks its blue's row for its share (`reserving`); the
blue's row decides by `redletter.claims` and books it (`red_reserved`, `red_refused`, `red_settled`,
`red_released`, `red_flushed`). A granted red is submitted under its own serial as a blue is, and the
provider raises its 红字确认单 with it: what the provider says of that form moves the red on. It waits
for the counterparty while the form does (`awaiting_counterparty`, asked again by `querying`), is
`confirmed` when the form allows the red, or fails with the form's status. A red_cancel asks its red to
withdraw (`cancelling`): the red `revoking` its form; it ends `withdrawn` or rejected. What one serial
tells another is derived from these transitions by `redletter.crossings`; the fold sends it.
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
    RedEntry,
    RedForm,
    RequestKind,
    Severity,
    Signal,
    SignalKind,
    Status,
)
from fapiao.streams.redletter import claims, forms
from fapiao.streams.redletter.forms import Phase
from fapiao.streams.redletter.remaining import nothing_left, remaining
from fapiao.streams.validation.registry import error

__all__ = ["Policy", "decide", "evolve", "replay", "result_of", "backoff", "stretched", "Validator", "HISTORY_LIMIT", "FINDINGS_LIMIT",
           "CALLBACK_HINT", "CALLBACK_VERIFIED", "CALLS"]

Validator = Callable[[InvoiceRequest], list[Finding]]
HISTORY_LIMIT = 50  # state rows keep the latest transitions; the log keeps them all
FINDINGS_LIMIT = 100  # a hostile request can have a finding per line; a record must stay a Kafka message

# A callback from a provider that does not sign (Kingdee) is only a hint, answered with a query.
# One that carried a valid signature (yipiaoyun) is taken as the provider's word.
CALLBACK_HINT = "callback"
CALLBACK_VERIFIED = "callback-signed"
# The transitions that owe the provider a call: the issue agent makes it (a copy of each goes to `fapiao.calls`).
CALLS = frozenset({EventType.SUBMITTING, EventType.QUERYING, EventType.REVOKING})


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
    form_poll: timedelta = timedelta(seconds=60)  # first wait before asking again about a form that waits
    form_deadline: timedelta = timedelta(hours=72)  # a form's life when the provider gives no entry time


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
    """Numbers the events of one decision after the state's last seq, each with the serial's provider."""

    def __init__(self, state: InvoiceState | None, signal: Signal, policy: Policy) -> None:
        self.seq = state.seq if state else 0
        self.policy = policy
        self.signal = signal
        self.state = state
        self.provider = state.provider if state else None  # a new serial learns it from its request
        self.events: list[InvoiceEvent] = []

    def add(self, type_: EventType, **fields: object) -> None:
        self.seq += 1
        request = fields.get("request")
        if self.provider is None and isinstance(request, InvoiceRequest):
            self.provider = request.provider
        red = fields.get("red")
        if self.provider is None and red is not None:
            self.provider = red.request.provider  # type: ignore[attr-defined]  # a red learns its provider from its blue
        fields.setdefault("attempt", self.state.attempt if self.state else 0)
        self.events.append(InvoiceEvent(serial=self.signal.serial, seq=self.seq, type=type_, at=self.signal.at,
                                        provider=self.provider, origin=self.signal.origin, **fields))  # type: ignore[arg-type]


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
        _reject(findings, out)
        return
    out.add(EventType.VALIDATED, findings=findings)
    if request.kind is RequestKind.RED:
        out.add(EventType.RESERVING, peer=request.original_serial)  # its blue's row decides its share
    elif request.kind is RequestKind.RED_CANCEL:
        out.add(EventType.CANCELLING, peer=request.original_serial)
    else:
        out.add(EventType.SUBMITTING, attempt=1, due_at=signal.at + out.policy.submit_timeout)


def _reject(findings: tuple[Finding, ...], out: _Builder) -> None:
    out.add(EventType.REJECTED, findings=findings, code=next(
        (f.code for f in findings if f.severity is Severity.ERROR), "malformed_request"))


def _form_phase(state: InvoiceState) -> Phase | None:
    """Where a red stands with its form: None before a form is known."""
    return forms.phase_of(state.form.status) if state.form is not None else None


def _call_again(state: InvoiceState, signal: Signal, policy: Policy, out: _Builder, *, query: bool) -> None:
    """The call a serial owes next: ask what the provider holds (`query`), or send again, under its serial.

    A red is sent and asked about as a blue is: the provider raises its form with it, and the red's query
    tells the form's status too. (A form applied for on its own has no key to ask about: a lost answer
    could only be found by applying again, and a provider that does not refuse a repeated order would
    raise a second form, which the buyer could confirm into a second red.) A call does not carry the
    request: it rode in once, on `received`, and the issue agent reads it from the serial's row.
    """
    due_at = signal.at + policy.submit_timeout
    if query:
        out.add(EventType.QUERYING, red=state.red, form=state.form, due_at=due_at)
    else:
        out.add(EventType.SUBMITTING, attempt=state.attempt + 1, red=state.red, form=state.form, due_at=due_at)


_ASKING = (Status.QUERYING, Status.REVOKING)  # a failed ask tells nothing: in doubt


def _on_answer(state: InvoiceState, signal: Signal, policy: Policy, out: _Builder) -> None:
    """A provider's answer (to a submit, a query, or by callback) for a live serial."""
    kind, status = signal.kind, state.status
    # A refused revoke comes with the form as it stands: the refusal is the revoke's, not the red's. Unless
    # the form has ended, the red goes on as its form does (below: the red_cancel is told no, the form asked).
    refused_revoke = kind is SignalKind.FAILED and status is Status.REVOKING and (
        signal.form is None or forms.phase_of(signal.form.status) is not Phase.ENDED)
    if state.red is not None and signal.form is not None and signal.source != CALLBACK_HINT and kind in (
            SignalKind.FORM, SignalKind.ACCEPTED, SignalKind.PENDING, SignalKind.FAILED) and not refused_revoke:
        _on_form(state, signal, policy, out)
    elif signal.source == CALLBACK_HINT:
        # Unsigned callbacks can be forged: confirm with a query before believing them. A red is queried
        # even while its form waits: its provider may have issued it on confirmation by itself (确认即开票).
        if status is not Status.QUERYING:
            _call_again(state, signal, policy, out, query=True)
    elif kind is SignalKind.ISSUED:
        # A red's provider may have issued it when the form was confirmed: what it says of the form, keep.
        form = _merged(state.form, signal.form) if state.red is not None and signal.form is not None else None
        out.add(EventType.ISSUED, invoice=signal.invoice, code=signal.code, message=signal.message, form=form)
    elif refused_revoke:
        # The provider would not revoke (the counterparty answered first, say): the red goes on as its form
        # does, and the red_cancel is told no.
        _refuse_pending_cancel(state, f"{signal.code or ''} {signal.message or ''}".strip(), out)
        _call_again(state, signal, policy, out, query=True)
    elif kind is SignalKind.FAILED:
        out.add(EventType.FAILED, code=signal.code, message=signal.message)
    elif kind in (SignalKind.ACCEPTED, SignalKind.PENDING):
        if status is not Status.ACCEPTED or kind is SignalKind.PENDING:
            # grows per query round, so a "pending" delivered twice does not move it again
            wait = stretched(state, EventType.QUERYING, policy.pending_recheck, policy)
            if state.red is not None and state.form is None:
                wait = policy.form_poll  # a red's first look at the form raised with it: must someone confirm?
            out.add(EventType.ACCEPTED, invoice=signal.invoice, due_at=signal.at + wait)
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
            Status.SUBMITTING, *_ASKING):
        out.add(EventType.IN_DOUBT, code=signal.code, message=signal.message,
                due_at=signal.at + stretched(state, EventType.IN_DOUBT, policy.in_doubt_grace, policy))
    elif kind is SignalKind.NOT_FOUND and status is Status.QUERYING:
        _call_again(state, signal, policy, out, query=False)


def _on_form(state: InvoiceState, signal: Signal, policy: Policy, out: _Builder) -> None:
    """What the provider says of a red's form (in an answer to a query, or to a revoke) moves the red:
    wait for the counterparty, withdraw, go on to be issued, or end."""
    assert state.red is not None and signal.form is not None
    form = _with_deadline(_merged(state.form, signal.form), signal, policy)
    phase = forms.phase_of(form.status)
    if phase is Phase.ENDED:
        zh, en = forms.describe(form.status)
        out.add(EventType.FAILED, form=form, code=forms.failure_code(form.status),
                message=f"红字确认单{zh} / the red-letter form is {en}; nothing is issued for it")
    elif signal.kind is SignalKind.FAILED:  # the red invoice itself failed, its form standing
        out.add(EventType.FAILED, form=form, code=signal.code, message=signal.message)
    elif phase is Phase.WAITING:
        if state.status is Status.REVOKING:  # answered, but the form still waits: ask again after a while
            out.add(EventType.IN_DOUBT, form=form, code=signal.code, message=signal.message,
                    due_at=signal.at + stretched(state, EventType.IN_DOUBT, policy.in_doubt_grace, policy))
        elif state.peer is not None:  # a red_cancel waits for this form to be withdrawn
            out.add(EventType.REVOKING, red=state.red, form=form, due_at=signal.at + policy.submit_timeout)
        else:
            out.add(EventType.AWAITING_COUNTERPARTY, form=form, due_at=_next_look(state, form, signal, policy))
    else:  # 01 or 04: the provider issues the red now (开票中; for 04, 确认即开票), a callback or a query tells
        if _form_phase(state) is not Phase.CONFIRMED:
            out.add(EventType.CONFIRMED, form=form)
        out.add(EventType.ACCEPTED, form=form,
                due_at=signal.at + stretched(state, EventType.QUERYING, policy.pending_recheck, policy))


def _merged(known: RedForm | None, heard: RedForm) -> RedForm:
    """What is now known of a form: the new word, with what it leaves out taken from before."""
    if known is None:
        return heard
    return RedForm(number=heard.number or known.number, uuid=heard.uuid or known.uuid,
                   status=heard.status or known.status, entered_at=heard.entered_at or known.entered_at,
                   deadline=heard.deadline or known.deadline)


def _with_deadline(form: RedForm, signal: Signal, policy: Policy) -> RedForm:
    """A waiting form lapses `form_deadline` after it was raised, unless the provider said when."""
    if form.deadline is not None or forms.phase_of(form.status) is not Phase.WAITING:
        return form
    return replace(form, deadline=(form.entered_at or signal.at) + policy.form_deadline)


def _next_look(state: InvoiceState, form: RedForm, signal: Signal, policy: Policy) -> datetime:
    """When to ask about a waiting form again: each wait doubles up to the cap, and one look just after
    its deadline, when the provider should call it lapsed (07)."""
    wait = stretched(state, EventType.AWAITING_COUNTERPARTY, policy.form_poll, policy)
    soon = signal.at + wait
    if form.deadline is not None and signal.at < form.deadline + policy.form_poll < soon:
        return form.deadline + policy.form_poll
    return soon


def _on_due(state: InvoiceState, signal: Signal, policy: Policy, out: _Builder) -> None:
    """The reconcile timer says this serial's wait is over."""
    if state.due_at is None or state.due_at > signal.at:
        return  # already moved on, or not yet due
    if state.status in (Status.RETRY_WAIT, Status.PAUSED):
        _call_again(state, signal, policy, out, query=False)
    elif state.status in (Status.IN_DOUBT, Status.ACCEPTED, Status.SUBMITTING, Status.QUERYING,
                          Status.AWAITING_COUNTERPARTY, Status.CONFIRMED, Status.REVOKING):
        _call_again(state, signal, policy, out, query=True)


# -- between a red and its blue (and a red_cancel and its red) ----------------------------------------

def _on_pair(state: InvoiceState | None, signal: Signal, policy: Policy, out: _Builder) -> None:
    """A signal one serial of a red pair sent the other; whatever the receiver's status, each is answered once."""
    kind, peer = signal.kind, signal.peer or ""
    entry = next((e for e in state.reds if e.serial == peer), None) if state is not None else None
    if kind is SignalKind.RED_RESERVE:
        if entry is not None or signal.request is None:
            return  # answered already: a reservation is decided once
        decision = claims.claim(state, signal.request)
        if isinstance(decision, claims.Grant):
            out.add(EventType.RED_RESERVED, peer=peer, red=decision.order)
        else:
            _outside(state, out)
            out.add(EventType.RED_REFUSED, peer=peer, findings=decision.findings,
                    code=decision.findings[0].code if decision.findings else None)
    elif kind is SignalKind.RED_SETTLE and entry is not None and entry.state == "reserved":
        assert state is not None and state.request is not None
        out.add(EventType.RED_SETTLED, peer=peer, invoice=signal.invoice)
        reds = tuple(replace(e, state="issued") if e.serial == peer else e for e in state.reds)
        if nothing_left(remaining(state.request, reds)) and not any(e.state == "reserved" for e in reds):
            out.add(EventType.RED_FLUSHED)
    elif kind is SignalKind.RED_RELEASE and entry is not None and entry.state == "reserved":
        out.add(EventType.RED_RELEASED, peer=peer)
    elif state is not None and not state.status.terminal:
        _on_pair_answer(state, signal, policy, out)
    elif kind is SignalKind.RED_CANCEL:
        _refuse_cancel(state, peer, out)


def _outside(state: InvoiceState | None, out: _Builder) -> None:
    """An answer that changes no row (there is none, or it is no red's): outside any lifecycle, seq 0."""
    if state is None:
        out.seq = -1


def _on_pair_answer(state: InvoiceState, signal: Signal, policy: Policy, out: _Builder) -> None:
    kind, status = signal.kind, state.status
    if kind is SignalKind.RED_GRANTED and status is Status.RESERVING and signal.red is not None:
        if state.peer is not None:  # withdrawn before its form was raised: nothing to revoke
            out.add(EventType.FAILED, red=signal.red, code="red_withdrawn",
                    message="红冲申请在红字确认单生成前已撤回 / the red was withdrawn before its form was raised")
        else:
            out.add(EventType.SUBMITTING, attempt=state.attempt + 1, red=signal.red,
                    due_at=signal.at + policy.submit_timeout)
    elif kind is SignalKind.RED_DENIED and status is Status.RESERVING:
        _reject(signal.findings, out)
    elif kind is SignalKind.RED_CANCEL:
        _on_cancel(state, signal, out)
    elif kind is SignalKind.RED_CANCEL_DONE and status is Status.CANCELLING:
        out.add(EventType.WITHDRAWN, peer=signal.peer)
    elif kind is SignalKind.RED_CANCEL_REFUSED and status is Status.CANCELLING:
        _reject(signal.findings, out)


def _on_cancel(state: InvoiceState, signal: Signal, out: _Builder) -> None:
    """A red_cancel asks this red to withdraw its form."""
    peer = signal.peer or ""
    request = state.request
    if state.peer == peer:
        return  # asked before
    if request is None or request.kind is not RequestKind.RED or state.peer is not None \
            or _form_phase(state) is Phase.CONFIRMED:
        _refuse_cancel(state, peer, out)
        return
    out.add(EventType.CANCEL_REQUESTED, peer=peer)
    if state.status is Status.AWAITING_COUNTERPARTY:
        out.add(EventType.REVOKING, red=state.red, form=state.form, due_at=signal.at + out.policy.submit_timeout)


def _refuse_cancel(state: InvoiceState | None, peer: str, out: _Builder) -> None:
    """A red_cancel this serial cannot serve: refused outside its lifecycle (its row does not change)."""
    why = "不存在" if state is None else state.status.value
    if state is not None and state.peer not in (None, peer):
        why = f"已由 {state.peer} 撤回中"
    elif state is not None and _form_phase(state) is Phase.CONFIRMED:
        why = "红字确认单已确认"
    out.seq = -1
    out.add(EventType.CANCEL_REFUSED, peer=peer, code="red_cancel_refused", findings=(error(
        "red_cancel_refused", "original_serial", f"红冲 {out.signal.serial} 无法撤回 ({why})",
        f"the red {out.signal.serial} cannot be withdrawn now "
        f"({'unknown' if state is None else state.status.value}): only a red whose form awaits the counterparty can"),))


def _answer_cancel(state: InvoiceState, events: list[InvoiceEvent], out: _Builder) -> None:
    """A red a red_cancel waits on moved past withdrawing (confirmed, issued, ended otherwise): say no."""
    if state.peer is None or not events:
        return
    last = events[-1]
    confirmed = any(event.type is EventType.CONFIRMED for event in events)
    ended = last.type in (EventType.ISSUED, EventType.FAILED, EventType.REJECTED)
    withdrawn = last.type is EventType.FAILED and last.code in ("red_withdrawn", forms.failure_code(forms.REVOKED))
    if (confirmed or ended) and not withdrawn:
        _refuse_pending_cancel(state, "confirmed" if confirmed else "ended", out)


def _refuse_pending_cancel(state: InvoiceState, why: str, out: _Builder) -> None:
    """Tell the red_cancel this red took on that its form will not be withdrawn (and forget it)."""
    if state.peer is None:
        return
    out.add(EventType.CANCEL_REFUSED, peer=state.peer, code="red_cancel_refused", findings=(error(
        "red_cancel_refused", "original_serial", f"红冲 {state.serial} 无法撤回 ({why})",
        f"the red {state.serial} could not be withdrawn ({why})"),))


_PAIR = frozenset({SignalKind.RED_RESERVE, SignalKind.RED_GRANTED, SignalKind.RED_DENIED, SignalKind.RED_SETTLE,
                   SignalKind.RED_RELEASE, SignalKind.RED_CANCEL, SignalKind.RED_CANCEL_DONE,
                   SignalKind.RED_CANCEL_REFUSED})


def decide(state: InvoiceState | None, signal: Signal, policy: Policy, validate: Validator) -> list[InvoiceEvent]:
    """The events a signal causes for its serial; empty when it changes nothing."""
    out = _Builder(state, signal, policy)
    if signal.kind is SignalKind.REQUEST:
        _on_request(state, signal, validate, out)
    elif signal.kind in _PAIR:
        _on_pair(state, signal, policy, out)
    elif state is None:
        out.seq = -1  # an orphan belongs to no lifecycle: seq 0, outside the serial's sequence
        out.add(EventType.ORPHAN_CALLBACK, code=signal.code, message=signal.message, invoice=signal.invoice)
    elif signal.kind is SignalKind.DUE and not state.status.terminal:
        _on_due(state, signal, policy, out)
    elif not state.status.terminal:
        _on_answer(state, signal, policy, out)
    if state is not None and out.seq > 0:
        _answer_cancel(state, out.events, out)
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
    EventType.RESERVING: Status.RESERVING,
    EventType.AWAITING_COUNTERPARTY: Status.AWAITING_COUNTERPARTY,
    EventType.CONFIRMED: Status.CONFIRMED,
    EventType.REVOKING: Status.REVOKING,
    EventType.CANCELLING: Status.CANCELLING,
    EventType.WITHDRAWN: Status.WITHDRAWN,
    EventType.RED_FLUSHED: Status.RED_FLUSHED,
}


def evolve(state: InvoiceState | None, event: InvoiceEvent) -> InvoiceState | None:
    """The state after one event. Events outside any lifecycle (seq 0: orphans, answers to strangers) leave
    it as it was."""
    if event.seq == 0:
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
    if event.red is not None and event.type is not EventType.RED_RESERVED:  # a red's own order
        changes.update(red=event.red, provider=state.provider or event.red.request.provider)
    if event.form is not None:
        changes["form"] = event.form
    if event.type is EventType.CANCEL_REQUESTED:
        changes["peer"] = event.peer
    elif event.type is EventType.CANCEL_REFUSED:
        changes["peer"] = None
    reds = _booked(state.reds, event)
    if reds is not state.reds:
        changes["reds"] = reds
    return replace(state, **changes)  # type: ignore[arg-type]


def _booked(reds: tuple[RedEntry, ...], event: InvoiceEvent) -> tuple[RedEntry, ...]:
    """A blue's book of reds after one of its red transitions (the same tuple when it is none)."""
    peer = event.peer or ""
    if event.type is EventType.RED_RESERVED and event.red is not None:
        return reds + (RedEntry(peer, "reserved", event.red.lines),)
    if event.type is EventType.RED_REFUSED:
        return reds + (RedEntry(peer, "refused"),)
    if event.type in (EventType.RED_SETTLED, EventType.RED_RELEASED):
        state = "issued" if event.type is EventType.RED_SETTLED else "released"
        number = event.invoice.number if event.invoice else None
        return tuple(replace(e, state=state, invoice_number=number or e.invoice_number) if e.serial == peer else e
                     for e in reds)
    return reds


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
    """The terminal summary of a state that has just become terminal.

    A red's totals, type and parties are those of its order (what its blue granted); before a grant, the
    request's own. It carries its blue, its form and what remains of the blue after it.
    """
    request = state.red.request if state.red is not None else state.request
    kind = state.request.kind if state.request else RequestKind.BLUE
    return InvoiceResult(
        serial=state.serial, status=state.status, at=state.updated_at, provider=state.provider,
        invoice_type=request.invoice_type if request else None,
        seller_tax_id=request.seller.tax_id if request and request.seller else None,
        invoice=state.invoice if state.status is Status.ISSUED else None,
        total_amount=request.total_amount if request else None,
        total_tax=request.total_tax if request else None,
        total_with_tax=request.total_with_tax if request else None,
        errors=tuple(f for f in state.findings if f.severity is Severity.ERROR),
        code=state.code, message=state.message,
        order_no=request.order_no if request else None,
        erp_order_no=request.erp_order_no if request else None,
        attempts=state.attempt, fingerprint=state.fingerprint,
        kind=kind, original_serial=state.request.original_serial if state.request else None,
        form=state.form, remaining=state.red.remaining if state.red is not None else None,
    )
