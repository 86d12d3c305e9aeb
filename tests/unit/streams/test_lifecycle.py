"""The lifecycle fold, table by table: every transition the diagram draws happens, and nothing else does.

The tables below are the specification, written out by hand from the module docstring and DESIGN.md;
each test walks (status × signal kind × attempt match × source) and compares `decide` against them.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Callable

import pytest

from fapiao.schemas.records import (
    EventType,
    Finding,
    InvoiceEvent,
    InvoiceInfo,
    InvoiceRequest,
    InvoiceState,
    Severity,
    Signal,
    SignalKind,
    Status,
)
from fapiao.streams.lifecycle import (
    CALLBACK_HINT,
    CALLBACK_VERIFIED,
    HISTORY_LIMIT,
    Policy,
    backoff,
    decide,
    evolve,
    replay,
    result_of,
)
from fapiao.streams.validation import validate as real_validate

from streams_support import (BLUE_KINDS, BLUE_STATUSES, SERIAL, T0, build_request, build_signal, build_state, finding,
                             no_findings)

E, K, S = EventType, SignalKind, Status
LIVE = tuple(s for s in BLUE_STATUSES if not s.terminal)
TERMINAL = (S.ISSUED, S.FAILED, S.REJECTED)
ANSWERS = (K.ACCEPTED, K.ISSUED, K.PENDING, K.FAILED, K.RETRYABLE, K.SESSION, K.IN_DOUBT, K.NOT_FOUND)
SOURCES = ("issue", "query", CALLBACK_HINT, CALLBACK_VERIFIED)
INVOICE = InvoiceInfo(number="24442000000012345678", issued_at="2025-03-11 12:06:51",
                      pdf_url="https://example.com/x.pdf")

# Answers that do not depend on the attempt they name: the provider has (or refused) the serial,
# whichever submission got it there.
ATTEMPT_AGNOSTIC: dict[tuple[SignalKind, Status], EventType] = {
    **{(K.ISSUED, s): E.ISSUED for s in LIVE},
    **{(K.FAILED, s): E.FAILED for s in LIVE},
    **{(K.ACCEPTED, s): E.ACCEPTED for s in LIVE if s is not S.ACCEPTED},  # already accepted: nothing new
    **{(K.PENDING, s): E.ACCEPTED for s in LIVE},  # 开票中 again: look again later
}
# Answers about the current attempt only. Every pair not listed decides nothing.
CURRENT_ATTEMPT: dict[tuple[SignalKind, Status], EventType] = {
    (K.RETRYABLE, S.SUBMITTING): E.RETRY_WAIT,
    (K.SESSION, S.SUBMITTING): E.PAUSED,
    (K.IN_DOUBT, S.SUBMITTING): E.IN_DOUBT,
    (K.RETRYABLE, S.QUERYING): E.IN_DOUBT,  # a failed query is no answer: still in doubt
    (K.SESSION, S.QUERYING): E.IN_DOUBT,
    (K.IN_DOUBT, S.QUERYING): E.IN_DOUBT,
    (K.NOT_FOUND, S.QUERYING): E.SUBMITTING,  # the provider never got it: send again
}


def expected_answer(status: Status, kind: SignalKind, current: bool, source: str) -> list[EventType]:
    if status.terminal:
        return []
    if source == CALLBACK_HINT:  # an unsigned callback is only a reason to ask
        return [] if status is S.QUERYING else [E.QUERYING]
    if (kind, status) in ATTEMPT_AGNOSTIC:
        return [ATTEMPT_AGNOSTIC[kind, status]]
    if current and (kind, status) in CURRENT_ATTEMPT:
        return [CURRENT_ATTEMPT[kind, status]]
    return []


def types(events: list[InvoiceEvent]) -> list[EventType]:
    return [event.type for event in events]


def fold(state: InvoiceState | None, signal: Signal, policy: Policy = Policy(),
         validate: Callable[[InvoiceRequest], list[Finding]] = no_findings
         ) -> tuple[list[InvoiceEvent], InvoiceState | None]:
    events = decide(state, signal, policy, validate)
    return events, replay(events, state)


# -- answers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("current", [True, False], ids=["current-attempt", "earlier-attempt"])
@pytest.mark.parametrize("kind", ANSWERS)
@pytest.mark.parametrize("status", BLUE_STATUSES)
def test_answer_table(state_factory, signal_factory, policy, validator, status: Status, kind: SignalKind,
                      current: bool, source: str) -> None:
    state = state_factory(status, attempt=2)
    signal = signal_factory(kind, at=T0, source=source, attempt=2 if current else 1, code="E1", message="m",
                            invoice=INVOICE if kind in (K.ISSUED, K.ACCEPTED, K.PENDING) else None)
    events = decide(state, signal, policy, validator)
    assert types(events) == expected_answer(status, kind, current, source)
    assert [e.seq for e in events] == list(range(state.seq + 1, state.seq + 1 + len(events)))
    assert all(e.serial == SERIAL and e.at == T0 and e.provider == state.provider for e in events)
    after = replay(events, state)
    assert after is not None
    assert after.status is (Status(events[-1].type.value) if events else status)
    if not events:
        assert after == state


def test_the_tables_cover_every_arrow_of_the_diagram() -> None:
    """Guards the tables themselves: each arrow leaving a live state appears somewhere."""
    arrows = {(s, e) for (_, s), e in {**ATTEMPT_AGNOSTIC, **CURRENT_ATTEMPT}.items()}
    for arrow in [(S.SUBMITTING, E.ACCEPTED), (S.ACCEPTED, E.ISSUED), (S.ACCEPTED, E.FAILED),
                  (S.SUBMITTING, E.RETRY_WAIT), (S.SUBMITTING, E.IN_DOUBT), (S.QUERYING, E.ACCEPTED),
                  (S.QUERYING, E.ISSUED), (S.QUERYING, E.FAILED), (S.QUERYING, E.SUBMITTING),
                  (S.SUBMITTING, E.PAUSED)]:
        assert arrow in arrows


@pytest.mark.parametrize("kind", ANSWERS)
@pytest.mark.parametrize("status", LIVE)
def test_an_unsigned_callback_only_ever_asks(state_factory, signal_factory, policy, validator, status: Status,
                                             kind: SignalKind) -> None:
    state = state_factory(status, attempt=3)
    signal = signal_factory(kind, at=T0, source=CALLBACK_HINT, attempt=0, invoice=INVOICE)
    events, after = fold(state, signal, policy, validator)
    if status is S.QUERYING:
        assert events == []
        return
    (event,) = events
    assert event.type is E.QUERYING
    assert event.attempt == 3  # a query about the current attempt, not a new submission
    assert event.request is None  # a call carries no request: the issue agent reads it from the row
    assert event.due_at == T0 + policy.submit_timeout
    assert after is not None and after.status is S.QUERYING and after.invoice is None


def test_a_signed_callback_issues_with_the_invoice(state_factory, signal_factory, policy, validator) -> None:
    state = state_factory(S.ACCEPTED, attempt=1)
    signal = signal_factory(K.ISSUED, source=CALLBACK_VERIFIED, attempt=0, invoice=INVOICE, code="0000",
                            message="开票成功")
    events, after = fold(state, signal, policy, validator)
    assert types(events) == [E.ISSUED]
    assert events[0].invoice == INVOICE and events[0].attempt == 1
    assert after is not None and after.status is S.ISSUED and after.invoice == INVOICE
    assert (after.code, after.message) == ("0000", "开票成功")
    result = result_of(after)
    assert (result.status, result.invoice, result.attempts) == (S.ISSUED, INVOICE, 1)


def test_an_accepted_answer_keeps_the_application_link_and_rechecks(state_factory, signal_factory, policy,
                                                                   validator) -> None:
    link = InvoiceInfo(h5_url="https://example.com/h5/1")
    events, after = fold(state_factory(S.SUBMITTING, attempt=1),
                         signal_factory(K.ACCEPTED, attempt=1, invoice=link), policy, validator)
    assert types(events) == [E.ACCEPTED]
    assert events[0].due_at == T0 + policy.pending_recheck
    assert after is not None and after.invoice == link and after.due_at == T0 + policy.pending_recheck


def test_pending_moves_the_recheck_but_accepted_twice_does_nothing(state_factory, signal_factory, policy,
                                                                   validator) -> None:
    state = state_factory(S.ACCEPTED, attempt=1, due_at=T0)
    later = T0 + timedelta(seconds=5)
    assert decide(state, signal_factory(K.ACCEPTED, at=later, attempt=1), policy, validator) == []
    (event,) = decide(state, signal_factory(K.PENDING, at=later, attempt=1), policy, validator)
    assert event.type is E.ACCEPTED and event.due_at == later + policy.pending_recheck


# -- retries, sessions, doubt ---------------------------------------------------------------------------


@pytest.mark.parametrize("attempt", [1, 2, 5, 7])
def test_a_retryable_answer_backs_off(state_factory, signal_factory, policy, validator, attempt: int) -> None:
    state = state_factory(S.SUBMITTING, attempt=attempt)
    events, after = fold(state, signal_factory(K.RETRYABLE, attempt=attempt, code="503", message="busy"),
                         policy, validator)
    (event,) = events
    assert event.type is E.RETRY_WAIT and (event.code, event.message) == ("503", "busy")
    assert event.due_at == T0 + backoff(SERIAL, attempt, policy)
    assert event.attempt == attempt
    assert after is not None and after.status is S.RETRY_WAIT and after.due_at == event.due_at


def _retried_up_to(attempt: int, policy: Policy) -> InvoiceState:
    """A serial on its `attempt`-th submission, every earlier one answered "try again"."""
    at = T0
    _, state = fold(None, build_signal(K.REQUEST, at=at), policy)
    while state is not None and state.attempt < attempt:
        _, state = fold(state, build_signal(K.RETRYABLE, at=at, attempt=state.attempt, code="503"), policy)
        at += timedelta(minutes=5)
        _, state = fold(state, build_signal(K.DUE, at=at, source="reconcile"), policy)
    assert state is not None and (state.status, state.attempt) == (S.SUBMITTING, attempt)
    return state


@pytest.mark.parametrize(("code", "message", "want_code", "want_message"), [
    ("503", "busy", "503", "gave up after 8 attempts: busy"),
    ("503", None, "503", "gave up after 8 attempts: 503"),
    (None, None, "retries_exhausted", "gave up after 8 attempts: None"),
])
def test_a_retryable_answer_fails_after_max_attempts(signal_factory, policy, validator, code: str | None,
                                                     message: str | None, want_code: str, want_message: str) -> None:
    state = _retried_up_to(policy.max_attempts, policy)
    events, after = fold(state, signal_factory(K.RETRYABLE, at=T0 + timedelta(hours=1), attempt=policy.max_attempts,
                                               code=code, message=message), policy, validator)
    assert types(events) == [E.FAILED]
    assert after is not None and (after.status, after.code, after.message) == (S.FAILED, want_code, want_message)
    assert (result_of(after).code, result_of(after).attempts) == (want_code, policy.max_attempts)


def test_one_attempt_before_the_limit_still_backs_off(signal_factory, policy, validator) -> None:
    state = _retried_up_to(policy.max_attempts - 1, policy)
    events = decide(state, signal_factory(K.RETRYABLE, at=T0 + timedelta(hours=1), attempt=state.attempt),
                    policy, validator)
    assert types(events) == [E.RETRY_WAIT]


def test_retries_end_in_one_failure_after_exactly_max_attempts(signal_factory, validator) -> None:
    policy = Policy(max_attempts=4)
    state: InvoiceState | None = None
    at = T0
    events, state = fold(state, signal_factory(K.REQUEST, at=at), policy, validator)
    submissions = [e for e in events if e.type is E.SUBMITTING]
    while state is not None and not state.status.terminal:
        at += timedelta(minutes=5)  # well past any backoff
        signal = (signal_factory(K.DUE, at=at, source="reconcile") if state.status is S.RETRY_WAIT
                  else signal_factory(K.RETRYABLE, at=at, attempt=state.attempt, code="503", message="busy"))
        events, state = fold(state, signal, policy, validator)
        submissions += [e for e in events if e.type is E.SUBMITTING]
    assert [e.attempt for e in submissions] == [1, 2, 3, 4]
    assert state is not None and state.status is S.FAILED
    assert (state.code, state.message) == ("503", "gave up after 4 attempts: busy")


def test_pauses_neither_use_up_nor_give_back_retry_attempts(signal_factory, validator) -> None:
    """Only "try again" answers count against max_attempts, however many pauses come between them
    (a seller's tax device can be offline for hours, each probe a pause and a resubmission)."""
    policy = Policy(max_attempts=4)
    at = T0
    _, state = fold(None, signal_factory(K.REQUEST, at=at), policy, validator)
    log: list[InvoiceEvent] = []
    for answer in [K.RETRYABLE] * 3 + [K.SESSION] * (HISTORY_LIMIT + 10) + [K.RETRYABLE]:
        assert state is not None and state.status is S.SUBMITTING
        at += timedelta(minutes=5)
        events, state = fold(state, signal_factory(answer, at=at, attempt=state.attempt, code=str(answer)), policy,
                             validator)
        log += events
        if state is not None and state.status is not S.FAILED:
            at = max(at + timedelta(minutes=5), state.due_at or at)  # repeated pauses grow (wait_cap)
            events, state = fold(state, signal_factory(K.DUE, at=at, source="reconcile"), policy, validator)
            log += events
    assert types(log).count(E.RETRY_WAIT) == 3 and types(log).count(E.PAUSED) == HISTORY_LIMIT + 10
    assert state is not None and state.status is S.FAILED
    assert state.message == f"gave up after 4 attempts: {K.RETRYABLE}"
    assert [h.type for h in state.history].count(E.RETRY_WAIT) == 3  # kept however old
    assert len(state.history) == HISTORY_LIMIT and state.history[-1].type is E.FAILED


def test_a_session_answer_pauses_and_the_probe_resubmits(state_factory, signal_factory, policy,
                                                         validator) -> None:
    state = state_factory(S.SUBMITTING, attempt=2)
    events, paused = fold(state, signal_factory(K.SESSION, attempt=2, code="TAX_DEVICE_OFFLINE"), policy, validator)
    assert types(events) == [E.PAUSED] and events[0].due_at == T0 + policy.paused_probe
    assert paused is not None and paused.code == "TAX_DEVICE_OFFLINE"
    early = signal_factory(K.DUE, at=T0 + policy.paused_probe - timedelta(milliseconds=1), source="reconcile")
    assert decide(paused, early, policy, validator) == []
    events, again = fold(paused, signal_factory(K.DUE, at=T0 + policy.paused_probe, source="reconcile"),
                         policy, validator)
    assert types(events) == [E.SUBMITTING] and events[0].attempt == 3 and events[0].request is None
    assert again is not None and again.code is None  # the pause's reason belonged to the pause


def test_in_doubt_waits_the_grace_then_queries(state_factory, signal_factory, policy, validator) -> None:
    events, doubt = fold(state_factory(S.SUBMITTING, attempt=1),
                         signal_factory(K.IN_DOUBT, attempt=1, code="timeout"), policy, validator)
    assert types(events) == [E.IN_DOUBT] and events[0].due_at == T0 + policy.in_doubt_grace
    assert doubt is not None
    assert decide(doubt, signal_factory(K.DUE, at=T0 + policy.in_doubt_grace / 2), policy, validator) == []
    events, querying = fold(doubt, signal_factory(K.DUE, at=T0 + policy.in_doubt_grace), policy, validator)
    assert types(events) == [E.QUERYING] and events[0].attempt == 1
    assert querying is not None and querying.due_at == T0 + policy.in_doubt_grace + policy.submit_timeout


def test_not_found_resubmits_the_same_request_under_the_same_serial(state_factory, signal_factory, policy,
                                                                    validator) -> None:
    state = state_factory(S.QUERYING, attempt=2)
    events, after = fold(state, signal_factory(K.NOT_FOUND, source="query", attempt=2), policy, validator)
    (event,) = events
    assert (event.type, event.attempt, event.request, event.serial) == (E.SUBMITTING, 3, None, SERIAL)
    assert event.due_at == T0 + policy.submit_timeout
    assert after is not None and after.attempt == 3 and after.request == state.request


# -- the reconcile timer --------------------------------------------------------------------------------

DUE_AFTER: dict[Status, tuple[EventType, int]] = {  # status -> (event, attempt offset)
    S.RETRY_WAIT: (E.SUBMITTING, 1),
    S.PAUSED: (E.SUBMITTING, 1),
    S.IN_DOUBT: (E.QUERYING, 0),
    S.ACCEPTED: (E.QUERYING, 0),
    S.SUBMITTING: (E.QUERYING, 0),
    S.QUERYING: (E.QUERYING, 0),
}


@pytest.mark.parametrize("when", ["before", "at", "after", "no-due-at"])
@pytest.mark.parametrize("status", BLUE_STATUSES)
def test_due_table(state_factory, signal_factory, policy, validator, status: Status, when: str) -> None:
    due_at = T0 + timedelta(seconds=30)
    state = state_factory(status, attempt=2, due_at=None if when == "no-due-at" else due_at)
    at = {"before": due_at - timedelta(milliseconds=1), "at": due_at, "after": due_at + timedelta(hours=1),
          "no-due-at": due_at + timedelta(hours=1)}[when]
    events = decide(state, signal_factory(K.DUE, at=at, source="reconcile"), policy, validator)
    if when in ("before", "no-due-at") or status not in DUE_AFTER:
        assert events == []
        return
    want, offset = DUE_AFTER[status]
    (event,) = events
    assert (event.type, event.attempt, event.seq) == (want, 2 + offset, state.seq + 1)
    assert event.due_at == at + policy.submit_timeout and event.request is None


def test_a_repeated_due_does_nothing(state_factory, signal_factory, policy, validator) -> None:
    state = state_factory(S.IN_DOUBT, due_at=T0)
    due = signal_factory(K.DUE, at=T0 + timedelta(seconds=1), source="reconcile")
    events, after = fold(state, due, policy, validator)
    assert types(events) == [E.QUERYING]
    assert decide(after, due, policy, validator) == []


# -- requests -------------------------------------------------------------------------------------------


def test_a_new_request_is_received_validated_and_submitted(signal, policy, validator) -> None:
    events, state = fold(None, signal, policy, validator)
    assert types(events) == [E.RECEIVED, E.VALIDATED, E.SUBMITTING]
    assert [e.seq for e in events] == [1, 2, 3]
    received, _, submitting = events
    assert received.request == signal.request and received.fingerprint == signal.fingerprint
    assert received.provider == "kingdee" and received.attempt == 0
    assert submitting.attempt == 1 and submitting.request is None  # it rode in once, on received
    assert {e.provider for e in events} == {"kingdee"}  # the issue agent calls the provider the event names
    assert submitting.due_at == signal.at + policy.submit_timeout
    assert state is not None
    assert (state.status, state.seq, state.attempt, state.provider) == (S.SUBMITTING, 3, 1, "kingdee")
    assert (state.created_at, state.fingerprint, state.request) == (signal.at, signal.fingerprint, signal.request)
    assert [h.type for h in state.history] == [E.RECEIVED, E.VALIDATED, E.SUBMITTING]


def test_a_sample_request_passes_the_real_validator(signal, policy) -> None:
    events, state = fold(None, signal, policy, real_validate)
    assert state is not None and state.status is S.SUBMITTING, [e.findings for e in events]


def test_warnings_do_not_reject_but_are_kept(signal, policy, validator_factory) -> None:
    warning = finding("field_too_long", Severity.WARNING, "remark")
    events, state = fold(None, signal, policy, validator_factory(warning))
    assert types(events) == [E.RECEIVED, E.VALIDATED, E.SUBMITTING]
    assert events[1].findings == (warning,)
    assert state is not None and state.findings == (warning,)


def test_a_rejected_request_carries_every_finding_into_the_result(signal_factory, policy,
                                                                  validator_factory) -> None:
    structural = finding("invalid_type", field="remark")
    rules = (finding("serial_format"), finding("field_too_long", Severity.WARNING, "remark"),
             finding("total_with_tax_mismatch", field="total_with_tax"))
    signal = signal_factory(K.REQUEST, findings=(structural,))
    events, state = fold(None, signal, policy, validator_factory(*rules))
    assert types(events) == [E.RECEIVED, E.REJECTED]
    assert events[1].findings == (structural, *rules)
    assert events[1].code == "invalid_type"  # the first error
    assert state is not None and state.status is S.REJECTED
    result = result_of(state)
    assert result.status is S.REJECTED and result.code == "invalid_type"
    assert result.errors == (structural, rules[0], rules[2])  # every error; the warning is not an error
    assert result.attempts == 0 and result.invoice is None


def test_a_request_that_did_not_parse_is_rejected_with_its_findings(signal_factory, policy, validator) -> None:
    missing = finding("missing_field", field="lines")
    events, state = fold(None, signal_factory(K.REQUEST, request=None, findings=(missing,), fingerprint="ab"),
                         policy, validator)
    assert types(events) == [E.RECEIVED, E.REJECTED] and events[1].code == "missing_field"
    assert state is not None and result_of(state).errors == (missing,)


def test_a_request_with_no_request_and_no_findings_is_malformed(signal_factory, policy, validator) -> None:
    events, state = fold(None, signal_factory(K.REQUEST, request=None, fingerprint="ab"), policy, validator)
    assert types(events) == [E.RECEIVED, E.REJECTED] and events[1].code == "malformed_request"
    assert state is not None and state.status is S.REJECTED


def _outcome(state: InvoiceState) -> tuple[object, ...]:
    return (state.status, state.attempt, state.code, state.message, state.invoice, state.findings, state.due_at,
            state.request, state.fingerprint)


@pytest.mark.parametrize("status", BLUE_STATUSES)
def test_the_same_request_again_is_a_duplicate_and_changes_nothing(state_factory, signal_factory, policy,
                                                                   validator, status: Status) -> None:
    state = state_factory(status, invoice=INVOICE, code="0000", message="ok")
    signal = signal_factory(K.REQUEST, request=state.request)
    events, after = fold(state, signal, policy, validator)
    assert types(events) == [E.DUPLICATE_REQUEST]
    assert events[0].seq == state.seq + 1 and events[0].fingerprint == state.fingerprint
    assert after is not None and _outcome(after) == _outcome(state) and after.seq == state.seq + 1


@pytest.mark.parametrize("status", BLUE_STATUSES)
def test_another_request_under_a_used_serial_is_a_conflict(state_factory, signal_factory, request_factory, policy,
                                                           validator, status: Status) -> None:
    state = state_factory(status, invoice=INVOICE, code="0000", message="ok")
    other = request_factory(remark="不同的内容")
    events, after = fold(state, signal_factory(K.REQUEST, request=other), policy, validator)
    (event,) = events
    assert event.type is E.SERIAL_CONFLICT and event.code == "serial_conflict"
    assert [f.code for f in event.findings] == ["serial_conflict"]
    assert event.fingerprint != state.fingerprint
    assert after is not None and _outcome(after) == _outcome(state)
    if status.terminal:
        kept, now = result_of(state), result_of(after)
        assert (now.status, now.invoice, now.code, now.errors) == (kept.status, kept.invoice, kept.code, kept.errors)


# -- orphans, terminal states, numbering ------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES + ("reconcile",))
@pytest.mark.parametrize("kind", [k for k in BLUE_KINDS if k is not K.REQUEST])
def test_a_signal_for_an_unknown_serial_is_one_orphan(signal_factory, policy, validator, kind: SignalKind,
                                                      source: str) -> None:
    signal = signal_factory(kind, source=source, attempt=1, code="0000", message="m", invoice=INVOICE,
                            origin="fapiao.callbacks[0]@9")
    events = decide(None, signal, policy, validator)
    (event,) = events
    assert (event.type, event.seq, event.serial) == (E.ORPHAN_CALLBACK, 0, SERIAL)
    assert (event.code, event.message, event.invoice, event.origin) == ("0000", "m", INVOICE, signal.origin)
    assert evolve(None, event) is None
    assert replay(events) is None


def test_an_orphan_event_leaves_an_existing_row_alone(state, signal_factory, policy, validator) -> None:
    (orphan,) = decide(None, signal_factory(K.ISSUED), policy, validator)
    assert evolve(state, orphan) is state


@pytest.mark.parametrize("source", SOURCES + ("reconcile",))
@pytest.mark.parametrize("kind", [k for k in BLUE_KINDS if k is not K.REQUEST])
@pytest.mark.parametrize("status", TERMINAL)
def test_terminal_states_ignore_every_answer(state_factory, signal_factory, policy, validator, status: Status,
                                             kind: SignalKind, source: str) -> None:
    state = state_factory(status, attempt=2, due_at=T0)
    for attempt in (0, 1, 2, 3):
        signal = signal_factory(kind, at=T0 + timedelta(hours=1), source=source, attempt=attempt, invoice=INVOICE)
        assert decide(state, signal, policy, validator) == []


def test_seq_is_gapless_from_one_along_a_whole_story(signal_factory, policy, validator) -> None:
    at = T0
    story = [
        signal_factory(K.REQUEST, at=at),
        signal_factory(K.ISSUED, source=CALLBACK_HINT),  # a hint: query first
        signal_factory(K.RETRYABLE, source="query", attempt=1),  # the query failed: in doubt
        signal_factory(K.DUE, at=at + timedelta(minutes=1), source="reconcile"),
        signal_factory(K.NOT_FOUND, source="query", attempt=1),  # resubmit as attempt 2
        signal_factory(K.IN_DOUBT, attempt=1),  # a late answer about attempt 1: nothing
        signal_factory(K.ACCEPTED, attempt=2),
        signal_factory(K.DUE, at=at + timedelta(minutes=2), source="reconcile"),
        signal_factory(K.PENDING, source="query", attempt=2),
        signal_factory(K.ISSUED, source=CALLBACK_VERIFIED, invoice=INVOICE),
        signal_factory(K.ISSUED, source="query", attempt=2, invoice=INVOICE),  # too late: nothing
    ]
    state: InvoiceState | None = None
    log: list[InvoiceEvent] = []
    for signal in story:
        events, state = fold(state, signal, policy, validator)
        log += events
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert types(log) == [E.RECEIVED, E.VALIDATED, E.SUBMITTING, E.QUERYING, E.IN_DOUBT, E.QUERYING, E.SUBMITTING,
                          E.ACCEPTED, E.QUERYING, E.ACCEPTED, E.ISSUED]
    assert state is not None and state.status is S.ISSUED and state.attempt == 2 and state.seq == len(log)
    assert replay(log) == state


def test_history_keeps_the_latest_transitions(state_factory, signal_factory, policy, validator) -> None:
    state: InvoiceState | None = state_factory(S.ACCEPTED, seq=0)
    for i in range(HISTORY_LIMIT + 5):
        _, state = fold(state, signal_factory(K.PENDING, at=T0 + timedelta(seconds=i)), policy, validator)
    assert state is not None and len(state.history) == HISTORY_LIMIT
    assert [h.seq for h in state.history] == list(range(6, HISTORY_LIMIT + 6))


def test_result_of_an_issued_serial(signal_factory, policy, validator) -> None:
    _, state = fold(None, signal_factory(K.REQUEST), policy, validator)
    _, state = fold(state, signal_factory(K.ISSUED, attempt=1, invoice=INVOICE, code="0000"), policy, validator)
    assert state is not None and state.request is not None
    result = result_of(state)
    request = state.request
    assert (result.serial, result.status, result.provider, result.invoice) == (SERIAL, S.ISSUED, "kingdee", INVOICE)
    assert (result.invoice_type, result.seller_tax_id) == (request.invoice_type, request.seller.tax_id)
    assert (result.total_amount, result.total_tax, result.total_with_tax) == (
        request.total_amount, request.total_tax, request.total_with_tax)
    assert (result.erp_order_no, result.order_no) == (f"SO-{SERIAL}", None)
    assert (result.attempts, result.fingerprint, result.at, result.errors) == (1, state.fingerprint, T0, ())


def test_a_failed_result_carries_no_invoice_even_after_an_application_link(state_factory, signal_factory,
                                                                         policy, validator) -> None:
    state = state_factory(S.ACCEPTED, invoice=InvoiceInfo(h5_url="https://example.com/h5/1"))
    _, failed = fold(state, signal_factory(K.FAILED, code="2001", message="购方税号错误"), policy, validator)
    assert failed is not None
    result = result_of(failed)
    assert (result.status, result.invoice, result.code, result.message) == (S.FAILED, None, "2001", "购方税号错误")


def test_the_fold_does_not_touch_its_inputs(state, signal_factory, policy, validator) -> None:
    before = dataclasses.replace(state)
    fold(state, signal_factory(K.ISSUED, invoice=INVOICE), policy, validator)
    assert state == before


def test_repeated_waits_grow_up_to_the_cap_and_the_first_is_unchanged(state_factory, signal_factory,
                                                                     validator) -> None:
    policy = Policy(paused_probe=timedelta(seconds=10), wait_cap=timedelta(seconds=60))
    state = state_factory(S.SUBMITTING, attempt=1)
    waits = []
    for _ in range(5):
        events, state = fold(state, signal_factory(K.SESSION, at=state.updated_at, attempt=state.attempt), policy,
                             validator)
        waits.append((state.due_at - state.updated_at).total_seconds())
        events, state = fold(state, signal_factory(K.DUE, at=state.due_at, source="reconcile"), policy, validator)
        assert state.status is S.SUBMITTING
    assert waits == [10, 20, 40, 60, 60]
