"""An asyncio face on the confluent-kafka producer: `await send(...)` returns once the broker has the record."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from confluent_kafka import KafkaException

from fapiao.connectors.kafka import producer
from fapiao.exceptions import FapiaoStreamError

__all__ = ["AsyncProducer", "NotAcknowledged"]


class NotAcknowledged(FapiaoStreamError):
    """The broker did not acknowledge the record before the deadline (or refused it)."""


class AsyncProducer:
    """An idempotent murmur2 producer whose delivery reports resolve asyncio futures."""

    def __init__(self, bootstrap: str, **extra: Any) -> None:
        self._producer = producer(bootstrap, **{"message.timeout.ms": 120_000, **extra})
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="kafka-delivery-reports", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stopping.is_set():
            self._producer.poll(0.05)

    async def send(self, topic: str, key: bytes, value: bytes, deadline_s: float) -> None:
        """Produce and wait for the ack; raise `NotAcknowledged` past the deadline.

        A record not acknowledged in time may still be delivered later; the caller answers as if it
        were lost (the provider retries) and a duplicate callback is harmless downstream.
        """
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[None] = loop.create_future()

        def report(error: Any, _message: Any) -> None:
            loop.call_soon_threadsafe(_settle, acked, error)

        try:
            self._producer.produce(topic, key=key, value=value, on_delivery=report)
        except (BufferError, KafkaException) as exc:
            raise NotAcknowledged(f"producer refused the record: {exc}") from exc
        try:
            await asyncio.wait_for(acked, deadline_s)
        except asyncio.TimeoutError as exc:
            raise NotAcknowledged(f"no broker acknowledgement within {deadline_s}s") from exc

    def reachable(self, timeout_s: float = 1.0) -> bool:
        """Whether the cluster answers a metadata request now."""
        try:
            self._producer.list_topics(timeout=timeout_s)
            return True
        except KafkaException:
            return False

    def close(self, timeout_s: float = 5.0) -> None:
        self._producer.flush(timeout_s)
        self._stopping.set()
        self._poller.join(timeout_s)


def _settle(future: asyncio.Future[None], error: Any) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(NotAcknowledged(str(error)))
