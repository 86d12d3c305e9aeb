"""The gateway as a real process for the integration tests, and what they read back from the broker.

`start_gateway` runs `python -m fapiao gateway` on a free loopback port; the caller stops it by its pid.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from fapiao.connectors.broker import free_port
from fapiao.connectors.cluster import Cluster
from fapiao.connectors.kafka import create_topics, read_topic
from fapiao.connectors.stack import Process
from fapiao.schemas.codec import Codec
from fapiao.schemas.records import CallbackRecord
from fapiao.streams.topics import all_topics

__all__ = ["PREFIX", "CALLBACKS", "SECRET", "JSON", "create_all_topics", "stored", "start_gateway"]

PREFIX, APP_ID, PARTITIONS = "fapiao", "fapiao-stream", 3
CALLBACKS = f"{PREFIX}.callbacks"
SECRET = "gw-shared-Secret-7Kq"
JSON = {"Content-Type": "application/json"}


def create_all_topics(cluster: Cluster) -> None:
    create_topics(cluster, all_topics(PREFIX, APP_ID), PARTITIONS)


def stored(cluster: Cluster) -> list[CallbackRecord]:
    """Every record on fapiao.callbacks, decoded."""
    codec = Codec()
    return [codec.decode(message.value(), CallbackRecord) for message in read_topic(cluster, CALLBACKS)]


def start_gateway(bootstrap: str, log_path: Path, **env: str) -> tuple[Process, str]:
    """`python -m fapiao gateway` on a free loopback port; returns it once /healthz answers."""
    port = free_port()
    environment = {**os.environ, "FAPIAO_KAFKA_BOOTSTRAP": bootstrap, "FAPIAO_TOPIC_PREFIX": PREFIX, **env}
    with open(log_path, "ab") as log:
        popen = subprocess.Popen([sys.executable, "-m", "fapiao", "gateway", "--host", "127.0.0.1",
                                  "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=environment)
    process, url = Process("gateway", popen, log_path), f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.alive():
        try:
            httpx.get(f"{url}/healthz", timeout=1.0)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.stop()
    raise RuntimeError(f"gateway did not start:\n{process.tail()}")
