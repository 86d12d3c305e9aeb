"""The issue agent makes a provider call once per transition, whatever crashes (`fapiao.streams.guard`).

Driven through the real issue agent (`Issuer`) with a stand-in for the worker's pipeline (rows, the broker) and a
provider that counts its calls: a copy of a transition is not called again, a submission inherited with a
partition is reported in doubt without a call, and a call waits until the fold's row for it is durable.
The property test in test_red_letter_fold.py shows, on a model of this guard, that each of these is needed
for "never issued twice" under crashes; the fault tests show it on real processes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

from issue_support import TAKEN_AT, Counting, Worker, a_worker, record, row_at, run, transition
from streams_support import T0, build_request

from fapiao.schemas.records import EventType, InvoiceState, Signal, SignalKind, Status
from fapiao.streams.guard import CallGuard
from fapiao.streams.issuing import with_request


async def test_a_copy_of_a_transition_already_called_is_not_called_again() -> None:
    worker, provider = a_worker(row_at()), Counting()
    first, copy = (record(worker.codec, transition(), offset, TAKEN_AT + 1) for offset in (10, 11))
    await run(worker, provider, first)
    await run(worker, provider, copy)  # the fold decided the same transition again after a crash
    assert provider.calls == [("submit", "S1")]


async def test_a_submission_inherited_with_its_partition_is_in_doubt_and_not_sent() -> None:
    worker, provider = a_worker(row_at(), row_at("S2")), Counting()
    by_offset = record(worker.codec, transition(), 3, TAKEN_AT + 1)  # before the end at assignment
    by_time = record(worker.codec, transition("S2"), 12, TAKEN_AT - 1)  # the end fell short; its time tells
    await run(worker, provider, by_offset, by_time)
    assert provider.calls == []
    assert [(s.serial, s.kind, s.code, s.attempt) for s in worker.signals] == [
        ("S1", SignalKind.IN_DOUBT, "inherited_call", 1), ("S2", SignalKind.IN_DOUBT, "inherited_call", 1)]


async def test_a_query_inherited_with_its_partition_is_made() -> None:
    worker, provider = a_worker(row_at(status=Status.QUERYING)), Counting()
    await run(worker, provider, record(worker.codec, transition(kind=EventType.QUERYING), 3, TAKEN_AT - 1))
    assert provider.calls == [("query", "S1")]


async def test_a_call_waits_until_the_row_that_holds_it_is_durable() -> None:
    worker, provider = a_worker(row_at()), Counting()
    worker.guard.writing(["S1"])  # the fold sent the transition; its row is not yet acknowledged
    issuing = asyncio.ensure_future(run(worker, provider, record(worker.codec, transition(), 10, TAKEN_AT + 1)))
    for _ in range(20):
        await asyncio.sleep(0)
    assert provider.calls == [] and not issuing.done()
    worker.guard.flushed(["S1"])
    await asyncio.wait_for(issuing, 5)
    assert provider.calls == [("submit", "S1")]


async def test_a_transition_the_row_does_not_hold_or_has_moved_past_is_not_called() -> None:
    rows = [row_at("LOST", seq=3),  # the fold's row never got the transition (lost with a crash)
            row_at("DONE", status=Status.ISSUED),  # answered already
            row_at("LATER", seq=9, attempt=2)]  # a later attempt began
    worker, provider = a_worker(*rows), Counting()
    await run(worker, provider, *(record(worker.codec, transition(row.serial), 10 + i, TAKEN_AT + 1)
                                  for i, row in enumerate(rows)))
    assert provider.calls == [] and worker.signals == []


async def test_each_answer_is_on_the_broker_before_the_batch_ends() -> None:
    worker, provider = a_worker(row_at()), Counting()
    await run(worker, provider, record(worker.codec, transition(), 10, TAKEN_AT + 1))
    assert [(s.serial, s.kind) for s in worker.signals] == [("S1", SignalKind.ACCEPTED)]


async def test_a_call_is_made_with_the_request_its_row_holds() -> None:
    """Calls no longer carry the request (it rode in on `received`): the issue agent reads it from the row."""
    worker, provider = a_worker(row_at()), Counting()
    await run(worker, provider, record(worker.codec, replace(transition(), request=None), 10, TAKEN_AT + 1))
    assert provider.calls == [("submit", "S1")]


def test_a_calls_request_is_a_reds_own_order_or_else_its_rows() -> None:
    row = row_at()
    bare = replace(transition(), request=None)
    assert with_request(bare, row).request == row.request
    assert with_request(bare, None).request is None, "no row: nothing to call with"
    order = SimpleNamespace(request=build_request("R1"))
    assert with_request(replace(bare, red=order), row).request == order.request  # type: ignore[arg-type]
    old = transition()  # written before calls stopped carrying the request
    assert with_request(old, row) is old


def test_the_guard_on_its_own() -> None:
    guard = CallGuard()
    assert guard.inherited(0, 100, TAKEN_AT + 1), "a partition never taken: nothing read from it is trusted"
    guard.took(0, TAKEN_AT, end=5)
    assert guard.inherited(0, 4, TAKEN_AT + 1) and guard.inherited(0, 5, TAKEN_AT - 0.5)
    assert not guard.inherited(0, 5, TAKEN_AT + 0.5) and not guard.inherited(0, 5, None)
    assert guard.first("S", 1) and not guard.first("S", 1) and guard.first("S", 2)
    guard.writing(["S", "S"])
    guard.flushed(["S"])
    assert guard.unflushed == {"S": 1}, "a row written twice is durable once both writes are"
    assert not asyncio.run(guard.until_durable("S", 0.05))
    guard.flushed(["S"])
    assert asyncio.run(guard.until_durable("S", 0.05)) and guard.unflushed == {}


@dataclass
class Shared(Worker):
    """One worker as both agents see it: the fold writes rows through `put_state`, and the broker acknowledges
    each send only when the test says so."""

    policy: Any = None
    metrics: Any = field(default_factory=lambda: SimpleNamespace(result=lambda result: None))
    sends: list[tuple[str, Any, asyncio.Future[None]]] = field(default_factory=list)

    async def send(self, role: str, serial: str, record: Any) -> asyncio.Future[None]:
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sends.append((role, record, ack))
        if role == "signals" and isinstance(record, Signal) and record.source != "red":
            self.signals.append(record)
            ack.set_result(None)  # the issue agent's answers: acknowledged at once
        return ack

    def put_state(self, row: InvoiceState) -> asyncio.Future[None]:
        self.rows[row.serial] = row
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sends.append(("changelog", row, ack))
        return ack

    def finished(self, role: str, batch: Any) -> None:
        if role == "calls":  # the fold's batch of signals is acknowledged too; only calls are counted
            super().finished(role, batch)


async def test_a_transition_read_while_its_batch_still_waits_for_the_broker_is_called_once_its_row_is_durable() -> None:
    """The issue agent can read a transition as soon as the broker has it, while the fold's batch still waits
    for the acknowledgement of another of its records (a result or an event on another partition, led by
    another broker) and so has not written the row yet. The call must wait for the row, not be dropped."""
    from fapiao.streams.invoices import fold_batch
    from fapiao.streams.lifecycle import Policy
    from streams_support import build_signal

    worker, provider = Shared(policy=Policy()), Counting()
    worker.guard.took(0, TAKEN_AT, end=0)
    batch = [SimpleNamespace(message=SimpleNamespace(value=worker.codec.encode(build_signal(
        SignalKind.REQUEST, serial=serial, at=T0)), key=serial.encode(), topic="signals", partition=0, offset=i,
        timestamp=TAKEN_AT + 1)) for i, serial in enumerate(("S1", "S2"))]
    folding = asyncio.ensure_future(fold_batch(worker, batch, lambda request: []))  # type: ignore[arg-type]
    for _ in range(20):
        await asyncio.sleep(0)
    submitting = [(record, ack) for role, record, ack in worker.sends
                  if role == "calls" and record.serial == "S1" and record.type is EventType.SUBMITTING]
    assert len(submitting) == 1 and not folding.done()
    transition_, ack = submitting[0]
    ack.set_result(None)  # the broker has S1's submission; S2's records are not acknowledged yet
    issuing = asyncio.ensure_future(run(worker, provider, record(worker.codec, transition_, 20, TAKEN_AT + 2)))
    for _ in range(20):
        await asyncio.sleep(0)
    assert provider.calls == [], "called before the row holding the transition was durable"
    for _ in range(3):  # every send of the batch, then the changelog records of its rows
        for *_, ack in list(worker.sends):
            if not ack.done():
                ack.set_result(None)
        for _ in range(20):
            await asyncio.sleep(0)
    await asyncio.wait_for(folding, 5)
    await asyncio.wait_for(issuing, 5)
    assert provider.calls == [("submit", "S1")], "the transition was read before its row was written, and dropped"
