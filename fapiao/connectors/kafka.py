"""What the commands and the stack do with the cluster outside faust: create topics, read a topic.

Clients come from `Cluster` (`fapiao.connectors.cluster`), which holds the security settings.
Readers `assign()` partitions directly instead of joining a consumer group: they commit nothing, and
they don't wait for a group join (which takes half the session timeout on the embedded broker).
"""

from __future__ import annotations

import time
from typing import Any, Iterator

from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import NewTopic

from fapiao.connectors.cluster import Cluster
from fapiao.exceptions import FapiaoStreamError
from fapiao.streams.topics import TopicSpec

__all__ = ["create_topics", "read_topic"]


def create_topics(cluster: Cluster, specs: list[TopicSpec], partitions: int) -> dict[str, str]:
    """Create the topics that don't exist yet; idempotent. Returns topic -> "created" | "exists".

    A topic that exists with another partition count is an error: co-partitioning depends on it.
    """
    admin = cluster.admin()
    existing = admin.list_topics(timeout=10).topics
    outcome: dict[str, str] = {}
    wanted = []
    for spec in specs:
        if spec.name in existing:
            count = len(existing[spec.name].partitions)
            if count != partitions:
                raise FapiaoStreamError(f"topic {spec.name} has {count} partitions, expected {partitions}: "
                                        "all topics must share one partition count")
            outcome[spec.name] = "exists"
        else:
            wanted.append(NewTopic(spec.name, partitions, 1, config=dict(spec.config)))
    for name, future in (admin.create_topics(wanted) if wanted else {}).items():
        try:
            future.result()
            outcome[name] = "created"
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise FapiaoStreamError(f"could not create topic {name}: {exc}") from exc
            outcome[name] = "exists"
    return outcome


def read_topic(cluster: Cluster, topic: str, *, follow: bool = False, idle_s: float = 1.0,
               from_beginning: bool = True) -> Iterator[Any]:
    """Yield every message of `topic` (all partitions) from the start; stop at the end unless `follow`."""
    consumer = cluster.consumer("fapiao-reader", {"enable.partition.eof": True})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        if metadata.error is not None:
            raise FapiaoStreamError(f"topic {topic}: {metadata.error}")
        offset = -2 if from_beginning else -1  # OFFSET_BEGINNING / OFFSET_END
        consumer.assign([TopicPartition(topic, p, offset) for p in metadata.partitions])
        at_end: set[int] = set()
        last = time.monotonic()
        while True:
            message = consumer.poll(0.2)
            if message is None:
                if not follow and (len(at_end) == len(metadata.partitions) or time.monotonic() - last > idle_s * 10):
                    return
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(message.partition())
                    if not follow and len(at_end) == len(metadata.partitions):
                        return
                    continue
                raise FapiaoStreamError(f"reading {topic}: {message.error()}")
            at_end.discard(message.partition())
            last = time.monotonic()
            yield message
    finally:
        consumer.close()
