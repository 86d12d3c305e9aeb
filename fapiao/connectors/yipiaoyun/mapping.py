"""InvoiceRequest -> 票申/易票云 request bodies: one pure function per operation (seed 004).

Which operation: `options["apply_type"]` absent or "1" 待开申请 (`addStayOpenApplication`), "2" 预约开票
(`addSubscribeApplication`, needs `options["invoice_date"]` "yyyy-MM-dd HH:mm:ss"), "pos" 默认商品
(`submitByPos`, answers an H5 link).

Identifiers. The serial (发票流水号) is the `applicationNo`. It is also `orderList[0].erpOrderNo`, and the
ERP's own order number (`erp_order_no`, else `order_no`) goes into `orderList[0].orderNo`: the result
callback names orders only by `erpOrderNos`/`partnerOrderNos`, never by applicationNo, so this way each
callback leads straight back to the serial. `submitByPos` carries no applicationNo: its `orderNo` is the serial.

Prices. The vendor wants tax-inclusive prices; our lines are tax-exclusive. `totalPrice = amount + tax_amount`
exactly. `unitPrice = totalPrice / quantity` only when that division is exact within 8 places (the price
scale, providers.md 3.2); otherwise it is omitted, because the vendor checks `totalPrice = unitPrice ×
quantity` and an omitted optional unit price is better than one that breaks that rule by a rounding.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fapiao.exceptions import FapiaoStreamError
from fapiao.schemas.records import InvoiceRequest, Line, Party

__all__ = [
    "MappingError",
    "STAY_OPEN_PATH",
    "SUBSCRIBE_PATH",
    "POS_PATH",
    "QUERY_PATH",
    "operation",
    "stay_open_body",
    "subscribe_body",
    "pos_body",
    "tax_inclusive",
]

STAY_OPEN_PATH = "/openapi/invoice/application/addStayOpenApplication"
SUBSCRIBE_PATH = "/openapi/invoice/application/addSubscribeApplication"
POS_PATH = "/openapi/invoice/submitByPos"
QUERY_PATH = "/openapi/invoice/application/query"  # assumed, see client.py

INVOICE_TYPES = {"special": "s", "normal": "c", "electronic_normal": "ce"}

PRICE_SCALE = Decimal("0.00000001")

# 优惠政策 codes (providers.md 1.10) -> the vendor's 优惠政策内容 text and 零税率标识 (taxFlag) where it has one.
POLICIES: dict[str, tuple[str, int | None]] = {
    "01": ("简易征收", None), "02": ("稀土产品", None), "03": ("免税", 1), "04": ("不征税", 2),
    "05": ("先征后退", None), "06": ("100%先征后退", None), "07": ("50%先征后退", None),
    "08": ("按3%简易征收", None), "09": ("按5%简易征收", None), "11": ("即征即退30%", None),
    "12": ("即征即退50%", None), "13": ("即征即退70%", None), "14": ("即征即退100%", None),
    "15": ("超税负3%及征即退", None), "16": ("超税负8%及征即退", None), "17": ("超税负12%及征即退", None),
}
ZERO_RATE_FLAG = 3  # 普通零税率: a 0 rate without a policy


class MappingError(FapiaoStreamError):
    """The request cannot be expressed in this provider's API (nothing was sent)."""


def operation(request: InvoiceRequest) -> tuple[str, dict[str, Any]]:
    """The path and body that submit this request, chosen by `options["apply_type"]`."""
    apply_type = request.options.get("apply_type", "1")
    if apply_type == "1":
        return STAY_OPEN_PATH, stay_open_body(request)
    if apply_type == "2":
        return SUBSCRIBE_PATH, subscribe_body(request)
    if apply_type == "pos":
        return POS_PATH, pos_body(request)
    raise MappingError(f"options.apply_type={apply_type!r}: use 1, 2 or pos")


def tax_inclusive(line: Line) -> tuple[Decimal, Decimal | None]:
    """(totalPrice, unitPrice or None): exact tax-inclusive prices of one line."""
    total = line.amount + line.tax_amount
    if not line.quantity:
        return total, None
    unit = (total / line.quantity).quantize(PRICE_SCALE)
    if unit * line.quantity != total:
        return total, None
    return total, unit.normalize()


def _percent(rate: Decimal) -> str:
    percent = rate * 100
    if percent != percent.to_integral():
        raise MappingError(f"tax rate {rate} is not a whole percent, which this API cannot carry")
    return str(int(percent))


def _item(line: Line) -> dict[str, Any]:
    total, unit = tax_inclusive(line)
    prices = {"quantity": line.quantity, "unitPrice": unit, "totalPrice": total}
    if line.goods_id:
        return _compact({"identifier": line.goods_id, **prices})
    item = {"name": line.name, "taxTypeNo": line.tax_code, "taxRate": _percent(line.tax_rate),
            "unit": line.unit, "specification": line.specification, **prices}
    if line.policy:
        if line.policy not in POLICIES:
            raise MappingError(f"优惠政策 {line.policy!r} has no equivalent at 票申/易票云")
        content, flag = POLICIES[line.policy]
        item.update(discountIdentification=1, discountContent=content, taxFlag=flag)
    elif not line.tax_rate:
        item["taxFlag"] = ZERO_RATE_FLAG
    return _compact(item)


def _party(prefix: str, party: Party) -> dict[str, Any]:
    return {f"{prefix}Name": party.name, f"{prefix}TaxNo": party.tax_id, f"{prefix}Address": party.address,
            f"{prefix}Tel": party.phone, f"{prefix}BankName": party.bank, f"{prefix}BankAccount": party.bank_account}


def _header(request: InvoiceRequest, apply_type: int) -> dict[str, Any]:
    """Fields shared by 待开申请 and 预约开票."""
    try:
        invoice_type = INVOICE_TYPES[request.invoice_type]
    except KeyError:
        raise MappingError(f"invoice type {request.invoice_type!r} is not offered by 票申/易票云") from None
    options = request.options
    store_id = options.get("store_id")
    if store_id is not None and not store_id.isdigit():
        raise MappingError(f"options.store_id={store_id!r} must be a number")
    return {
        "applicationNo": request.serial,
        "applyType": apply_type,
        "titleType": 2 if request.buyer.kind == "individual" else 1,
        "storeId": int(store_id) if store_id is not None else None,
        "storeNo": options.get("store_no"),
        "invoiceType": invoice_type,
        **_party("purchaser", request.buyer),
        "purchaserMail": request.buyer.email,
        "receivePhone": request.buyer.mobile,
        "remark": request.remark,
    }


def _order(request: InvoiceRequest) -> dict[str, Any]:
    return {"orderNo": request.erp_order_no or request.order_no, "erpOrderNo": request.serial}


def stay_open_body(request: InvoiceRequest) -> dict[str, Any]:
    """`addStayOpenApplication`: goods by `identifier` where a line has goods_id, else full goods detail."""
    options = request.options
    auto_deal = options.get("auto_deal")
    if auto_deal is not None and auto_deal not in ("true", "false"):
        raise MappingError(f"options.auto_deal={auto_deal!r}: use true or false")
    if auto_deal == "true" and request.invoice_type != "electronic_normal":
        raise MappingError("options.auto_deal needs electronic_normal (the vendor auto-issues only 电票)")
    order = {**_order(request), "orderPrice": request.total_with_tax, "items": [_item(x) for x in request.lines]}
    return _compact({
        **_header(request, 1),
        "invoicePointName": options.get("invoice_point"),
        **_party("seller", request.seller),
        "autoDeal": None if auto_deal is None else auto_deal == "true",
        "extension": options.get("extension"),
        "ticketHolder": request.drawer,
        "payee": request.payee,
        "reviewer": request.reviewer,
        "orderList": [_compact(order)],
    })


def subscribe_body(request: InvoiceRequest) -> dict[str, Any]:
    """`addSubscribeApplication` (预约开票): no goods, a pick-up date from `options["invoice_date"]`."""
    invoice_date = request.options.get("invoice_date")
    if not invoice_date:
        raise MappingError("预约开票 needs options.invoice_date (yyyy-MM-dd HH:mm:ss)")
    return _compact({
        **_header(request, 2),
        "invoiceDate": invoice_date,
        "orderList": [_compact(_order(request))],
    })


def pos_body(request: InvoiceRequest) -> dict[str, Any]:
    """`submitByPos` (商家默认商品): one order, its tax-inclusive total; the serial is the orderNo."""
    effective_day = request.options.get("effective_day")
    if effective_day is not None and not effective_day.isdigit():
        raise MappingError(f"options.effective_day={effective_day!r} must be a number of days")
    return _compact({
        "orderNo": request.serial,
        "orderPrice": request.total_with_tax,
        "effectiveDay": int(effective_day) if effective_day else None,
    })


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values: the vendor treats a present empty field differently from a missing one."""
    return {key: value for key, value in fields.items() if value is not None and value != ""}
