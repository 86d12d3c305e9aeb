"""Result callbacks to `--callback-url`, resent the way Kingdee does until the ERP answers 回调成功.

ALLE.INVOICE.OPEN and ALLE.INVOICE.RED results go out as 2.1.02 数电票回调: `{returnCode, returnMsg,
interfaceCode INVOICE.OPEN | INVOICE.RED, data}` with `data` sealed like every `data` (Base64, or AES);
returnCode 0 for an invoice issued, 9999 with the reason for one that failed. BILL.PUSH results go out
as 5.1.03 按单回调, whose `data` is a plain JSON array of items.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import aiohttp

from fapiao.connectors.kingdee.sandbox import names
from fapiao.connectors.kingdee.sandbox.codec import DataCodec, from_json, to_json
from fapiao.connectors.sandboxkit import post_until_acknowledged

__all__ = ["callback_body", "deliver"]


def callback_body(interface: str, item: dict[str, Any], codec: DataCodec) -> bytes:
    failed = item.get("invoiceStatus") == "4"
    head = {"returnCode": names.REFUSED if failed else names.OK,
            "returnMsg": item.get("issueErrorMessage") if failed else "success",
            "interfaceCode": names.CALLBACK_RED if interface == names.RED else names.CALLBACK_OPEN}
    if interface == names.BILL_PUSH:
        control = {"issueBizType": "0", "bizType": "0", "isWarning": False}
        return to_json({**head, "data": [item], "bizControl": control}).encode()
    return to_json({**head, "data": codec.seal(item)}).encode()


def _acknowledged(status: int, reply: bytes) -> bool:
    """Kingdee stops resending on a 2xx whose JSON says `success: true` (回调成功)."""
    try:
        parsed = from_json(reply)
    except ValueError:
        return False
    return 200 <= status < 300 and isinstance(parsed, dict) and parsed.get("success") is True


async def deliver(session: aiohttp.ClientSession, url: str, body: bytes, counts: Counter[str]) -> None:
    """POST until acknowledged; counts `sent`, every `failed_attempts`, and `gave_up`."""

    def failed(attempt: int) -> None:
        counts["failed_attempts"] += 1

    delivered = await post_until_acknowledged(session, url, body, _acknowledged, failed)
    counts["sent" if delivered else "gave_up"] += 1
