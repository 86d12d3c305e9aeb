"""fold_signals: the invoice agent. Owns the state table; never waits on HTTP.

Signals are folded in batches. For each signal: decide the events (pure) and fold them into the
serial's row; what the events tell another serial of a red pair (`redletter.crossings`) becomes a
signal for it. Then, for the batch:

    Step 1. Send every event, every new result and every signal to another serial, and wait until the
            broker has them all.
    Step 2. Only then write the changed rows to the table (and so to its changelog).
    Step 3. faust acks the batch; its commit flushes the changelog before the offsets.

A crash before step 2 leaves the old rows: the batch is read again, the fold decides the same
events with the same seq numbers, and results are sent again (readers deduplicate on serial and seq).
A crash can therefore repeat a result but never lose one: a row is terminal only once its result
is on the broker.
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust.types import EventT, StreamT

from fapiao.schemas.records import InvoiceState, Signal
from fapiao.streams.lifecycle import Validator, decide, replay, result_of
from fapiao.streams.redletter.crossings import crossings
from fapiao.streams.pipeline import BATCH_RECORDS, BATCH_WINDOW_S, Pipeline, run_batch

__all__ = ["install", "fold_batch"]

_MISSING = object()


async def fold_batch(pipeline: Pipeline, batch: list[EventT], validate: Validator) -> None:
    rows: dict[str, InvoiceState] = {}  # rows changed in this batch, newest first-class over the table
    sent: list[Any] = []
    for event in batch:
        try:
            signal = pipeline.codec.decode(event.message.value or b"", Signal)
            cached = rows.get(signal.serial, _MISSING)
            before = pipeline.state(signal.serial) if cached is _MISSING else cached
            events = decide(before, signal, pipeline.policy, validate)  # type: ignore[arg-type]
            if not events:
                continue
            after = replay(events, before)  # type: ignore[arg-type]
            for transition in events:
                sent.append(await pipeline.send("events", signal.serial, transition))
            for message in crossings(before, events, after):  # type: ignore[arg-type]
                sent.append(await pipeline.send("signals", message.serial, message))
            if after is not None and after.status.terminal and (before is None or not before.status.terminal):
                result = result_of(after)
                sent.append(await pipeline.send("results", signal.serial, result))
                pipeline.metrics.result(result)
            if after is not None:
                rows[signal.serial] = after
        except Exception as exc:  # a poison signal must not stop the partition
            await pipeline.dead_letter(event, f"{type(exc).__name__}: {exc}", stage="fold")
    await asyncio.gather(*sent)  # Step 1.
    for row in rows.values():  # Step 2.
        pipeline.put_state(row)
    pipeline.finished("signals", batch)


def install(pipeline: Pipeline, validate: Validator) -> None:
    @pipeline.app.agent(pipeline.topics["signals"], name="fold_signals")
    async def fold_signals(stream: StreamT) -> None:
        async for batch in stream.take_events(BATCH_RECORDS, within=BATCH_WINDOW_S):
            await run_batch(fold_batch(pipeline, batch, validate), "fold")
