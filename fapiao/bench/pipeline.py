"""The pipeline benchmark: N requests through a real stack, timed from first produce to last result."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping

import httpx
from confluent_kafka import Producer

from fapiao.audit import Audit
from fapiao.audit.reader import read_facts
from fapiao.bench.ceiling import consume_produce_rate, faust_move_rate
from fapiao.bench.process import tree_cpu_seconds, tree_peak_rss_mb
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.exceptions import FapiaoStreamError
from fapiao.metrics import samples
from fapiao.samples import demo_requests
from fapiao.schemas.codec import Codec
from fapiao.settings import Settings
from fapiao.streams.topics import topic_name

__all__ = ["run_benchmark", "BENCH_ENV", "WARMUP"]

WARMUP = 50  # requests answered, untimed, before the clock starts
# A benchmark measures the pipeline, not the per-seller rate limit (two sample sellers only).
BENCH_ENV = {"FAPIAO_SELLER_RATE_PER_S": "1000000", "FAPIAO_SELLER_BURST": "1000000", "FAPIAO_ISSUE_BATCH": "300"}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _requests(count: int, provider: str, prefix: str) -> list[tuple[str, bytes]]:
    """`count` valid sample requests as (serial, JSON bytes), serials starting with `prefix`."""
    stamp = f"{prefix}{int(time.time()) % 100000}"
    return [(r["serial"], json.dumps(r, ensure_ascii=False).encode())
            for r in demo_requests(count, provider, invalid_every=0, prefix=stamp)]


def _publish(out: Producer, topic: str, requests: list[tuple[str, bytes]], rate: float,
             watcher: ResultWatcher) -> dict[str, float]:
    """Produce every request (paced at `rate`/s when given, reading results meanwhile); serial -> when sent."""
    produced_at: dict[str, float] = {}
    started = time.monotonic()
    for index, (serial, value) in enumerate(requests):
        if rate:
            time.sleep(max(0.0, started + index / rate - time.monotonic()))
            watcher.poll(0)
        out.produce(topic, key=serial.encode(), value=value)
        produced_at[serial] = time.monotonic()
        out.poll(0)
    out.flush(60)
    return produced_at


def _records_moved(web_url: str) -> float:
    """Records the worker has read and sent so far, changelog included (from its /metrics)."""
    found = samples(httpx.get(f"{web_url}/metrics", timeout=10).text)
    return sum(value for (name, _), value in found.items()
               if name in ("fapiao_records_in_total", "fapiao_records_out_total"))


def run_benchmark(settings: Settings, workdir: Path, count: int, provider: str, rate: float = 0.0,
                  progress: Callable[[int], None] | None = None, warmup: int = WARMUP, processes: int = 1,
                  sandbox_options: Mapping[str, Any] | None = None, audit: bool = False) -> dict[str, Any]:
    """Publish `count` valid requests (paced at `rate`/s when given), wait for every result, measure.

    `sandbox_options` (`fapiao.connectors.sandbox_options`, by key) go to the sandboxes, `latency_ms` among them.
    With `processes` > 1 the same run is made twice, each on a fresh stack: first with one worker
    process, then with `processes` under a supervisor; the figures are the second run's, beside the
    first's (`one_process`) and their ratio (`scaling`). The machine's speed moves by half within an
    hour, so only two runs made one after the other compare. With `audit`, each run ends with `fapiao audit`'s
    checks over its topics (`audit`: ok, and the invariants violated).
    """
    options = dict(sandbox_options or {})
    if processes == 1:
        return _run_once(settings, workdir, count, provider, rate, progress, warmup, 1, options, ceilings=True,
                         audit=audit)
    one = _run_once(settings, workdir / "one-process", count, provider, rate, progress, warmup, 1, options,
                    ceilings=False, audit=audit)
    # topics and consumer group of their own, should the broker be one that outlives a stack
    fresh = replace(settings, topic_prefix=f"{settings.topic_prefix}-p{processes}",
                    app_id=f"{settings.app_id}-p{processes}")
    many = _run_once(fresh, workdir / f"{processes}-processes", count, provider, rate, progress, warmup,
                     processes, options, ceilings=True, audit=audit)
    scaling = round(many["invoices_per_s"] / one["invoices_per_s"], 2) if one["invoices_per_s"] else None
    return {**many, "scaling": scaling, "one_process": one}


def _run_once(settings: Settings, workdir: Path, count: int, provider: str, rate: float,
              progress: Callable[[int], None] | None, warmup: int, processes: int,
              sandbox_options: Mapping[str, Any], ceilings: bool, audit: bool = False) -> dict[str, Any]:
    """One run on a fresh stack whose worker has `processes` processes; with `ceilings`, the two
    consume→produce ceilings measured on its broker after it.

    First `warmup` other requests go through and are answered, untimed: the first records of a fresh
    stack pay for connections, metadata, an idempotent producer id and first-time code paths, and on
    2,000 requests those few would be the whole p99.
    """
    providers = ("kingdee", "yipiaoyun") if provider == "mixed" else (provider,)
    # Production timings, not the demo's: a benchmark must not measure a demo's eager rechecks.
    options = StackOptions(providers=providers, sandbox_options=sandbox_options, env=BENCH_ENV, processes=processes,
                           demo_timings=False)
    results = topic_name(settings.topic_prefix, "results")
    with Stack(settings, workdir, options) as stack:
        requests = _requests(count, provider, "B")
        watcher = ResultWatcher(stack.cluster, results, Codec(), (serial for serial, _ in requests))
        # measure the pipeline, not the consumer group's first join: /readyz is 503 until partitions are assigned
        stack.wait_until_answers("worker-0", f"{stack.web_urls[0]}/readyz", timeout_s=60)
        out = stack.cluster.producer()
        topic = topic_name(settings.topic_prefix, "requests")
        if warmup:
            warm = _requests(warmup, provider, "W")
            warm_watcher = ResultWatcher(stack.cluster, results, Codec(), (serial for serial, _ in warm))
            _publish(out, topic, warm, 0.0, warm_watcher)
            answered = warm_watcher.wait(120.0)
            warm_watcher.close()
            if not answered:
                raise FapiaoStreamError(f"{len(warm_watcher.pending)} of {warmup} warm-up requests got no result "
                                        f"within 120 s; the stack's logs are in {workdir / 'logs'}")
        # every process of the worker: with a supervisor, it and its members
        worker_pid = stack.processes["worker-0"].pid
        cpu_before, moved_before = tree_cpu_seconds(worker_pid), _records_moved(stack.web_urls[0])
        started = time.monotonic()
        produced_at = _publish(out, topic, requests, rate, watcher)
        watcher.wait(max(120.0, count / 50), on_progress=progress)
        del out  # librdkafka closes it now, not after the broker has stopped (it would log reconnects)
        finished = max(watcher.received_at.values(), default=time.monotonic())
        latencies = [(watcher.received_at[s] - produced_at[s]) * 1000 for s in watcher.received_at]
        cpu = tree_cpu_seconds(worker_pid) - cpu_before
        done = max(1, count - len(watcher.pending))
        per_invoice = (_records_moved(stack.web_urls[0]) - moved_before) / done
        rss = tree_peak_rss_mb(worker_pid)
        pending = len(watcher.pending)
        issued_twice = stack.duplicates_issued()
        watcher.close()
        # after the clock: the audit reads every topic of the run, warm-up included
        audited = Audit(read_facts(stack.cluster, settings.topic_prefix, Codec(), event_requests=False)) \
            if audit else None
        size = int(statistics.mean(len(value) for _, value in requests))
        if ceilings:
            ceiling = consume_produce_rate(stack.cluster, count, size, settings.partitions)
            faust_ceiling = faust_move_rate(stack.cluster, count, size, settings.partitions)
    per_s = (count - pending) / (finished - started)
    figures = {"count": count, "latency_ms": sandbox_options.get("latency_ms", 0), "provider": provider,
               "rate": rate or None, "processes": processes, "invoices_per_s": round(per_s, 1),
               "p50_ms": round(_percentile(latencies, 0.50), 1), "p95_ms": round(_percentile(latencies, 0.95), 1),
               "p99_ms": round(_percentile(latencies, 0.99), 1), "records_per_invoice": round(per_invoice, 1),
               # every process of the worker, supervisor included, over the invoices answered
               "worker_cpu_s": round(cpu, 1), "cpu_ms_per_invoice": round(1000 * cpu / done, 2),
               "worker_rss_mb": round(rss, 1), "pending": pending, "warmup": warmup,
               # serials a sandbox issued more than once: 0 whatever the faults, or the pipeline is wrong
               "issued_twice": issued_twice}
    if audited is not None:
        figures["audit"] = {"ok": audited.ok, "violated": sorted({v.name for v in audited.violations})}
    if ceilings:
        figures |= {
            "ceiling_per_s": round(ceiling, 1), "ratio": round(per_s / ceiling, 3) if ceiling else None,
            "faust_ceiling_per_s": faust_ceiling,
            # each record the faust ceiling moves is one read and one send; an invoice needs per_invoice of those
            "faust_bound_per_s": round(2 * faust_ceiling / per_invoice, 1) if per_invoice else None}
    return figures
