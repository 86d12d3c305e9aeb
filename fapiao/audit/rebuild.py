"""`fapiao replay`: the state table rebuilt from `fapiao.events` alone, compared with the live one.

The live table is read from faust's changelog topic, where the last value per key wins (Tansu does
not compact, so every version is there). Rebuilt and live rows must be equal as dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Iterable

from confluent_kafka import TopicPartition

from fapiao import clock
from fapiao.audit.ledger import ledger_of
from fapiao.audit.model import Facts, Seen
from fapiao.audit.reader import scan
from fapiao.connectors.cluster import Cluster
from fapiao.connectors.kafka import create_topics
from fapiao.exceptions import FapiaoStreamError
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import InvoiceEvent, InvoiceState
from fapiao.streams.topics import TopicSpec, all_topics

__all__ = ["Difference", "changelog_topic", "rebuild", "compare", "read_table", "write_table"]


@dataclass(frozen=True)
class Difference:
    serial: str
    fields: tuple[str, ...]  # ("<missing live>",) or ("<missing rebuilt>",) when one side has no row

    def to_json(self) -> dict[str, object]:
        return {"serial": self.serial, "fields": list(self.fields)}


def _changelog_spec(app_id: str) -> TopicSpec:
    (spec,) = [s for s in all_topics("-", app_id) if s.role == "changelog"]  # the prefix plays no part
    return spec


def changelog_topic(app_id: str) -> str:
    """`{app_id}-invoices-changelog`, as `fapiao.streams.topics` names it."""
    return _changelog_spec(app_id).name


def rebuild(events: Iterable[Seen[InvoiceEvent]]) -> dict[str, InvoiceState]:
    """serial -> the fold of its events in seq order (copies of one seq count once; orphans make no row)."""
    ledger = ledger_of(Facts(now=clock.now(), events=list(events)))
    return {serial: state for serial, log in ledger.serials.items() if (state := log.state()) is not None}


def compare(rebuilt: dict[str, InvoiceState], live: dict[str, InvoiceState]) -> list[Difference]:
    """Every serial whose rows differ, with the fields that differ."""
    differences = []
    for serial in sorted(rebuilt.keys() | live.keys()):
        ours, theirs = rebuilt.get(serial), live.get(serial)
        if ours is None or theirs is None:
            differences.append(Difference(serial, ("<missing rebuilt>" if ours is None else "<missing live>",)))
        elif ours != theirs:
            differences.append(Difference(serial, tuple(f.name for f in fields(InvoiceState)
                                                        if getattr(ours, f.name) != getattr(theirs, f.name))))
    return differences


def read_table(cluster: Cluster, topic: str, codec: Codec) -> dict[str, InvoiceState]:
    """The table as its changelog holds it: the last value per key (a key lives in one partition)."""
    table: dict[str, InvoiceState] = {}
    for message in scan(cluster, [topic]):
        key, value = message.key(), message.value()
        if key is None:
            continue
        if value is None:  # a tombstone: the row was deleted
            table.pop(key.decode("utf-8"), None)
        else:
            table[key.decode("utf-8")] = codec.decode(value, InvoiceState)
    return table


def write_table(cluster: Cluster, app_id: str, events_topic: str, rows: dict[str, InvoiceState],
                codec: Codec) -> str:
    """Write `rows` to `{app_id}-invoices-changelog`, created with the events topic's partition count.

    Keyed by serial with the murmur2 producer, so each row is where faust looks for it on recovery.
    A changelog that already holds records is refused: mixing two tables would corrupt both.
    """
    spec = _changelog_spec(app_id)
    topics = cluster.admin().list_topics(timeout=10).topics
    existing = topics.get(spec.name)
    if existing is not None and _has_records(cluster, spec.name, existing.partitions):
        raise FapiaoStreamError(f"{spec.name} already holds records: pick a new app id")
    create_topics(cluster, [spec], len(topics[events_topic].partitions))
    out = cluster.producer()
    for serial, state in rows.items():
        out.produce(spec.name, key=serial.encode("utf-8"), value=codec.encode(state, spec.name))
        out.poll(0)
    if out.flush(60) != 0:
        raise FapiaoStreamError(f"the broker did not acknowledge every row of {spec.name}")
    return spec.name


def _has_records(cluster: Cluster, topic: str, partitions: Iterable[int]) -> bool:
    consumer = cluster.consumer("fapiao-replay")
    try:
        return any(low < high for low, high in (
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10) for p in partitions))
    finally:
        consumer.close()

