"""reconcile: the timer that finds serials whose wait is over (retry backoff, in doubt, accepted
without a callback, a seller paused) and sends each a DUE signal. The fold decides what it means.

The timer works from an in-memory index of due times that the invoice agent keeps; after a
recovery or a rebalance the index is rebuilt from the table.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiokafka.partitioner import DefaultPartitioner

from fapiao import clock
from fapiao.schemas.records import InvoiceState, Signal, SignalKind
from fapiao.streams.pipeline import Pipeline

__all__ = ["install", "rebuild_due_index"]

# murmur2, as faust and our producers place keys: which partition a row belongs to
_PARTITIONER = DefaultPartitioner()


async def rebuild_due_index(pipeline: Pipeline) -> None:
    """Rebuild the index from the rows of the partitions this worker holds now.

    faust's memory store keeps rows of partitions that moved to another worker; those serials are not
    ours to chase. The loop yields now and then: a large table must not stall the agents.
    """
    owned = {tp.partition for tp in pipeline.app.assignor.assigned_actives()
             if tp.topic == pipeline.topics["signals"].get_topic_name()}
    partitions = list(range(pipeline.settings.partitions))
    pipeline.due.clear()
    for count, (key, raw) in enumerate(list(pipeline.table.items()), start=1):
        if raw and _PARTITIONER(key, partitions, partitions) in owned:
            pipeline.track_due(pipeline.codec.decode(raw, InvoiceState))
        if count % 500 == 0:
            await asyncio.sleep(0)


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
        for serial, due_at in list(pipeline.due.items()):
            if due_at > now:
                continue
            previous = signalled.get(serial)
            if previous and previous[0] == due_at and now - previous[1] < resend_after:
                continue
            signalled[serial] = (due_at, now)
            await pipeline.send("signals", serial, Signal(serial=serial, kind=SignalKind.DUE, at=now,
                                                          source="reconcile"))
        for serial in [s for s in signalled if s not in pipeline.due]:
            del signalled[serial]
