"""Request -> bodies: both stay-open forms, subscribe, POS, exact tax-inclusive prices, exact JSON numbers."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any, Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.connectors import wire
from fapiao.connectors.yipiaoyun.mapping import (
    POS_PATH,
    STAY_OPEN_PATH,
    SUBSCRIBE_PATH,
    MappingError,
    operation,
    tax_inclusive,
)
from fapiao.schemas.records import InvoiceRequest, Line, Party

Make = Callable[..., InvoiceRequest]


def test_stay_open_with_goods_detail(invoice_request: Make) -> None:
    path, body = operation(invoice_request())
    assert path == STAY_OPEN_PATH
    assert body["applicationNo"] == "YP20260001" and body["applyType"] == 1
    assert body["titleType"] == 1 and body["invoiceType"] == "c" and body["storeNo"] == "S001"
    assert body["purchaserTaxNo"] == "91440300358768292H" and body["purchaserMail"] == "ap@example.com"
    assert body["sellerTaxNo"] == "91440300MA5G9GK78Y" and body["ticketHolder"] == "李四"
    assert "autoDeal" not in body and "receivePhone" not in body
    [order] = body["orderList"]
    # The serial is the erpOrderNo, so a callback's erpOrderNos lead back to it; the ERP's order is orderNo.
    assert order["erpOrderNo"] == "YP20260001" and order["orderNo"] == "SO-1"
    assert order["orderPrice"] == Decimal("24.80")
    assert order["items"] == [{"name": "住宿费", "taxTypeNo": "3070401000000000000", "taxRate": "6", "unit": "天",
                               "specification": "标间", "quantity": Decimal("2"), "unitPrice": Decimal("12.4"),
                               "totalPrice": Decimal("24.80")}]


def test_stay_open_by_goods_identifier(invoice_request: Make, line: Line) -> None:
    _, body = operation(invoice_request(lines=(replace(line, goods_id="ZSF0000001"),), options={"store_id": "123", "invoice_point": "机号1"}))
    assert body["orderList"][0]["items"] == [
        {"identifier": "ZSF0000001", "quantity": Decimal("2"), "unitPrice": Decimal("12.4"), "totalPrice": Decimal("24.80")}]
    assert body["storeId"] == 123 and body["invoicePointName"] == "机号1" and "storeNo" not in body


def test_individual_electronic_with_auto_deal_and_extension(invoice_request: Make) -> None:
    buyer = Party(name="张三", kind="individual", mobile="13800000000")
    request = invoice_request(invoice_type="electronic_normal", buyer=buyer, payee="王五", reviewer="赵六",
                              options={"store_no": "S002", "auto_deal": "true", "extension": '{"room":"702"}'})
    _, body = operation(request)
    assert body["titleType"] == 2 and body["invoiceType"] == "ce" and body["autoDeal"] is True
    assert body["receivePhone"] == "13800000000" and body["extension"] == '{"room":"702"}'
    assert (body["ticketHolder"], body["payee"], body["reviewer"]) == ("李四", "王五", "赵六")


def test_special_invoice_type_and_erp_order_fallback(invoice_request: Make) -> None:
    _, body = operation(invoice_request(invoice_type="special", erp_order_no=None, order_no="PO-9"))
    assert body["invoiceType"] == "s" and body["orderList"][0]["orderNo"] == "PO-9"


def test_policy_and_zero_rate_flags(invoice_request: Make, line: Line) -> None:
    exempt = replace(line, tax_rate=Decimal("0"), tax_amount=Decimal("0"), amount=Decimal("24.80"), policy="03")
    zero = replace(exempt, policy=None)
    simple = replace(line, tax_rate=Decimal("0.03"), tax_amount=Decimal("0.70"), policy="08")
    _, body = operation(invoice_request(lines=(exempt, zero, simple)))
    items = body["orderList"][0]["items"]
    assert (items[0]["discountIdentification"], items[0]["discountContent"], items[0]["taxFlag"]) == (1, "免税", 1)
    assert items[1]["taxFlag"] == 3 and "discountIdentification" not in items[1]
    assert (items[2]["discountContent"], items[2]["taxRate"]) == ("按3%简易征收", "3") and "taxFlag" not in items[2]


def test_subscribe(invoice_request: Make) -> None:
    path, body = operation(invoice_request(options={"apply_type": "2", "store_no": "S001",
                                                    "invoice_date": "2026-09-26 18:16:00"}))
    assert path == SUBSCRIBE_PATH
    assert body["applyType"] == 2 and body["invoiceDate"] == "2026-09-26 18:16:00"
    assert body["orderList"] == [{"orderNo": "SO-1", "erpOrderNo": "YP20260001"}]


def test_pos(invoice_request: Make) -> None:
    path, body = operation(invoice_request(options={"apply_type": "pos", "effective_day": "30"}))
    assert path == POS_PATH
    assert body == {"orderNo": "YP20260001", "orderPrice": Decimal("24.80"), "effectiveDay": 30}


@pytest.mark.parametrize("changes, reason", [
    ({"invoice_type": "digital_normal"}, "not offered"),
    ({"options": {"apply_type": "3"}}, "apply_type"),
    ({"options": {"apply_type": "2"}}, "invoice_date"),
    ({"options": {"auto_deal": "true"}}, "electronic_normal"),
    ({"options": {"auto_deal": "yes"}}, "true or false"),
    ({"options": {"store_id": "S1"}}, "store_id"),
    ({"options": {"apply_type": "pos", "effective_day": "a"}}, "effective_day"),
    ({"line": {"tax_rate": Decimal("0.015")}}, "whole percent"),
    ({"line": {"policy": "10"}}, "优惠政策"),
])
def test_unmappable_requests(invoice_request: Make, line: Line, changes: dict[str, Any], reason: str) -> None:
    if "line" in changes:
        changes = {"lines": (replace(line, **changes["line"]),)}
    with pytest.raises(MappingError, match=reason):
        operation(invoice_request(**changes))


def test_unit_price_is_omitted_when_not_exact(line: Line) -> None:
    line = replace(line, quantity=Decimal("3"), amount=Decimal("9.43"), tax_amount=Decimal("0.57"))
    assert tax_inclusive(line) == (Decimal("10.00"), None)  # 10 / 3 has no exact price
    assert tax_inclusive(replace(line, quantity=None)) == (Decimal("10.00"), None)


@given(cents=st.integers(1, 10**9), tax_cents=st.integers(0, 10**8), quantity=st.integers(1, 10**4))
def test_tax_inclusive_prices_are_exact(cents: int, tax_cents: int, quantity: int) -> None:
    line = Line(name="x", tax_code="3070401000000000000", tax_rate=Decimal("0.06"), 
                amount=Decimal(cents) / 100, tax_amount=Decimal(tax_cents) / 100, quantity=Decimal(quantity))
    total, unit = tax_inclusive(line)
    assert total == line.amount + line.tax_amount
    assert unit is None or unit * line.quantity == total


def test_wire_writes_decimals_exactly_and_refuses_floats() -> None:
    body = wire.dumps({"a": Decimal("24.80"), "b": Decimal("0.1"), "c": Decimal("1E+2"), "d": [True, None, "中"]})
    assert body == '{"a":24.80,"b":0.1,"c":100,"d":[true,null,"中"]}'.encode()
    assert wire.loads(body)["b"] == Decimal("0.1")
    with pytest.raises(TypeError):
        wire.dumps({"x": 0.1})
    with pytest.raises(ValueError):
        wire.dumps(Decimal("NaN"))
