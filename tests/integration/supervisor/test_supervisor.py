"""The supervisor as a real process over real member processes (stand-ins without Kafka, `fake_member.py`):
one scrape adds up every member, a dead member is started again, SIGTERM stops all, and members die
with a supervisor killed outright. The same with real workers on a broker is in tests/fault."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

import httpx
import pytest

from fapiao.bench.process import alive
from fapiao.connectors.broker import free_port
from fake_member import ODD

Started = tuple[subprocess.Popen[bytes], str, Path]


def until(condition: Callable[[], Any], timeout_s: float = 20.0) -> Any:
    """Wait for `condition()` to be truthy; return it, or fail after the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if value := condition():
                return value
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    pytest.fail(f"not within {timeout_s}s: {condition}")


def members(url: str) -> list[dict[str, Any]]:
    return httpx.get(f"{url}/healthz", timeout=2).json()["members"]  # type: ignore[no-any-return]


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[Callable[..., Started]]:
    """`supervisor(n, **env)`: the supervisor of n fake members, its URL once every member runs, its log."""
    started: list[subprocess.Popen[bytes]] = []

    def start(processes: int, **env: str) -> Started:
        port, log = free_port(), tmp_path / "supervisor.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("run_supervisor.py")), str(processes)],
                env={**os.environ, "FAPIAO_WEB_PORT": str(port), "FAPIAO_DATA_DIR": str(tmp_path / "data"), **env},
                stdout=out, stderr=subprocess.STDOUT)
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        until(lambda: all(m["running"] for m in members(url)) and httpx.get(f"{url}/readyz").status_code == 200)
        return process, url, log

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_one_scrape_adds_up_every_member_and_a_serial_is_found_on_its_member(
        supervisor: Callable[..., Started]) -> None:
    _, url, _ = supervisor(3)
    text = httpx.get(f"{url}/metrics").text
    assert 'fake_records_total{topic="requests"} 3' in text.splitlines()
    assert "fake_lag 6" in text.splitlines()
    assert "fapiao_worker_processes 3" in text and "fapiao_worker_processes_scraped 3" in text
    assert httpx.get(f"{url}/invoices/S-2").json() == {"serial": "S-2", "member": 2}
    assert httpx.get(f"{url}/invoices/S-9").status_code == 404
    odd = f"{ODD}-1"  # asked of every member as one quoted path segment, and found on its own
    assert httpx.get(f"{url}/invoices/{quote(odd, safe='')}").json() == {"serial": odd, "member": 1}
    assert len({m["port"] for m in members(url)} | {int(url.rsplit(":", 1)[1])}) == 4


def test_a_member_killed_is_started_again_with_a_log_line_saying_which_and_why(
        supervisor: Callable[..., Started]) -> None:
    process, url, log = supervisor(2)
    victim = members(url)[1]["pid"]
    os.kill(victim, signal.SIGKILL)
    again = until(lambda: [m for m in members(url) if m["index"] == 1 and m["running"] and m["pid"] != victim])
    assert again[0]["restarts"] == 1 and members(url)[0]["restarts"] == 0
    assert f"member 1 (pid {victim}) killed by SIGKILL after" in log.read_text()
    until(lambda: "fapiao_worker_restarts_total 1" in httpx.get(f"{url}/metrics").text)
    assert process.poll() is None


def test_a_members_counts_outlive_its_process_in_the_sum(supervisor: Callable[..., Started]) -> None:
    """Each fake process counts one record: killed and started again, member 1 has counted two, and no
    scrape in between reads less than before (Prometheus would take it for a counter reset)."""
    _, url, _ = supervisor(2)

    def records() -> float:
        found = re.search(r'^fake_records_total\{topic="requests"\} (\S+)$', httpx.get(f"{url}/metrics").text, re.M)
        assert found, "no fake_records_total in the sum"
        return float(found[1])

    assert records() == 2
    victim = members(url)[1]["pid"]
    os.kill(victim, signal.SIGKILL)
    read = [records()]
    until(lambda: read.append(records()) or read[-1] == 3)
    assert sorted(read) == read and read[0] >= 2, read
    assert "fake_lag 4" in httpx.get(f"{url}/metrics").text.splitlines()  # gauges: the live processes' alone


def test_sigterm_stops_every_member_and_kills_one_that_ignores_it_after_the_deadline(
        supervisor: Callable[..., Started]) -> None:
    process, url, log = supervisor(2, FAKE_IGNORE_SIGTERM="1")
    pids = [m["pid"] for m in members(url)]
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0
    assert 2.0 <= time.monotonic() - started < 10.0  # the test's deadline is 2 s, then SIGKILL
    assert not any(alive(pid) for pid in pids)
    assert "still running 2s after SIGTERM: killing it" in log.read_text()


def test_members_die_with_a_supervisor_killed_outright(supervisor: Callable[..., Started]) -> None:
    process, url, _ = supervisor(2)
    pids = [m["pid"] for m in members(url)]
    process.kill()
    process.wait()
    until(lambda: not any(alive(pid) for pid in pids), timeout_s=10)
