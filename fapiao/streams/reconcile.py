"""reconcile: the timer that finds serials whose wait is over (retry backoff, in doubt, accepted
without a callback, a seller paused) and sends each a DUE signal. The fold decides what it means.

The timer works from an in-memory index of due times that the invoice agent keeps; after a
recovery or a rebalance the index is rebuilt from the table.

A serial owed a call (submitting, querying) is not chased while its call is most likely still waiting
its turn: its partition of the events topic has records left to read, and the issue agent has not yet
finished a batch holding a transition written after the serial's row. A query then would only add
work to the queue that delays it; under a backlog of 100,000 requests such queries were most of what
the issue agent did. Once the agent is past the serial, or has nothing left to read, a serial still
owed a call past its time is the case the safety net is for. A partition that never drains is the
watchdog's to restart.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Mapping

from fapiao import clock
from fapiao.schemas.records import InvoiceState, Signal, SignalKind
from fapiao.streams.pipeline import Pipeline

__all__ = ["install", "rebuild_due_index", "queued_partitions", "waits_its_turn"]


async def rebuild_due_index(pipeline: Pipeline) -> None:
    """Rebuild the index from the rows of the partitions this worker holds now.

    faust's memory store keeps rows of partitions that moved to another worker; those serials are not
    ours to chase. The loop yields now and then: a large table must not stall the agents.
    """
    owned = {tp.partition for tp in pipeline.app.assignor.assigned_actives()
             if tp.topic == pipeline.topics["signals"].get_topic_name()}
    pipeline.forget_rows()
    for count, (key, raw) in enumerate(list(pipeline.table.items()), start=1):
        if raw and pipeline.partition_of(key.decode("utf-8")) in owned:
            pipeline.track_row(pipeline.codec.decode(raw, InvoiceState))
        if count % 500 == 0:
            await asyncio.sleep(0)


def queued_partitions(offsets: Mapping[Any, tuple[int | None, int]]) -> set[int]:
    """Partitions with records past the committed offset: (committed, highwater) by topic partition."""
    return {tp.partition for tp, (committed, highwater) in offsets.items() if highwater > (committed or 0)}


def waits_its_turn(owed: tuple[int, float] | None, queued: set[int], reached: Mapping[int, float]) -> bool:
    """Whether a serial owed a call, (partition, when its row was written), is most likely still queued
    for the issue agent: its partition has transitions left to read, and no batch the agent finished
    held one written after the serial's row."""
    if owed is None:
        return False
    partition, written_at = owed
    return partition in queued and reached.get(partition, 0.0) < written_at


def install(pipeline: Pipeline) -> None:
    interval = pipeline.settings.reconcile_interval_s
    resend_after = timedelta(seconds=max(5 * interval, 5))
    signalled: dict[str, tuple] = {}  # serial -> (due_at, when signalled): one DUE per due time, resent if unanswered

    @pipeline.app.timer(interval, name="reconcile")
    async def reconcile() -> None:
        if pipeline.index_stale:
            await rebuild_due_index(pipeline)
            pipeline.index_stale = False
        now = clock.now()
        queued = queued_partitions(pipeline.offsets(("events",)))
        for serial, due_at in list(pipeline.due.items()):
            if due_at > now or waits_its_turn(pipeline.calling.get(serial), queued, pipeline.reached):
                continue
            previous = signalled.get(serial)
            if previous and previous[0] == due_at and now - previous[1] < resend_after:
                continue
            signalled[serial] = (due_at, now)
            await pipeline.send("signals", serial, Signal(serial=serial, kind=SignalKind.DUE, at=now,
                                                          source="reconcile"))
        for serial in [s for s in signalled if s not in pipeline.due]:
            del signalled[serial]
