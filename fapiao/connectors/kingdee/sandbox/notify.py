"""Delivery of result callbacks to `--callback-url`, retried the way Kingdee does until it hears 回调成功.

ALLE.INVOICE.OPEN results go out as 2.1.02 数电票回调 (`data` Base64, or AES in AES mode, of the invoice);
BILL.PUSH results as 5.1.03 按单回调 (`data` a JSON array of items).
"""

from __future__ import annotations

from typing import Any

import aiohttp

from fapiao.connectors.kingdee.envelope import DataCodec
from fapiao.connectors.kingdee.protocol import OPEN
from fapiao.connectors.kingdee.sandbox.state import Ledger
from fapiao.connectors.sandboxkit import post_until_acknowledged
from fapiao.connectors.wire import dumps, loads


def callback_body(invoice: dict[str, Any], codec: DataCodec) -> bytes:
    item = {key: value for key, value in invoice.items() if key != "interfaceCode"}
    head = {"returnCode": "0", "returnMsg": "success", "interfaceCode": "INVOICE.OPEN"}
    if invoice["interfaceCode"] == OPEN:
        return dumps({**head, "data": codec.encode(item)})
    control = {"issueBizType": "0", "bizType": "0", "isWarning": False}
    return dumps({**head, "data": [item], "bizControl": control})


def _acknowledged(status: int, body: bytes) -> bool:
    """Kingdee stops resending only on a 2xx whose JSON says `success: true` (回调成功)."""
    try:
        reply = loads(body)
    except ValueError:
        return False
    return 200 <= status < 300 and isinstance(reply, dict) and reply.get("success") is True


async def deliver(session: aiohttp.ClientSession, url: str, body: bytes, ledger: Ledger) -> None:
    """POST until acknowledged; counts `sent`, every `failed_attempts`, and `gave_up`."""

    def failed(attempt: int) -> None:
        ledger.callbacks["failed_attempts"] += 1

    delivered = await post_until_acknowledged(session, url, body, _acknowledged, failed)
    ledger.callbacks["sent" if delivered else "gave_up"] += 1
