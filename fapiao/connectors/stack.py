"""The whole system on one machine, as real processes: broker, provider sandboxes, gateway, worker.

`fapiao demo`, `fapiao up`, `fapiao bench` and the end-to-end tests all start it. Every process gets a
free loopback port, so a stack can run beside another; every process is stopped by its pid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlencode

import httpx

from fapiao.connectors.broker import EmbeddedBroker, free_port
from fapiao.connectors.cluster import Cluster
from fapiao.connectors.kafka import create_topics
from fapiao.connectors.sandbox_options import sandbox_args, worker_env
from fapiao.exceptions import FapiaoStreamError
from fapiao.settings import Settings
from fapiao.streams.topics import all_topics

__all__ = ["Stack", "StackOptions", "Process", "FAPIAO", "duplicates"]

FAPIAO = [sys.executable, "-m", "fapiao"]

# Timings that let a demo finish in seconds; an operator's own FAPIAO_* values win.
DEMO_TIMINGS = {
    "FAPIAO_PROVIDER_TIMEOUT_S": "2",
    "FAPIAO_IN_DOUBT_GRACE_S": "1",
    "FAPIAO_PENDING_RECHECK_S": "4",
    "FAPIAO_RETRY_BASE_S": "0.5",
    "FAPIAO_RETRY_CAP_S": "4",
    "FAPIAO_MAX_ATTEMPTS": "12",
    "FAPIAO_RECONCILE_INTERVAL_S": "0.5",
    "FAPIAO_RED_FORM_POLL_S": "1",
}


# The stack's only callback sources are its own sandboxes, all on 127.0.0.1: the gateway's per-source
# limit, there to stop a flood from one address, must not throttle them.
LOCAL_GATEWAY = {"FAPIAO_GATEWAY_RATE_PER_S": "1000000", "FAPIAO_GATEWAY_BURST": "1000000"}


class StackError(FapiaoStreamError):
    """A process of the stack did not start or did not become ready."""


@dataclass
class Process:
    """One child process and where its output goes."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout_s: float = 25.0, sig: int = signal.SIGTERM) -> int | None:
        """Signal it, wait up to `timeout_s`, then kill; return its exit code."""
        if self.alive():
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class StackOptions:
    providers: Sequence[str] = ("kingdee", "yipiaoyun")
    # `fapiao.connectors.sandbox_options` values by key: each goes only to the sandboxes that take it
    sandbox_options: Mapping[str, Any] = field(default_factory=dict)
    sandbox_args: Sequence[str] = ()  # further arguments for every sandbox, as they are
    env: Mapping[str, str] = field(default_factory=dict)  # extra FAPIAO_* for worker and gateway
    workers: int = 1
    processes: int = 1  # of each worker: more than 1 puts the worker's processes under a supervisor
    demo_timings: bool = True


class Stack:
    """Start with `with Stack(settings, workdir) as stack:`; everything stops on exit."""

    def __init__(self, settings: Settings, workdir: Path, options: StackOptions | None = None) -> None:
        self.settings = settings
        self.workdir = workdir
        self.options = options or StackOptions()
        self.broker: EmbeddedBroker | None = None
        self._cluster: Cluster | None = Cluster.of(settings) if settings.kafka_bootstrap else None
        self.processes: dict[str, Process] = {}
        self.sandbox_urls: dict[str, str] = {}
        self.gateway_url = ""
        self.web_urls: list[str] = []
        self.console_url = ""
        (workdir / "logs").mkdir(parents=True, exist_ok=True)

    # -- starting ---------------------------------------------------------------------------------

    def start(self) -> "Stack":
        try:
            self._start_broker()
            create_topics(self.cluster, all_topics(self.settings.topic_prefix, self.settings.app_id),
                          self.settings.partitions)
            gateway_port = free_port()
            self.gateway_url = f"http://127.0.0.1:{gateway_port}"
            for provider in self.options.providers:
                self._start_sandbox(provider)
            self.spawn("gateway", ["gateway", "--host", "127.0.0.1", "--port", str(gateway_port)])
            self.wait_until_answers("gateway", f"{self.gateway_url}/healthz")
            for index in range(self.options.workers):
                self.start_worker(index)
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def cluster(self) -> Cluster:
        """The cluster the stack runs on: the configured one, or its embedded broker once started."""
        if self._cluster is None:
            raise StackError("the stack has not started its broker yet")
        return self._cluster

    @property
    def bootstrap(self) -> str:
        return self.cluster.bootstrap

    def _start_broker(self) -> None:
        if self._cluster is not None:
            self._cluster.check()
            return
        self.broker = EmbeddedBroker(log_path=self.workdir / "logs" / "broker.log").start()
        self._cluster = self.broker.cluster

    def _start_sandbox(self, provider: str) -> None:
        port = free_port()
        self.sandbox_urls[provider] = f"http://127.0.0.1:{port}"
        callback_url = f"{self.gateway_url}/callbacks/{provider}"
        secret = self.settings.gateway_shared_secret
        if secret and provider in self.settings.gateway_secret_routes:
            callback_url += "?" + urlencode({"token": secret})  # as an operator configures the provider
        self.spawn(f"sandbox-{provider}", ["sandbox", provider, "--host", "127.0.0.1", "--port", str(port),
                                           "--callback-url", callback_url,
                                           *sandbox_args(self.options.sandbox_options, provider),
                                           *self.options.sandbox_args])
        self.wait_until_answers(f"sandbox-{provider}", f"{self.sandbox_urls[provider]}/_sandbox/stats")

    def start_worker(self, index: int = 0, env: Mapping[str, str] | None = None) -> Process:
        """Start (or restart) worker `index` with its own web port and data directory (and `env` beside; with
        `processes` > 1, its supervisor, which serves the web port and keeps one data directory per member)."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        if index < len(self.web_urls):
            self.web_urls[index] = url
        else:
            self.web_urls.append(url)
        process = self.spawn(f"worker-{index}", ["worker", "--processes", str(self.options.processes)], {
            **worker_env(self.options.sandbox_options), **(env or {}),
            "FAPIAO_WEB_PORT": str(port), "FAPIAO_DATA_DIR": str(self.workdir / f"worker-{index}")})
        self.wait_until_answers(f"worker-{index}", f"{url}/healthz", timeout_s=60)
        return process

    def start_console(self, token: str | None = None) -> str:
        """Start the operator's console; `token` when the operator set none (theirs is inherited). Its URL."""
        port = free_port()
        self.console_url = f"http://127.0.0.1:{port}"
        self.spawn("console", ["console", "--host", "127.0.0.1", "--port", str(port)],
                   {"FAPIAO_CONSOLE_TOKEN": token} if token else None)
        self.wait_until_answers("console", f"{self.console_url}/healthz")
        return self.console_url

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment a child process runs with: ours, plus where everything is."""
        env = dict(os.environ)
        if self.options.demo_timings:
            env.update({k: v for k, v in DEMO_TIMINGS.items() if k not in os.environ})
        env.update({k: v for k, v in LOCAL_GATEWAY.items() if k not in os.environ})
        env.update(self.options.env)
        env.update(self.cluster.environment())
        env["FAPIAO_TOPIC_PREFIX"] = self.settings.topic_prefix
        env["FAPIAO_APP_ID"] = self.settings.app_id
        env["FAPIAO_PARTITIONS"] = str(self.settings.partitions)
        env["FAPIAO_GATEWAY_PORT"] = self.gateway_url.rsplit(":", 1)[-1] if self.gateway_url else ""
        for provider, url in self.sandbox_urls.items():
            env[f"FAPIAO_{provider.upper()}_BASE_URL"] = url
        env.update(extra or {})
        return env

    def spawn(self, name: str, args: Sequence[str], extra_env: Mapping[str, str] | None = None) -> Process:
        log_path = self.workdir / "logs" / f"{name}.log"
        with open(log_path, "ab") as log:
            popen = subprocess.Popen([*FAPIAO, *args], stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.environment(extra_env))
        process = Process(name, popen, log_path)
        self.processes[name] = process
        return process

    def wait_until_answers(self, name: str, url: str, timeout_s: float = 30.0) -> None:
        """Wait until `url` answers below 500 (a readiness probe's 503 means not yet); fail if `name` dies."""
        deadline = time.monotonic() + timeout_s
        process = self.processes[name]
        while time.monotonic() < deadline:
            if not process.alive():
                raise StackError(f"{name} exited with {process.popen.returncode}:\n{process.tail()}")
            try:
                if httpx.get(url, timeout=1.0).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise StackError(f"{name} did not answer {url} within {timeout_s:.0f}s:\n{process.tail()}")

    # -- asking -----------------------------------------------------------------------------------

    def sandbox_stats(self, provider: str) -> dict[str, Any]:
        return httpx.get(f"{self.sandbox_urls[provider]}/_sandbox/stats", timeout=5.0).json()  # type: ignore[no-any-return]

    def duplicates_issued(self) -> int:
        """Serials some sandbox issued more than once (the number that must stay 0)."""
        return duplicates(self.sandbox_stats(p) for p in self.sandbox_urls)

    # -- stopping ---------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop every process by its pid, workers first, the broker last."""
        for name in sorted(self.processes, key=lambda n: (not n.startswith("worker"), n)):
            self.processes[name].stop()
        if self.broker is not None:
            self.broker.stop()

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def duplicates(stats: Iterable[Mapping[str, Any]]) -> int:
    """Serials with more than one invoice, by each sandbox's own `issued_per_serial`, summed over sandboxes."""
    return sum(1 for one in stats for issued in one["issued_per_serial"].values() if issued > 1)
