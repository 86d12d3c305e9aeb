"""Properties of the invoice agent's fold over arbitrary signal sequences (hypothesis).

Signals are drawn as the pipeline could deliver them: late, twice, out of order, about any attempt,
from any source, for two serials interleaved, in batches of any size, and with the worker killed between
sending a batch's records and writing its rows (the batch is then read again, from wherever the next
batch happens to end). The fold that runs is the real one, `fapiao.streams.fold.fold`, which the invoice
agent's `fold_batch` calls; only its I/O (the broker, the table) is a list and a dict here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from streams_support import BLUE_KINDS, T0, build_request, finding

from fapiao.schemas.codec import Codec
from fapiao.schemas.records import (
    EventType,
    Finding,
    InvoiceEvent,
    InvoiceInfo,
    InvoiceRequest,
    InvoiceResult,
    InvoiceState,
    Signal,
    SignalKind,
    Status,
)
from fapiao.schemas.requests import fingerprint
from fapiao.streams.fold import Fold, Outgoing, fold
from fapiao.streams.lifecycle import CALLBACK_HINT, CALLBACK_VERIFIED, CALLS, Policy, backoff, replay, result_of

K = SignalKind
SERIALS = ("PA0001", "PB0002")
SOURCES = ("intake", "issue", "query", "reconcile", CALLBACK_HINT, CALLBACK_VERIFIED)
VARIANTS = ("same", "other", "reject", "broken")
INVOICE = InvoiceInfo(number="24442000000012345678", issued_at="2025-03-11 12:06:51")
POLICY = Policy(max_attempts=4)  # small, so that sequences of a few dozen signals reach every branch
PROPERTY = settings(max_examples=150, deadline=None)


def validate(request: InvoiceRequest) -> list[Finding]:
    return [finding("serial_format")] if request.remark == "REJECT" else []


@cache
def request_variant(serial: str, variant: str) -> tuple[InvoiceRequest | None, str]:
    """(request, fingerprint) as intake would put them on a REQUEST signal."""
    if variant == "broken":
        return None, f"bytes-of-{serial}"
    request = build_request(serial, remark={"same": None, "other": "另一张", "reject": "REJECT"}[variant])
    return request, fingerprint(request)


@dataclass(frozen=True)
class Step:
    serial: str
    kind: SignalKind
    source: str
    attempt: int | None  # None: the serial's current attempt, whatever it is by then
    after_ms: int
    variant: str

    def signal(self, state: InvoiceState | None, at: datetime) -> Signal:
        attempt = (state.attempt if state else 0) if self.attempt is None else self.attempt
        extra: dict[str, Any] = {}
        if self.kind is K.REQUEST:
            request, print_ = request_variant(self.serial, self.variant)
            extra = {"request": request, "fingerprint": print_,
                     "findings": () if request else (finding("missing_field", field="lines"),)}
        elif self.kind in (K.ISSUED, K.ACCEPTED, K.PENDING):
            extra = {"invoice": INVOICE}
        return Signal(serial=self.serial, kind=self.kind, at=at, source=self.source, attempt=attempt,
                      code=f"{self.kind}-code", message=f"{self.kind} message", **extra)


steps = st.builds(
    Step,
    serial=st.sampled_from(SERIALS),
    kind=st.sampled_from(BLUE_KINDS),
    source=st.sampled_from(SOURCES),
    attempt=st.one_of(st.none(), st.integers(0, 5)),
    after_ms=st.one_of(st.just(0), st.integers(1, 120_000)),
    variant=st.sampled_from(VARIANTS),
)
# Most stories start with the request; some do not (a callback may beat it, or it may be lost).
stories = st.tuples(st.booleans(), st.lists(steps, max_size=40)).map(
    lambda drawn: ([Step(SERIALS[0], K.REQUEST, "intake", None, 0, "same")] if drawn[0] else []) + drawn[1])


@dataclass
class Agent:
    """Drives the real batch fold as the invoice agent does: rows in a table, records on a broker.

    A batch's sends reach the broker first and its rows are written after; `deliver(..., crash_after=n)` is a
    worker that died after n sends and before writing the rows, as a SIGKILL between steps 1 and 2 of
    `fold_batch` leaves it.
    """

    table: dict[str, InvoiceState] = field(default_factory=dict)
    sent: list[Outgoing] = field(default_factory=list)
    now: datetime = T0

    def deliver(self, *signals: Signal, crash_after: int | None = None) -> Fold:
        folded = fold(signals, self.table.get, POLICY, validate)
        assert folded.refused == []
        self.sent.extend(folded.sends if crash_after is None else folded.sends[:crash_after])
        if crash_after is None:
            self.table.update(folded.rows)
        return folded

    def step(self, step: Step) -> tuple[Signal, InvoiceState | None, list[InvoiceEvent]]:
        """Deliver one step alone, as its own batch."""
        signal = self.resolve(step)
        before = self.table.get(step.serial)
        return signal, before, _events(self.deliver(signal).sends)

    def resolve(self, step: Step) -> Signal:
        """The step's signal at the agent's clock, about the attempt its serial is on now."""
        self.now += timedelta(milliseconds=step.after_ms)
        return step.signal(self.table.get(step.serial), self.now)

    def log(self, serial: str) -> list[InvoiceEvent]:
        """The serial's events as a reader that deduplicates on serial and seq sees them (orphans on equality)."""
        kept: list[InvoiceEvent] = []
        for event in _events(self.sent):
            if event.serial == serial and not any(_same_record(event, seen) for seen in kept):
                kept.append(event)
        return kept

    def results(self, serial: str) -> list[InvoiceResult]:
        return [out.record for out in self.sent if out.role == "results" and out.serial == serial]  # type: ignore[misc]

    def serials(self) -> set[str]:
        return {out.serial for out in self.sent}


def _events(sends: list[Outgoing]) -> list[InvoiceEvent]:
    """The transitions sent to the log (a call's copy for the issue agent is the same record again)."""
    return [out.record for out in sends if out.role == "events" and isinstance(out.record, InvoiceEvent)]


def _same_record(event: InvoiceEvent, seen: InvoiceEvent) -> bool:
    """The key readers deduplicate on: serial and seq; an orphan (seq 0) is the same only when equal."""
    if event.seq == 0 or seen.seq == 0:
        return event == seen
    return (event.serial, event.seq) == (seen.serial, seen.seq)


def run_alone(story: list[Step]) -> tuple[Agent, list[Signal]]:
    """Every step in a batch of its own, no crash: the reference run, and the signals it delivered."""
    agent = Agent()
    signals = []
    for step in story:
        signal, _, _ = agent.step(step)
        signals.append(signal)
    return agent, signals


def outcome(state: InvoiceState | None) -> tuple[object, ...] | None:
    if state is None:
        return None
    return (state.status, state.attempt, state.code, state.message, state.invoice, state.findings, state.due_at,
            state.request, state.fingerprint, state.provider)


# -- (1) replay determinism ------------------------------------------------------------------------------


@PROPERTY
@given(stories)
def test_replaying_the_log_rebuilds_every_state(story: list[Step]) -> None:
    agent, _ = run_alone(story)
    for serial in agent.serials():
        events = agent.log(serial)
        assert replay(events) == agent.table.get(serial)
        numbered = [e.seq for e in events if e.type is not EventType.ORPHAN_CALLBACK]
        assert numbered == list(range(1, len(numbered) + 1))  # gapless from 1
        assert all(e.seq == 0 for e in events if e.type is EventType.ORPHAN_CALLBACK)
        if numbered:
            assert events[[e.type for e in events].index(EventType.RECEIVED)].seq == 1


@settings(max_examples=60, deadline=None)
@given(stories)
def test_replaying_the_log_as_read_back_from_kafka_rebuilds_every_state(story: list[Step]) -> None:
    """What `fapiao.events` holds is Avro, not Python objects: the audit proof must survive the codec."""
    codec = Codec()
    agent, _ = run_alone(story)
    for serial in agent.serials():
        events = agent.log(serial)
        wire = [codec.decode(codec.encode(event), InvoiceEvent) for event in events]
        assert wire == events
        state = agent.table.get(serial)
        assert replay(wire) == state
        if state is not None:
            assert codec.decode(codec.encode(state), InvoiceState) == state


@PROPERTY
@given(stories)
def test_the_issue_agent_is_sent_every_transition_that_owes_a_call_and_nothing_else(story: list[Step]) -> None:
    """`fapiao.calls` carries a copy of each call transition, sent right after the transition itself."""
    agent, _ = run_alone(story)
    calls = [out for out in agent.sent if out.role == "calls"]
    assert [out.record for out in calls] == [e for e in _events(agent.sent) if e.type in CALLS]
    for index, out in enumerate(agent.sent):
        if out.role == "calls":
            assert agent.sent[index - 1] == Outgoing("events", out.serial, out.record)


# -- (2) batches, crashes and duplicates are harmless --------------------------------------------------


@PROPERTY
@given(stories, st.data())
def test_batches_of_any_size_and_crashes_before_the_rows_are_written_change_no_outcome(
        story: list[Step], data: st.DataObject) -> None:
    """Exactly once, as readers see it: the same rows, the same events after deduplication on serial and seq,
    and the same single result per serial as one signal at a time with no crash."""
    alone, signals = run_alone(story)
    agent = Agent()
    committed, crashes = 0, 0
    while committed < len(signals):  # each round commits at least one signal, or crashes (at most 8 times)
        size = data.draw(st.integers(1, 12), label="batch size")
        batch = signals[committed:committed + size]
        crash = crashes < 8 and data.draw(st.booleans(), label="killed before the rows are written")
        if crash:
            crashes += 1
            sends = len(fold(batch, agent.table.get, POLICY, validate).sends)
            agent.deliver(*batch, crash_after=data.draw(st.integers(0, sends), label="records sent before"))
        else:
            agent.deliver(*batch)
            committed += len(batch)
    assert agent.table == alone.table
    assert agent.serials() == alone.serials()
    for serial in alone.serials():
        assert agent.log(serial) == alone.log(serial)
        numbered = {}
        for event in _events(agent.sent):  # a record sent again is the same record
            if event.serial == serial and event.seq:
                assert numbered.setdefault(event.seq, event) == event
        assert set(agent.results(serial)) <= set(alone.results(serial))
        assert len(set(alone.results(serial))) == len(alone.results(serial)) <= 1


@PROPERTY
@given(stories, st.data())
def test_a_signal_delivered_twice_changes_nothing_the_second_time(story: list[Step], data: st.DataObject) -> None:
    agent, _ = run_alone(story)
    final = data.draw(steps, label="the duplicated signal")
    signal = agent.resolve(final)
    before = agent.table.get(signal.serial)
    if data.draw(st.booleans(), label="both copies in one batch"):
        alone = len(fold([signal], agent.table.get, POLICY, validate).sends)  # what the first copy sends
        sends = agent.deliver(signal, signal).sends
        first, second = _events(sends[:alone]), _events(sends[alone:])
    else:
        first = _events(agent.deliver(signal).sends)
        second = _events(agent.deliver(signal).sends)
    after = replay(first, before)
    again = agent.table.get(signal.serial)
    if signal.kind is K.REQUEST:
        # A request read twice is recorded, and changes nothing: same serial, same content (or a conflict).
        assert [e.type for e in second] in ([EventType.DUPLICATE_REQUEST], [EventType.SERIAL_CONFLICT])
        assert outcome(again) == outcome(after)
    elif before is None:
        assert [e.type for e in second] == [EventType.ORPHAN_CALLBACK] and again is None
    elif (signal.kind is K.PENDING and signal.source != CALLBACK_HINT and after is not None
          and not after.status.terminal):
        # 开票中 twice only moves the recheck to the same time again.
        assert [e.type for e in second] == [EventType.ACCEPTED] and outcome(again) == outcome(after)
    else:
        assert second == [], (signal, before and before.status, [e.type for e in first])
        assert again == after


@PROPERTY
@given(stories, st.sampled_from([K.ISSUED, K.FAILED, K.ACCEPTED, K.PENDING, K.IN_DOUBT, K.RETRYABLE,
                                 K.SESSION, K.NOT_FOUND, K.DUE]),
       st.sampled_from(SOURCES), st.integers(0, 5))
def test_nothing_moves_a_terminal_serial(story: list[Step], kind: SignalKind, source: str, attempt: int) -> None:
    agent, _ = run_alone(story)
    for serial, state in agent.table.items():
        if not state.status.terminal:
            continue
        late = Signal(serial=serial, kind=kind, at=agent.now + timedelta(days=1), source=source, attempt=attempt,
                      invoice=INVOICE)
        folded = agent.deliver(late)
        assert (folded.sends, folded.rows) == ([], {})


# -- (3) order: late and duplicate answers around the one that issues ------------------------------------

LATE = (
    Step(SERIALS[0], K.ACCEPTED, "issue", 1, 10, "same"),
    Step(SERIALS[0], K.ACCEPTED, CALLBACK_VERIFIED, 0, 10, "same"),
    Step(SERIALS[0], K.PENDING, "query", None, 10, "same"),
    Step(SERIALS[0], K.IN_DOUBT, "issue", 1, 10, "same"),
    Step(SERIALS[0], K.RETRYABLE, "issue", 1, 10, "same"),
    Step(SERIALS[0], K.SESSION, "query", 1, 10, "same"),
    Step(SERIALS[0], K.NOT_FOUND, "query", 1, 10, "same"),
    Step(SERIALS[0], K.ISSUED, CALLBACK_HINT, 0, 10, "same"),
    Step(SERIALS[0], K.PENDING, CALLBACK_HINT, 0, 10, "same"),
    Step(SERIALS[0], K.ISSUED, "query", None, 10, "same"),  # the answer that issues, and its duplicates
    Step(SERIALS[0], K.ISSUED, CALLBACK_VERIFIED, 0, 10, "same"),
    Step(SERIALS[0], K.DUE, "reconcile", None, 60_000, "same"),
    Step(SERIALS[0], K.REQUEST, "intake", None, 10, "same"),
)


@PROPERTY
@given(st.lists(st.sampled_from(LATE), max_size=25), st.sampled_from(LATE[-4:-2]), st.data())
def test_late_and_duplicate_answers_in_any_order_issue_exactly_once(late: list[Step], issuing: Step,
                                                                   data: st.DataObject) -> None:
    agent = Agent()
    # Attempt 1 was retried: the serial is on attempt 2, and answers about attempt 1 are late.
    agent.step(Step(SERIALS[0], K.REQUEST, "intake", None, 0, "same"))
    agent.step(Step(SERIALS[0], K.RETRYABLE, "issue", 1, 10, "same"))
    agent.step(Step(SERIALS[0], K.DUE, "reconcile", None, 60_000, "same"))
    state = agent.table[SERIALS[0]]
    assert (state.status, state.attempt) == (Status.SUBMITTING, 2)
    story = data.draw(st.permutations([*late, issuing]), label="delivery order")
    while story:  # in batches: a signal about "the current attempt" reads the attempt its batch starts on
        size = data.draw(st.integers(1, 6), label="batch size")
        agent.deliver(*(agent.resolve(step) for step in story[:size]))
        story = story[size:]
    final = agent.table[SERIALS[0]]
    issued = [e for e in agent.log(SERIALS[0]) if e.type is EventType.ISSUED]
    assert final.status is Status.ISSUED
    assert len(issued) == 1 and final.invoice == INVOICE
    assert [r.status for r in agent.results(SERIALS[0])] == [Status.ISSUED]


# -- (4) backoff -----------------------------------------------------------------------------------------


@PROPERTY
@given(st.text(min_size=1, max_size=30), st.integers(0, 100), st.integers(1, 10_000), st.integers(1, 3_600_000))
def test_backoff_is_jittered_below_the_exponential_ceiling(serial: str, attempt: int, base_ms: int,
                                                           cap_ms: int) -> None:
    policy = Policy(retry_base=timedelta(milliseconds=base_ms), retry_cap=timedelta(milliseconds=cap_ms))
    ceiling = min(timedelta(milliseconds=cap_ms), timedelta(milliseconds=base_ms) * 2 ** min(max(attempt - 1, 0), 40))
    delay = backoff(serial, attempt, policy)
    assert ceiling * 0.5 <= delay <= ceiling
    assert backoff(serial, attempt, policy) == delay  # deterministic: a replayed decision waits as long
    assert delay % timedelta(milliseconds=1) == timedelta(0)  # what an Avro timestamp-millis due_at keeps


def test_backoff_jitter_spreads_serials_apart() -> None:
    delays = {backoff(f"S{i:04d}", 3, Policy()) for i in range(200)}
    assert len(delays) > 150
    assert min(delays) < timedelta(seconds=2.5) and max(delays) > timedelta(seconds=3.5)


# -- (5) exactly one result per serial -------------------------------------------------------------------


@PROPERTY
@given(stories)
def test_every_serial_has_at_most_one_result_and_exactly_one_once_terminal(story: list[Step]) -> None:
    agent = Agent()
    terminal_at: dict[str, InvoiceState] = {}
    for step in story:
        agent.step(step)
        state = agent.table.get(step.serial)
        if state is not None and state.status.terminal:
            first = terminal_at.setdefault(step.serial, state)
            assert outcome(state) == outcome(first)  # terminal is absorbing
    for serial in agent.serials():
        state = agent.table.get(serial)
        results = agent.results(serial)
        if state is not None and state.status.terminal:
            (result,) = results
            assert result.status is state.status and result.serial == serial
            assert result == result_of(terminal_at[serial])
        else:
            assert results == []
