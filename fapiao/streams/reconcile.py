"""reconcile: the timer that finds serials whose wait is over (retry backoff, in doubt, accepted
without a callback, a seller paused) and sends each a DUE signal. The fold decides what it means.

The timer works from an in-memory index of due times that the invoice agent keeps; after a
recovery or a rebalance the index is rebuilt from the table.

Before it chases a serial, the timer makes sure the serial is not merely waiting its turn, judged by
each agent's progress through its partition (the time of the newest record in a batch it finished):

- an answer may be unread: the serial's partition of `fapiao.signals` (where the issue agent's answers
  and the gateway's callbacks arrive) has unread records, and the fold has not yet finished one sent
  after the serial fell due;
- it owes a provider call (submitting, querying) that was made: its answer may be unread, as long as
  the serial's partition of `fapiao.signals` has unread records and the fold has not finished one sent
  after the issue agent finished the call;
- it owes a call not yet made: the call may be queued, as long as its partition of `fapiao.calls` has
  unread records and the issue agent has not finished one written after the row.

Under a burst of 100,000 requests these cases turned thousands of queued serials into queries, work
that only delayed the queue further. Once an agent is past the serial, or has nothing left to read, a
serial still due is what the timer is for. A partition that never drains is the watchdog's to restart.
"Nothing left to read" means the committed offset has reached the broker's end offset; commits lag
processing by up to the commit interval (1 s). A serial's own answer does not end its wait (it was
sent before the call was noted): a later record, or a drained partition, does.
"""

from __future__ import annotations

import asyncio
from typing import Any, Mapping

from fapiao import clock
from fapiao.schemas.records import InvoiceState, Signal, SignalKind
from fapiao.streams.pipeline import PROGRESS_ROLES, Due, Pipeline

__all__ = ["install", "rebuild_due_index", "queued_partitions", "waits_its_turn", "unanswered"]



async def rebuild_due_index(pipeline: Pipeline) -> None:
    """Rebuild the index from the rows of the partitions this worker holds now.

    Only serials of partitions held now are ours to chase (the stores drop a revoked partition's rows,
    but a rebalance may be under way). The loop yields now and then: a large table must not stall the agents.
    """
    owned = {tp.partition for tp in pipeline.app.assignor.assigned_actives()
             if tp.topic == pipeline.topics["signals"].get_topic_name()}
    known = dict(pipeline.due)  # a row this worker wrote keeps its written time through a rebalance
    pipeline.forget_rows()
    for count, (key, raw) in enumerate(list(pipeline.table.items()), start=1):
        if raw and pipeline.partition_of(key.decode("utf-8")) in owned:
            row = pipeline.codec.decode(raw, InvoiceState)
            before = known.get(row.serial)
            pipeline.track_row(row, written_at=(before.owed_call_since or 0.0) if before else 0.0)
        if count % 500 == 0:
            await asyncio.sleep(0)


def queued_partitions(offsets: Mapping[Any, tuple[int | None, int]]) -> set[int]:
    """Partitions with records past the committed offset: (committed, highwater) by topic partition."""
    return {tp.partition for tp, (committed, highwater) in offsets.items() if highwater > (committed or 0)}


def waits_its_turn(due: Due, called_at: float | None, unread: Mapping[str, set[int]],
                   read_to: Mapping[str, Mapping[int, float]]) -> bool:
    """Whether a due serial is most likely still queued for an agent (see the module docstring).

    `called_at`: when the issue agent finished the serial's owed call, if it has; `unread`: by role, the
    partitions with records past the committed offset; `read_to`: by role and partition, the time of
    the newest record its agent has finished.
    """
    def behind(role: str, moment: float) -> bool:
        return due.partition in unread[role] and read_to[role].get(due.partition, 0.0) < moment

    if behind("signals", due.at):  # an answer (a call's, or a callback's) may be unread
        return True
    if due.owed_call_since is None:
        return False
    if called_at is not None:
        return behind("signals", called_at)
    return behind("calls", due.owed_call_since)


def unanswered(due: Due, sent: tuple[float, float] | None, moment: float, resend_after_s: float,
               unread: Mapping[str, set[int]], read_to: Mapping[str, Mapping[int, float]]) -> bool:
    """Whether the DUE signal sent for this due time, `sent` = (due time, when sent), needs sending again:
    none was sent for it, or the fold has read past the one sent and the serial is still due after
    `resend_after_s`. A DUE still unread in a backlog is not sent again: each copy would be read too."""
    if sent is None or sent[0] != due.at:
        return True
    partition = due.partition
    read = partition not in unread["signals"] or read_to["signals"].get(partition, 0.0) >= sent[1]
    return read and moment - sent[1] >= resend_after_s


def install(pipeline: Pipeline) -> None:
    interval = pipeline.settings.reconcile_interval_s
    resend_after_s = max(5 * interval, 5.0)
    signalled: dict[str, tuple[float, float]] = {}  # serial -> (due time, when its DUE was sent), epoch seconds
    names = {role: pipeline.topics[role].get_topic_name() for role in PROGRESS_ROLES}

    @pipeline.app.timer(interval, name="reconcile")
    async def reconcile() -> None:
        if pipeline.index_stale:
            await rebuild_due_index(pipeline)
            pipeline.index_stale = False
        now = clock.now()
        moment = now.timestamp()
        offsets = await pipeline.offsets(PROGRESS_ROLES)  # one end-offsets request for both topics
        unread = {role: queued_partitions({tp: ends for tp, ends in offsets.items() if tp.topic == name})
                  for role, name in names.items()}
        for serial, due in list(pipeline.due.items()):
            if due.at > moment or waits_its_turn(due, pipeline.called.get(serial), unread, pipeline.read_to):
                continue
            if not unanswered(due, signalled.get(serial), moment, resend_after_s, unread, pipeline.read_to):
                continue
            signalled[serial] = (due.at, moment)
            pipeline.metrics.due_signals.inc()
            await pipeline.send("signals", serial, Signal(serial=serial, kind=SignalKind.DUE, at=now,
                                                          source="reconcile"))
        for serial in [s for s in signalled if s not in pipeline.due]:
            del signalled[serial]
