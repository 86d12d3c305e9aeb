"""The ceilings: the same number of records of the same size moved consume → produce on the same broker,
once by a plain confluent-kafka loop (what the broker allows) and once by one faust agent that decodes
nothing (what the runtime the pipeline is built on allows). The pipeline cannot beat either."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid

from confluent_kafka import Producer, TopicPartition

from fapiao.connectors.cluster import Cluster
from fapiao.connectors.kafka import create_topics
from fapiao.streams.topics import TopicSpec, assignor_topic

__all__ = ["consume_produce_rate", "faust_move_rate"]

_FAUST_DEADLINE_S = 300.0
log = logging.getLogger("fapiao.bench")


def _preload(cluster: Cluster, count: int, size: int, partitions: int, kind: str) -> tuple[str, str, Producer]:
    """Two fresh topics, the first holding `count` records of `size` bytes; (source, sink, the producer that
    wrote them, connected and warm)."""
    run = uuid.uuid4().hex[:8]
    source, sink = f"bench-{kind}-in-{run}", f"bench-{kind}-out-{run}"
    create_topics(cluster, [TopicSpec(source, "bench", {}, ""), TopicSpec(sink, "bench", {}, "")], partitions)
    out = cluster.producer()
    payload = b"x" * size
    for i in range(count):
        out.produce(source, key=f"k{i}".encode(), value=payload)
        out.poll(0)
    out.flush(60)
    return source, sink, out


def consume_produce_rate(cluster: Cluster, count: int, size: int, partitions: int) -> float:
    """Records per second through one confluent-kafka consume → produce loop (records pre-loaded, then timed)."""
    source, sink, out = _preload(cluster, count, size, partitions, "ceiling")
    consumer = cluster.consumer(f"bench-{source}")
    consumer.assign([TopicPartition(source, p, 0) for p in range(partitions)])
    moved = 0
    started = time.monotonic()
    while moved < count and time.monotonic() - started < 120:
        # consume() waits out its timeout unless this many arrive: never ask for more than are left
        for message in consumer.consume(num_messages=min(1000, count - moved), timeout=0.5):
            if message.error():
                continue
            out.produce(sink, key=message.key(), value=message.value())
            moved += 1
        out.poll(0)
    out.flush(60)
    elapsed = time.monotonic() - started
    consumer.close()
    return moved / elapsed


def faust_move_rate(cluster: Cluster, count: int, size: int, partitions: int) -> float:
    """Records per second through one faust agent (`python -m fapiao.bench.faust_ceiling`) that moves each
    record on undecoded, batched and acknowledged as the pipeline's agents do; 0.0 when it did not finish."""
    source, sink, _ = _preload(cluster, count, size, partitions, "faust")
    app_id = f"bench-faust-{uuid.uuid4().hex[:8]}"
    # faust elects a leader through this topic; made here, as for the worker, not left to auto-creation
    create_topics(cluster, [assignor_topic(app_id)], partitions)
    with tempfile.TemporaryDirectory(prefix="fapiao-faust-ceiling-") as datadir:
        env = {**os.environ, **cluster.environment(), "FAUST_CEILING_APP_ID": app_id,
               "FAUST_CEILING_SOURCE": source, "FAUST_CEILING_SINK": sink, "FAUST_CEILING_COUNT": str(count),
               "FAUST_CEILING_PARTITIONS": str(partitions), "FAUST_CEILING_DATADIR": datadir}
        try:
            mover = subprocess.run([sys.executable, "-m", "fapiao.bench.faust_ceiling"], env=env,
                                   capture_output=True, text=True, timeout=_FAUST_DEADLINE_S, check=False)
        except subprocess.TimeoutExpired:  # subprocess.run has killed it
            log.warning("the faust ceiling's mover did not finish within %.0fs", _FAUST_DEADLINE_S)
            return 0.0
    lines = [line for line in mover.stdout.splitlines() if line.startswith("{")]
    if not lines:
        log.warning("the faust ceiling's mover exited %s without a figure: %s", mover.returncode,
                    mover.stderr[-1500:])
        return 0.0
    return float(json.loads(lines[-1])["records_per_s"])
