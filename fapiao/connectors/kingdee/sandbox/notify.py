"""Delivery of result callbacks to `--callback-url`, retried the way Kingdee does until it hears 回调成功.

ALLE.INVOICE.OPEN results go out as 2.1.02 数电票回调 (`data` Base64, or AES in AES mode, of the invoice);
BILL.PUSH results as 5.1.03 按单回调 (`data` a JSON array of items).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from fapiao.connectors.kingdee.envelope import DataCodec, dumps, loads
from fapiao.connectors.kingdee.protocol import OPEN
from fapiao.connectors.kingdee.sandbox.state import Ledger

ATTEMPTS = 5
FIRST_DELAY_S = 0.2  # then 0.4, 0.8, 1.6: bounded, a few seconds in all


def callback_body(invoice: dict[str, Any], codec: DataCodec) -> bytes:
    item = {key: value for key, value in invoice.items() if key != "interfaceCode"}
    head = {"returnCode": "0", "returnMsg": "success", "interfaceCode": "INVOICE.OPEN"}
    if invoice["interfaceCode"] == OPEN:
        return dumps({**head, "data": codec.encode(item)}).encode()
    control = {"issueBizType": "0", "bizType": "0", "isWarning": False}
    return dumps({**head, "data": [item], "bizControl": control}).encode()


def _acknowledged(status: int, body: bytes) -> bool:
    try:
        reply = loads(body)
    except ValueError:
        return False
    return 200 <= status < 300 and isinstance(reply, dict) and reply.get("success") is True


async def deliver(session: aiohttp.ClientSession, url: str, body: bytes, ledger: Ledger) -> None:
    """POST until acknowledged, at most ATTEMPTS times with doubling pauses."""
    for attempt in range(ATTEMPTS):
        if attempt:
            await asyncio.sleep(FIRST_DELAY_S * 2 ** (attempt - 1))
        try:
            async with session.post(url, data=body, headers={"Content-Type": "application/json"},
                                    timeout=aiohttp.ClientTimeout(total=5)) as response:
                if _acknowledged(response.status, await response.read()):
                    ledger.callbacks["sent"] += 1
                    return
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass
        ledger.callbacks["failed_attempts"] += 1
    ledger.callbacks["gave_up"] += 1
