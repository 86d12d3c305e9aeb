"""`fapiao writeback` against a small aiohttp ERP stub: 2xx commits, 503 is retried then delivered while
other partitions flow, 4xx lands in the DLQ, order per partition (so per serial) is kept, SIGTERM is clean."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import threading
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any, Iterator

import pytest
from aiohttp import web
from confluent_kafka import TopicPartition

from fapiao import clock
from fapiao.audit.synthetic import lifecycle
from fapiao.connectors.broker import free_port
from fapiao.connectors.cluster import Cluster
from fapiao.connectors.kafka import read_topic
from fapiao.connectors.writeback import GROUP
from fapiao.schemas.codec import Codec
from fapiao.settings import Settings
from fapiao.streams.topics import topic_name

from conftest import FAPIAO, env_of

pytestmark = pytest.mark.integration


class ErpStub:
    """Answers 503 to the first `busy` POSTs of a serial, 400 to serials starting with BAD, else 200."""

    def __init__(self, busy: dict[str, int]) -> None:
        self.busy = dict(busy)
        self.delivered: list[tuple[str, str | None]] = []  # (serial, code) in the order the ERP took them
        self.posts = 0
        self.bodies: list[dict[str, Any]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/erp/invoices"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _handle(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        self.posts += 1
        serial = body["serial"]
        assert request.headers["Idempotency-Key"] == serial
        if self.busy.get(serial, 0) > 0:
            self.busy[serial] -= 1
            return web.Response(status=503, text="busy")
        if serial.startswith("BAD"):
            return web.json_response({"error": "unknown order"}, status=400)
        self.delivered.append((serial, body["code"]))
        self.bodies.append(body)
        return web.json_response({"ok": True})

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/erp/invoices", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def __enter__(self) -> "ErpStub":
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture
def erp() -> Iterator[ErpStub]:
    with ErpStub(busy={"RETRY1": 3}) as stub:
        yield stub


def _wait(condition: Any, seconds: float, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_writeback_retries_parks_refusals_keeps_order_and_commits(topics: Settings, erp: ErpStub) -> None:
    codec, start = Codec(), clock.now() - timedelta(minutes=1)
    results = [lifecycle(serial, start).result for serial in
               ["RETRY1", "BAD1", *(f"OK{i}" for i in range(10))]]
    first = replace(results[-1], code="first")  # type: ignore[type-var]
    results += [replace(first, serial="ORD1"), replace(first, serial="ORD1", code="second")]
    out = Cluster.of(topics).producer()
    results_topic = topic_name(topics.topic_prefix, "results")
    for result in results:
        out.produce(results_topic, key=result.serial.encode(), value=codec.encode(result))  # type: ignore[union-attr]
    assert out.flush(30) == 0

    sink = subprocess.Popen([str(FAPIAO), "writeback", "--url", erp.url, "--backoff-base-s", "0.2",
                             "--backoff-cap-s", "0.5"], env=env_of(topics), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: len(erp.delivered) == len(results) - 1, 60, sink)  # all but BAD1
        sink.send_signal(signal.SIGTERM)
        assert sink.wait(30) == 0
    finally:
        if sink.poll() is None:
            sink.kill()
            sink.wait()
    log = sink.communicate()[1]
    assert "buyer" not in log and "张三" not in log  # no personal data in the log

    # The ERP gets plain JSON: a nested record is an object, money a decimal string.
    assert all(isinstance(b["invoice"], dict) and isinstance(b["total_amount"], str) for b in erp.bodies)
    delivered = [serial for serial, _ in erp.delivered]
    assert sorted(delivered) == sorted(r.serial for r in results if r and r.serial != "BAD1")
    assert [code for serial, code in erp.delivered if serial == "ORD1"] == ["first", "second"]
    assert erp.posts >= len(delivered) + 3 + 1  # RETRY1's three 503s and BAD1's 400

    # Order per partition: the ERP took each partition's records in offset order.
    where = {(m.key().decode(), m.value()): (m.partition(), m.offset()) for m in read_topic(
        Cluster.of(topics), results_topic, follow=False)}
    by_serial_code = {(codec.decode(v, type(first)).serial, codec.decode(v, type(first)).code): p
                      for (_, v), p in where.items()}
    positions = [by_serial_code[item] for item in erp.delivered]
    for partition in {p for p, _ in positions}:
        offsets = [o for p, o in positions if p == partition]
        assert offsets == sorted(offsets)

    dead = [json.loads(m.value()) for m in read_topic(Cluster.of(topics),
                                                      topic_name(topics.topic_prefix, "dlq"), follow=False)]
    assert [(d["stage"], d["reason"][:15]) for d in dead] == [("writeback", "ERP answered 40")]
    assert "unknown order" in dead[0]["reason"]

    # Everything done is committed: the group's offsets are past every record.
    ends: dict[int, int] = {}
    for partition, offset in where.values():
        ends[partition] = max(ends.get(partition, 0), offset + 1)
    consumer = Cluster.of(topics).consumer(GROUP)
    try:
        committed = consumer.committed([TopicPartition(results_topic, p) for p in ends], timeout=10)
    finally:
        consumer.close()
    assert {tp.partition: tp.offset for tp in committed} == ends
