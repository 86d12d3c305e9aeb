"""The issue agent's calls: the answer when a worker has no client for a provider, and calls in flight."""

from __future__ import annotations

import asyncio
from typing import Callable

import pytest

from fapiao import clock
from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.schemas.records import EventType, InvoiceEvent, InvoiceRequest, SignalKind
from fapiao.exceptions import ConfigurationError
from fapiao.settings import load
from fapiao.streams.issuing import call_all, call_provider, check_watchdog
from fapiao.streams.sellers import SellerGate


async def test_an_unconfigured_provider_fails_a_submission_but_never_a_query(invoice_request) -> None:
    def transition(kind: EventType) -> InvoiceEvent:
        return InvoiceEvent(serial=invoice_request.serial, seq=3, type=kind, at=clock.now(), provider="kingdee",
                            attempt=1, request=invoice_request)

    submitted = await call_provider({}, SellerGate(), transition(EventType.SUBMITTING))
    queried = await call_provider({}, SellerGate(), transition(EventType.QUERYING))
    assert (submitted.kind, submitted.code) == (SignalKind.FAILED, "provider_not_configured")
    assert (queried.kind, queried.code) == (SignalKind.IN_DOUBT, "provider_not_configured")


class _CountingProvider:
    """Answers every submit after a pause, noting how many calls were open at once."""

    name = "kingdee"

    def __init__(self) -> None:
        self.open = 0
        self.most_open = 0
        self.served: list[str] = []

    async def submit(self, request: InvoiceRequest) -> Outcome:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        await asyncio.sleep(0.001)
        self.open -= 1
        self.served.append(request.serial)
        return Outcome(OutcomeKind.ACCEPTED)

    async def query(self, request: InvoiceRequest) -> Outcome:
        raise AssertionError("a submission needs no query")


@pytest.mark.parametrize(("calls", "limit"), [(1, 3), (7, 3), (20, 20), (50, 8)])
async def test_a_batch_keeps_at_most_the_limit_in_flight_and_answers_every_call_in_order(
        request_factory: Callable[..., InvoiceRequest], calls: int, limit: int) -> None:
    provider = _CountingProvider()
    due = [InvoiceEvent(serial=f"S{n}", seq=3, type=EventType.SUBMITTING, at=clock.now(), provider="kingdee",
                        attempt=1, request=request_factory(serial=f"S{n}")) for n in range(calls)]
    signals = await call_all({"kingdee": provider}, SellerGate(rate_per_s=1e6, burst=1e6), due, limit)
    assert [signal.serial for signal in signals] == [transition.serial for transition in due]
    assert {signal.kind for signal in signals} == {SignalKind.ACCEPTED}
    assert sorted(provider.served) == sorted(transition.serial for transition in due)
    assert provider.most_open == min(calls, limit)


class _SilentProvider:
    """Never answers: a provider that took the request and hung."""

    name = "kingdee"

    async def submit(self, request: InvoiceRequest) -> Outcome:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    query = submit


@pytest.mark.parametrize(("kind", "expected"), [(EventType.SUBMITTING, SignalKind.IN_DOUBT),
                                                 (EventType.QUERYING, SignalKind.IN_DOUBT)])
async def test_a_call_past_its_deadline_is_in_doubt_not_a_stalled_batch(invoice_request, kind: EventType,
                                                                         expected: SignalKind) -> None:
    transition = InvoiceEvent(serial=invoice_request.serial, seq=3, type=kind, at=clock.now(), provider="kingdee",
                              attempt=1, request=invoice_request)
    (signal,) = await asyncio.wait_for(call_all({"kingdee": _SilentProvider()}, SellerGate(), [transition], 4,
                                                deadline_s=0.05), timeout=5)
    assert (signal.kind, signal.code) == (expected, "call_deadline")


@pytest.mark.parametrize(("timeout_s", "stall_s", "accepted"), [("10", "21", True), ("10", "20", False),
                                                                ("25", "50", False), ("25", "51", True)])
def test_the_watchdog_must_outlast_the_longest_issue_batch(timeout_s: str, stall_s: str, accepted: bool) -> None:
    settings = load({"FAPIAO_PROVIDER_TIMEOUT_S": timeout_s, "FAPIAO_WATCHDOG_STALL_S": stall_s})
    if accepted:
        check_watchdog(settings)
    else:
        with pytest.raises(ConfigurationError, match="FAPIAO_WATCHDOG_STALL_S"):
            check_watchdog(settings)
