"""A whole stack with the demo's data and a red-letter pair, and the console over it, for the browser."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest

from fapiao import clock
from fapiao.audit.reader import read_facts
from fapiao.audit.synthetic import Lifecycle, publish, red_letter
from fapiao.connectors.cluster import Cluster
from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import demo_requests
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import Status
from fapiao.settings import load
from fapiao.streams.topics import topic_name

TOKEN = "browser-test-console-token"


@dataclass
class Demo:
    stack: Stack
    requests: list[dict[str, object]]
    blue: str  # an issued kingdee serial with two reds against it
    reds: tuple[str, str]  # one waiting for the counterparty, one issued

    @property
    def prefix(self) -> str:
        return self.stack.settings.topic_prefix


def issued_blue(cluster: Cluster, prefix: str, codec: Codec, serial: str) -> Lifecycle:
    """An issued serial's events and result as the worker wrote them."""
    key = serial.encode()
    facts = read_facts(cluster, prefix, codec, roles=("events", "results"), keep=lambda m: m.key() == key,
                       check_sources=False)
    events = sorted((seen.record for seen in facts.events), key=lambda event: event.seq)
    return Lifecycle(serial, {}, events, facts.results[0].record)


@pytest.fixture(scope="module")
def demo(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    run = uuid.uuid4().hex[:8]
    settings = load({**os.environ, "FAPIAO_KAFKA_BOOTSTRAP": kafka_bootstrap, "FAPIAO_TOPIC_PREFIX": f"c{run}",
                     "FAPIAO_APP_ID": f"fapiao-console-{run}"})
    codec = Codec()
    stack = Stack(settings, tmp_path_factory.mktemp("console-stack"), StackOptions())
    try:
        stack.start()
        requests = list(demo_requests(20, "mixed", seed=4217))
        out = stack.cluster.producer()
        for request in requests:
            out.produce(topic_name(settings.topic_prefix, "requests"), key=str(request["serial"]).encode(),
                        value=json.dumps(request, ensure_ascii=False).encode())
        out.flush(30)
        watcher = ResultWatcher(stack.cluster, topic_name(settings.topic_prefix, "results"), codec,
                                (str(r["serial"]) for r in requests))
        assert watcher.wait(120), f"no result for {sorted(watcher.pending)}"
        watcher.close()
        serial = next(s for s, r in watcher.results.items() if r.provider == "kingdee" and r.status is Status.ISSUED)
        blue = issued_blue(stack.cluster, settings.topic_prefix, codec, serial)
        written = len(blue.events)
        blue, waiting = red_letter(blue, f"{serial}-R1", clock.now() - timedelta(hours=5))
        blue, issued = red_letter(blue, f"{serial}-R2", clock.now() - timedelta(minutes=30), issued=True)
        # Only what a worker writes (the running worker would answer requests): the reds, the blue's book.
        book = Lifecycle(serial, {}, blue.events[written:], None)
        publish(out, settings.topic_prefix, codec, [waiting, issued, book], requests=False)
        stack.start_console(TOKEN)
        yield Demo(stack, requests, serial, (waiting.serial, issued.serial))
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def screenshots() -> Path | None:
    """Where to save the docs' screenshots (FAPIAO_CONSOLE_SCREENSHOTS=docs), or None to take none."""
    folder = os.environ.get("FAPIAO_CONSOLE_SCREENSHOTS")
    return Path(folder) if folder else None
