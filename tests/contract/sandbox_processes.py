"""What both providers' contract tests run for real on loopback: sandbox subprocesses and a callback receiver.

A sandbox is `fapiao sandbox PROVIDER --port <free port> …`, ready once `/_sandbox/stats` answers, and is
stopped by its pid (terminate, wait, kill if it does not go). The receiver is a small aiohttp server on its
own thread and loop, so every test's event loop can reach it.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Generic, Hashable, Mapping, Protocol, TypeVar

import httpx
from aiohttp import web

from fapiao.connectors import wire

__all__ = ["HOST", "free_port", "SandboxProcess", "Started", "CallbackReceiver", "never"]

FAPIAO = Path(sys.executable).with_name("fapiao")
HOST = "127.0.0.1"
READY_S = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class SandboxProcess:
    """One `fapiao sandbox PROVIDER` subprocess, running once the constructor returns."""

    def __init__(self, provider: str, *args: str) -> None:
        port = free_port()
        self.url = f"http://{HOST}:{port}"
        # A file, not a pipe: a chatty sandbox can never block on a full pipe nobody reads.
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen([str(FAPIAO), "sandbox", provider, "--port", str(port), *args],
                                        stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + READY_S
        while True:
            try:
                self.stats()
                return
            except httpx.HTTPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self._log.seek(0)
                    output = self._log.read().decode(errors="replace")
                    self.stop()
                    raise RuntimeError(f"{provider} sandbox on port {port} did not come up: {output}") from None
                time.sleep(0.05)

    def stats(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/_sandbox/stats", timeout=5)
        response.raise_for_status()
        return wire.loads(response.content)  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self._log.close()


class _Stoppable(Protocol):
    def stop(self) -> None: ...


S = TypeVar("S", bound=_Stoppable)


class Started(Generic[S]):
    """Sandboxes started on first demand, one per distinct argument list (a session fixture's cache)."""

    def __init__(self, start: Callable[..., S]) -> None:
        self._start = start
        self._running: dict[Hashable, S] = {}

    def __call__(self, *args: str, **options: str) -> S:
        key = (args, tuple(sorted(options.items())))
        if key not in self._running:
            self._running[key] = self._start(*args, **options)
        return self._running[key]

    def stop_all(self) -> None:
        for sandbox in self._running.values():
            sandbox.stop()


def never() -> bool:
    """A route that acknowledges every callback."""
    return False


class CallbackReceiver:
    """The ERP's callback endpoint: on each route, `refuse()` True answers 500, else `reply_body` is
    answered and the body recorded in `bodies` (with `changed` notified)."""

    def __init__(self, reply_body: bytes, routes: Mapping[str, Callable[[], bool]]) -> None:
        self.bodies: list[bytes] = []
        self.changed = threading.Condition()
        self._reply_body = reply_body
        self._routes = routes
        self._sock = socket.socket()
        self._sock.bind((HOST, 0))  # bound here, so the port cannot be taken before the server starts
        self.base_url = f"http://{HOST}:{self._sock.getsockname()[1]}"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)

    def _handler(self, refuse: Callable[[], bool]) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.Response:
            body = await request.read()
            if refuse():
                return web.Response(status=500, text="busy")
            with self.changed:
                self.bodies.append(body)
                self.changed.notify_all()
            return web.Response(body=self._reply_body, content_type="application/json")
        return handle

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        for path, refuse in self._routes.items():
            app.router.add_post(path, self._handler(refuse))
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.SockSite(self._runner, self._sock).start())
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
