"""ERP write-back (反写): every result on `fapiao.results` POSTed to the ERP, at least once, in order per serial.

    Step 1. Poll a record. A record of a blocked partition is dropped: it is read again after Step 4.
    Step 2. POST it as JSON (`Idempotency-Key: <serial>`, since a result can come twice).
            2xx: done. 4xx (but 408, 429): the ERP refuses it for good; park it on `fapiao.dlq` (stage
            "writeback", the ERP's status and body as the reason), then done.
            5xx, 408, 429, connection error or timeout: block the partition (pause it) and try again
            after an exponential backoff with jitter. Other partitions keep flowing.
    Step 3. Done: commit offset + 1 for that partition, and only then.
    Step 4. A blocked record finally done: seek its partition to offset + 1 and resume it.

A serial's results share a partition, so a partition in order is a serial in order. Nothing of a
result's content is logged (it names buyers); only topic, partition, offset, serial and status codes.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from enum import Enum

import httpx
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from fapiao.connectors.cluster import Cluster
from fapiao.schemas.codec import Codec, DecodeError
from fapiao.schemas.convert import to_json
from fapiao.schemas.records import InvoiceResult
from fapiao.streams.dlq import dead_letter

__all__ = ["WritebackSink", "backoff_delay", "GROUP"]

GROUP = "fapiao-writeback"
log = logging.getLogger("fapiao.writeback")
_RETRYABLE_4XX = (408, 429)


class _Outcome(Enum):
    DONE = "done"
    RETRY = "retry"


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random | None = None) -> float:
    """Seconds before try `attempt + 1`: base·2^(attempt-1), capped, times a jitter in [0.5, 1]."""
    return min(cap_s, base_s * 2 ** max(attempt - 1, 0)) * (rng or random).uniform(0.5, 1.0)


@dataclass
class _Blocked:
    message: Message
    attempts: int
    due: float  # time.monotonic() of the next try


def _where(message: Message) -> str:
    return f"{message.topic()}[{message.partition()}]@{message.offset()}"


class WritebackSink:
    """Consumes results in the `fapiao-writeback` group and writes them back; `run()` until `stop()`."""

    def __init__(self, cluster: Cluster, topic: str, dlq_topic: str, url: str, codec: Codec, *,
                 timeout_s: float = 10.0, backoff_base_s: float = 0.5, backoff_cap_s: float = 30.0) -> None:
        self.topic, self.dlq_topic, self.url, self.codec = topic, dlq_topic, url, codec
        self.backoff = (backoff_base_s, backoff_cap_s)
        self._http = httpx.Client(timeout=timeout_s)
        self._dlq = cluster.producer()
        self._consumer = cluster.consumer(GROUP, {"session.timeout.ms": 6000, "auto.offset.reset": "earliest"})
        self._blocked: dict[int, _Blocked] = {}  # partition -> the record that holds it
        self._stopping = threading.Event()
        self.delivered = 0

    def stop(self) -> None:
        """Ask `run()` to return after the record in hand (safe from a signal handler)."""
        self._stopping.set()

    def run(self) -> None:
        self._consumer.subscribe([self.topic], on_revoke=self._on_revoke)
        try:
            while not self._stopping.is_set():
                self._retry_due()
                message = self._consumer.poll(self._wait())
                if message is None:
                    continue
                if message.error() is not None:
                    if message.error().code() != KafkaError._PARTITION_EOF:
                        log.warning("consumer: %s", message.error())
                    continue
                if message.partition() in self._blocked:
                    continue  # fetched before the pause; read again after the seek (Step 4)
                if self._deliver(message) is _Outcome.DONE:
                    self._commit(message)
                else:
                    self._block(message, attempts=1)
        finally:
            self._consumer.close()  # what is done is committed already; leave the group now
            self._http.close()
            self._dlq.flush(10)

    def _wait(self) -> float:
        due = min((b.due for b in self._blocked.values()), default=None)
        return 0.2 if due is None else max(0.0, min(0.2, due - time.monotonic()))

    def _retry_due(self) -> None:
        now = time.monotonic()
        for partition, blocked in list(self._blocked.items()):
            if blocked.due > now or self._stopping.is_set():
                continue
            if self._deliver(blocked.message) is _Outcome.RETRY:
                self._block(blocked.message, blocked.attempts + 1)
                continue
            self._commit(blocked.message)
            del self._blocked[partition]
            tp = TopicPartition(self.topic, partition, blocked.message.offset() + 1)
            self._consumer.seek(tp)  # Step 4.
            self._consumer.resume([tp])

    def _block(self, message: Message, attempts: int) -> None:
        delay = backoff_delay(attempts, *self.backoff)
        if message.partition() not in self._blocked:
            self._consumer.pause([TopicPartition(self.topic, message.partition())])
        self._blocked[message.partition()] = _Blocked(message, attempts, time.monotonic() + delay)
        log.info("write-back of %s will be tried again in %.1fs (attempt %d failed)", _where(message), delay, attempts)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self._blocked.pop(tp.partition, None)  # uncommitted: the partition's next owner sends it

    def _deliver(self, message: Message) -> _Outcome:
        """Step 2: POST one result; DONE once the ERP has it (2xx) or the DLQ has it (4xx)."""
        try:
            result = self.codec.decode(message.value() or b"", InvoiceResult)
        except DecodeError as exc:
            return self._dead_letter(message, f"not an InvoiceResult: {exc}")
        try:
            response = self._http.post(self.url, json=to_json(result), headers={"Idempotency-Key": result.serial})
        except httpx.TransportError as exc:
            log.warning("write-back of %s (serial %s): %s", _where(message), result.serial, type(exc).__name__)
            return _Outcome.RETRY
        if response.is_success:
            self.delivered += 1
            return _Outcome.DONE
        log.warning("write-back of %s (serial %s): ERP answered %d", _where(message), result.serial,
                    response.status_code)
        if response.status_code >= 500 or response.status_code in _RETRYABLE_4XX:
            return _Outcome.RETRY
        return self._dead_letter(message, f"ERP answered {response.status_code}: {response.text[:1000]}")

    def _dead_letter(self, message: Message, reason: str) -> _Outcome:
        failures: list[KafkaError] = []
        self._dlq.produce(self.dlq_topic, key=message.key(), value=dead_letter(
            topic=message.topic(), partition=message.partition(), offset=message.offset(), key=message.key(),
            value=message.value(), reason=reason, stage="writeback"),
            on_delivery=lambda err, _: failures.append(err) if err is not None else None)
        if self._dlq.flush(30) != 0 or failures:
            return _Outcome.RETRY  # not parked yet: keep the record until the DLQ has it
        return _Outcome.DONE

    def _commit(self, message: Message) -> None:
        """Step 3. A failed commit costs a repeat, never a loss: the ERP sees the result again."""
        try:
            self._consumer.commit(offsets=[TopicPartition(self.topic, message.partition(), message.offset() + 1)],
                                  asynchronous=False)
        except KafkaException as exc:
            log.warning("commit of %s failed (it will be written back again): %s", _where(message), exc)
