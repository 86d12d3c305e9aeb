"""Delivers the sandbox's signed 申请回调 to `--callback-url`, with bounded retries and injected loss/duplication."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from typing import Any

import aiohttp

from fapiao.connectors.yipiaoyun import signing, wire

__all__ = ["Courier"]

log = logging.getLogger(__name__)

ATTEMPTS = 5
FIRST_BACKOFF_S = 0.2  # doubles: 0.2, 0.4, 0.8, 1.6 -> about 3 s before giving up


class Courier:
    """POSTs callbacks; counts sent, failed, dropped and duplicated in `counters`."""

    def __init__(self, url: str | None, app_id: str, app_secret: str, sign_type: str, rng: random.Random,
                 drop_rate: float, duplicate_rate: float, counters: Counter[str]) -> None:
        self._url, self._app_id, self._secret, self._sign_type = url, app_id, app_secret, sign_type
        self._rng, self._drop_rate, self._duplicate_rate = rng, drop_rate, duplicate_rate
        self._counters = counters
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def deliver(self, code: int, message: str, data: dict[str, Any]) -> None:
        """Send one result, unless the drop rate says it is lost; twice if the duplicate rate says so."""
        if not self._url:
            return
        if self._rng.random() < self._drop_rate:
            self._counters["dropped"] += 1
            return
        copies = 2 if self._rng.random() < self._duplicate_rate else 1
        self._counters["duplicated"] += copies - 1
        for _ in range(copies):
            await self._send(code, message, data)

    async def _send(self, code: int, message: str, data: dict[str, Any]) -> None:
        assert self._session is not None and self._url is not None, "start() first"
        # Signed like a request: fresh nonce and timestamp per delivery, business fields outside the signature.
        body = wire.dumps({**signing.core_params(self._app_id, self._secret, self._sign_type),
                           "code": code, "message": message, "data": data})
        for attempt in range(ATTEMPTS):
            try:
                async with self._session.post(self._url, data=body,
                                              headers={"Content-Type": "application/json"}) as response:
                    if 200 <= response.status < 300:
                        self._counters["sent"] += 1
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.debug("callback attempt %d failed: %s", attempt + 1, exc)
            if attempt + 1 < ATTEMPTS:
                self._counters["retried"] += 1
                await asyncio.sleep(FIRST_BACKOFF_S * 2**attempt)
        self._counters["failed"] += 1
