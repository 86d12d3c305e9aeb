"""The faust app and what every agent shares: topics, the state table, the codec, and the two ways out
(a keyed send, and the dead-letter queue), both through the worker's own producer (`streams/sender.py`).

Topics and the table are declared here, in one place. Values are raw bytes on every topic and the
codec in `fapiao.schemas` turns them into records, so the wire format is ours (Avro single-object or
Confluent) rather than faust's own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any, Awaitable, Iterable, NamedTuple

import faust
from aiokafka.partitioner import DefaultPartitioner
from faust.types import TP, EventT

from fapiao.connectors.cluster import Cluster
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import InvoiceState, Status
from fapiao.schemas.registry import codec_for
from fapiao.settings import Settings
from fapiao.streams.dlq import dead_letter
from fapiao.streams.guard import CallGuard
from fapiao.streams.lifecycle import Policy
from fapiao.streams.metrics import WorkerMetrics
from fapiao.streams.sender import Delivery, Sender
from fapiao.streams.store import store_url, table_options
from fapiao.streams.topics import ROLES, TABLE_NAME, topic_name

__all__ = ["Pipeline", "Due", "create_app", "create_pipeline", "run_batch", "exit_failed", "PROGRESS_ROLES",
           "BATCH_RECORDS", "BATCH_WINDOW_S", "RAW_BYTES"]

# Decoded rows kept for serials in progress. A cache, not the truth (the table is): bounded, since a
# burst of 100,000 requests puts 100,000 serials in progress at once, and a decoded row takes about
# 7 KB against 0.8 KB encoded. 2,000 covers what is in progress at several hundred invoices a second.
LIVE_ROWS = 2000

_CALLING = frozenset({Status.SUBMITTING, Status.QUERYING, Status.REVOKING})
_PARTITIONER = DefaultPartitioner()
PROGRESS_ROLES = ("signals", "calls")  # whose agents' progress the reconcile timer weighs

log = logging.getLogger("fapiao.streams")


class Due(NamedTuple):
    """A serial the reconcile timer looks at again: when (epoch seconds), in which partition, and, when its
    row owes a provider call (submitting, querying), since when (epoch seconds; 0 when unknown)."""

    at: float
    partition: int
    owed_call_since: float | None


@dataclass
class Pipeline:
    """The faust app with its topics and table, and the helpers agents use to write."""

    app: faust.App
    settings: Settings
    codec: Codec
    topics: dict[str, faust.TopicT]
    table: faust.Table
    policy: Policy
    sender: Sender
    # serial -> when the reconcile timer should look at it again; rebuilt from the table on recovery
    due: dict[str, Due] = field(default_factory=dict)
    # set when rows arrive by recovery: the reconcile timer then rebuilds its index from the table
    index_stale: bool = True
    # decoded rows of serials still in progress (bounded by what is in flight); cleared on rebalance
    live: dict[str, InvoiceState] = field(default_factory=dict)
    # serial -> when the issue agent sent the answer to its call; dropped when the fold next
    # writes the serial's row (answered, or another call owed)
    called: dict[str, float] = field(default_factory=dict)
    # role (signals, calls) -> partition -> time of the newest record its agent has finished
    read_to: dict[str, dict[int, float]] = field(default_factory=lambda: {role: {} for role in PROGRESS_ROLES})
    # partitions the commit watchdog found stalled; readiness fails while any is
    stalled: list[str] = field(default_factory=list)
    metrics: WorkerMetrics = field(default_factory=WorkerMetrics)
    # which provider calls the issue agent may make: rows durable, calls made, partitions inherited
    guard: CallGuard = field(default_factory=CallGuard)

    async def send(self, role: str, serial: str, record: Any) -> Delivery:
        """Send a record keyed by serial (murmur2 puts it beside the serial's row); await the result for the ack."""
        topic = self.topics[role].get_topic_name()
        return self._send(topic, serial.encode("utf-8"), self.codec.encode(record, topic))

    async def dead_letter(self, event: EventT, reason: str, stage: str) -> Delivery:
        """Park a record we cannot handle on the DLQ, byte for byte, so its partition keeps flowing; await the
        result for the ack."""
        message = event.message
        log.warning("dead letter from %s[%s]@%s (%s): %s", message.topic, message.partition, message.offset,
                    stage, reason[:300], extra={"serial": _serial_of(message.key)})
        return self._send(self.topics["dlq"].get_topic_name(), message.key, dead_letter(
            topic=message.topic, partition=message.partition, offset=message.offset,
            key=message.key, value=message.value, reason=reason, stage=stage))

    def _send(self, topic: str, key: bytes | None, value: bytes, partition: int | None = None) -> Delivery:
        self.metrics.records_out.inc(topic)
        return self.sender.send(topic, key or b"", value, partition)

    def state(self, serial: str) -> InvoiceState | None:
        """The serial's row: from the cache of live rows, else decoded from the table."""
        if serial in self.live:
            return self.live[serial]
        raw = self.table.get(serial.encode("utf-8"))
        return self.codec.decode(raw, InvoiceState) if raw else None

    def put_state(self, row: InvoiceState) -> Delivery:
        """Write a row to the table and its changelog; keep it decoded while it is still live. Return the
        changelog record's delivery: the row is durable once the broker has acknowledged it.

        What the table's own `__setitem__` does (store the value, send it to the changelog partition of the key,
        note the offset in a table on disk once the broker has it), but through the worker's producer and
        keeping the delivery, which faust drops.
        """
        key = row.serial.encode("utf-8")
        value = self.codec.encode(row)
        self.table.data[key] = value
        changelog = self.table.changelog_topic.get_topic_name()
        delivery = self._send(changelog, key, value, self.partition_of(row.serial))
        delivery.add_done_callback(self._persisted)
        self.live.pop(row.serial, None)  # re-inserted last: the dict's order is least recently used first
        if not row.status.terminal:
            self.live[row.serial] = row
            if len(self.live) > LIVE_ROWS:
                del self.live[next(iter(self.live))]  # the table still has it, encoded
        self.called.pop(row.serial, None)  # the row moved on (answered, or a new call owed): that call is done
        self.track_row(row, written_at=time.time())
        return delivery

    def _persisted(self, delivery: Delivery) -> None:
        """A changelog record is on the broker: a table on disk notes how far its partition's changelog is
        held, so that a restart reads only what came after (faust's `_on_changelog_sent` does the same)."""
        if not delivery.cancelled() and delivery.exception() is None:
            partition, offset = delivery.result()
            self.table.data.set_persisted_offset(TP(self.table.changelog_topic.get_topic_name(), partition), offset)

    def track_row(self, state: InvoiceState, written_at: float = 0.0) -> None:
        """Keep the reconcile timer's index and the in-doubt count in step with a serial's new state
        (`written_at`: when its row was written; 0 when unknown, as for a row read back after a recovery)."""
        self.metrics.row(state)
        if state.due_at is not None and not state.status.terminal:
            self.due[state.serial] = Due(state.due_at.timestamp(), self.partition_of(state.serial),
                                         written_at if state.status in _CALLING else None)
        else:
            self.due.pop(state.serial, None)

    def forget_rows(self) -> None:
        """Before the rows this worker holds are read again (after recovery): start every index afresh."""
        self.due.clear()
        self.metrics.forget_rows()

    def finished(self, role: str, batch: Iterable[EventT]) -> None:
        """An agent finished records read from `role`'s topic: note how far it has read, by record time."""
        progress = self.read_to[role]
        for event in batch:
            message = event.message
            if (message.timestamp or 0.0) > progress.get(message.partition, 0.0):  # faust may give None
                progress[message.partition] = message.timestamp

    def partition_of(self, serial: str) -> int:
        """The partition of a serial's records on every topic (murmur2, as faust and our producers place keys)."""
        partitions = self._partitions
        return _PARTITIONER(serial.encode("utf-8"), partitions, partitions)  # type: ignore[no-any-return]

    @cached_property
    def _partitions(self) -> list[int]:
        return list(range(self.settings.partitions))

    async def offsets(self, roles: tuple[str, ...]) -> dict[Any, tuple[int | None, int]]:
        """(committed offset, end offset) of each assigned partition of these topics.

        The end is asked of the broker: the consumer's own highwater is only as fresh as its last fetch of
        a partition, and faust stops fetching a partition whose buffer is full, which is when it is behind.
        """
        consumer = self.app.consumer
        names = {self.topics[role].get_topic_name() for role in roles}
        assigned = [tp for tp in consumer.assignment() if tp.topic in names]
        try:
            ends = await consumer.highwaters(*assigned) if assigned else {}
        except Exception as exc:  # the consumer is starting, stopping or rebalancing: use what it last saw
            log.debug("end offsets unavailable (%s); using the last fetched highwaters", type(exc).__name__)
            ends = {tp: _last_highwater(consumer, tp) for tp in assigned}
        # faust keeps the last committed offset per partition only in this attribute.
        return {tp: (consumer._committed_offset.get(tp), ends.get(tp) or 0) for tp in assigned}


def _last_highwater(consumer: Any, tp: Any) -> int:
    """What the consumer last saw of a partition's end; 0 (nothing to read) for one no longer assigned."""
    try:
        return consumer.highwater(tp) or 0  # type: ignore[no-any-return]
    except Exception:  # aiokafka asserts the partition is assigned, and a rebalance may have moved it
        return 0


def _serial_of(key: bytes | None) -> str | None:
    """A record's key as a serial for the log, when it reads as one (every topic is keyed by serial)."""
    try:
        return key.decode("utf-8")[:64] if key else None
    except UnicodeDecodeError:
        return None


class _CountRecords(faust.Sensor):
    """Counts every record read and sent, by topic, for `fapiao_records_{in,out}_total`."""

    def __init__(self, metrics: WorkerMetrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        self.metrics.records_in.inc(tp.topic)

    def on_send_initiated(self, producer: Any, topic: str, message: Any, keysize: int, valsize: int) -> None:
        self.metrics.records_out.inc(topic)


async def run_batch(work: Awaitable[None], stage: str) -> None:
    """Run one batch to its end. faust acks a `take_events` batch however its body ends, so a batch
    must never stop halfway:

    - cancelled (the worker is shutting down): the batch still finishes, bounded by the provider
      timeouts, and the cancellation goes on after it;
    - failed: the worker exits at once, before faust can commit the batch; a restart reads it again.
    """
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            cancelled = True  # finish the batch first
        except Exception:
            break
    if not task.cancelled() and task.exception() is not None:
        exit_failed(stage, task.exception())
    if cancelled or task.cancelled():
        raise asyncio.CancelledError


def exit_failed(stage: str, error: BaseException | None) -> None:
    """Exit the worker at once, before faust can commit what failed: a restart reads it again."""
    log.critical("%s batch failed; exiting so that it is read again, not committed half done", stage, exc_info=error)
    os._exit(70)


def _policy(settings: Settings) -> Policy:
    return Policy(
        in_doubt_grace=timedelta(seconds=settings.in_doubt_grace_s),
        pending_recheck=timedelta(seconds=settings.pending_recheck_s),
        # Only a safety net for a `submitting` whose event went missing: a crashed worker reads its
        # uncommitted events again anyway. Too short, and a backlog in the issue agent turns into
        # queries and resubmissions of serials that are merely waiting their turn.
        submit_timeout=timedelta(seconds=max(settings.provider_timeout_s * 3, 60.0)),
        retry_base=timedelta(seconds=settings.retry_base_s),
        retry_cap=timedelta(seconds=settings.retry_cap_s),
        max_attempts=settings.max_attempts,
        paused_probe=timedelta(seconds=settings.seller_probe_s),
        wait_cap=timedelta(seconds=settings.wait_cap_s),
        form_poll=timedelta(seconds=settings.red_form_poll_s),
        form_deadline=timedelta(seconds=settings.red_form_deadline_s),
    )


FETCH_MAX_WAIT_MS = 20
# How long an agent gathers records into one batch: faust yields a `take_events` batch on this timer (or
# when full), so a record waits half of it on average at each hop of an invoice.
BATCH_WINDOW_S = 0.005
BATCH_RECORDS = 500  # the most records intake and the fold take in one batch
# Raw bytes in and out: faust never decodes, so no key or value can crash an agent before our code sees
# it; the codec decodes inside each handler, where a failure goes to the DLQ.
RAW_BYTES: dict[str, Any] = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw",
                             "value_serializer": "raw"}


def _shorten_fetch_wait(ms: int) -> None:
    """Make faust's consumer wait at most `ms` in a fetch for records to arrive.

    faust hard-codes aiokafka's fetch_max_wait_ms=1500 and offers no setting for it. The embedded
    broker holds an empty fetch for that whole time even when records arrive meanwhile, and an invoice
    crosses about six topics: seconds of latency at low load. faust builds its consumer through the
    `aiokafka` module, so a subclass there that overrides this one argument is the narrowest change.
    """
    import aiokafka

    base = aiokafka.AIOKafkaConsumer
    if getattr(base, "fapiao_fetch_wait_ms", None) == ms:
        return

    class _Consumer(base):  # type: ignore[misc, valid-type]
        fapiao_fetch_wait_ms = ms

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["fetch_max_wait_ms"] = ms
            super().__init__(*args, **kwargs)

    aiokafka.AIOKafkaConsumer = _Consumer


def create_app(app_id: str, cluster: Cluster, **options: Any) -> faust.App:
    """A faust app tuned for this pipeline's brokers: what the worker runs on, and the benchmark's
    faust ceiling too, so that one measures the same consumer and producer."""
    _shorten_fetch_wait(FETCH_MAX_WAIT_MS)
    return faust.App(
        app_id,
        store="memory://",
        topic_allow_declare=False,  # `fapiao topics create` made them, with our partition count and config
        consumer_auto_offset_reset="earliest",
        # The embedded broker joins a group in about half the session timeout: keep it short.
        broker_session_timeout=6.0,
        broker_heartbeat_interval=1.0,
        broker_commit_interval=1.0,
        stream_wait_empty=True,
        producer_acks=-1,
        producer_linger=0.005,  # a few ms of batching turns thousands of tiny produce requests into few
        **cluster.faust_options(),
        **options,
    )


def create_pipeline(settings: Settings, cluster: Cluster) -> Pipeline:
    """The faust app, its topics and its table; agents are installed by `fapiao.streams.worker`."""
    app = create_app(
        settings.app_id,
        cluster,
        datadir=str(settings.data_dir / settings.app_id),  # a table on disk belongs to one app id's changelog
        # The embedded broker reports a high watermark below a partition's end, so a table on disk can hold
        # offsets past it; `streams/recovery.py` reads on to the real end instead of refusing to start.
        recovery_consistency_check=False,
        topic_partitions=settings.partitions,
        table_standby_replicas=0,
        web_enabled=True,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
    )
    topics = {role: app.topic(topic_name(settings.topic_prefix, role), partitions=settings.partitions, **RAW_BYTES)
              for role in ROLES}
    # use_partitioner: the changelog partition is murmur2(serial), the partition of the signal that
    # changed the row, even when rows are written after a batch rather than inside one event.
    table = app.Table(TABLE_NAME, default=None, partitions=settings.partitions, use_partitioner=True,
                      key_type=bytes, value_type=bytes,  # bytes -> faust's "raw" serializer for the changelog
                      store=store_url(settings.table_store), options=table_options(settings.table_store),
                      help="serial -> InvoiceState (Avro): the fold of the serial's events")
    pipeline = Pipeline(app=app, settings=settings, codec=codec_for(settings.schema_registry_url), topics=topics,
                        table=table, policy=_policy(settings), sender=Sender(cluster))
    app.sensors.add(_CountRecords(pipeline.metrics))

    @app.on_partitions_revoked.connect
    async def _forget_live_rows(*_: Any, **__: Any) -> None:
        # Another worker may own these serials now; the table is the truth after a rebalance.
        pipeline.live.clear()

    @app.on_partitions_assigned.connect
    async def _note_what_is_inherited(_: Any, assigned: Iterable[Any], **__: Any) -> None:
        # Calls written before this process took a partition may have been made by its predecessor.
        calls = pipeline.topics["calls"].get_topic_name()
        taken = [tp for tp in assigned if tp.topic == calls]
        at = time.time()
        try:
            ends = await app.consumer.highwaters(*taken) if taken else {}
        except Exception as exc:  # no end offsets now: the records' own times still tell
            log.debug("end offsets at assignment unavailable (%s)", type(exc).__name__)
            ends = {}
        for tp in taken:
            pipeline.guard.took(tp.partition, at, ends.get(tp) or 0)

    return pipeline
