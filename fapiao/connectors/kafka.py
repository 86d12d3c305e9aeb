"""confluent-kafka clients for everything outside faust: producers with faust's partitioner, admin, readers.

Producers use `partitioner=murmur2_random`, the Java client's and faust's partitioner, so a record we
produce for a serial lands on the partition where faust's own records for that serial are.
Every function takes the cluster's security properties (`fapiao.connectors.security.security_config`)
as `security`, or as extra properties where it already takes them (`producer`).
Readers `assign()` partitions directly instead of joining a consumer group: they commit nothing, and
they don't wait for a group join (which takes half the session timeout on the embedded broker).
librdkafka's own log lines (`%3|…|FAIL|…`) go to Python logging as `fapiao.librdkafka`, never
straight to the terminal: into the process log where the process configured logging, nowhere where
it did not (a NullHandler keeps Python's last-resort handler from printing them).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Iterator, Mapping

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from fapiao.exceptions import FapiaoStreamError
from fapiao.streams.topics import TopicSpec

__all__ = ["producer", "create_topics", "wait_for_broker", "read_topic", "BrokerUnavailable", "client_config",
           "LIBRDKAFKA_LOG"]

LIBRDKAFKA_LOG = logging.getLogger("fapiao.librdkafka")
LIBRDKAFKA_LOG.addHandler(logging.NullHandler())


class BrokerUnavailable(FapiaoStreamError):
    """The Kafka cluster did not answer in time."""


def client_config(bootstrap: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Base librdkafka settings for a bootstrap address."""
    # A broker closing an idle connection is routine, not an error worth a line on stderr.
    return {"bootstrap.servers": bootstrap, "log.connection.close": False, "logger": LIBRDKAFKA_LOG, **(extra or {})}


def producer(bootstrap: str, **extra: Any) -> Producer:
    """An idempotent producer that partitions keys as faust does."""
    return Producer(client_config(bootstrap, {
        "partitioner": "murmur2_random",
        "enable.idempotence": True,
        "linger.ms": 5,
        **extra,
    }))


def wait_for_broker(bootstrap: str, timeout_s: float = 30.0, security: Mapping[str, Any] | None = None) -> None:
    """Return once the cluster answers a metadata request; raise `BrokerUnavailable` after the timeout."""
    # Connection refused is the expected answer until the broker is up: don't print it (log_level 0).
    admin = AdminClient(client_config(bootstrap, {**(security or {}), "socket.connection.setup.timeout.ms": 1000,
                                                  "log_level": 0}))
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin.list_topics(timeout=1.0)
            return
        except KafkaException as exc:
            if time.monotonic() > deadline:
                raise BrokerUnavailable(f"no Kafka broker answered at {bootstrap} within {timeout_s:.0f}s") from exc
            time.sleep(0.1)


def create_topics(bootstrap: str, specs: list[TopicSpec], partitions: int,
                  security: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Create the topics that don't exist yet; idempotent. Returns topic -> "created" | "exists".

    A topic that exists with another partition count is an error: co-partitioning depends on it.
    """
    admin = AdminClient(client_config(bootstrap, security))
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


def read_topic(bootstrap: str, topic: str, *, follow: bool = False, idle_s: float = 1.0,
               from_beginning: bool = True, security: Mapping[str, Any] | None = None) -> Iterator[Any]:
    """Yield every message of `topic` (all partitions) from the start; stop at the end unless `follow`."""
    consumer = Consumer(client_config(bootstrap, {
        **(security or {}), "group.id": "fapiao-reader", "enable.auto.commit": False, "enable.partition.eof": True,
    }))
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
