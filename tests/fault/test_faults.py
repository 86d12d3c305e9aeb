"""Guarantees under faults: never issued twice, never lost, whatever dies or misbehaves.

Every test checks its premises from outside the worker: a kill counts only when the broker showed work the
worker's group had not committed at that moment, and injected provider faults count only when the sandbox
says they fired.
"""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import time
from collections import Counter
from typing import Any, Callable

import httpx
import pytest

from fapiao.bench.process import alive
from fapiao.connectors.kafka import read_topic
from fapiao.samples import valid_request
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import EventType, InvoiceEvent, Status
from fapiao.streams.topics import topic_name

from fault_support import Run, assert_exactly_once, assert_faults_fired

pytestmark = [pytest.mark.integration, pytest.mark.fault]

PROVIDER_FAULTS = ("--fail-rate", "0.2", "--timeout-rate", "0.1", "--drop-callback-rate", "0.3",
                   "--duplicate-callback-rate", "0.3", "--token-ttl-s", "5")


def test_worker_sigkilled_at_random_moments_with_work_in_flight_then_restarted(fault_run: Callable[..., Run]) -> None:
    run = fault_run(1500, provider="mixed")
    run.publish()
    rng = random.Random(20261121)
    for kill in range(3):
        in_flight, code = run.kill_mid_work("worker-0", rng)
        assert code == -signal.SIGKILL
        assert in_flight, f"kill {kill}: the group had committed everything, so the kill tested nothing"
        run.stack.start_worker(0)
    assert_exactly_once(run)


def test_two_workers_share_the_work_and_one_is_killed_mid_run(fault_run: Callable[..., Run]) -> None:
    run = fault_run(1000, provider="mixed", workers=2)  # two workers finish 600 in about the time to the kill
    run.publish()
    in_flight, _ = run.kill_mid_work("worker-1", random.Random(7))  # its partitions move to worker-0
    assert in_flight, "the group had committed everything, so the kill tested nothing"
    assert_exactly_once(run)


def test_provider_errors_timeouts_lost_and_duplicated_callbacks_and_expiring_tokens(
        fault_run: Callable[..., Run]) -> None:
    run = fault_run(300, provider="mixed", sandbox_args=PROVIDER_FAULTS)
    run.publish()
    run.wait_for_commits_past(run.committed())
    # Server-side logouts mid-run, until one refuses a token the client still holds (the client refreshes a
    # 5 s token halfway, so expiry alone may never refuse one): the client must log in again and go on.
    kingdee = run.stack.sandbox_urls["kingdee"]
    deadline = time.monotonic() + 120
    while not run.stack.sandbox_stats("kingdee")["faults"].get("tokens_refused") and run.watcher.pending \
            and time.monotonic() < deadline:
        assert httpx.post(f"{kingdee}/_sandbox/expire-tokens", timeout=5).status_code == 200
        run.watcher.poll(0.5)
    assert_exactly_once(run)
    both = ("unavailable", "hung", "callbacks_dropped", "callbacks_duplicated")
    assert_faults_fired(run, {"kingdee": (*both, "tokens_refused"), "yipiaoyun": both})


def test_broker_unreachable_for_a_few_seconds_mid_run(fault_run: Callable[..., Run]) -> None:
    # Enough requests that the group is still behind when it first commits: 400 were all committed by then once
    # the issue agent stopped waiting for batches.
    run = fault_run(1000, provider="mixed")
    run.publish()
    run.wait_for_commits_past(run.committed())
    in_flight = run.in_flight()
    assert in_flight, "the group had committed everything before the broker froze"
    broker = run.stack.broker
    assert broker is not None and broker.pid is not None
    os.kill(broker.pid, signal.SIGSTOP)  # frozen, not dead: the embedded broker keeps data only in memory
    try:
        time.sleep(5.0)  # how long the broker stays unreachable (the fault itself, not a check)
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    assert_exactly_once(run)


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_malformed_and_hostile_requests_are_rejected_or_parked_and_valid_ones_all_issue(
        fault_run: Callable[..., Run]) -> None:
    run = fault_run(150, provider="mixed", mistakes=False)
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


def test_worker_sigtermed_mid_run_exits_0_commits_what_it_finished_and_the_restart_rereads_none_of_it(
        fault_run: Callable[..., Run]) -> None:
    run = fault_run(1000, provider="mixed", sandbox_args=("--latency-ms", "200"))
    run.publish()
    in_flight, code = run.kill_mid_work("worker-0", random.Random(11), sig=signal.SIGTERM, timeout_s=30.0)
    assert code == 0, f"SIGTERM ended the worker with {code}, not a clean exit"
    assert in_flight, "the group had committed everything, so there was no work to hand back"
    assert run.watcher.pending, "every result was in before SIGTERM"
    committed = run.committed()
    assert any(committed.values()), "the worker exited without committing anything"
    run.stack.start_worker(0)
    assert_exactly_once(run)
    # What the stopped worker finished was committed, so the restart read none of it again. Read again, a
    # request signal is folded into a duplicate_request, an event repeats its serial and seq, and a submitting
    # event whose answer was already folded calls the provider a second time.
    codec, numbered = Codec(), Counter()
    for message in read_topic(run.stack.cluster, topic_name(run.stack.settings.topic_prefix, "events")):
        event = codec.decode(message.value(), InvoiceEvent)
        assert event.type is not EventType.DUPLICATE_REQUEST, f"{event.serial}: its request was read twice"
        numbered[(event.serial, event.seq)] += 1
    assert [key for key, copies in numbered.items() if copies > 1] == [], "events were decided twice"
    for provider in run.stack.sandbox_urls:
        stats = run.stack.sandbox_stats(provider)
        again = {serial: n for serial, n in stats["submissions_per_serial"].items() if n > 1}
        refused = {kind: n for kind, n in stats["requests"].items() if "duplicate" in kind}  # dedupe on
        assert (again, refused) == ({}, {}), f"{provider}: serials submitted again"


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


def test_under_a_supervisor_a_killed_worker_process_is_started_again_and_a_killed_supervisor_takes_them_all(
        fault_run: Callable[..., Run]) -> None:
    """One run, two kills: a member SIGKILLed is restarted by its supervisor; the supervisor SIGKILLed takes its
    members with it (no orphan left reading partitions), and a new supervisor loses nothing."""
    run = fault_run(1000, provider="mixed", processes=2)  # two processes finish 600 in about the time to the kill
    run.publish()
    run.wait_for_commits_past(run.committed())
    assert run.in_flight(), "the group had committed everything, so the kill would test nothing"
    victim = _members(run)[0]["pid"]
    os.kill(victim, signal.SIGKILL)  # its partitions move to the other member, then back to its successor
    _until(run, lambda: any(m["index"] == 0 and m["running"] and m["pid"] != victim for m in _members(run)))
    assert run.stack.processes["worker-0"].alive(), "the supervisor itself must live on"
    members = [m["pid"] for m in _members(run)]
    run.stack.processes["worker-0"].stop(sig=signal.SIGKILL)
    _until(run, lambda: not any(alive(pid) for pid in members), timeout_s=10.0)  # no orphan left reading
    run.stack.start_worker(0)
    assert_exactly_once(run)
