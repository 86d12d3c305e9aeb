"""One callback delivery with bounded retries, the way both vendors resend until the ERP acknowledges."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

import aiohttp

__all__ = ["ATTEMPTS", "post_until_acknowledged"]

log = logging.getLogger(__name__)

ATTEMPTS = 5
FIRST_PAUSE_S = 0.2  # then 0.4, 0.8, 1.6: bounded, a few seconds in all
_TIMEOUT = aiohttp.ClientTimeout(total=5)


async def post_until_acknowledged(session: aiohttp.ClientSession, url: str, body: bytes,
                                  acknowledged: Callable[[int, bytes], bool],
                                  failed_attempt: Callable[[int], None]) -> bool:
    """POST `body` until `acknowledged(status, reply)`, at most ATTEMPTS times with doubling pauses.

    `failed_attempt(attempt)` is told of each failure as it happens (0-based), so counters move live.
    """
    for attempt in range(ATTEMPTS):
        if attempt:
            await asyncio.sleep(FIRST_PAUSE_S * 2 ** (attempt - 1))
        try:
            async with session.post(url, data=body, headers={"Content-Type": "application/json"},
                                    timeout=_TIMEOUT) as response:
                if acknowledged(response.status, await response.read()):
                    return True
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.debug("callback attempt %d to %s failed: %s", attempt + 1, url, exc)
        failed_attempt(attempt)
    return False
