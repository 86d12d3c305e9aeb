"""Running a sandbox: the serve loop, its background work, and the counts it reports."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections import Counter
from typing import Any, Awaitable, Callable

import aiohttp
import click
from aiohttp import web

from fapiao.settings import KEYS

__all__ = ["serve", "Background", "issuance_stats", "client_default"]

_DEFAULTS = {key.name: key.default for key in KEYS}


def client_default(name: str) -> Any:
    """The default of setting `name`: sandbox options default to it so that a client left at its defaults fits."""
    return _DEFAULTS[name]


async def serve(provider: str, host: str, port: int, build: Callable[[str], web.Application]) -> None:
    """Serve `build(url)` on host:port until SIGINT or SIGTERM, then stop cleanly (hung answers are cut short)."""
    # Bind first, so that port 0 works and the links the app hands out carry the real port.
    sock = socket.create_server((host, port))
    bound_host, bound_port = sock.getsockname()[:2]
    url = f"http://{bound_host}:{bound_port}"
    runner = web.AppRunner(build(url), shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    click.echo(f"{provider} sandbox listening on {url}")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


class Background:
    """Tasks that outlive an answer (issuing later, delivering callbacks) and the session callbacks go out on.

    Register `start` and `stop` as the app's on_startup and on_cleanup: stopping cancels what is still running.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "start() first"
        return self._session

    def spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)  # a strong reference, or the loop may drop the task mid-way
        task.add_done_callback(self._tasks.discard)

    async def start(self, app: web.Application) -> None:
        self._session = aiohttp.ClientSession()

    async def stop(self, app: web.Application) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()


def issuance_stats(submissions_per_serial: Counter[str], issued_per_serial: Counter[str], requests: Counter[str],
                   callbacks: Counter[str], faults: Counter[str], *, dedupe: bool, **held: Any) -> dict[str, Any]:
    """What `/_sandbox/stats` reports: the oracle of "never issued twice", counted by the provider's side.

    - `submissions_per_serial`: submissions the sandbox accepted, per serial (with `--dedupe off` a serial
      sent again is accepted again, so a count above 1 shows a client that resent);
    - `issued_per_serial`: invoices that came into existence, per serial; `duplicates` counts the serials
      with more than one, the number that must stay 0 whatever the client does;
    - `faults`: the faults that fired (answered 503, answers held past the timeout, callbacks dropped or
      sent twice, calls refused for an expired token), so a test can check its premises;
    - `held`: the provider's own further counts, reported as given (e.g. Kingdee's red-letter `forms`,
      `red_issued` and `over_flushed`).
    """
    return {
        "dedupe": dedupe,
        "submissions_per_serial": dict(submissions_per_serial),
        "resubmitted": sum(1 for n in submissions_per_serial.values() if n > 1),
        "issued_per_serial": dict(issued_per_serial),
        "issued": sum(issued_per_serial.values()),
        "duplicates": sum(1 for n in issued_per_serial.values() if n > 1),
        **held,
        "faults": dict(faults),
        "requests": dict(requests),
        "callbacks_sent": callbacks["sent"],
        "callbacks": dict(callbacks),
    }
