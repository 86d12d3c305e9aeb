"""intake_requests: ERP records in, one REQUEST signal per serial out, re-keyed with murmur2.

The ERP may produce with any client and partitioner; re-keying here means a serial's state never
splits across partitions whatever the ERP did. Bytes that are neither JSON nor Avro, or a request
without a serial to key it by, go to the DLQ with the original bytes and the reason.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from typing import Any, Awaitable

from faust.types import EventT, StreamT

from fapiao import clock
from fapiao.schemas.codec import Codec, DecodeError
from fapiao.schemas.records import Signal, SignalKind
from fapiao.schemas.requests import fingerprint, parse_request
from fapiao.streams.pipeline import BATCH_RECORDS, BATCH_WINDOW_S, Pipeline, run_batch

__all__ = ["install", "intake_batch", "request_signal"]


def request_signal(codec: Codec, value: bytes, origin: str, at: datetime) -> Signal | str:
    """The REQUEST signal for one ERP record, or why it cannot be keyed (the record then goes to the DLQ).

    A request that decodes but breaks the structural rules still becomes a signal (its findings ride along,
    and the fold rejects it with every one), so that the ERP hears back under its serial.
    """
    try:
        datum = codec.decode_datum(value, "InvoiceRequest")
    except DecodeError as exc:
        return str(exc)
    serial = datum.get("serial")
    if not isinstance(serial, str) or not serial.strip():
        return "request has no serial (发票流水号) to key it by"
    request, findings = parse_request(datum)
    print_ = fingerprint(request) if request else hashlib.sha256(value).hexdigest()
    return Signal(serial=serial, kind=SignalKind.REQUEST, at=at, source="intake", request=request,
                  findings=tuple(findings), fingerprint=print_, origin=origin)


async def intake_one(pipeline: Pipeline, event: EventT) -> Awaitable[Any]:
    """Send one ERP record on as a REQUEST signal (or park it); return the delivery to wait for."""
    message = event.message
    origin = f"{message.topic}[{message.partition}]@{message.offset}"
    signal = request_signal(pipeline.codec, message.value or b"", origin, clock.now())
    if isinstance(signal, str):
        return await pipeline.dead_letter(event, signal, stage="intake")
    return await pipeline.send("signals", signal.serial, signal)


async def intake_batch(pipeline: Pipeline, batch: list[EventT]) -> None:
    """A batch of ERP records; every signal (or DLQ record) is on the broker before faust acks the batch.

    faust's flush before a commit waits for sends but does not report one that failed for good: a
    request whose signal was lost would be committed without a trace. Waiting here makes such a
    failure fail the batch, which exits the worker before anything is committed.
    """
    deliveries = []
    for event in batch:
        try:
            deliveries.append(await intake_one(pipeline, event))
        except Exception as exc:  # a poison record must not stop the partition
            deliveries.append(await pipeline.dead_letter(event, f"{type(exc).__name__}: {exc}", stage="intake"))
    await asyncio.gather(*deliveries)


def install(pipeline: Pipeline) -> None:
    @pipeline.app.agent(pipeline.topics["requests"], name="intake_requests")
    async def intake_requests(stream: StreamT) -> None:
        async for batch in stream.take_events(BATCH_RECORDS, within=BATCH_WINDOW_S):
            await run_batch(intake_batch(pipeline, batch), "intake")
