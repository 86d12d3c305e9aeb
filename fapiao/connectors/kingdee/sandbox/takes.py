"""What a red request (2.1.03 APPLY, 2.1.04 RED, a buyer's form) takes back of its blue, or why it may not.

The rules Kingdee's e-tax plug-in and the bureau apply (red-letter.md §1.7, §2):
- lines name blue lines by `originalSeq`, the blue line's number from 1 (its detailRowNo), once each;
- a line's amount is not zero; amounts, tax and quantities may come with either sign (magnitudes count);
- 04 销售折让 has neither quantity nor price;
- |quantity × price − amount| ≤ 0.01 where both are given, |amount × the blue line's rate − tax| ≤ 0.06;
- 01 开票有误 takes back the whole blue, and only while nothing else was (no partial red in error);
- no lines: everything that remains;
- the share must fit what remains (没有可红冲的金额).
A careless provider (`careful=False`, `--dedupe off`) forgets what was already taken: it checks a request
against the blue as issued, never against what remains, so a client that over-flushes succeeds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fapiao.connectors.kingdee.sandbox import names
from fapiao.connectors.kingdee.sandbox.books import BlueBook, Share, Take
from fapiao.connectors.kingdee.sandbox.checks import number

__all__ = ["Refused", "share_of_blue_line", "requested", "take_of"]

PRICE_TOLERANCE = Decimal("0.01")
TAX_TOLERANCE = Decimal("0.06")


class Refused(Exception):
    """A business refusal: the answer's errorCode and message."""

    def __init__(self, message: str, code: str = names.REFUSED) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _magnitude(value: Decimal | None) -> Decimal | None:
    return None if value is None else abs(value)


def share_of_blue_line(line: dict[str, Any]) -> Share:
    amount, tax = number(line.get("amount")), number(line.get("taxAmount"))
    assert amount is not None and tax is not None  # checked when the blue was accepted
    return Share(amount, tax, number(line.get("quantity")))


def _line_share(line: Any, blue_detail: list[dict[str, Any]], reason: str) -> tuple[int, Share]:
    if not isinstance(line, dict):
        raise Refused("红冲明细格式不对")
    seq = line.get("originalSeq")
    if isinstance(seq, str) and seq.isdigit():
        seq = int(seq)
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= len(blue_detail):
        raise Refused(f"蓝票明细序号不存在: {line.get('originalSeq')}")
    amount, tax = _magnitude(number(line.get("amount"))), _magnitude(number(line.get("taxAmount")))
    if not amount or tax is None:
        raise Refused(f"第{seq}行红冲金额和税额必填, 金额不能为0")
    quantity, price = _magnitude(number(line.get("quantity"))), _magnitude(number(line.get("price")))
    if reason == names.ALLOWANCE_REASON and (line.get("quantity") not in (None, "") or
                                             line.get("price") not in (None, "")):
        raise Refused(names.ALLOWANCE_QUANTITY)
    if quantity is not None and price is not None and abs(quantity * price - amount) > PRICE_TOLERANCE:
        raise Refused(f"第{seq}行{names.PRICE_ERROR}")
    rate = number(blue_detail[seq - 1].get("taxRate"))
    if rate is not None and abs(amount * rate - tax) > TAX_TOLERANCE:
        raise Refused(f"第{seq}行{names.TAX_ERROR}")
    has_quantity = number(blue_detail[seq - 1].get("quantity")) is not None
    return seq, Share(amount, tax, quantity if has_quantity else None)


def requested(lines: Any, blue_detail: list[dict[str, Any]], reason: str) -> dict[int, Share]:
    """The shares a red's lines ask for, each line checked on its own."""
    if not isinstance(lines, list):
        raise Refused("红冲明细格式不对")
    take: dict[int, Share] = {}
    for line in lines:
        seq, share = _line_share(line, blue_detail, reason)
        if seq in take:
            raise Refused(f"蓝票明细序号重复: {seq}")
        take[seq] = share
    return take


def take_of(lines: Any, blue_detail: list[dict[str, Any]], book: BlueBook, reason: str, careful: bool) -> Take:
    """The share a red takes back; raises Refused with the provider's text."""
    basis = book.remaining() if careful else book.lines
    if not any(share.amount > 0 or share.tax > 0 for share in basis.values()):
        raise Refused(names.NOTHING_LEFT)
    if lines in (None, []):
        take = {line: share for line, share in basis.items() if share.amount > 0 or share.tax > 0}
    else:
        take = requested(lines, blue_detail, reason)
    if reason == names.ERROR_REASON:
        whole = {line: (share.amount, share.tax) for line, share in book.lines.items()}
        if {line: (share.amount, share.tax) for line, share in take.items()} != whole or \
                careful and not book.untouched():
            raise Refused(names.NO_PARTIAL_FOR_ERROR)
    if careful and not book.fits(take):
        raise Refused(names.NOTHING_LEFT)
    return take
