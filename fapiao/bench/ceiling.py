"""The ceiling: a plain confluent-kafka consume → produce loop over the same number of records of the
same size, on the same broker. The pipeline cannot beat it; the ratio says how close it comes."""

from __future__ import annotations

import time
import uuid

from confluent_kafka import Consumer, TopicPartition

from fapiao.connectors.kafka import client_config, producer
from fapiao.connectors.kafka import create_topics
from fapiao.streams.topics import TopicSpec

__all__ = ["consume_produce_rate"]


def consume_produce_rate(bootstrap: str, count: int, size: int, partitions: int) -> float:
    """Records per second through one consume → produce loop (records pre-loaded, then timed)."""
    run = uuid.uuid4().hex[:8]
    source, sink = f"bench-ceiling-in-{run}", f"bench-ceiling-out-{run}"
    create_topics(bootstrap, [TopicSpec(source, "bench", {}, ""), TopicSpec(sink, "bench", {}, "")], partitions)
    out = producer(bootstrap)
    payload = b"x" * size
    for i in range(count):
        out.produce(source, key=f"k{i}".encode(), value=payload)
        out.poll(0)
    out.flush(60)
    consumer = Consumer(client_config(bootstrap, {"group.id": f"bench-{run}", "enable.auto.commit": False}))
    consumer.assign([TopicPartition(source, p, 0) for p in range(partitions)])
    moved = 0
    started = time.monotonic()
    while moved < count and time.monotonic() - started < 120:
        for message in consumer.consume(num_messages=1000, timeout=0.5):
            if message.error():
                continue
            out.produce(sink, key=message.key(), value=message.value())
            moved += 1
        out.poll(0)
    out.flush(60)
    elapsed = time.monotonic() - started
    consumer.close()
    return moved / elapsed
