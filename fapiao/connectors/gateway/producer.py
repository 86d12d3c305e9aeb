"""An asyncio face on the confluent-kafka producer: `await send(...)` returns once the broker has the record.

An idempotent producer can get stuck when the cluster forgets its producer id (a broker that lost its
state, or an id expired while idle): librdkafka either turns fatal (every later produce fails) or, for
a partition it has never written, bumps its epoch and retries forever against a broker that does not
know the id at all. The gateway must outlive both, so the delivery thread replaces the producer with a
fresh one (a new producer id) when it is fatal or has acknowledged nothing for a whole ack deadline
while a send waited, and fails what the old one still held: those callbacks were answered 503 and the
providers send them again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from fapiao.connectors.cluster import Cluster
from fapiao.exceptions import FapiaoStreamError

__all__ = ["AsyncProducer", "NotAcknowledged"]

log = logging.getLogger("fapiao.gateway")


class NotAcknowledged(FapiaoStreamError):
    """The broker did not acknowledge the record before the deadline (or refused it)."""


class AsyncProducer:
    """An idempotent murmur2 producer whose delivery reports resolve asyncio futures."""

    def __init__(self, cluster: Cluster, deadline_s: float = 5.0, **extra: Any) -> None:
        self._config: dict[str, Any] = {
            # A record not acknowledged by the deadline was answered 503 and will be retried by the provider:
            # expiring it then keeps an outage from piling up a queue of stale duplicates.
            "message.timeout.ms": max(1000, int(deadline_s * 1000)),
            # Never let a produce create a topic: the broker's default partition count breaks co-partitioning.
            "allow.auto.create.topics": False,
            "error_cb": self._on_error,
            **extra,
        }
        self._cluster = cluster
        self._producer: Producer = cluster.producer(self._config)
        self._broken = threading.Event()  # fatal, or stuck: replace the producer
        self._last_ack = time.monotonic()
        self._stopping = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="kafka-delivery-reports", daemon=True)
        self._poller.start()

    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            self._broken.set()

    def _poll(self) -> None:
        while not self._stopping.is_set():
            try:
                self._producer.poll(0.05)
            except KafkaException as exc:  # poll raises the fatal error itself too
                if not exc.args[0].fatal():
                    raise
                self._broken.set()
            if self._broken.is_set():
                self._renew()

    def _renew(self) -> None:
        """Swap in a fresh producer; purge the old one so its waiting callbacks fail now, not at the deadline."""
        old, self._producer = self._producer, self._cluster.producer(self._config)
        self._last_ack = time.monotonic()  # the new one gets a whole deadline before it is judged
        self._broken.clear()
        log.warning("Kafka producer was fatal or acknowledged nothing for a whole deadline; replaced it")
        try:
            old.purge()
            old.poll(0)
        except KafkaException:
            pass  # a fatal producer may refuse even this; its callbacks then end at their deadline

    async def send(self, topic: str, key: bytes, value: bytes, deadline_s: float) -> None:
        """Produce and wait for the ack; raise `NotAcknowledged` past the deadline.

        A record not acknowledged in time may still be delivered later; the caller answers as if it
        were lost (the provider retries) and a duplicate callback is harmless downstream.
        """
        loop = asyncio.get_running_loop()
        acked: asyncio.Future[None] = loop.create_future()

        def report(error: Any, _message: Any) -> None:
            if error is None:
                self._last_ack = time.monotonic()
            if not loop.is_closed():  # a report may come during shutdown's flush
                loop.call_soon_threadsafe(_settle, acked, error)

        try:
            self._producer.produce(topic, key=key, value=value, on_delivery=report)
        except (BufferError, KafkaException) as exc:
            raise NotAcknowledged(f"producer refused the record: {exc}") from exc
        try:
            await asyncio.wait_for(acked, deadline_s)
        except asyncio.TimeoutError as exc:
            if time.monotonic() - self._last_ack >= deadline_s:
                self._broken.set()
            raise NotAcknowledged(f"no broker acknowledgement within {deadline_s}s") from exc

    def reachable(self, timeout_s: float = 1.0) -> bool:
        """Whether the cluster answers a metadata request now."""
        try:
            self._producer.list_topics(timeout=timeout_s)
            return True
        except KafkaException:
            return False

    def close(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        self._poller.join(timeout_s)
        self._producer.flush(timeout_s)


def _settle(future: asyncio.Future[None], error: Any) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(NotAcknowledged(str(error)))
