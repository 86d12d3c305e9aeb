"""How fast the audit reads and checks: `audit_throughput` for `fapiao bench` (target: 20,000 records/s).

    .venv/bin/python -m fapiao.audit.bench [COUNT]     # starts an embedded broker when none is given
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta

from fapiao import clock
from fapiao.audit import Audit
from fapiao.audit.reader import read_facts
from fapiao.audit.synthetic import lifecycle, publish
from fapiao.connectors.cluster import Cluster
from fapiao.connectors.kafka import create_topics
from fapiao.schemas.codec import Codec
from fapiao.streams.topics import all_topics

__all__ = ["audit_throughput"]


def audit_throughput(cluster: Cluster, prefix: str, count: int) -> dict[str, object]:
    """Produce `count` synthetic serials (request, events, result each) under `prefix`, then time the audit."""
    codec = Codec()
    create_topics(cluster, all_topics(prefix, f"{prefix}-bench"), 6)
    start = clock.now() - timedelta(hours=1)
    lifecycles = [lifecycle(f"B{i:08d}", start + timedelta(milliseconds=i), valid=i % 10 != 9,
                            provider=("kingdee", "yipiaoyun")[i % 2]) for i in range(count)]
    produced = publish(cluster.producer(), prefix, codec, lifecycles)
    began = time.perf_counter()
    result = Audit(read_facts(cluster, prefix, codec, event_requests=False))
    seconds = time.perf_counter() - began
    records = result.facts.records
    return {"serials": count, "produced": produced, "records": records, "seconds": round(seconds, 2),
            "records_per_s": round(records / seconds), "ok": result.ok}


if __name__ == "__main__":
    from fapiao.connectors.broker import EmbeddedBroker

    with EmbeddedBroker() as broker:
        print(json.dumps(audit_throughput(broker.cluster, "bench", int(sys.argv[1]) if len(sys.argv) > 1 else 5000)))
