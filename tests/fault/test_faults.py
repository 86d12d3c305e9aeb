"""Guarantees under faults: never issued twice, never lost, whatever dies or misbehaves."""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import time
from typing import Any, Callable

import httpx
import pytest

from fapiao.bench.process import alive
from fapiao.connectors.kafka import read_topic
from fapiao.samples import valid_request
from fapiao.schemas.records import Status
from fapiao.streams.topics import topic_name

from fault_support import Run, assert_exactly_once

pytestmark = [pytest.mark.integration, pytest.mark.fault]

PROVIDER_FAULTS = ("--fail-rate", "0.2", "--timeout-rate", "0.1", "--drop-callback-rate", "0.3",
                   "--duplicate-callback-rate", "0.3", "--token-ttl-s", "5")


def _progress_for(run: Run, seconds: float) -> None:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        run.watcher.poll(0.2)


def _until(run: Run, condition: Callable[[], Any], timeout_s: float = 30.0) -> Any:
    """Read results while waiting for `condition()` to be truthy; return it, or fail after the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := condition():
            return value
        run.watcher.poll(0.2)
    pytest.fail(f"not within {timeout_s}s: {condition}")


def _members(run: Run) -> list[dict[str, Any]]:
    """The worker processes under worker-0's supervisor, from its /healthz."""
    return httpx.get(f"{run.stack.web_urls[0]}/healthz", timeout=5).json()["members"]  # type: ignore[no-any-return]


def test_worker_sigkilled_at_random_moments_then_restarted(fault_run: Callable[..., Run]) -> None:
    run = fault_run(1000, provider="mixed")
    run.publish()
    rng = random.Random(20261121)
    for _ in range(3):
        _progress_for(run, rng.uniform(2.0, 6.0))
        run.stack.processes["worker-0"].stop(sig=signal.SIGKILL)
        run.stack.start_worker(0)
    assert len(run.watcher.results) < len(run.requests), "the kills came too late to test anything"
    assert_exactly_once(run)


def test_two_workers_share_the_work_and_one_is_killed_mid_run(fault_run: Callable[..., Run]) -> None:
    run = fault_run(600, provider="mixed", workers=2)
    run.publish()
    _progress_for(run, 3.0)
    assert len(run.watcher.results) < len(run.requests)
    run.stack.processes["worker-1"].stop(sig=signal.SIGKILL)  # its partitions move to worker-0
    assert_exactly_once(run)


def test_provider_errors_timeouts_lost_and_duplicated_callbacks_and_expiring_tokens(
        fault_run: Callable[..., Run]) -> None:
    run = fault_run(300, provider="mixed", sandbox_args=PROVIDER_FAULTS)
    run.publish()
    assert_exactly_once(run)


def test_broker_unreachable_for_a_few_seconds_mid_run(fault_run: Callable[..., Run]) -> None:
    run = fault_run(400, provider="mixed")
    run.publish()
    _progress_for(run, 2.0)
    broker = run.stack.broker
    assert broker is not None and broker.pid is not None
    os.kill(broker.pid, signal.SIGSTOP)  # frozen, not dead: the embedded broker keeps data only in memory
    try:
        time.sleep(5.0)
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    assert_exactly_once(run)


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_malformed_and_hostile_requests_are_rejected_or_parked_and_valid_ones_all_issue(
        fault_run: Callable[..., Run]) -> None:
    run = fault_run(150, provider="mixed", invalid_every=0)
    base = valid_request("HOSTILE-TEMPLATE", "kingdee")

    def variant(serial: str, **changes: object) -> dict[str, object]:
        return {**base, "serial": serial, **changes}

    rejected = {
        "H-TYPES": variant("H-TYPES", lines="not a list", total_amount=["1"]),
        "H-HUGE": variant("H-HUGE", remark="发" * 200_000),
        # compact lines, so the request still fits a Kafka message: the rules must refuse it, not the broker
        "H-LINES": variant("H-LINES", lines=[{"name": "x", "tax_code": "1", "tax_rate": "0", "amount": "1",
                                              "tax_amount": "0"}] * 10_000),
        "H-NESTED": variant("H-NESTED", seller={"name": {"a": {"b": {"c": [[[[]]]]}}}}),
        "H-FLOATLIKE": variant("H-FLOATLIKE", total_with_tax="1e400"),
        "H-PROVIDER": variant("H-PROVIDER", provider="<script>"),
    }
    parked = [b"\xff\xfe\x00 not utf-8", _nested(100_000), b'{"serial": 12345}', b"null", b"",
              b'{"serial": "' + b"\xed\xa0\x80" + b'"}']
    hostile = [(key.encode(), json.dumps(value, ensure_ascii=False).encode()) for key, value in rejected.items()]
    hostile += [(b"junk", value) for value in parked]
    mixed = hostile + [(r["serial"].encode(), json.dumps(r, ensure_ascii=False).encode()) for r in run.requests]
    random.Random(3).shuffle(mixed)
    run.watcher.wanted |= set(rejected)  # before reading: the watcher skips serials it does not want
    run.publish(mixed)

    assert_exactly_once(run)
    for serial in rejected:
        result = run.watcher.results.get(serial)
        assert result is not None and result.status is Status.REJECTED and result.errors, serial
    dlq = [json.loads(m.value()) for m in read_topic(run.stack.cluster, topic_name(run.stack.settings.topic_prefix, "dlq"))]
    parked_values = {base64.b64decode(record["value_b64"] or "") for record in dlq}
    assert set(parked) <= parked_values


def test_worker_sigtermed_mid_run_exits_by_itself_within_its_deadline_and_loses_nothing(
        fault_run: Callable[..., Run]) -> None:
    run = fault_run(400, provider="mixed", sandbox_args=("--latency-ms", "200"))
    run.publish()
    _progress_for(run, 2.0)
    worker = run.stack.processes["worker-0"]
    started = time.monotonic()
    code = worker.stop(timeout_s=30.0, sig=signal.SIGTERM)  # kills only if it does not exit by itself
    assert code != -signal.SIGKILL, "the worker did not stop on SIGTERM"
    assert time.monotonic() - started < 25.0  # its own deadline is 20 s
    assert len(run.watcher.results) < len(run.requests), "the worker had no work in flight to hand back"
    run.stack.start_worker(0)
    assert_exactly_once(run)


def test_a_worker_process_sigkilled_under_its_supervisor_is_started_again_and_loses_nothing(
        fault_run: Callable[..., Run]) -> None:
    run = fault_run(600, provider="mixed", processes=2)
    run.publish()
    _progress_for(run, 3.0)
    assert len(run.watcher.results) < len(run.requests), "the kill came too late to test anything"
    victim = _members(run)[0]["pid"]
    os.kill(victim, signal.SIGKILL)  # its partitions move to the other member, then back to its successor
    _until(run, lambda: any(m["index"] == 0 and m["running"] and m["pid"] != victim for m in _members(run)))
    assert run.stack.processes["worker-0"].alive(), "the supervisor itself must live on"
    assert_exactly_once(run)


def test_a_supervisor_sigkilled_takes_its_worker_processes_with_it_and_a_new_one_loses_nothing(
        fault_run: Callable[..., Run]) -> None:
    run = fault_run(400, provider="mixed", processes=2)
    run.publish()
    _progress_for(run, 2.0)
    members = [m["pid"] for m in _members(run)]
    run.stack.processes["worker-0"].stop(sig=signal.SIGKILL)
    _until(run, lambda: not any(alive(pid) for pid in members), timeout_s=10.0)  # no orphan left reading
    assert len(run.watcher.results) < len(run.requests), "the kill came too late to test anything"
    run.stack.start_worker(0)
    assert_exactly_once(run)
