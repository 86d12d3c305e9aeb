"""Stand-ins for the issue agent's unit tests: the pipeline as the agent sees it, a counting provider, records."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from streams_support import T0, build_request, build_state

from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import EventType, InvoiceEvent, InvoiceRequest, InvoiceState, Signal, Status
from fapiao.settings import load
from fapiao.streams.guard import CallGuard
from fapiao.streams.issuing import Issuer
from fapiao.streams.sellers import SellerGate

TAKEN_AT = T0.timestamp()


@dataclass
class Counting:
    """A provider that answers every call at once and counts them."""

    name: str = "kingdee"
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def submit(self, request: InvoiceRequest) -> Outcome:
        self.calls.append(("submit", request.serial))
        return Outcome(OutcomeKind.ACCEPTED)

    async def query(self, request: InvoiceRequest) -> Outcome:
        self.calls.append(("query", request.serial))
        return Outcome(OutcomeKind.PENDING)

    async def aclose(self) -> None:
        pass


@dataclass
class Worker:
    """The pipeline as the issue agent sees it: rows, the guard, and a broker that acknowledges at once."""

    rows: dict[str, InvoiceState] = field(default_factory=dict)
    guard: CallGuard = field(default_factory=CallGuard)
    signals: list[Signal] = field(default_factory=list)
    codec: Codec = field(default_factory=Codec)
    settings: Any = field(default_factory=lambda: load({}))
    called: dict[str, float] = field(default_factory=dict)
    finished_records: list[Any] = field(default_factory=list)

    def state(self, serial: str) -> InvoiceState | None:
        return self.rows.get(serial)

    async def send(self, role: str, serial: str, record: Signal) -> asyncio.Future[None]:
        self.signals.append(record)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def dead_letter(self, event: Any, reason: str, stage: str) -> None:
        raise AssertionError(reason)

    def finished(self, role: str, batch: Any) -> None:
        assert role == "calls"
        self.finished_records.extend(batch)


def transition(serial: str = "S1", seq: int = 4, kind: EventType = EventType.SUBMITTING, attempt: int = 1) -> InvoiceEvent:
    return InvoiceEvent(serial=serial, seq=seq, type=kind, at=T0, provider="kingdee", attempt=attempt,
                        request=build_request(serial))


def record(codec: Codec, event: InvoiceEvent, offset: int, written_at: float, partition: int = 0) -> Any:
    """A record of `fapiao.calls` as faust hands it to the agent."""
    return SimpleNamespace(message=SimpleNamespace(value=codec.encode(event), key=event.serial.encode(), topic="t",
                                                   partition=partition, tp=("t", partition), offset=offset,
                                                   timestamp=written_at))


def a_worker(*rows: InvoiceState, issue_batch: int = 200) -> Worker:
    worker = Worker(rows={row.serial: row for row in rows},
                    settings=load({"FAPIAO_ISSUE_BATCH": str(issue_batch)}))
    for partition in (0, 1):  # records at offsets below 10, or written before, are inherited
        worker.guard.took(partition, TAKEN_AT, end=10)
    return worker


def row_at(serial: str = "S1", seq: int = 4, status: Status = Status.SUBMITTING, attempt: int = 1) -> InvoiceState:
    return build_state(status, serial=serial, seq=seq, attempt=attempt)


def issuer(worker: Worker, provider: Any, acked: list[Any] | None = None) -> Issuer:
    """The real issue agent over the stand-ins; what it acknowledges is appended to `acked`."""
    into = acked if acked is not None else []

    async def ack(event: Any) -> None:
        into.append(event)

    gate = SellerGate(probe_after_s=10, rate_per_s=1e6, burst=1e6)
    return Issuer(worker, {"kingdee": provider}, gate, ack)  # type: ignore[arg-type]


async def run(worker: Worker, provider: Any, *events: Any) -> list[Any]:
    """Take every record and wait until each is answered; the records acknowledged, in order."""
    acked: list[Any] = []
    issue = issuer(worker, provider, acked)
    for event in events:
        await issue.take(event)
    await issue.drain()
    return acked
