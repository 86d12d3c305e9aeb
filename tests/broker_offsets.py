"""How far a consumer group has committed against what the broker holds: the tests' own view of progress.

Read from the broker, never from the worker: the group's committed offsets, and each partition's end. The
embedded Tansu broker reports a partition's high watermark as its last batch's base offset + 1 (see
`fapiao/streams/recovery.py`), so the end is found the way recovery finds it: by fetching from just below
that watermark to the end of the partition.
"""

from __future__ import annotations

import time
from typing import Iterable

from confluent_kafka import Consumer, KafkaError, TopicPartition

from fapiao.connectors.cluster import Cluster

Partition = tuple[str, int]


def end_offsets(cluster: Cluster, topics: Iterable[str], timeout_s: float = 30.0) -> dict[Partition, int]:
    """The offset after the last record of every partition of `topics`."""
    consumer = Consumer(cluster.config({"group.id": "fapiao-test-ends", "enable.auto.commit": False,
                                                  "enable.partition.eof": True}))
    try:
        ends: dict[Partition, int] = {}
        starts = []
        for topic in topics:
            for partition in consumer.list_topics(topic, timeout=10).topics[topic].partitions:
                _, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
                ends[(topic, partition)] = high
                starts.append(TopicPartition(topic, partition, max(high - 1, 0)))
        consumer.assign(starts)
        pending = set(ends)
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is None:
                continue
            where = (message.topic(), message.partition())
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    pending.discard(where)
                continue
            ends[where] = max(ends[where], message.offset() + 1)
        assert not pending, f"partitions not read to their end in {timeout_s}s: {sorted(pending)}"
        return ends
    finally:
        consumer.close()


def committed_offsets(cluster: Cluster, group: str, partitions: Iterable[Partition]) -> dict[Partition, int]:
    """The group's committed offset of each partition (0 where it has committed nothing)."""
    consumer = Consumer(cluster.config({"group.id": group, "enable.auto.commit": False}))
    try:
        found = consumer.committed([TopicPartition(topic, p) for topic, p in partitions], timeout=10)
        return {(tp.topic, tp.partition): max(tp.offset, 0) for tp in found}
    finally:
        consumer.close()


def uncommitted(cluster: Cluster, group: str, topics: Iterable[str]) -> dict[Partition, int]:
    """Records on the broker that `group` has not committed, per partition that has any."""
    ends = end_offsets(cluster, topics)
    done = committed_offsets(cluster, group, ends)
    return {where: end - done[where] for where, end in ends.items() if end > done[where]}


def wait_until_committed(cluster: Cluster, group: str, topics: Iterable[str], deadline_s: float = 60.0) -> None:
    """Return once `group` has committed every record `topics` hold; fail at the deadline."""
    topics = list(topics)
    deadline = time.monotonic() + deadline_s
    left = uncommitted(cluster, group, topics)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = uncommitted(cluster, group, topics)
    assert not left, f"{group} has not committed these records within {deadline_s:.0f}s: {left}"
