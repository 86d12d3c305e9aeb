"""Real processes on loopback for the 票申 contract tests: the sandbox as `fapiao sandbox yipiaoyun`, and a receiver.

A sandbox is stopped by its pid: terminate, wait, kill if it does not go. The callback receiver is a small
aiohttp server on its own thread, so every test's event loop can talk to it.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
from aiohttp import web

from fapiao.connectors.yipiaoyun import YipiaoyunCallbacks, YipiaoyunProvider, wire
from fapiao.settings import YipiaoyunSettings

__all__ = ["APP_ID", "SECRET", "Receiver", "Sandbox", "start_sandbox"]

APP_ID, SECRET = "contract-app", "contract-secret"
FAPIAO = Path(sys.executable).parent / "fapiao"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """Collects every POSTed callback body; answers what YipiaoyunCallbacks says the vendor expects."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/callbacks"
        self.flaky_url = f"http://127.0.0.1:{self.port}/flaky"  # answers 500 to every other POST
        self._flaky_calls = 0
        self.bodies: list[bytes] = []
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        with self._changed:
            self.bodies.append(body)
            self._changed.notify_all()
        return web.Response(body=YipiaoyunCallbacks.reply_body, content_type="application/json")

    async def _flaky(self, request: web.Request) -> web.Response:
        self._flaky_calls += 1
        if self._flaky_calls % 2:
            return web.Response(status=500)
        return await self._receive(request)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/callbacks", self._receive)
        app.router.add_post("/flaky", self._flaky)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def start(self) -> None:
        self._thread.start()
        self._started.wait(5)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def for_serial(self, serial: str) -> list[bytes]:
        return [b for b in self.bodies if serial in wire.loads(b).get("data", {}).get("erpOrderNos", [])]

    def wait_for(self, serial: str, count: int = 1, timeout_s: float = 10) -> list[bytes]:
        """The callbacks naming `serial`, once at least `count` arrived (fails after `timeout_s`)."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while len(self.for_serial(serial)) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"no {count} callback(s) for {serial} within {timeout_s}s"
                self._changed.wait(left)
            return self.for_serial(serial)


@dataclass
class Sandbox:
    url: str
    process: subprocess.Popen[bytes]
    sign_type: str

    def stats(self) -> dict[str, Any]:
        return wire.loads(httpx.get(f"{self.url}/_sandbox/stats", timeout=2).content)  # type: ignore[no-any-return]

    @asynccontextmanager
    async def client(self, timeout_s: float = 5.0, secret: str = SECRET) -> AsyncIterator[YipiaoyunProvider]:
        """A provider configured for this sandbox, closed on exit."""
        provider = YipiaoyunProvider(YipiaoyunSettings(self.url, APP_ID, secret, self.sign_type), timeout_s)
        try:
            yield provider
        finally:
            await provider.aclose()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_sandbox(*options: str, sign_type: str) -> Sandbox:
    port = free_port()
    process = subprocess.Popen(
        [str(FAPIAO), "sandbox", "yipiaoyun", "--port", str(port), "--app-id", APP_ID, "--app-secret", SECRET,
         "--sign-type", sign_type, "--seed", "7", *options],
        stdout=subprocess.DEVNULL,
    )
    sandbox = Sandbox(f"http://127.0.0.1:{port}", process, sign_type)
    deadline = time.monotonic() + 20
    while True:
        try:
            sandbox.stats()
            return sandbox
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                sandbox.stop()
                raise RuntimeError(f"sandbox on port {port} did not come up") from None
            time.sleep(0.05)
