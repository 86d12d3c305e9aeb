"""`YipiaoyunCallbacks`: verify and parse the 票申/易票云 申请回调 (providers.md 2.3).

Body: `{appId, nonceStr, timestamp, signType, sign, code, message, data: {orderBatchNo, erpOrderNos[],
partnerOrderNos[], successNumber, failNumber, invoiceEntrys[]}}`. The callback names no applicationNo;
our serial travels as `erpOrderNo` (see mapping.py), so there is one `CallbackFacts` per erpOrderNo.

Codes: -2 申请驳回 -> FAILED (the merchant rejected the application); -1 开票失败 -> FAILED with the
entries' processRemark; 1 开票成功 -> ISSUED. Partial success: its code is not in the public docs [?];
we take 2, and any other code whose entries hold both issued and failed invoices. It maps to ISSUED
with the issued entries only (numbers joined) and the failures in the message, because those invoices
exist: a FAILED would invite the ERP to issue the whole application again, i.e. the issued part twice.

Signature [?]: we assume the vendor signs callbacks like requests (same `SIGNED_KEYS`, `sign` excluded).
That set covers only the core params, not `code` or `data`: a valid signature proves the sender knows
the appSecret, not that the payload is unaltered, so only an "issued" is taken as said; anything else is
confirmed by a query (`fapiao.streams.outcomes.callback_signals`).

Reply body [?]: undocumented; we answer `{"code":0,"message":"success"}`, the shape of the vendor's own answers.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from fapiao.connectors import wire
from fapiao.connectors.provider import CallbackFacts, Outcome, OutcomeKind
from fapiao.connectors.yipiaoyun import signing
from fapiao.connectors.yipiaoyun.errors import invoice_from_entries
from fapiao.exceptions import MalformedCallback

__all__ = ["YipiaoyunCallbacks", "PARTIAL_CODE", "entry_failed"]

REJECTED_CODE, FAILED_CODE, ISSUED_CODE = -2, -1, 1
PARTIAL_CODE = 2  # [?] a guess; see the module docstring
ENTRY_FAILED_STATUS = "2"  # invoiceEntrys[].status of an invoice that could not be issued


def entry_failed(entry: Mapping[str, Any]) -> bool:
    """An entry that names no issued invoice."""
    return str(entry.get("status")) == ENTRY_FAILED_STATUS or not entry.get("invoiceNo")


def _remarks(entries: list[Mapping[str, Any]]) -> str:
    return "; ".join(str(e.get("processRemark") or "开具失败") for e in entries)


def _outcome(code: int, message: str, entries: list[Mapping[str, Any]]) -> Outcome:
    issued = [e for e in entries if not entry_failed(e)]
    failed = [e for e in entries if entry_failed(e)]
    if code == REJECTED_CODE:
        return Outcome(OutcomeKind.FAILED, code=str(code), message=message or "申请驳回")
    if code == FAILED_CODE:
        return Outcome(OutcomeKind.FAILED, code=str(code), message=_remarks(failed) or message or "开票失败")
    if code == ISSUED_CODE and issued and not failed:
        return Outcome(OutcomeKind.ISSUED, code=str(code), message=message or None, invoice=invoice_from_entries(issued))
    if issued and (failed or code == PARTIAL_CODE):
        note = f"部分成功: {len(issued)} issued, {len(failed)} failed" + (f": {_remarks(failed)}" if failed else "")
        return Outcome(OutcomeKind.ISSUED, code=str(code), message=note, invoice=invoice_from_entries(issued))
    raise MalformedCallback(f"申请回调 code {code} with {len(issued)} issued and {len(failed)} failed entries")


class YipiaoyunCallbacks:
    """The `CallbackParser` for 票申/易票云."""

    provider: ClassVar[str] = "yipiaoyun"
    reply_body: ClassVar[bytes] = b'{"code":0,"message":"success"}'

    def __init__(self, app_secret: str, sign_type: str = "MD5") -> None:
        self._secret = app_secret
        self._sign_type = sign_type.upper()

    def verify(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """True when the body carries a right signature of our sign type; False when missing or wrong."""
        try:
            payload = wire.loads(body)
        except ValueError:
            return False
        return isinstance(payload, Mapping) and signing.verify(payload, self._secret, self._sign_type)

    def parse(self, body: bytes, headers: Mapping[str, str]) -> list[CallbackFacts]:
        """One CallbackFacts per erpOrderNo (our serial); no erpOrderNos: one orphan fact (serial None)."""
        try:
            payload = wire.loads(body)
        except ValueError as exc:
            raise MalformedCallback(f"not JSON: {exc}") from exc
        if not isinstance(payload, Mapping) or not isinstance(payload.get("code"), int):
            raise MalformedCallback("no integer code: not a 申请回调")
        data = payload.get("data")
        if not isinstance(data, Mapping):
            raise MalformedCallback("no data object: not a 申请回调")
        entries = data.get("invoiceEntrys") or []
        serials, partners = data.get("erpOrderNos") or [], data.get("partnerOrderNos") or []
        if not (isinstance(entries, list) and all(isinstance(e, Mapping) for e in entries)
                and isinstance(serials, list) and isinstance(partners, list)):
            raise MalformedCallback("erpOrderNos, partnerOrderNos and invoiceEntrys must be lists")
        outcome = _outcome(payload["code"], str(payload.get("message") or ""), entries)
        orders = tuple(str(p) for p in partners)
        return [CallbackFacts(serial=str(s), outcome=outcome, order_numbers=orders) for s in serials] or [
            CallbackFacts(serial=None, outcome=outcome, order_numbers=orders)
        ]
