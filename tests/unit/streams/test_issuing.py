"""The issue agent's calls: the answer when a worker has no client for a provider, calls in flight, and what is
acknowledged when."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from confluent_kafka import KafkaException
from issue_support import TAKEN_AT, Worker, a_worker, issuer, record, row_at, run, transition

from fapiao import clock
from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.schemas.records import EventType, InvoiceEvent, InvoiceRequest, SignalKind
from fapiao.exceptions import ConfigurationError
from fapiao.settings import load
from fapiao.streams import issuing
from fapiao.streams.issuing import call_provider, check_watchdog
from fapiao.streams.sellers import SellerGate


async def test_an_unconfigured_provider_fails_a_submission_but_never_a_query(invoice_request) -> None:
    def transition(kind: EventType) -> InvoiceEvent:
        return InvoiceEvent(serial=invoice_request.serial, seq=3, type=kind, at=clock.now(), provider="kingdee",
                            attempt=1, request=invoice_request)

    submitted = await call_provider({}, SellerGate(), transition(EventType.SUBMITTING))
    queried = await call_provider({}, SellerGate(), transition(EventType.QUERYING))
    assert (submitted.kind, submitted.code) == (SignalKind.FAILED, "provider_not_configured")
    assert (queried.kind, queried.code) == (SignalKind.IN_DOUBT, "provider_not_configured")


class _Pausing:
    """Answers each submit once told to (or at once), noting how many calls were open at once."""

    name = "kingdee"

    def __init__(self, held: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.open = 0
        self.most_open = 0
        self.held = {serial: asyncio.Event() for serial in held}

    async def submit(self, request: InvoiceRequest) -> Outcome:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        if request.serial in self.held:
            await self.held[request.serial].wait()
        else:
            await asyncio.sleep(0.001)
        self.open -= 1
        return Outcome(OutcomeKind.ACCEPTED)

    async def query(self, request: InvoiceRequest) -> Outcome:
        raise AssertionError("a submission needs no query")


def _due(count: int, partitions: int = 1) -> tuple[Worker, list[Any]]:
    rows = [row_at(f"S{n}") for n in range(count)]
    worker = a_worker(*rows)
    return worker, [record(worker.codec, transition(row.serial), 10 + n, TAKEN_AT + 1, partition=n % partitions)
                    for n, row in enumerate(rows)]


@pytest.mark.parametrize(("calls", "limit"), [(1, 3), (7, 3), (20, 20), (50, 8)])
async def test_at_most_the_limit_is_in_flight_and_every_call_is_answered_and_acknowledged_in_order(
        calls: int, limit: int) -> None:
    worker, records = _due(calls, partitions=2)
    worker.settings = load({"FAPIAO_ISSUE_BATCH": str(limit)})
    provider = _Pausing()
    acked = await run(worker, provider, *records)
    assert sorted(signal.serial for signal in worker.signals) == sorted(f"S{n}" for n in range(calls))
    assert {signal.kind for signal in worker.signals} == {SignalKind.ACCEPTED}
    assert provider.most_open == min(calls, limit)
    for partition in (0, 1):
        mine = [r for r in records if r.message.partition == partition]
        assert [r for r in acked if r.message.partition == partition] == mine
    assert worker.finished_records == acked


async def test_a_slow_call_holds_back_only_the_acknowledgements_behind_it_in_its_partition() -> None:
    """Latency is hidden: calls read after a slow one are made and answered meanwhile. Offsets are safe: none
    of its partition is acknowledged (so committed) past it until it ends."""
    worker, records = _due(8, partitions=2)  # S0, S2, S4, S6 in partition 0; S1, S3 … in 1
    provider, acked = _Pausing(held={"S2"}), []
    issue = issuer(worker, provider, acked)
    for event in records:
        await issue.take(event)
    for _ in range(200):
        if len(worker.signals) == 7:
            break
        await asyncio.sleep(0.005)
    assert sorted(signal.serial for signal in worker.signals) == ["S0", "S1", "S3", "S4", "S5", "S6", "S7"]
    assert [r.message.key for r in acked] == [b"S0", b"S1", b"S3", b"S5", b"S7"]
    provider.held["S2"].set()
    await asyncio.wait_for(issue.drain(), 5)
    assert [r.message.key for r in acked][5:] == [b"S2", b"S4", b"S6"]


async def test_an_answer_the_broker_refuses_exits_the_worker_and_acknowledges_nothing_behind_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    worker, records = _due(3)
    exits: list[str] = []
    monkeypatch.setattr(issuing, "exit_failed", lambda stage, error: exits.append(f"{stage}: {error}"))
    sent = worker.send

    async def refusing(role: str, serial: str, signal: Any) -> Any:
        if serial != "S1":
            return await sent(role, serial, signal)
        delivery: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        delivery.set_exception(KafkaException("refused for good"))  # taken, then refused by the broker
        return delivery

    worker.send = refusing  # type: ignore[method-assign]
    acked = await run(worker, _Pausing(), *records)
    assert exits == ["issue: refused for good"]
    assert [r.message.key for r in acked] == [b"S0"], "a record behind the failed one was acknowledged"


@pytest.mark.parametrize(("kind", "expected"), [(EventType.SUBMITTING, SignalKind.IN_DOUBT),
                                                 (EventType.QUERYING, SignalKind.IN_DOUBT)])
async def test_a_call_past_its_deadline_is_in_doubt_not_a_stalled_partition(invoice_request, kind: EventType,
                                                                            expected: SignalKind) -> None:
    transition_ = InvoiceEvent(serial=invoice_request.serial, seq=3, type=kind, at=clock.now(), provider="kingdee",
                               attempt=1, request=invoice_request)
    signal = await asyncio.wait_for(call_provider({"kingdee": _SilentProvider()}, SellerGate(), transition_,  # type: ignore[dict-item]
                                                  deadline_s=0.05), timeout=5)
    assert (signal.kind, signal.code) == (expected, "call_deadline")


class _SilentProvider:
    """Never answers: a provider that took the request and hung."""

    name = "kingdee"

    async def submit(self, request: InvoiceRequest) -> Outcome:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    query = submit


@pytest.mark.parametrize(("timeout_s", "stall_s", "accepted"), [("10", "41", True), ("10", "40", False),
                                                                ("25", "100", False), ("25", "101", True)])
def test_the_watchdog_must_outlast_the_longest_a_call_holds_a_commit(timeout_s: str, stall_s: str, accepted: bool) -> None:
    settings = load({"FAPIAO_PROVIDER_TIMEOUT_S": timeout_s, "FAPIAO_WATCHDOG_STALL_S": stall_s})
    if accepted:
        check_watchdog(settings)
    else:
        with pytest.raises(ConfigurationError, match="FAPIAO_WATCHDOG_STALL_S"):
            check_watchdog(settings)
