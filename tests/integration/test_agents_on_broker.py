"""Intake, the calls topic, recovery and the commit watchdog, each watched on the real broker through a real
worker process.

What each test reads comes from the broker (records, committed offsets, partition ends) or the worker's
own HTTP views, never from the code under test.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest
from aiokafka.partitioner import DefaultPartitioner
from broker_offsets import committed_offsets, end_offsets, uncommitted, wait_until_committed
from confluent_kafka import Consumer, Producer, TopicPartition
from sandbox_options import CARELESS

from fapiao.audit.rebuild import changelog_topic
from fapiao.connectors.kafka import read_topic
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import demo_requests, valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import EventType, InvoiceEvent, InvoiceState, Signal, SignalKind, Status
from fapiao.streams.recovery import read_changelog_tail
from fapiao.streams.topics import topic_name

pytestmark = pytest.mark.integration

SOURCES = ("requests", "signals", "calls")  # what the worker reads: its work in flight
TAIL_MARK = "restored-from-the-tail"  # a row's code only the changelog's last batch holds
STALL_S = "3"  # short, so that a watchdog that mistook a busy partition for a stalled one would show it


@pytest.fixture(scope="module")
def stack(stack_factory: Callable[[str, Path, StackOptions], Stack],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # a 100 ms provider keeps work queued for a while; the watchdog's limit must exceed 10 provider timeouts
    options = StackOptions(providers=("kingdee",), sandbox_args=("--latency-ms", "100", *CARELESS),
                           env={"FAPIAO_WATCHDOG_STALL_S": STALL_S, "FAPIAO_PROVIDER_TIMEOUT_S": "0.25"})
    with stack_factory("ag", Path(tmp_path_factory.mktemp("agents")), options) as running:
        yield running


def _topic(stack: Stack, role: str) -> str:
    return topic_name(stack.settings.topic_prefix, role)


def _publish(stack: Stack, requests: list[dict[str, object]], **config: object) -> None:
    out = stack.cluster.producer(config)
    for request in requests:
        out.produce(_topic(stack, "requests"), key=str(request["serial"]).encode(),
                    value=json.dumps(request, ensure_ascii=False).encode())
    assert out.flush(30) == 0


def _results(stack: Stack, serials: list[str], deadline_s: float = 120) -> ResultWatcher:
    watcher = ResultWatcher(stack.cluster, _topic(stack, "results"), Codec(), serials)
    try:
        watcher.wait(deadline_s)
    finally:
        watcher.close()
    assert not watcher.pending, f"no result for {sorted(watcher.pending)[:5]}"
    return watcher


def test_intake_moves_each_request_from_the_erps_partition_to_its_serials_murmur2_partition(stack: Stack) -> None:
    """The ERP may partition with librdkafka's default (CRC32): intake re-keys every request by murmur2."""
    requests = [valid_request(f"IN{index:03d}{uuid.uuid4().hex[:6]}", "kingdee") for index in range(40)]
    _publish(stack, requests, partitioner="consistent_random")
    _results(stack, [str(r["serial"]) for r in requests])
    wanted = {str(r["serial"]) for r in requests}

    erp = {m.key().decode(): (m.partition(), m.offset()) for m in read_topic(stack.cluster, _topic(stack, "requests"))
           if m.key().decode() in wanted}
    codec, signals = Codec(), {}
    for message in read_topic(stack.cluster, _topic(stack, "signals")):
        signal_ = codec.decode(message.value(), Signal)
        if signal_.serial in wanted and signal_.kind is SignalKind.REQUEST:
            signals.setdefault(signal_.serial, []).append((message.partition(), signal_))
    partitions = list(range(stack.settings.partitions))
    murmur2 = DefaultPartitioner()
    moved = 0
    for serial, (partition, offset) in erp.items():
        (at, signal_), = signals[serial]  # one REQUEST signal per request
        assert at == murmur2(serial.encode(), partitions, partitions), serial
        assert signal_.origin == f"{_topic(stack, 'requests')}[{partition}]@{offset}"
        moved += at != partition
    assert moved, "premise: CRC32 and murmur2 put no serial on different partitions, so nothing was re-keyed"
    wait_until_committed(stack.cluster, stack.settings.app_id, [_topic(stack, "requests")])


def test_the_issue_agent_is_sent_each_call_transition_once_and_reads_no_other(stack: Stack) -> None:
    """Every submitting and querying transition on the log is on `fapiao.calls` too, in the same partition, and
    the worker reads the calls, not the log (its group commits nothing on `fapiao.events`)."""
    requests = [valid_request(f"CA{index:03d}{uuid.uuid4().hex[:6]}", "kingdee") for index in range(40)]
    serials = {str(r["serial"]) for r in requests}
    _publish(stack, requests)
    _results(stack, sorted(serials))
    wait_until_committed(stack.cluster, stack.settings.app_id, [_topic(stack, "calls")])
    codec = Codec()

    def transitions(role: str) -> list[tuple[int, str, int, EventType]]:
        out = []
        for message in read_topic(stack.cluster, _topic(stack, role)):
            event = codec.decode(message.value(), InvoiceEvent)
            if event.serial in serials:
                assert message.key() == event.serial.encode()
                out.append((message.partition(), event.serial, event.seq, event.type))
        return sorted(out)

    logged, calls = transitions("events"), transitions("calls")
    assert calls == [entry for entry in logged if entry[3] in (EventType.SUBMITTING, EventType.QUERYING)]
    assert {entry[3] for entry in calls} == {EventType.SUBMITTING, EventType.QUERYING}, \
        "premise: Kingdee's unsigned callbacks are confirmed by a query, so both kinds of call were made"
    events = _topic(stack, "events")
    read = committed_offsets(stack.cluster, stack.settings.app_id, end_offsets(stack.cluster, [events]))
    assert set(read.values()) == {0}, f"the worker's group read the log: {read}"


def test_recovery_reads_the_changelog_past_the_reported_high_watermark(stack: Stack) -> None:
    topic = f"{stack.settings.topic_prefix}.tail-test"
    out = Producer(stack.cluster.config({"linger.ms": 50}))  # one batch, as a table flush writes
    written = [(f"K{index}".encode(), None if index == 7 else f"V{index}".encode()) for index in range(12)]
    for key, value in written:
        out.produce(topic, key=key, value=value, partition=0)
    assert out.flush(10) == 0
    end = end_offsets(stack.cluster, [topic])[(topic, 0)]
    assert end == len(written)

    reader = Consumer(stack.cluster.config({"group.id": "tail-test"}))
    _, reported = reader.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    reader.close()
    tail = read_changelog_tail(stack.cluster, topic, {0})
    assert tail == written[max(reported - 1, 0):]  # from one below what faust's recovery reads to, to the end
    assert tail[-1] == written[-1]


def test_a_worker_restarted_after_sigterm_on_an_empty_disk_holds_every_row_it_wrote_and_rereads_nothing_committed(
        stack: Stack) -> None:
    """Restarted without its table on disk (a new machine), the worker holds every row from the changelog alone,
    past the high watermark Tansu reports short. (With its disk, RocksDB would hold the rows whatever the
    changelog's recovery did: the fault tests restart workers that way.)"""
    requests = list(demo_requests(30, "kingdee", invalid_every=5, prefix=f"RS{uuid.uuid4().hex[:6]}"))
    serials = [str(r["serial"]) for r in requests]
    _publish(stack, requests)
    results = _results(stack, serials).results
    final = {serial: result.status for serial, result in results.items()}
    sources = [_topic(stack, role) for role in SOURCES]
    wait_until_committed(stack.cluster, stack.settings.app_id, sources)

    assert stack.processes["worker-0"].stop(timeout_s=30.0, sig=signal.SIGTERM) == 0
    outputs = [_topic(stack, "signals"), _topic(stack, "events")]
    before = end_offsets(stack.cluster, outputs)
    shutil.rmtree(stack.workdir / "worker-0")
    # The changelog's last batch: five rows again, each marked by hand, in one batch per partition. Tansu reports
    # the high watermark as a batch's base offset plus one, so faust alone would recover the first of each
    # partition's batch only: the worker must read past it.
    changelog, codec, marked = changelog_topic(stack.settings.app_id), Codec(), set(serials[:5])
    last = {message.key().decode(): message for message in read_topic(stack.cluster, changelog)
            if message.key().decode() in marked and message.value()}
    out = Producer(stack.cluster.config({"linger.ms": 200}))
    for serial, message in last.items():
        row = replace(codec.decode(message.value(), InvoiceState), code=TAIL_MARK)
        out.produce(changelog, key=message.key(), value=codec.encode(row), partition=message.partition())
    assert out.flush(10) == 0 and len(last) == 5
    stack.start_worker(0)
    web = stack.web_urls[0]

    def row(serial: str) -> tuple[Status, str | None] | None:
        found = httpx.get(f"{web}/invoices/{serial}", timeout=5)
        return (Status(found.json()["status"]), found.json().get("code")) if found.status_code == 200 else None

    def last_written(serial: str) -> tuple[Status, str | None]:
        return final[serial], TAIL_MARK if serial in marked else codes[serial]

    # After /healthz the group joins and the table recovers; a row read meanwhile may be an older version
    # (recovery has not reached its last write yet), so wait for each row to show its last version.
    codes = {serial: result.code for serial, result in results.items()}
    deadline = time.monotonic() + 60
    for serial in serials:
        while row(serial) != last_written(serial) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert row(serial) == last_written(serial), f"{serial}: the restarted worker lost its last row"
    # A committed record read again would show on the broker: a request as another REQUEST signal, a signal as
    # a duplicate_request event, an event as another provider call and its signal.
    wait_until_committed(stack.cluster, stack.settings.app_id, sources)
    ours = set(serials)
    again = [m.key() for topic in outputs for m in read_topic(stack.cluster, topic)
             if m.offset() >= before[(m.topic(), m.partition())] and m.key().decode() in ours]
    assert again == [], "the restarted worker read committed records again"


def _lag(web: str) -> dict[str, int]:
    text = httpx.get(f"{web}/metrics", timeout=5).text
    return {labels: int(float(value)) for labels, value in re.findall(r"^fapiao_consumer_lag\{(.*)\} (\S+)$", text,
                                                                       re.MULTILINE)}


def test_the_watchdog_reads_lag_from_the_broker_and_never_calls_a_busy_worker_stalled(stack: Stack) -> None:
    requests = list(demo_requests(300, "kingdee", invalid_every=0, prefix=f"WD{uuid.uuid4().hex[:6]}"))
    serials = [str(r["serial"]) for r in requests]
    _publish(stack, requests)
    web = stack.web_urls[0]
    watcher = ResultWatcher(stack.cluster, _topic(stack, "results"), Codec(), serials)
    most_lag = 0
    deadline = time.monotonic() + 180
    try:
        while watcher.pending and time.monotonic() < deadline:
            watcher.poll(0.5)
            most_lag = max([most_lag, *_lag(web).values()])
            ready = httpx.get(f"{web}/readyz", timeout=5)
            assert ready.status_code == 200, f"a worker whose commits move was called stalled: {ready.json()}"
    finally:
        watcher.close()
    assert not watcher.pending
    assert most_lag > 0, "premise: the worker never had a backlog, so the watchdog judged nothing"
    sources = [_topic(stack, role) for role in SOURCES]
    wait_until_committed(stack.cluster, stack.settings.app_id, sources)
    assert uncommitted(stack.cluster, stack.settings.app_id, sources) == {}
    deadline = time.monotonic() + 30  # the watchdog looks every STALL_S / 4 seconds
    while any(_lag(web).values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_lag(web).values()), _lag(web)
