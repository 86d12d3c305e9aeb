"""Reading the log for an audit: the five topics, from the start or from a time, into `Facts`.

One throwaway consumer per read: partitions are `assign()`ed (no group join, nothing committed).
With `since`, each partition starts at `offsets_for_times(since)`; every record is also filtered by
its timestamp, because a broker may answer that lookup coarsely (Tansu answers offset 0). Reading
stops when every partition has reported its end (high watermarks only size the progress bar: Tansu
reports them low for batched records).
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from fapiao import clock
from fapiao.audit.model import DlqFact, Facts, Position, RequestFact, Seen
from fapiao.connectors.cluster import Cluster
from fapiao.exceptions import FapiaoStreamError
from fapiao.schemas.codec import Codec, DecodeError
from fapiao.streams.topics import RECORD_TYPES, topic_name

__all__ = ["AUDITED", "Progress", "Fact", "consumer", "starts", "scan", "read_facts", "fact_of", "fetch_at",
           "timestamp_of"]

AUDITED = ("requests", "events", "results", "callbacks", "dlq")
Progress = Callable[[int, int], None]  # (records read, records expected so far)
_IDLE_S = 15.0  # no record and no end-of-partition for this long: the broker is not answering
Fact = RequestFact | DlqFact | Seen[Any]  # one decoded record, as `Facts` keeps it under its role


def consumer(cluster: Cluster) -> Consumer:
    """A consumer that is only ever `assign()`ed: it joins no group and commits nothing."""
    return cluster.consumer("fapiao-audit", {"enable.partition.eof": True, "auto.offset.reset": "error",
                                             "fetch.wait.max.ms": 50})


def timestamp_of(message: Message) -> datetime:
    return datetime.fromtimestamp(message.timestamp()[1] / 1000, tz=timezone.utc)


def starts(consumer: Consumer, topics: Iterable[str], since: datetime | None) -> list[TopicPartition]:
    """Every partition of `topics`, at the beginning or at the first offset from `since` on."""
    partitions = []
    for topic in topics:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        if metadata.error is not None:
            raise FapiaoStreamError(f"topic {topic}: {metadata.error}")
        partitions += [TopicPartition(topic, p, -2) for p in sorted(metadata.partitions)]  # -2: the beginning
    if since is None:
        return partitions
    wanted = [TopicPartition(tp.topic, tp.partition, int(since.timestamp() * 1000)) for tp in partitions]
    return consumer.offsets_for_times(wanted, timeout=10)  # offset -1: nothing that late, start at the end


def _expected(consumer: Consumer, partitions: list[TopicPartition]) -> int:
    total = 0
    for tp in partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=10)
        total += max(0, high - (tp.offset if tp.offset >= 0 else low))
    return total


def scan(cluster: Cluster, topics: Iterable[str], *, since: datetime | None = None, until: datetime | None = None,
         on_progress: Progress | None = None) -> Iterator[Message]:
    """Every record of `topics` with a timestamp in [since, until], partition by partition in order."""
    first, last_ms = (int(moment.timestamp() * 1000) if moment else None for moment in (since, until))
    reading = consumer(cluster)
    try:
        partitions = starts(reading, topics, since)
        expected = _expected(reading, partitions) if on_progress else 0
        reading.assign(partitions)
        pending = {(tp.topic, tp.partition) for tp in partitions}
        done, last = 0, time.monotonic()
        while pending:
            batch = reading.consume(num_messages=2000, timeout=0.2)
            if not batch and time.monotonic() - last > _IDLE_S:
                raise FapiaoStreamError(f"no answer while reading {sorted(pending)[:3]}… for {_IDLE_S:.0f}s")
            for message in batch:
                last = time.monotonic()
                error = message.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        raise FapiaoStreamError(f"reading {message.topic()}[{message.partition()}]: {error}")
                    pending.discard((message.topic(), message.partition()))
                    continue
                done += 1
                ms = message.timestamp()[1]
                if (first is None or ms >= first) and (last_ms is None or ms <= last_ms):
                    yield message
            if on_progress and batch:
                expected = max(expected, done)
                on_progress(done, expected)
    finally:
        reading.close()


def fetch_at(cluster: Cluster, positions: Iterable[Position], wait_s: float = 2.0) -> dict[Position, bytes | None]:
    """The value stored at each position now; None where there is no record (or no such topic)."""
    found: dict[Position, bytes | None] = {}
    reading = consumer(cluster)
    try:
        known = reading.list_topics(timeout=10).topics
        for position in sorted(set(positions)):
            found[position] = None
            if position.topic not in known or position.partition not in known[position.topic].partitions:
                continue
            reading.assign([TopicPartition(position.topic, position.partition, position.offset)])
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                message = reading.poll(0.2)
                if message is None:
                    continue
                if message.error() is None and message.offset() == position.offset:
                    found[position] = message.value() or b""
                break  # end of partition, an error, or a later offset: nothing is at that place
    finally:
        reading.close()
    return found


def _request(message: Message, codec: Codec, at: datetime, position: Position) -> RequestFact:
    # The datum's own fields, not `parse_request`: the audit counts and compares, the worker validates,
    # and parsing every request would cost more than the rest of the audit together.
    try:
        datum = codec.decode_datum(message.value() or b"", "InvoiceRequest")
    except DecodeError:
        return RequestFact(None, at, position)

    def text(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    try:
        totals = tuple(Decimal(str(datum[k])) for k in ("total_amount", "total_tax", "total_with_tax"))
    except (KeyError, ArithmeticError, ValueError):
        totals = None
    seller = datum.get("seller")
    return RequestFact(text(datum.get("serial")), at, position, text(datum.get("provider")),
                       text(seller.get("tax_id")) if isinstance(seller, dict) else None,
                       text(datum.get("invoice_type")), totals,  # type: ignore[arg-type]
                       text(datum.get("kind")) or "blue", text(datum.get("original_serial")))


def _dead_letter(message: Message, at: datetime, position: Position) -> DlqFact:
    record = json.loads(message.value() or b"{}")
    key, value = (base64.b64decode(record[k]) if record.get(k) is not None else None
                  for k in ("key_b64", "value_b64"))
    return DlqFact(Position(str(record["topic"]), int(record["partition"]), int(record["offset"])),
                   str(record.get("stage", "")), str(record.get("reason", "")), at, position,
                   key.decode("utf-8", "replace") if key is not None else None, value)


def _position(message: Message) -> Position:
    return Position(message.topic(), message.partition(), message.offset())


def fact_of(role: str, message: Message, codec: Codec, without: frozenset[str] = frozenset()) -> Fact:
    """One record of the topic with `role`, decoded as `Facts` keeps it; raises what a bad record raises.

    The role names a `Facts` list: requests, events, results, callbacks, dlq. `without` names fields
    not to decode (the request an event carries).
    """
    at, position = timestamp_of(message), _position(message)
    if role == "requests":
        return _request(message, codec, at, position)
    if role == "dlq":
        return _dead_letter(message, at, position)
    kind = RECORD_TYPES[role]
    return Seen(kind, codec.decode_datum(message.value() or b"", kind.__name__.removesuffix("Record"), without),
                at, position)


def read_facts(cluster: Cluster, prefix: str, codec: Codec, *, since: datetime | None = None,
               until: datetime | None = None, on_progress: Progress | None = None, roles: Iterable[str] = AUDITED,
               keep: Callable[[Message], bool] | None = None, check_sources: bool = True,
               event_requests: bool = True) -> Facts:
    """Read the audited topics (or some `roles` of them) into `Facts`.

    `keep` skips a record before it is decoded (`fapiao status` keeps one serial's keys); with
    `check_sources`, each DLQ record's source is looked up. Without `event_requests`, events are read
    without the request some of them carry: the audit's checks never look at it (requests come from
    their own topic), and skipping it is most of the reading time; `fapiao replay` needs it.
    """
    skip = {"events": frozenset() if event_requests else frozenset({"request"})}
    facts = Facts(now=until or clock.now(), since=since, until=until)
    topics = {topic_name(prefix, role): role for role in roles}
    for message in scan(cluster, topics, since=since, until=until, on_progress=on_progress):
        if keep is not None and not keep(message):
            continue
        role = topics[message.topic()]
        try:
            getattr(facts, role).append(fact_of(role, message, codec, skip.get(role, frozenset())))
        except (DecodeError, ValueError, KeyError, TypeError) as exc:
            facts.undecodable.append((_position(message), f"{type(exc).__name__}: {exc}"))
    if check_sources and facts.dlq:
        found = fetch_at(cluster, (dead.source for dead in facts.dlq))
        facts.dlq = [replace(d, found=found[d.source], source_checked=True) for d in facts.dlq]
    return facts
