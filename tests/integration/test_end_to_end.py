"""The whole path on a real broker: ERP request → worker → provider sandbox (real HTTP) → callback
through the gateway → result. One stack (real processes) serves every test in this module."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from sandbox_options import CARELESS

from fapiao.connectors.kafka import read_topic
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import invalid_request, valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import Status
from fapiao.streams.topics import topic_name

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(stack_factory: Callable[[str, Path, StackOptions], Stack],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    options = StackOptions(sandbox_args=CARELESS)
    with stack_factory("e2e", Path(tmp_path_factory.mktemp("stack")), options) as running:
        yield running


def publish(stack: Stack, values: list[tuple[bytes | None, bytes]]) -> None:
    out = stack.cluster.producer()
    for key, value in values:
        out.produce(topic_name(stack.settings.topic_prefix, "requests"), key=key, value=value)
    assert out.flush(30) == 0


def as_record(request: dict[str, Any]) -> tuple[bytes, bytes]:
    return request["serial"].encode(), json.dumps(request, ensure_ascii=False).encode()


def await_results(stack: Stack, serials: list[str], deadline_s: float = 120) -> ResultWatcher:
    watcher = ResultWatcher(stack.cluster, topic_name(stack.settings.topic_prefix, "results"), Codec(), serials)
    watcher.wait(deadline_s)
    watcher.close()
    assert not watcher.pending, f"no result for {sorted(watcher.pending)}"
    return watcher


def test_valid_requests_are_issued_and_invalid_ones_rejected_with_reasons(stack: Stack) -> None:
    valid = [valid_request(f"OK{uuid.uuid4().hex[:10]}", provider) for provider in ["kingdee", "yipiaoyun"] * 6]
    invalid = [invalid_request(f"BAD{uuid.uuid4().hex[:10]}", provider) for provider in ["kingdee", "yipiaoyun"]]
    publish(stack, [as_record(r) for r in valid + invalid])

    results = await_results(stack, [r["serial"] for r in valid + invalid]).results

    for request in valid:
        result = results[request["serial"]]
        assert result.status is Status.ISSUED, (result.code, result.message)
        assert result.invoice is not None and result.invoice.number
        assert result.total_with_tax is not None and str(result.total_with_tax) == request["total_with_tax"]
    for request in invalid:
        result = results[request["serial"]]
        assert result.status is Status.REJECTED
        assert result.errors and all(f.code and f.field and f.message_zh and f.message_en for f in result.errors)
    assert stack.duplicates_issued() == 0


def test_confluent_producer_and_faust_put_a_serial_on_the_same_partition(stack: Stack) -> None:
    requests = [valid_request(f"P{index:04d}{uuid.uuid4().hex[:6]}", "kingdee") for index in range(40)]
    publish(stack, [as_record(r) for r in requests])
    await_results(stack, [r["serial"] for r in requests])
    prefix = stack.settings.topic_prefix

    def partitions(role: str) -> dict[bytes, set[int]]:
        seen: dict[bytes, set[int]] = {}
        for message in read_topic(stack.cluster, topic_name(prefix, role)):
            seen.setdefault(message.key(), set()).add(message.partition())
        return seen

    ours = partitions("requests")  # confluent-kafka, murmur2_random
    for role in ("signals", "events", "calls", "results"):  # written by the worker
        theirs = partitions(role)
        for request in requests:
            key = request["serial"].encode()
            assert theirs[key] == ours[key], f"{role}: {key!r} on {theirs[key]}, confluent put it on {ours[key]}"
    assert len({p for keys in ours.values() for p in keys}) > 1  # the keys really spread


def test_undecodable_records_go_to_the_dlq_and_the_worker_keeps_issuing(stack: Stack) -> None:
    poison = [(b"junk-1", b"\xff\xfe not json, not avro"), (None, b'{"lines": []}'), (b"junk-3", b"[1, 2, 3]"),
              (b"junk-4", b"\xc3\x01" + b"\x00" * 8 + b"garbage")]
    after = valid_request(f"AFTER{uuid.uuid4().hex[:10]}", "kingdee")
    publish(stack, [*poison, as_record(after)])

    result = await_results(stack, [after["serial"]]).results[after["serial"]]
    assert result.status is Status.ISSUED

    parked = [json.loads(m.value()) for m in read_topic(stack.cluster, topic_name(stack.settings.topic_prefix, "dlq"))]
    originals = {base64.b64decode(r["value_b64"]): r for r in parked}
    for _, value in poison:
        assert value in originals, f"{value!r} is not in the DLQ"
        record = originals[value]
        assert record["reason"] and record["stage"] == "intake"
        assert record["topic"] == topic_name(stack.settings.topic_prefix, "requests")
