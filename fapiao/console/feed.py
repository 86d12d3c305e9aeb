"""Keeps the console's index current: reads the five audited topics from the start and follows them.

A consumer that is only `assign()`ed (as the audit's): it joins no group, commits nothing and never
writes to Kafka. Records are decoded by the audit's own `fact_of`; the blocking `consume` runs on
one thread of its own, and the index is changed only on the event loop, where pages read it.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from confluent_kafka import KafkaError, KafkaException, Message

from fapiao.audit.reader import AUDITED, consumer, fact_of, starts
from fapiao.audit.model import Position
from fapiao.connectors.cluster import Cluster
from fapiao.console.index import Index
from fapiao.exceptions import FapiaoStreamError
from fapiao.schemas.codec import Codec, DecodeError
from fapiao.streams.topics import topic_name

__all__ = ["Feed"]

log = logging.getLogger("fapiao.console")
_BATCH = 1000
_WAIT_S = 0.25
_RETRY_S = 2.0


class Feed:
    """`await feed.run()` until `await feed.stop()`; `caught_up` once every partition was read to its end."""

    def __init__(self, cluster: Cluster, prefix: str, codec: Codec, index: Index) -> None:
        self.index = index
        self.codec = codec
        self.topics = {topic_name(prefix, role): role for role in AUDITED}
        self._consumer = consumer(cluster)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="console-feed")
        self._stopping = asyncio.Event()
        self._behind: set[tuple[str, int]] = set()
        self.assigned = False
        self.problem: str | None = None

    @property
    def caught_up(self) -> bool:
        return self.assigned and not self._behind

    def describe(self) -> str:
        """One line on how far reading got, for the overview."""
        if self.problem:
            return f"Not reading: {self.problem}"
        state = "following the topics" if self.caught_up else "catching up"
        return f"{self.index.records} records read, {state}; the page refreshes itself."

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not self._stopping.is_set() and not self.assigned:
                try:
                    partitions = await loop.run_in_executor(self._thread, starts, self._consumer, self.topics, None)
                except (FapiaoStreamError, KafkaException) as exc:
                    self.problem = f"the topics are not there yet ({exc}); trying again"
                    await self._pause(_RETRY_S)
                    continue
                self._consumer.assign(partitions)
                self._behind = {(tp.topic, tp.partition) for tp in partitions}
                self.assigned, self.problem = True, None
            while not self._stopping.is_set():
                batch = await loop.run_in_executor(self._thread, self._consumer.consume, _BATCH, _WAIT_S)
                for message in batch:
                    self._file(message)
        finally:
            await loop.run_in_executor(self._thread, self._consumer.close)
            self._thread.shutdown()

    async def stop(self) -> None:
        self._stopping.set()

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    def _file(self, message: Message) -> None:
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                self._behind.discard((message.topic(), message.partition()))
            else:
                log.warning("reading %s[%s]: %s", message.topic(), message.partition(), error)
            return
        role = self.topics[message.topic()]
        try:
            fact = fact_of(role, message, self.codec)
        except (DecodeError, ValueError, KeyError, TypeError) as exc:
            self.index.add_undecodable(Position(message.topic(), message.partition(), message.offset()),
                                       f"{type(exc).__name__}: {exc}")
            return
        self.index.add(role, fact)
