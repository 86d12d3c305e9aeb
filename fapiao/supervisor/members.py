"""The member processes of a supervised worker: each with its own web port (on loopback: only the
supervisor talks to it) and its own data directory, started and stopped by its pid."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from fapiao.connectors.broker import free_port

__all__ = ["Member", "die_with_parent", "PROMETHEUS_DIR"]

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# prometheus_client's multiprocess directory: each member gets its own, or a member's scrape would
# already hold every member's series and the supervisor's sum would count them N times.
PROMETHEUS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when `parent` dies, so a supervisor killed outright leaves
    no orphan member behind; exit now if `parent` is already gone (it died before we could ask)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        os._exit(1)


@dataclass
class Member:
    """Member `index`: its command, where it keeps its state, and its current process."""

    index: int
    argv: Sequence[str]
    data_dir: Path
    popen: subprocess.Popen[bytes] | None = None
    port: int = 0
    started_at: float = 0.0
    delay_s: float | None = None  # the wait before its current start; None for the first start
    due_at: float = 0.0  # when a dead member starts again
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else None

    def start(self) -> None:
        """Start it on a fresh free port (the old one may still be held by the process that died)."""
        self.port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "FAPIAO_WEB_HOST": "127.0.0.1", "FAPIAO_WEB_PORT": str(self.port),
               "FAPIAO_DATA_DIR": str(self.data_dir)}
        if os.environ.get(PROMETHEUS_DIR):
            own = Path(os.environ[PROMETHEUS_DIR]) / f"member-{self.index}"
            shutil.rmtree(own, ignore_errors=True)  # prometheus_client wants it empty at each start
            own.mkdir(parents=True)
            env[PROMETHEUS_DIR] = str(own)
        # stdout and stderr are the supervisor's: members log where a single worker would
        self.popen = subprocess.Popen(self.argv, env=env, stdin=subprocess.DEVNULL)
        self.started_at = time.monotonic()

    def returncode(self) -> int | None:
        """Its exit code once it has exited (reaped here), else None; None too before its first start."""
        return self.popen.poll() if self.popen is not None else None

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.running():
            assert self.popen is not None
            self.popen.send_signal(sig)

    def forget(self) -> None:
        """Its process is gone: nothing to signal or scrape until it starts again."""
        self.popen = None
