"""The worker's table on disk (RocksDB, the default): a restart recovers from the disk and the changelog
written since; a crash discards the disk and recovers from the changelog; a partition that moves to another
worker leaves this one."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Callable

import httpx
import pytest
from rocksdict import AccessType, Options, Rdict

from fapiao.connectors.stack import Stack, StackOptions
from fapiao.connectors.watch import ResultWatcher
from fapiao.samples import demo_requests
from fapiao.schemas.codec import Codec
from fapiao.settings import Settings
from fapiao.streams.store import CLOSED_MARK
from fapiao.streams.topics import topic_name

pytestmark = pytest.mark.integration
YIPIAOYUN = StackOptions(providers=("yipiaoyun",))


def issue(stack: Stack, count: int, prefix: str) -> list[str]:
    """Publish `count` valid requests and wait until each has its result; their serials."""
    requests = list(demo_requests(count, "yipiaoyun", invalid_every=0, prefix=prefix))
    prefix_ = stack.settings.topic_prefix
    watcher = ResultWatcher(stack.cluster, topic_name(prefix_, "results"), Codec(), [r["serial"] for r in requests])
    out = stack.cluster.producer()
    for request in requests:
        out.produce(topic_name(prefix_, "requests"), key=request["serial"].encode(), value=json.dumps(request).encode())
    out.flush(10)
    try:
        assert watcher.wait(90), f"no result for {watcher.pending}"
    finally:
        watcher.close()
    return [r["serial"] for r in requests]


def status_on(url: str, serial: str) -> str | None:
    answer = httpx.get(f"{url}/invoices/{serial}", timeout=5)
    return answer.json()["status"] if answer.status_code == 200 else None


def eventually(check: Callable[[], bool], deadline_s: float = 60) -> bool:
    stop = time.monotonic() + deadline_s
    while time.monotonic() < stop:
        if check():
            return True
        time.sleep(0.2)
    return check()


def rows_on_disk(tabledir: Path) -> set[bytes]:
    keys: set[bytes] = set()
    for database in sorted(tabledir.glob("invoices-*.db")):
        db = Rdict(str(database), options=Options(raw_mode=True), access_type=AccessType.read_only())
        keys |= {key for key in db.keys() if not key.startswith(b"__faust")}
        db.close()
    return keys


def test_a_restart_recovers_from_disk_and_a_crash_from_the_changelog(
        settings_factory: Callable[..., Settings], tmp_path: Path) -> None:
    settings = settings_factory(FAPIAO_PARTITIONS="2")
    with Stack(settings, tmp_path, YIPIAOYUN) as stack:
        first = issue(stack, 5, "DISK")
        tabledir = tmp_path / "worker-0" / settings.app_id / "v1" / "tables"
        assert stack.processes["worker-0"].stop() == 0  # SIGTERM: faust flushes, then the table is marked closed
        assert (tabledir / CLOSED_MARK).exists()
        assert {serial.encode() for serial in first} <= rows_on_disk(tabledir)

        stack.start_worker(0)
        later = issue(stack, 3, "TAIL")  # read from the changelog past what the disk holds
        assert all(status_on(stack.web_urls[0], serial) == "issued" for serial in first + later)
        assert "table on disk under" in stack.processes["worker-0"].tail(400)

        stack.processes["worker-0"].stop(sig=signal.SIGKILL)  # nothing flushed, nothing marked
        stack.start_worker(0)
        assert eventually(lambda: all(status_on(stack.web_urls[0], s) == "issued" for s in first + later))
        assert "not closed cleanly" in stack.processes["worker-0"].tail(400)


def test_rows_of_a_partition_that_moved_leave_the_worker(settings_factory: Callable[..., Settings],
                                                         tmp_path: Path) -> None:
    settings = settings_factory(FAPIAO_PARTITIONS="4")
    with Stack(settings, tmp_path, YIPIAOYUN) as stack:
        serials = issue(stack, 12, "MOVE")
        assert all(status_on(stack.web_urls[0], serial) == "issued" for serial in serials)
        stack.start_worker(1)

        def each_serial_on_one_worker() -> bool:
            holders = [[url for url in stack.web_urls if status_on(url, serial)] for serial in serials]
            return all(len(urls) == 1 for urls in holders) and {urls[0] for urls in holders} == set(stack.web_urls)

        assert eventually(each_serial_on_one_worker), "a worker still answers for a serial whose partition moved"
