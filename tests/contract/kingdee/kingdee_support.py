"""Helpers of the Kingdee contract tests: a sandbox subprocess and a callback receiver thread."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from fapiao.connectors.kingdee import KingdeeCallbacks, KingdeeProvider
from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.samples import valid_request
from fapiao.schemas.records import InvoiceRequest
from fapiao.schemas.requests import parse_request

FAPIAO = Path(sys.executable).with_name("fapiao")
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Sandbox:
    """One `fapiao sandbox kingdee` subprocess."""

    def __init__(self, *args: str) -> None:
        self.url = f"http://{HOST}:{free_port()}"
        # A file, not a pipe: a chatty sandbox can never block on a full pipe nobody reads.
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen([str(FAPIAO), "sandbox", "kingdee", "--port", self.url.rsplit(":", 1)[1],
                                         *args], stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            if self.process.poll() is not None:
                self._log.seek(0)
                raise RuntimeError(f"sandbox exited: {self._log.read().decode()}")
            try:
                httpx.get(f"{self.url}/_sandbox/stats", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/_sandbox/stats", timeout=5).json()  # type: ignore[no-any-return]

    def expire_tokens(self) -> None:
        httpx.post(f"{self.url}/_sandbox/expire-tokens", timeout=5).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


class Receiver:
    """A small aiohttp callback endpoint in its own thread; fails its first `fail_first` POSTs with 500."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.bodies: list[bytes] = []  # the callbacks it acknowledged
        self.refused = 0
        self._sock = socket.socket()
        self._sock.bind((HOST, 0))
        self.url = f"http://{HOST}:{self._sock.getsockname()[1]}/kingdee/callback"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.refused < self.fail_first:
            self.refused += 1
            return web.Response(status=500, text="busy")
        self.bodies.append(body)
        return web.Response(body=KingdeeCallbacks.reply_body, content_type="application/json")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/kingdee/callback", self._handle)
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

    async def wait_for(self, count: int, parser: KingdeeCallbacks, serial: str, timeout: float = 10) -> list[Any]:
        """The parsed facts about `serial`, once at least `count` callbacks named it."""
        deadline = time.monotonic() + timeout
        while True:
            facts = [fact for body in list(self.bodies) for fact in parser.parse(body, {}) if fact.serial == serial]
            if len(facts) >= count or time.monotonic() > deadline:
                return facts
            await asyncio.sleep(0.05)


_serials = iter(range(10**6))


def new_request(invoice_type: str = "digital_normal", **changes: Any) -> InvoiceRequest:
    serial = f"KDC{time.time_ns() % 10**9:09d}{next(_serials):04d}"
    request, findings = parse_request(valid_request(serial, "kingdee", invoice_type=invoice_type))
    assert request is not None, findings
    return dataclasses.replace(request, **changes)


async def settled(provider: KingdeeProvider, request: InvoiceRequest, timeout: float = 10) -> Outcome:
    """Query until the serial is no longer 开票中."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = await provider.query(request)
        if outcome.kind is not OutcomeKind.PENDING or time.monotonic() > deadline:
            return outcome
        await asyncio.sleep(0.1)
