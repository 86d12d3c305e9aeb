"""Watch `fapiao.results` for a set of serials: what the demo, the benchmark and the tests wait on."""

from __future__ import annotations

import time
from typing import Callable, Iterable

from confluent_kafka import TopicPartition

from fapiao.connectors.cluster import Cluster
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import InvoiceResult

__all__ = ["ResultWatcher"]


class ResultWatcher:
    """Reads results from the start of the topic (no consumer group) and keeps the first per serial."""

    def __init__(self, cluster: Cluster, topic: str, codec: Codec, serials: Iterable[str] = ()) -> None:
        self.codec = codec
        self.wanted = set(serials)
        self.results: dict[str, InvoiceResult] = {}
        self.received_at: dict[str, float] = {}
        self.copies = 0  # results beyond the first for a serial (at-least-once delivery)
        # A short fetch wait: the watcher times results and must not add its own half second to each.
        self._consumer = cluster.consumer("fapiao-watch", {"fetch.wait.max.ms": 50})
        partitions = self._consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self._consumer.assign([TopicPartition(topic, p, -2) for p in partitions])

    @property
    def pending(self) -> set[str]:
        return self.wanted - self.results.keys()

    def poll(self, seconds: float = 0.2) -> int:
        """Read what arrived in about `seconds`; return how many new serials got a result."""
        new = 0
        for message in self._consumer.consume(num_messages=1000, timeout=seconds):
            if message.error():
                continue
            result = self.codec.decode(message.value(), InvoiceResult)
            if self.wanted and result.serial not in self.wanted:
                continue
            if result.serial in self.results:
                self.copies += 1
                continue
            self.results[result.serial] = result
            self.received_at[result.serial] = time.monotonic()
            new += 1
        return new

    def wait(self, deadline_s: float, on_progress: Callable[[int], None] | None = None) -> bool:
        """Poll until every wanted serial has a result or the deadline passes; True when none is pending."""
        stop = time.monotonic() + deadline_s
        # A count, not `pending`: the set difference costs milliseconds at 100,000 serials, a hundred times a second.
        while len(self.results) < len(self.wanted) and time.monotonic() < stop:
            # consume() holds what arrived until its timeout ends or a thousand have come: keep it short,
            # or a result's receipt is late by up to that timeout (the benchmark times each one).
            new = self.poll(0.01)
            if new and on_progress:
                on_progress(new)
        return not self.pending

    def close(self) -> None:
        self._consumer.close()
