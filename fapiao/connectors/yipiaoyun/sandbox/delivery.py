"""Delivers the sandbox's signed 申请回调 to `--callback-url`, with bounded retries and injected loss/duplication."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import aiohttp

from fapiao.connectors import wire
from fapiao.connectors.sandboxkit import ATTEMPTS, post_until_acknowledged
from fapiao.connectors.yipiaoyun import signing

__all__ = ["Courier"]


class Courier:
    """POSTs callbacks; counts sent, failed, dropped and duplicated in `counters`."""

    def __init__(self, url: str | None, app_id: str, app_secret: str, sign_type: str, rng: random.Random,
                 drop_rate: float, duplicate_rate: float, counters: Counter[str]) -> None:
        self._url, self._app_id, self._secret, self._sign_type = url, app_id, app_secret, sign_type
        self._rng, self._drop_rate, self._duplicate_rate = rng, drop_rate, duplicate_rate
        self._counters = counters

    async def deliver(self, session: aiohttp.ClientSession, code: int, message: str, data: dict[str, Any]) -> None:
        """Send one result, unless the drop rate says it is lost; twice if the duplicate rate says so."""
        if not self._url:
            return
        if self._rng.random() < self._drop_rate:
            self._counters["dropped"] += 1
            return
        copies = 2 if self._rng.random() < self._duplicate_rate else 1
        self._counters["duplicated"] += copies - 1
        for _ in range(copies):
            await self._send(session, self._url, code, message, data)

    async def _send(self, session: aiohttp.ClientSession, url: str, code: int, message: str,
                    data: dict[str, Any]) -> None:
        # Signed like a request: fresh nonce and timestamp per delivery, business fields outside the signature.
        body = wire.dumps({**signing.core_params(self._app_id, self._secret, self._sign_type),
                           "code": code, "message": message, "data": data})
        delivered = await post_until_acknowledged(session, url, body, _acknowledged, self._failed)
        self._counters["sent" if delivered else "failed"] += 1

    def _failed(self, attempt: int) -> None:
        if attempt + 1 < ATTEMPTS:  # `retried` counts the resends, not the last failure
            self._counters["retried"] += 1


def _acknowledged(status: int, body: bytes) -> bool:
    return 200 <= status < 300  # any 2xx: the reply body the vendor expects is undocumented (see callbacks.py)
