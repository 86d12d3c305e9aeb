"""librdkafka's own log lines go to Python logging (`fapiao.librdkafka`), never straight to a terminal."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time

import pytest
from fapiao.connectors.broker import free_port
from fapiao.connectors.cluster import LIBRDKAFKA_LOG, Cluster

RAW_LINE = re.compile(r"%\d\|\d+\.\d+\|")  # librdkafka's own format: %3|1700000000.123|FAIL|…


def test_a_refused_connection_is_logged_through_python_logging(caplog: pytest.LogCaptureFixture) -> None:
    consumer = Cluster(f"127.0.0.1:{free_port()}").consumer("logs")
    try:
        with caplog.at_level(logging.DEBUG, logger=LIBRDKAFKA_LOG.name):
            deadline = time.monotonic() + 20
            while not caplog.records and time.monotonic() < deadline:
                consumer.poll(0.2)  # librdkafka hands its log lines over on poll
    finally:
        consumer.close()
    assert caplog.records and all(record.name == LIBRDKAFKA_LOG.name for record in caplog.records)
    assert any("Connection refused" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("args", [["tail", "requests", "--no-follow"], ["topics", "create"]])  # a consumer, an admin client
def test_no_librdkafka_line_reaches_a_commands_terminal(args: list[str]) -> None:
    env = {**os.environ, "FAPIAO_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",  # nothing listens there
           "FAPIAO_KAFKA_CONNECT_TIMEOUT_S": "3"}
    done = subprocess.run([sys.executable, "-m", "fapiao", *args], env=env, capture_output=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode != 0  # it did try, and failed: there is no broker
    assert not RAW_LINE.search(done.stderr.decode(errors="replace")), done.stderr[-2000:]
    assert not RAW_LINE.search(done.stdout.decode(errors="replace"))
