"""The order of a batch's effects against a broker that acknowledges when the test says so.

A row is written only after the broker has every event and result of its batch (or a crash loses a
result), the fold's batch ends (and its rows count as durable for the issue agent) only once the broker
has their changelog records too, and a request's signal that the broker refuses for good must fail the
intake batch (or its offset is committed with no trace). The broker here is a recording double: a test of real processes cannot stop
the clock inside the millisecond between a send and its ack, so the ordering is proved where it is chosen.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from streams_support import build_signal

from fapiao.schemas.codec import Codec
from fapiao.schemas.records import InvoiceState, SignalKind
from fapiao.streams.guard import CallGuard
from fapiao.streams.intake import intake_batch
from fapiao.streams.invoices import fold_batch
from fapiao.streams.lifecycle import Policy
from fapiao.streams.metrics import WorkerMetrics


@dataclass
class Broker:
    """What the agents send, each with the future the test resolves as the broker's acknowledgement."""

    sent: list[tuple[str, str, asyncio.Future[None]]] = field(default_factory=list)
    # (serial, how many sends were acknowledged when its row was written)
    rows: list[tuple[str, int]] = field(default_factory=list)
    codec: Codec = field(default_factory=Codec)
    policy: Policy = field(default_factory=Policy)
    metrics: WorkerMetrics = field(default_factory=WorkerMetrics)
    guard: CallGuard = field(default_factory=CallGuard)

    @property
    def acked(self) -> int:
        return sum(1 for *_, ack in self.sent if ack.done())

    async def send(self, role: str, serial: str, record: Any) -> asyncio.Future[None]:
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent.append((role, serial, ack))
        return ack

    async def dead_letter(self, event: Any, reason: str, stage: str) -> asyncio.Future[None]:
        return await self.send("dlq", "", event)

    def state(self, serial: str) -> InvoiceState | None:
        return None

    def put_state(self, row: InvoiceState) -> asyncio.Future[None]:
        self.rows.append((row.serial, self.acked))
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent.append(("changelog", row.serial, ack))
        return ack

    def finished(self, role: str, batch: Any) -> None:
        pass


def _events(*values: bytes) -> list[Any]:
    return [SimpleNamespace(message=SimpleNamespace(value=value, key=b"k", topic="t", partition=0, offset=index,
                                                    timestamp=0.0)) for index, value in enumerate(values)]


async def _settle() -> None:
    for _ in range(20):  # let the batch run as far as it can without the broker
        await asyncio.sleep(0)


async def test_the_fold_writes_its_rows_only_after_the_broker_has_every_event_and_result() -> None:
    broker = Broker()
    batch = _events(*(broker.codec.encode(build_signal(SignalKind.REQUEST, serial=serial)) for serial in ("A", "B")))
    folding = asyncio.ensure_future(fold_batch(broker, batch, lambda request: []))  # type: ignore[arg-type]
    await _settle()
    assert broker.sent and broker.rows == [], "a row was written before the broker acknowledged its events"
    assert set(broker.guard.unflushed) == {"A", "B"}, \
        "a call read between its transition's send and its row's write would find no row and be dropped"
    records = len(broker.sent)
    for *_, ack in broker.sent:
        ack.set_result(None)
    await _settle()
    assert sorted(broker.rows) == [("A", records), ("B", records)]
    assert not folding.done() and set(broker.guard.unflushed) == {"A", "B"}, \
        "the batch ended, or its rows counted as durable, before the broker had their changelog records"
    for role, _, ack in broker.sent:
        if role == "changelog":
            ack.set_result(None)
    await asyncio.wait_for(folding, 5)
    assert broker.guard.unflushed == {}


async def test_a_request_signal_the_broker_refuses_for_good_fails_the_intake_batch() -> None:
    broker = Broker()
    value = Codec().encode(build_signal(SignalKind.REQUEST).request)
    taking = asyncio.ensure_future(intake_batch(broker, _events(value, value)))  # type: ignore[arg-type]
    await _settle()
    assert not taking.done(), "the intake batch ended before the broker answered"
    broker.sent[0][2].set_exception(RuntimeError("KafkaError: message timed out"))
    broker.sent[1][2].set_result(None)
    with pytest.raises(RuntimeError, match="timed out"):
        await asyncio.wait_for(taking, 5)
