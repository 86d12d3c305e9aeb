"""The worker's sends, through confluent-kafka's producer rather than faust's: the same records, partitioned the
same way (murmur2 of the key), each `send` answered by a future that resolves once the broker has the record.

Why: one faust agent that only reads a topic spends about 165 µs of CPU a record on this machine; sending
each record on through faust's producer (aiokafka, pure Python) added about 105 µs, through this one about
50 (`docs/figures.md`). The commit still waits for every acknowledgement: each agent awaits the futures of
its batch's sends before faust may ack the batch, as it did with faust's producer (whose flush before a
commit does not report a send that failed for good anyway).

librdkafka reports deliveries only from `poll()`. A thread polls, collects the reports of one poll and hands
them to the event loop in one call, so a thousand acknowledgements wake the loop once, not a thousand times.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from fapiao.connectors.cluster import Cluster
from fapiao.exceptions import FapiaoStreamError

__all__ = ["Sender", "NotSent", "Delivery"]

Delivery = asyncio.Future  # resolves to (partition, offset) once the broker has the record
# A record the broker has not acknowledged by then fails its batch (the worker exits and reads it again).
MESSAGE_TIMEOUT_MS = 60_000
_POLL_S = 0.01


class NotSent(FapiaoStreamError):
    """The broker refused a record, or did not acknowledge it in time."""


class Sender:
    """An idempotent murmur2 producer whose deliveries resolve asyncio futures, in batches."""

    def __init__(self, cluster: Cluster) -> None:
        self._producer: Producer = cluster.producer({
            "message.timeout.ms": MESSAGE_TIMEOUT_MS,
            # Never let a send create a topic: the broker's default partition count breaks co-partitioning.
            "allow.auto.create.topics": False,
        })
        self._reports: deque[tuple[Delivery, Any, Message]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = threading.Event()
        self._poller: threading.Thread | None = None

    def send(self, topic: str, key: bytes, value: bytes, partition: int | None = None) -> Delivery:
        """Hand a record to the producer; the future resolves to (partition, offset) when the broker has it.

        `partition` None: murmur2 of the key, as faust and every producer of ours place a serial.
        """
        loop = self._started()
        delivery: Delivery = loop.create_future()

        def report(error: Any, message: Message) -> None:  # in the polling thread
            self._reports.append((delivery, error, message))

        while True:
            try:
                if partition is None:
                    self._producer.produce(topic, value=value, key=key, on_delivery=report)
                else:
                    self._producer.produce(topic, value=value, key=key, partition=partition, on_delivery=report)
                return delivery
            except BufferError:  # librdkafka's queue is full: let the polling thread drain it
                self._producer.poll(0.01)
            except KafkaException as exc:
                delivery.set_exception(NotSent(f"producer refused a record for {topic}: {exc}"))
                return delivery

    def _started(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._poller = threading.Thread(target=self._poll, name="kafka-sender-deliveries", daemon=True)
            self._poller.start()
        return self._loop

    def _poll(self) -> None:
        while not self._stopping.is_set():
            self._producer.poll(_POLL_S)
            self._hand_over()

    def _hand_over(self) -> None:
        """Pass the reports collected so far to the event loop, in one call."""
        if not self._reports:
            return
        reports = []
        while self._reports:
            reports.append(self._reports.popleft())
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(_settle, reports)

    def close(self, timeout_s: float = 10.0) -> int:
        """Stop polling and flush what is still queued; the number of records not delivered."""
        self._stopping.set()
        if self._poller is not None:
            self._poller.join(timeout_s)
        return self._producer.flush(timeout_s)  # type: ignore[no-any-return]


def _settle(reports: list[tuple[Delivery, Any, Message]]) -> None:
    for delivery, error, message in reports:
        if delivery.done():
            continue
        if error is None:
            delivery.set_result((message.partition(), message.offset()))
        else:
            reason = error.str() if isinstance(error, KafkaError) else str(error)
            delivery.set_exception(NotSent(f"{message.topic()}[{message.partition()}]: {reason}"))
