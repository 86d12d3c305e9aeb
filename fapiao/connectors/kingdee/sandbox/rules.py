"""What the sandbox checks in a submission before it accepts it, as the real 发票云 does synchronously."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fapiao.connectors.kingdee.mapping import BILL_TYPES, DIGITAL_TYPES, to_decimal
from fapiao.connectors.kingdee.protocol import BAD_TOTALS, OPEN

REJECTED = "9999"  # [I] the code for a business rejection; the real catalogue is not public
_SPECIAL = {"01", "004", "028"}
_LINE_FIELDS = ("goodsName", "revenueCode", "amount", "taxAmount", "taxRate")


def serial_of(interface: str, data: dict[str, Any]) -> Any:
    """The idempotency key: serialNo for ALLE.INVOICE.OPEN, billNo for BILL.PUSH."""
    return data.get("serialNo" if interface == OPEN else "billNo")


def check(interface: str, data: dict[str, Any]) -> str | None:
    """The rejection message for a submission, or None when it is acceptable."""
    serial = serial_of(interface, data)
    if not isinstance(serial, str) or not 0 < len(serial) <= 30:
        return "流水号必填且不超过30位"
    types = DIGITAL_TYPES if interface == OPEN else BILL_TYPES
    if data.get("invoiceType") not in types.values():
        return f"发票类型不对: {data.get('invoiceType')}"
    for key in ("sellerTaxpayerId", "sellerName", "buyerName"):
        if not data.get(key):
            return f"{key}必填"
    if data["invoiceType"] in _SPECIAL and not data.get("buyerTaxpayerId"):
        return "专票购方税号必填"
    lines = data.get("invoiceDetail" if interface == OPEN else "billDetail")
    if not isinstance(lines, list) or not lines:
        return "发票明细必填"
    for line in lines:
        if not isinstance(line, dict) or any(line.get(key) in (None, "") for key in _LINE_FIELDS):
            return f"明细缺少必填字段 ({', '.join(_LINE_FIELDS)})"
        if len(str(line["revenueCode"])) != 19:
            return "商品编码长度必须为19位"
    return _totals(lines, data)


def _totals(lines: list[dict[str, Any]], data: dict[str, Any]) -> str | None:
    amounts = [to_decimal(line["amount"]) for line in lines]
    taxes = [to_decimal(line["taxAmount"]) for line in lines]
    totals = [to_decimal(data.get(key)) for key in ("totalAmount", "totalTaxAmount", "includeTaxAmount")]
    if any(value is None for value in [*amounts, *taxes, *totals]):
        return "金额格式不对"
    amount = sum(amounts, Decimal(0))  # type: ignore[arg-type]
    tax = sum(taxes, Decimal(0))  # type: ignore[arg-type]
    if [amount, tax, amount + tax] != totals:
        return BAD_TOTALS
    return None
