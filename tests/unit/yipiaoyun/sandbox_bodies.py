"""Submission bodies written by hand from providers.md §2.2, not built by our client's mapping.

The sandbox's unit tests use these, so that they test the sandbox's reading of the document and not the
client's: the contract tests are where the two readings meet.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = ["SERIAL", "item", "stay_open", "subscribe", "pos"]

SERIAL = "YP20260001"


def item(**changes: Any) -> dict[str, Any]:
    """2 天 住宿费 at 12.40 tax-inclusive, 6 %: totalPrice 24.80."""
    return {"name": "住宿费", "taxTypeNo": "3070401000000000000", "taxRate": "6", "unit": "天",
            "quantity": Decimal("2"), "unitPrice": Decimal("12.40"), "totalPrice": Decimal("24.80"), **changes}


def stay_open(*items: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A 待开申请 for a company buyer, 普票, one order (`items`, default one `item()`) priced at their sum
    (of those whose totalPrice is a number)."""
    items = items or (item(),)
    price = sum((i["totalPrice"] for i in items if isinstance(i.get("totalPrice"), Decimal)), Decimal(0))
    order = {"orderNo": "SO-1", "erpOrderNo": SERIAL, "orderPrice": price, "items": list(items)}
    return {"applicationNo": SERIAL, "applyType": 1, "titleType": 1, "storeNo": "S001", "invoiceType": "c",
            "purchaserName": "示例采购方有限公司", "purchaserTaxNo": "91440300358768292H", "ticketHolder": "李四",
            "orderList": [order], **changes}


def subscribe(**changes: Any) -> dict[str, Any]:
    """A 预约开票: no goods, a pick-up date."""
    return {**stay_open(), "applyType": 2, "invoiceDate": "2026-09-26 18:16:00",
            "orderList": [{"orderNo": "SO-1", "erpOrderNo": SERIAL}], **changes}


def pos(**changes: Any) -> dict[str, Any]:
    """A submitByPos from the sandbox's one POS terminal."""
    return {"accessKey": "POS001", "accessSecret": "ACTIVE001", "orderNo": SERIAL, "orderPrice": Decimal("24.80"),
            **changes}
