"""issue_invoices: the issue agent. Reads the transitions that owe a provider call (`fapiao.calls`, where the
fold sends a copy of each), makes the call, reports each outcome as a signal.

Many calls are in flight at once without risking offsets (faust issue #606): each record starts its call
as it is read (at most FAPIAO_ISSUE_BATCH at once), and is acknowledged only once its signal is on the
broker and every earlier record of its partition is acknowledged (`fapiao.streams.inorder`).

A call is made once per transition, whatever crashes (`fapiao.streams.guard`): only once the fold's row
holds the transition durably, once per (serial, seq) in a process, and never for a transition this
process inherited with its partition: a submission it may not know the fate of is reported in doubt,
and the fold asks the provider before anything is sent again. The provider's own duplicate check is a
second line, never the first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any, Awaitable, Callable

from faust.types import EventT, StreamT

from fapiao import clock
from fapiao.connectors.provider import Outcome, OutcomeKind, Provider, RedProvider
from fapiao.exceptions import ConfigurationError
from fapiao.schemas.records import EventType, InvoiceEvent, InvoiceRequest, InvoiceState, RedForm, RedOrder, Signal
from fapiao.streams.metrics import metered
from fapiao.streams.outcomes import adopt, signal_for
from fapiao.settings import Settings
from fapiao.streams.inorder import Entry, InOrder
from fapiao.streams.lifecycle import CALLS
from fapiao.streams.pipeline import BATCH_WINDOW_S, Pipeline, exit_failed, run_batch
from fapiao.streams.sellers import SellerGate

__all__ = ["install", "call_provider", "check_watchdog", "owed", "Issuer", "inherited_signal", "with_request"]

log = logging.getLogger("fapiao.issue")
# A whole provider call may take this many HTTP timeouts (a token, then the submit, then a query after a
# duplicate answer), and no more. A record waits at most one such call for a free slot, then makes its own,
# so a partition's commit stands still for at most 2 x 2 x FAPIAO_PROVIDER_TIMEOUT_S (40 s by default), under
# the commit watchdog's FAPIAO_WATCHDOG_STALL_S (the worker refuses to start with a stall limit that is not).
CALL_DEADLINE_TIMEOUTS = 2
# The longest the issue agent waits for the fold's row of a transition to be durable. The fold's batch that
# wrote it is in this process and ends in milliseconds, or the process exits; past this the broker is stuck,
# and the serial's own timer (a submission unanswered) asks the provider later.
DURABLE_WAIT_S = 60.0


async def call_provider(providers: dict[str, Provider], gate: SellerGate, transition: InvoiceEvent,
                        deadline_s: float | None = None) -> Signal:
    """One provider call for one transition, always answered with a signal (never an exception).

    `deadline_s` bounds the whole call (token, submit, a query after a duplicate answer); past it the
    call is in doubt, as a timeout is. A partition's commit waits for its oldest call, so this bounds how
    long the offsets behind it can stand still.
    """
    request = transition.request
    querying = transition.type is not EventType.SUBMITTING  # a "try again" to an ask tells nothing: in doubt
    provider = providers.get(transition.provider or "")
    if transition.red is not None and not isinstance(provider, RedProvider):
        provider = None  # a red reached a worker whose client for that provider cannot take one back
    if request is None or provider is None:
        # Nothing was sent. A submission fails; a query must not fail a serial the provider may hold,
        # so it is retried (in doubt) until a worker that has the provider's base URL answers it.
        outcome = Outcome(OutcomeKind.RETRYABLE if querying else OutcomeKind.FAILED, "provider_not_configured",
                          f"this worker has no base URL for provider {transition.provider!r} "
                          f"(FAPIAO_{(transition.provider or '').upper()}_BASE_URL)")
        return signal_for(transition.serial, outcome, at=clock.now(), source="query" if querying else "issue",
                          attempt=transition.attempt, querying=querying)
    seller = request.seller.tax_id or ""
    admission = (gate.admit_query if querying else gate.admit_submit)(seller, time.monotonic())
    if not admission.allowed:
        outcome = Outcome(OutcomeKind.SESSION, "seller_paused",
                          "this seller is paused after a session error (no tax device online, or the "
                          "bureau login was lost); it is probed again shortly")
    else:
        await asyncio.sleep(admission.wait_s)
        try:
            outcome = await asyncio.wait_for(_call(provider, transition), deadline_s)
        except TimeoutError:
            outcome = Outcome(OutcomeKind.IN_DOUBT, "call_deadline",
                              f"no answer within {deadline_s:.0f}s; whether the provider has it is unknown")
        except BaseException:  # cancelled: a half-open circuit must let the next probe through
            if not querying:
                gate.abandon(seller)
            raise
        if not querying:
            gate.on_submit_answer(seller, outcome.kind is OutcomeKind.SESSION, time.monotonic())
    return signal_for(transition.serial, outcome, at=clock.now(), source="query" if querying else "issue",
                      attempt=transition.attempt, querying=querying)


async def _call(provider: Provider, transition: InvoiceEvent) -> Outcome:
    """The provider call a transition owes: a blue's submit or query, or one of a red's."""
    serial, request, red, form = transition.serial, transition.request, transition.red, transition.form
    assert request is not None
    try:
        if red is not None:
            assert isinstance(provider, RedProvider)
            return await _call_red(provider, transition.type, request, red, form)
        if transition.type is EventType.QUERYING:
            return await provider.query(request)
        outcome = await provider.submit(request)
        if outcome.kind is OutcomeKind.DUPLICATE:
            return adopt(request, await provider.query(request))
        return outcome
    except Exception as exc:  # a bug or a misconfiguration: whether it was sent is unknown
        log.error("provider %s call for serial %s raised %s", provider.name, serial, type(exc).__name__,
                  extra={"serial": serial})
        return Outcome(OutcomeKind.IN_DOUBT, "client_error", f"{type(exc).__name__}: {exc}"[:500])


async def _call_red(provider: RedProvider, kind: EventType, request: InvoiceRequest, red: RedOrder,
                    form: RedForm | None) -> Outcome:
    """A red's call: sent and asked about under its own serial as a blue's; its form revoked by number."""
    if kind is EventType.QUERYING:
        return await provider.query_red(red)
    if kind is EventType.REVOKING:
        assert form is not None, "a form is revoked by its number"
        return await provider.revoke_red_form(red, form)
    outcome = await provider.submit_red(red, form)
    if outcome.kind is OutcomeKind.DUPLICATE:
        return adopt(request, await provider.query_red(red))
    return outcome


def inherited_signal(transition: InvoiceEvent) -> Signal:
    """What a submission inherited with its partition comes to: in doubt, asked about before anything is sent."""
    outcome = Outcome(OutcomeKind.IN_DOUBT, "inherited_call", "a submission written before this worker took the "
                      "partition: its predecessor may have sent it, so the provider is asked first")
    return signal_for(transition.serial, outcome, at=clock.now(), source="issue", attempt=transition.attempt)


def with_request(transition: InvoiceEvent, row: InvoiceState | None) -> InvoiceEvent:
    """The transition with the request its call sends: a red's order carries its own; a blue's is the row's
    (calls no longer carry it; one written before that still does)."""
    if transition.request is not None:
        return transition
    request = transition.red.request if transition.red is not None else row.request if row is not None else None
    return replace(transition, request=request)


async def owed(pipeline: Pipeline, event: EventT, transition: InvoiceEvent) -> bool | Signal:
    """Whether to call for `transition` now (True), not at all (False), or answer it without a call (a Signal).

    See the module docstring: once per (serial, seq); an inherited submission is in doubt; otherwise only
    once the row holds the transition durably, and only while the row still owes it.
    """
    guard = pipeline.guard
    if not guard.first(transition.serial, transition.seq):
        return False  # a copy of a transition already called (a batch decided again after a crash)
    message = event.message
    if guard.inherited(message.partition, message.offset, message.timestamp):
        return inherited_signal(transition) if transition.type is EventType.SUBMITTING else True  # asking is harmless
    if not await guard.until_durable(transition.serial, DURABLE_WAIT_S):
        log.warning("row of serial %s not durable within %.0fs; its %s is left to the reconcile timer",
                    transition.serial, DURABLE_WAIT_S, transition.type.value, extra={"serial": transition.serial})
        return False
    # The row decides (it is local: co-partitioned). It holds the transition, and has not moved past it: to a
    # terminal state, or a later attempt (a copy read again after the serial went on).
    row = pipeline.state(transition.serial)
    return row is not None and row.seq >= transition.seq and not row.status.terminal \
        and row.attempt <= transition.attempt


class Issuer:
    """The issue agent's work: each record of `fapiao.calls` is called for as it comes, at most
    `FAPIAO_ISSUE_BATCH` in flight, and acknowledged (so committed) only once its answer is on the broker and
    every record read before it from its partition is acknowledged too (`InOrder`).

    Nothing waits for a batch's slowest call: a record read while others are in flight starts as soon as a
    call ends, so the provider's latency is hidden by calls in flight rather than added to each batch.
    """

    def __init__(self, pipeline: Pipeline, providers: dict[str, Provider], gate: SellerGate,
                 ack: Callable[[EventT], Awaitable[Any]]) -> None:
        self.pipeline, self.providers, self.gate, self.ack = pipeline, providers, gate, ack
        self._slots = asyncio.Semaphore(pipeline.settings.issue_batch)
        self._order: InOrder[EventT] = InOrder()
        self._running: set[asyncio.Task[None]] = set()
        self._deadline_s = call_deadline_s(pipeline.settings)

    async def take(self, event: EventT) -> None:
        """Start the work on one record; first wait while the most calls allowed are in flight."""
        await self._slots.acquire()
        entry = self._order.read(event.message.tp, event)
        task = asyncio.ensure_future(self._work(event, entry))
        self._running.add(task)
        task.add_done_callback(self._ended)

    async def drain(self) -> None:
        """Wait until the work on every record taken has ended."""
        while self._running:
            await asyncio.wait(set(self._running))

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            exit_failed("issue", task.exception())  # before any later record of its partition is committed

    async def _work(self, event: EventT, entry: Entry[EventT]) -> None:
        signal, serial = await self._answer(event)
        if signal is not None:
            # Acknowledged before the record is: faust's flush before a commit does not report a failed send.
            await (await self.pipeline.send("signals", signal.serial, signal))
        if serial is not None:
            self.pipeline.called[serial] = time.time()
        released = self._order.done(entry)
        for ready in released:
            await self.ack(ready)
        self.pipeline.finished("calls", released)  # the reconcile timer's sign that these serials had their turn

    async def _answer(self, event: EventT) -> tuple[Signal | None, str | None]:
        """The signal that answers one record (None: nothing to say), and the serial when a call was made."""
        pipeline = self.pipeline
        try:
            transition = pipeline.codec.decode(event.message.value or b"", InvoiceEvent)
        except Exception as exc:
            await (await pipeline.dead_letter(event, f"{type(exc).__name__}: {exc}", stage="issue"))
            return None, None
        if transition.type not in CALLS:
            return None, None  # only the fold writes here, and only calls; anything else asks nothing
        verdict = await owed(pipeline, event, transition)
        if isinstance(verdict, Signal):
            return verdict, None
        if not verdict:
            return None, None
        call = with_request(transition, pipeline.state(transition.serial))
        if call.request is None:
            return None, None  # the row is gone (another worker holds it now): nothing to ask with
        return await call_provider(self.providers, self.gate, call, self._deadline_s), call.serial


def call_deadline_s(settings: Settings) -> float:
    """How long one whole provider call may take before it is in doubt."""
    return CALL_DEADLINE_TIMEOUTS * settings.provider_timeout_s


def check_watchdog(settings: Settings) -> None:
    """Refuse a commit watchdog that would restart a worker whose issue agent only waits for a slow provider."""
    longest = 2 * call_deadline_s(settings)  # a free slot after one call at its deadline, then its own
    if settings.watchdog_stall_s <= longest:
        raise ConfigurationError(
            f"FAPIAO_WATCHDOG_STALL_S={settings.watchdog_stall_s:g} must exceed {longest:g}, the longest a call "
            f"can hold its partition's commit with FAPIAO_PROVIDER_TIMEOUT_S={settings.provider_timeout_s:g} "
            f"({2 * CALL_DEADLINE_TIMEOUTS} x the provider timeout)")


def install(pipeline: Pipeline, providers: dict[str, Provider]) -> SellerGate:
    settings = pipeline.settings
    check_watchdog(settings)
    providers = {name: metered(provider, pipeline.metrics) for name, provider in providers.items()}
    gate = SellerGate(probe_after_s=settings.seller_probe_s, rate_per_s=settings.seller_rate_per_s,
                      burst=settings.seller_burst)

    @pipeline.app.agent(pipeline.topics["calls"], name="issue_invoices")
    async def issue_invoices(stream: StreamT) -> None:
        issuer = Issuer(pipeline, providers, gate, stream.ack)
        try:
            async for batch in stream.noack_take(settings.issue_batch, within=BATCH_WINDOW_S):
                for event in batch:
                    await issuer.take(event)
        finally:  # stopping: the calls in flight end (within their deadline) and are acknowledged first
            await run_batch(issuer.drain(), "issue")

    return gate
