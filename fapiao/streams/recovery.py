"""top_up_recovery: finish faust's table recovery where the broker's high watermark falls short.

faust restores a table by reading its changelog up to each partition's high watermark. The embedded
Tansu broker reports the high watermark as the base offset of the last record batch plus one, not
the offset after the last record, so faust stops early and the rows in the rest of that batch are
missing after a restart (on Apache Kafka the watermark is right and this reads nothing new).

So, once faust says a recovery is complete and before it resumes the agents, each active changelog
partition is read on from one before that watermark to the partition's real end (fetch-driven
end-of-partition, which Tansu reports correctly), and the records are applied to the store in order.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Iterable, MutableMapping

from confluent_kafka import KafkaError, TopicPartition

from fapiao.connectors.cluster import Cluster
from fapiao.streams.pipeline import Pipeline

__all__ = ["install", "apply_tail", "read_changelog_tail"]

log = logging.getLogger("fapiao.recovery")


def read_changelog_tail(cluster: Cluster, topic: str, partitions: set[int],
                        timeout_s: float = 60.0) -> list[tuple[bytes, bytes | None]]:
    """(key, value) of every record from just below each partition's reported high watermark to its end."""
    consumer = cluster.consumer("fapiao-recovery", {"enable.partition.eof": True})
    try:
        starts = []
        for partition in partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            starts.append(TopicPartition(topic, partition, max(high - 1, 0)))
        consumer.assign(starts)
        pending, records = set(partitions), []
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    pending.discard(message.partition())
                continue
            records.append((message.key(), message.value()))
        if pending:
            raise TimeoutError(f"changelog {topic} partitions {sorted(pending)} not read to the end in {timeout_s}s")
        return records
    finally:
        consumer.close()


def apply_tail(store: MutableMapping[bytes, bytes], tail: Iterable[tuple[bytes, bytes | None]]) -> None:
    """Apply changelog records in offset order: the last write of a key wins, and a tombstone deletes it."""
    for key, value in tail:
        if value is None:
            store.pop(key, None)
        else:
            store[key] = value


def install(pipeline: Pipeline, cluster: Cluster) -> None:
    table = pipeline.table
    source = pipeline.topics["signals"].get_topic_name()

    @table.on_recover
    async def top_up_recovery() -> None:
        partitions = {tp.partition for tp in pipeline.app.assignor.assigned_actives() if tp.topic == source}
        if partitions:
            try:
                tail = await asyncio.get_running_loop().run_in_executor(
                    None, read_changelog_tail, cluster, table.changelog_topic.get_topic_name(), partitions)
            except Exception:  # faust ignores a failing recover callback: the agents would resume on missing rows
                log.critical("could not finish the table's recovery; exiting so a restart tries again", exc_info=True)
                os._exit(71)
            apply_tail(table.data, tail)
            log.info("recovery topped up with %d changelog records past the reported high watermarks", len(tail))
        pipeline.index_stale = True  # the reconcile timer rebuilds its due index from the rows now held
