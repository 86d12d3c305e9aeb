"""fold_signals: the invoice agent. Owns the state table; never waits on HTTP.

Signals are folded in batches by the pure `fapiao.streams.fold.fold`: for each signal, decide the events
and fold them into the serial's row; what the events tell another serial of a red pair
(`redletter.crossings`) becomes a signal for it. Then, for the batch:

    Step 1. Send every event, every call, every new result, every signal to another serial and every record
            parked on the DLQ, and wait until the broker has them all. The rows count as being written from before the first send:
            the issue agent makes no call for them until step 2 is done (`fapiao.streams.guard`).
    Step 2. Only then write the changed rows to the table and its changelog, and wait until the broker has
            those too: the issue agent calls the provider only for a transition whose row is durable
            (`fapiao.streams.guard`).
    Step 3. faust acks the batch and commits its offsets.

A crash before step 2 leaves the old rows: the batch is read again, the fold decides the same
events with the same seq numbers, and results are sent again (readers deduplicate on serial and seq).
A crash can therefore repeat a result but never lose one: a row is terminal only once its result
is on the broker. A record that cannot be sent fails the batch (the worker exits and reads it again): the
records are the fold's own, so the fault is not the signal's, and parking the signal would lose it.
"""

from __future__ import annotations

import asyncio

from faust.types import EventT, StreamT

from fapiao.schemas.records import Signal
from fapiao.streams.erp import parsed
from fapiao.streams.fold import fold
from fapiao.streams.lifecycle import Validator
from fapiao.streams.pipeline import BATCH_RECORDS, BATCH_WINDOW_S, Pipeline, run_batch

__all__ = ["install", "fold_batch"]


async def fold_batch(pipeline: Pipeline, batch: list[EventT], validate: Validator) -> None:
    """Fold a batch (`fapiao.streams.fold`), then the steps above: send, wait for the broker, write the rows."""
    read: list[EventT] = []
    signals: list[Signal] = []
    sent = []
    for event in batch:
        try:
            signals.append(parsed(pipeline.codec, pipeline.codec.decode(event.message.value or b"", Signal)))
            read.append(event)
        except Exception as exc:  # a poison record must not stop the partition
            sent.append(await pipeline.dead_letter(event, f"{type(exc).__name__}: {exc}", stage="fold"))
    folded = fold(signals, pipeline.state, pipeline.policy, validate)
    for index, reason in folded.refused:
        sent.append(await pipeline.dead_letter(read[index], reason, stage="fold"))
    pipeline.guard.writing(list(folded.rows))  # before any send: a call read before its row is written waits
    sent += [await pipeline.send(out.role, out.serial, out.record) for out in folded.sends]
    for result in folded.results:
        pipeline.metrics.result(result)
    await asyncio.gather(*sent)  # Step 1.
    written = [pipeline.put_state(row) for row in folded.rows.values()]  # Step 2.
    await asyncio.gather(*written)
    pipeline.guard.flushed(list(folded.rows))
    pipeline.finished("signals", batch)


def install(pipeline: Pipeline, validate: Validator) -> None:
    @pipeline.app.agent(pipeline.topics["signals"], name="fold_signals")
    async def fold_signals(stream: StreamT) -> None:
        async for batch in stream.take_events(BATCH_RECORDS, within=BATCH_WINDOW_S):
            await run_batch(fold_batch(pipeline, batch, validate), "fold")
