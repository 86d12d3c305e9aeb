"""`KingdeeCallbacks`: reads Kingdee's result webhooks into CallbackFacts.

Accepted shapes (both are `{interfaceCode, returnCode, returnMsg, data}`):
- 2.1.02 数电票回调: `data` is Base64 or AES of one invoice object (or of an array), or the JSON itself;
- 5.1.02/5.1.03 按票/按单: `data` is a JSON array of items (billNo, serialNo, invoiceStatus, invoiceNum, …).
An item with a non-empty invoiceNum is ISSUED; 2 (开票中/待开) without one is PENDING; anything else
is FAILED with issueErrorMessage or returnMsg. Callbacks are unsigned: `verify` is True and the
fold confirms one with a query before it trusts it.

A red's result (2.1.02 with interfaceCode INVOICE.RED: invoiceProperty "1", negative totals) reads the
same, under the red's serial; its outcome also carries the form it names (redInfoBillNo,
govRedConfirmBillUuid, redConfirmBillStatus).
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from fapiao.connectors.kingdee.envelope import DataCodec
from fapiao.connectors.kingdee.mapping import invoice_info
from fapiao.connectors.kingdee.protocol import CALLBACK_REPLY
from fapiao.connectors.kingdee.red_mapping import form_of
from fapiao.connectors.provider import CallbackFacts, Outcome, OutcomeKind
from fapiao.connectors.wire import loads
from fapiao.exceptions import MalformedCallback

__all__ = ["KingdeeCallbacks"]


class KingdeeCallbacks:
    """CallbackParser for Kingdee; give it the tenant's AES password when one is configured."""

    provider: ClassVar[str] = "kingdee"
    reply_body: ClassVar[bytes] = CALLBACK_REPLY

    def __init__(self, aes_password: str | None = None) -> None:
        self._codec = DataCodec(aes_password)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        return True  # Kingdee does not sign callbacks

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[CallbackFacts]:
        try:
            callback = loads(body)
        except ValueError as exc:
            raise MalformedCallback("Kingdee callback is not JSON") from exc
        if not isinstance(callback, dict) or not isinstance(callback.get("interfaceCode"), str) \
                or "returnCode" not in callback or "data" not in callback:
            raise MalformedCallback("not a Kingdee callback: needs interfaceCode, returnCode and data")
        data = self._codec.decode(callback["data"])
        items = [data] if isinstance(data, dict) else data
        if not isinstance(items, list) or not items:
            raise MalformedCallback("Kingdee callback data is neither an invoice nor a list of invoices")
        return [_facts(item, str(callback["returnCode"]), str(callback.get("returnMsg") or "")) for item in items]


def _facts(item: Any, return_code: str, return_msg: str) -> CallbackFacts:
    if not isinstance(item, dict) or not isinstance(item.get("serialNo"), str) or not item["serialNo"]:
        raise MalformedCallback("Kingdee callback item without a serialNo")
    orders = tuple(str(item[key]) for key in ("billNo", "orderNo") if item.get(key))
    form = form_of(item)
    if item.get("invoiceNum"):
        outcome = Outcome(OutcomeKind.ISSUED, code=return_code, message=return_msg or None,
                          invoice=invoice_info(item), form=form)
    elif str(item.get("invoiceStatus")) == "2" and return_code == "0":
        outcome = Outcome(OutcomeKind.PENDING, code="2", form=form)
    else:
        # returnMsg is "success" on a by-bill callback whose other items were issued: not a reason.
        reason = item.get("issueErrorMessage") or (return_msg if return_code != "0" else None) or "开票失败"
        outcome = Outcome(OutcomeKind.FAILED, code=return_code, message=str(reason), form=form)
    return CallbackFacts(serial=item["serialNo"], outcome=outcome, order_numbers=orders)
