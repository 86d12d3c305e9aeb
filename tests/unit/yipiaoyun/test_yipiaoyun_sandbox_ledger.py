"""The sandbox's books on their own: an application is decided once, so nothing is issued twice."""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

from fapiao.connectors.yipiaoyun.mapping import stay_open_body
from fapiao.connectors.yipiaoyun.sandbox.state import Ledger
from fapiao.schemas.records import InvoiceRequest


def test_complete_issues_once(invoice_request: Callable[..., InvoiceRequest]) -> None:
    ledger = Ledger("http://sandbox")
    body = stay_open_body(invoice_request())
    assert ledger.admit("stay_open", body)[0] == 0
    assert ledger.admit("stay_open", body)[:2] == (-1, "申请单号重复!")
    code, _, data = ledger.complete("YP20260001")
    assert code == 1 and data["erpOrderNos"] == ["YP20260001"] and data["partnerOrderNos"] == ["SO-1"]
    [entry] = data["invoiceEntrys"]
    assert entry["amountWithTax"] == Decimal("24.80") and entry["amountWithoutTax"] + entry["taxAmount"] == Decimal("24.80")
    assert ledger.complete("YP20260001") is None
    assert ledger.stats()["issued_per_serial"] == {"YP20260001": 1} and ledger.stats()["duplicates"] == 0


def test_totals_must_add_up(invoice_request: Callable[..., InvoiceRequest]) -> None:
    body = stay_open_body(invoice_request())
    body["orderList"][0]["orderPrice"] = Decimal("24.81")
    assert Ledger("http://sandbox").admit("stay_open", body)[:2] == (-1, "订单金额与商品总价不符")


def test_garbage_numbers_are_refused_not_crashed(invoice_request: Callable[..., InvoiceRequest]) -> None:
    body = stay_open_body(invoice_request())
    body["orderList"][0]["items"][0].update(totalPrice="abc")
    assert Ledger("http://sandbox").admit("stay_open", body)[:2] == (-1, "总价格式错误")
    body["orderList"][0]["items"][0].update(totalPrice=Decimal("24.80"), taxRate="x")
    assert Ledger("http://sandbox").admit("stay_open", body)[:2] == (-1, "税率错误")
