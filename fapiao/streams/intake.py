"""intake_requests: ERP records in, one REQUEST signal per serial out, re-keyed with murmur2 (the record rides
along as it came; the fold parses it: `fapiao.streams.erp`).

The ERP may produce with any client and partitioner; re-keying here means a serial's state never
splits across partitions whatever the ERP did. Bytes that are neither JSON nor Avro, or a request
without a serial to key it by, go to the DLQ with the original bytes and the reason.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable

from faust.types import EventT, StreamT

from fapiao import clock
from fapiao.streams.erp import request_signal
from fapiao.streams.pipeline import BATCH_RECORDS, BATCH_WINDOW_S, Pipeline, run_batch

__all__ = ["install", "intake_batch"]


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
