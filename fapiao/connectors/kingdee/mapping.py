"""Pure mappings between our records and Kingdee's `data` objects, one function per operation.

- `open_data`: ALLE.INVOICE.OPEN for 数电 types (invoiceType 01 专 / 02 普; lineProperty 0 normal,
  1 折扣行, 2 被折扣行).
- `bill_push_data`: BILL.PUSH 开票申请单 for tax-device and 电子 types (004 专, 007 普, 025 卷,
  026 电子普, 028 电子专). [I] Field names follow ALLE.* with `billNo`/`billDetail`; lineProperty
  follows the 3std example where 2 is a normal line (1 折扣行, 0 被折扣行).
- `query_data` / `query_outcome`: ALLE.INVOICE.QUERY by serialNo, and its answer as an Outcome.
Amounts stay Decimal end to end; the envelope writes them as exact JSON numbers.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from fapiao.connectors.kingdee.protocol import BILL_PUSH, OPEN
from fapiao.connectors.provider import Outcome, OutcomeKind
from fapiao.schemas.records import InvoiceInfo, InvoiceRequest, Line

__all__ = ["DIGITAL_TYPES", "BILL_TYPES", "interface_for", "compact", "open_data", "bill_push_data", "query_data",
           "to_decimal", "first_text", "invoice_info", "query_item", "query_outcome"]

DIGITAL_TYPES = {"digital_special": "01", "digital_normal": "02"}
BILL_TYPES = {"special": "004", "normal": "007", "roll": "025", "electronic_normal": "026",
              "electronic_special": "028"}
_OPEN_LINE = {"normal": "0", "discount": "1", "discounted": "2"}
_BILL_LINE = {"normal": "2", "discount": "1", "discounted": "0"}
_STATUS = {"0": OutcomeKind.ISSUED, "3": OutcomeKind.ISSUED, "6": OutcomeKind.ISSUED,  # 正常, 红冲, 作废: it exists
           "2": OutcomeKind.PENDING, "4": OutcomeKind.FAILED}


def interface_for(request: InvoiceRequest) -> str:
    """ALLE.INVOICE.OPEN for 数电 invoices, BILL.PUSH for the rest; ValueError for an unknown type."""
    if request.invoice_type in DIGITAL_TYPES:
        return OPEN
    if request.invoice_type in BILL_TYPES:
        return BILL_PUSH
    raise ValueError(f"Kingdee cannot issue invoice_type {request.invoice_type!r}")


def compact(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that have a value: Kingdee reads an empty string as a value given."""
    return {key: value for key, value in fields.items() if value is not None and value != ""}


def _line(line: Line, index: int, properties: Mapping[str, str]) -> dict[str, Any]:
    return compact({
        "lineProperty": properties[line.kind], "billSourceId": str(index), "goodsCode": line.goods_id,
        "goodsName": line.name, "revenueCode": line.tax_code, "specification": line.specification,
        "units": line.unit, "quantity": line.quantity, "price": line.unit_price, "amount": line.amount,
        "taxRate": format(line.tax_rate, "f"), "taxAmount": line.tax_amount, "privilegeType": line.policy,
    })


def _common(request: InvoiceRequest) -> dict[str, Any]:
    seller, buyer = request.seller, request.buyer
    return {
        "sellerTaxpayerId": seller.tax_id, "sellerName": seller.name, "sellerAddress": seller.address,
        "sellerTel": seller.phone, "sellerBank": seller.bank, "sellerBankAccount": seller.bank_account,
        "buyerName": buyer.name, "buyerTaxpayerId": buyer.tax_id, "buyerAddress": buyer.address,
        "buyerTel": buyer.phone, "buyerBank": buyer.bank, "buyerBankAccount": buyer.bank_account,
        "naturalPersonFlag": "Y" if buyer.kind == "individual" else "N",
        "buyerRecipientPhone": buyer.mobile, "buyerRecipientMail": buyer.email,
        "includeTaxFlag": "0",  # line amounts are tax-exclusive
        "totalAmount": request.total_amount, "totalTaxAmount": request.total_tax,
        "includeTaxAmount": request.total_with_tax,
        "remark": request.remark, "drawer": request.drawer, "payee": request.payee, "reviewer": request.reviewer,
    }


def open_data(request: InvoiceRequest) -> dict[str, Any]:
    """ALLE.INVOICE.OPEN `data` for a 数电 request."""
    return compact({
        "serialNo": request.serial, "invoiceType": DIGITAL_TYPES[request.invoice_type], "invoiceProperty": "0",
        **_common(request),
        "invoiceDetail": [_line(line, i, _OPEN_LINE) for i, line in enumerate(request.lines, 1)],
    })


def bill_push_data(request: InvoiceRequest) -> dict[str, Any]:
    """BILL.PUSH `data` for a tax-device or 电子 request; our serial is the billNo."""
    return compact({
        "billNo": request.serial, "invoiceType": BILL_TYPES[request.invoice_type], **_common(request),
        "billDetail": [_line(line, i, _BILL_LINE) for i, line in enumerate(request.lines, 1)],
    })


def query_data(request: InvoiceRequest) -> dict[str, Any]:
    return compact({"serialNo": request.serial, "sellerTaxpayerId": request.seller.tax_id})


def to_decimal(value: Any) -> Decimal | None:
    """A provider number (int, Decimal or numeric text) as a Decimal; None when absent or not a number."""
    if value is None or value == "" or isinstance(value, (bool, float)):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def first_text(item: Mapping[str, Any], *keys: str) -> str | None:
    """The first of `keys` with a non-empty value, as text."""
    for key in keys:
        if item.get(key) not in (None, ""):
            return str(item[key])
    return None


def invoice_info(item: Mapping[str, Any]) -> InvoiceInfo:
    """An issued invoice as a query answer or callback item describes it."""
    return InvoiceInfo(
        number=first_text(item, "invoiceNum"), code=first_text(item, "invoiceCode"),
        issued_at=first_text(item, "invoiceDate"),
        pdf_url=first_text(item, "invoiceFileUrl", "invoicePdfFileUrl"), ofd_url=first_text(item, "ofdFileUrl"),
        xml_url=first_text(item, "xmlFileUrl", "invoiceXmlFileUrl"),
        total_amount=to_decimal(item.get("totalAmount")), total_tax=to_decimal(item.get("totalTaxAmount")),
    )


def query_item(data: Any) -> Any:
    """The one invoice of an ALLE.INVOICE.QUERY `data` (some answers wrap it in a list); None when empty."""
    if isinstance(data, list):
        return data[0] if data else None
    return data or None


def query_outcome(data: Any) -> Outcome:
    """ALLE.INVOICE.QUERY's `data` as an Outcome: 0 ISSUED, 2 PENDING, 4 FAILED; empty: NOT_FOUND.

    A red's answer reads the same (invoiceProperty "1", negative totals): its totals are kept as they are,
    so that adopting it compares them with the red request's own negative totals.
    """
    data = query_item(data)
    if data is None:
        return Outcome(OutcomeKind.NOT_FOUND)
    if not isinstance(data, Mapping):
        return Outcome(OutcomeKind.RETRYABLE, message=f"unreadable query answer: {type(data).__name__}")
    status = str(data.get("invoiceStatus", ""))
    kind = _STATUS.get(status, OutcomeKind.PENDING)
    if kind is OutcomeKind.ISSUED:
        return Outcome(kind, code=status, invoice=invoice_info(data))
    if kind is OutcomeKind.FAILED:
        return Outcome(kind, code=status, message=first_text(data, "issueErrorMessage") or "开票失败")
    return Outcome(kind, code=status or None)
