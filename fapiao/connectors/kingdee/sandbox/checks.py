"""What the sandbox checks in a blue submission before it accepts it, as 发票云 does synchronously.

ALLE.INVOICE.OPEN carries `serialNo` and `invoiceDetail`; BILL.PUSH carries `billNo` and `billDetail`.
Both: serial 1..30 characters, a known invoice type, seller tax id and name, buyer name (and tax id on a
专票), at least one line with its required fields and a 19-digit revenueCode, and header totals equal to
the sums of the lines (else 价税合计金额不对).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fapiao.connectors.kingdee.sandbox import names

__all__ = ["number", "serial_key", "lines_key", "blue_refusal"]

_REQUIRED_LINE = ("goodsName", "revenueCode", "amount", "taxAmount", "taxRate")


def number(value: Any) -> Decimal | None:
    """A JSON number or numeric text as a Decimal; None when absent or not a number (a float is not one)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, str)) and not isinstance(value, bool) and value != "":
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def serial_key(interface: str) -> str:
    return "billNo" if interface == names.BILL_PUSH else "serialNo"


def lines_key(interface: str) -> str:
    return "billDetail" if interface == names.BILL_PUSH else "invoiceDetail"


def blue_refusal(interface: str, data: dict[str, Any]) -> str | None:
    """Why a blue submission is refused, or None when it is acceptable."""
    serial = data.get(serial_key(interface))
    if not isinstance(serial, str) or not serial or len(serial) > 30:
        return "流水号必填且不超过30位"
    known = names.DIGITAL_TYPES if interface == names.OPEN else names.BILL_TYPES
    if data.get("invoiceType") not in known:
        return f"发票类型不对: {data.get('invoiceType')}"
    missing = [key for key in ("sellerTaxpayerId", "sellerName", "buyerName") if not data.get(key)]
    if missing:
        return f"{missing[0]}必填"
    if data["invoiceType"] in names.SPECIAL_TYPES and not data.get("buyerTaxpayerId"):
        return "专票购方税号必填"
    lines = data.get(lines_key(interface))
    if not isinstance(lines, list) or not lines:
        return "发票明细必填"
    for line in lines:
        if not isinstance(line, dict) or any(line.get(key) in (None, "") for key in _REQUIRED_LINE):
            return "明细缺少必填字段: " + ", ".join(_REQUIRED_LINE)
        if len(str(line["revenueCode"])) != 19:
            return "商品编码长度必须为19位"
    return _totals_refusal(lines, data)


def _totals_refusal(lines: list[dict[str, Any]], data: dict[str, Any]) -> str | None:
    amounts = [number(line["amount"]) for line in lines]
    taxes = [number(line["taxAmount"]) for line in lines]
    header = [number(data.get(key)) for key in ("totalAmount", "totalTaxAmount", "includeTaxAmount")]
    if any(value is None for value in (*amounts, *taxes, *header)):
        return "金额格式不对"
    amount = sum((value for value in amounts if value is not None), Decimal(0))
    tax = sum((value for value in taxes if value is not None), Decimal(0))
    return None if header == [amount, tax, amount + tax] else names.BAD_TOTALS
