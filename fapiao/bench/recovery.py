"""How long a worker takes to recover its table, and how much memory it holds: memory store against RocksDB.

    python -m fapiao.bench.recovery --rows 1000000 [--json]

Fills a table's changelog with ROWS issued rows (a real sample request each, as the fold writes them),
then starts a worker four times on it and times each from its start to the result of one new request,
which the fold can only answer once recovery is over: memory store (cold, then restarted), RocksDB with
an empty data directory (cold), and RocksDB restarted after a clean stop (warm: its disk plus the
changelog's tail). RSS is the worker's peak (VmHWM) and its size once the answer came. Everything runs
on this machine (embedded broker and 票申 sandbox); run it alone, the figures move with the machine's load.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fapiao.audit.synthetic import lifecycle
from fapiao.bench.process import peak_rss_mb, rss_mb
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import demo_requests
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import InvoiceState
from fapiao.settings import load
from fapiao.streams.lifecycle import replay
from fapiao.streams.topics import TABLE_NAME, topic_name

__all__ = ["fill_changelog", "time_recovery", "main"]

SCENARIOS = (("memory", "cold", True), ("memory", "restarted", False), ("rocksdb", "cold", True),
             ("rocksdb", "warm", False))  # (store, label, start from an empty data directory)


def _issued_row() -> InvoiceState:
    """One issued row as the fold writes it, to copy under every serial."""
    item = lifecycle("TEMPLATE", datetime(2025, 1, 1, tzinfo=timezone.utc), provider="yipiaoyun")
    state = replay(item.events, None)
    assert state is not None and state.status.terminal
    return state


def fill_changelog(stack: Stack, rows: int) -> int:
    """Write `rows` issued rows to the table's changelog, keyed by serial as faust does; bytes written."""
    template, codec = _issued_row(), Codec()
    assert template.request is not None
    topic = f"{stack.settings.app_id}-{TABLE_NAME}-changelog"
    out = stack.cluster.producer({"linger.ms": 50, "batch.size": 1_000_000, "queue.buffering.max.messages": 200_000})
    written = 0
    for index in range(rows):
        serial = f"R{index:09d}"
        row = dataclasses.replace(template, serial=serial, request=dataclasses.replace(template.request, serial=serial))
        value = codec.encode(row)
        written += len(value)
        while True:
            try:
                out.produce(topic, key=serial.encode(), value=value)
                break
            except BufferError:  # the local queue is full: let the broker catch up
                out.poll(0.1)
        out.poll(0)
    if out.flush(300) != 0:
        raise RuntimeError("the broker did not acknowledge every changelog row")
    return written


def time_recovery(stack: Stack, store: str, fresh: bool, probe: str, timeout_s: float = 1800) -> dict[str, Any]:
    """Start worker 0 with `store`, and time it until one new request's result arrives."""
    data_dir = stack.workdir / "worker-0"
    if fresh:
        shutil.rmtree(data_dir, ignore_errors=True)
    request = next(demo_requests(1, "yipiaoyun", invalid_every=0, prefix=probe))
    results = topic_name(stack.settings.topic_prefix, "results")
    watcher = ResultWatcher(stack.cluster, results, Codec(), [request["serial"]])
    started = time.monotonic()
    worker = stack.start_worker(0, {"FAPIAO_TABLE_STORE": store})
    out = stack.cluster.producer()
    out.produce(topic_name(stack.settings.topic_prefix, "requests"), key=request["serial"].encode(),
                value=json.dumps(request, ensure_ascii=False).encode())
    out.flush(30)
    answered = watcher.wait(timeout_s)
    seconds = time.monotonic() - started
    watcher.close()
    figures = {"seconds": round(seconds, 1), "peak_rss_mb": round(peak_rss_mb(worker.pid), 1),
               "rss_mb": round(rss_mb(worker.pid), 1), "answered": answered}
    worker.stop()  # SIGTERM: a clean stop, which keeps the RocksDB table for the warm start
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="fapiao-recovery-"))
    settings = load({"FAPIAO_PARTITIONS": str(args.partitions), "FAPIAO_APP_ID": "fapiao-recovery-bench",
                     "FAPIAO_TOPIC_PREFIX": "recovery"})
    figures: dict[str, Any] = {"rows": args.rows}
    options = StackOptions(providers=("yipiaoyun",), workers=0, demo_timings=False)
    with Stack(settings, workdir, options) as stack:
        began = time.monotonic()
        figures["changelog_mb"] = round(fill_changelog(stack, args.rows) / 2**20, 1)
        figures["fill_s"] = round(time.monotonic() - began, 1)
        for store, label, fresh in SCENARIOS:
            figures[f"{store}_{label}"] = time_recovery(stack, store, fresh, f"P{store[0]}{label[0]}")
            print(f"{store} {label}: {figures[f'{store}_{label}']}", file=sys.stderr)
    shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures) if args.json else figures)


if __name__ == "__main__":
    main()
