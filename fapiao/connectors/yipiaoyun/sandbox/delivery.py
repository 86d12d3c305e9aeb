"""Delivers the sandbox's signed 申请回调 to `--callback-url`: bounded retries, injected loss and duplication.

Signed like a request (signature.py): fresh core params per delivery, the result beside them in the body.
Whether the vendor signs callbacks, and what reply it waits for, are not documented ([?] providers.md
§2.3): any 2xx reply counts as received.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import aiohttp

from fapiao.connectors.sandboxkit import ATTEMPTS, post_until_acknowledged
from fapiao.connectors.yipiaoyun.sandbox.exact_json import write
from fapiao.connectors.yipiaoyun.sandbox.faults import Dice
from fapiao.connectors.yipiaoyun.sandbox.signature import signed_core

__all__ = ["Courier"]


class Courier:
    """POSTs callbacks; counts sent, failed, retried, dropped and duplicated in `counts`."""

    def __init__(self, url: str | None, app_id: str, app_secret: str, sign_type: str, dice: Dice,
                 drop_rate: float, duplicate_rate: float, counts: Counter[str]) -> None:
        self._url, self._app_id, self._secret, self._sign_type = url, app_id, app_secret, sign_type
        self._dice, self._drop_rate, self._duplicate_rate = dice, drop_rate, duplicate_rate
        self._counts = counts

    async def deliver(self, session: aiohttp.ClientSession, code: int, message: str, data: dict[str, Any]) -> None:
        """Send one result, unless the drop die says it is lost; twice if the duplicate die says so."""
        if not self._url:
            return
        if self._dice.roll("callbacks_dropped", self._drop_rate):
            self._counts["dropped"] += 1
            return
        copies = 2 if self._dice.roll("callbacks_duplicated", self._duplicate_rate) else 1
        self._counts["duplicated"] += copies - 1
        for _ in range(copies):
            body = write({**signed_core(self._app_id, self._secret, self._sign_type),
                          "code": code, "message": message, "data": data})
            delivered = await post_until_acknowledged(session, self._url, body, _received, self._failed)
            self._counts["sent" if delivered else "failed"] += 1

    def _failed(self, attempt: int) -> None:
        if attempt + 1 < ATTEMPTS:  # `retried` counts the resends, not the last failure
            self._counts["retried"] += 1


def _received(status: int, reply: bytes) -> bool:
    return 200 <= status < 300
