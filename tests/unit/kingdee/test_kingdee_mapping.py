"""Request → ALLE.INVOICE.OPEN / BILL.PUSH / query data, and query answers → Outcome, with exact decimals."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, Callable

import pytest

from fapiao.connectors.kingdee import mapping
from fapiao.connectors.wire import loads, text
from fapiao.connectors.provider import OutcomeKind
from fapiao.schemas.records import INVOICE_TYPES, InvoiceRequest, Line, Party

Factory = Callable[..., InvoiceRequest]

CODES = {"digital_special": ("ALLE.INVOICE.OPEN", "01"), "digital_normal": ("ALLE.INVOICE.OPEN", "02"),
         "special": ("BILL.PUSH", "004"), "normal": ("BILL.PUSH", "007"), "roll": ("BILL.PUSH", "025"),
         "electronic_normal": ("BILL.PUSH", "026"), "electronic_special": ("BILL.PUSH", "028")}


def _data(request: InvoiceRequest) -> dict[str, Any]:
    if mapping.interface_for(request) == "ALLE.INVOICE.OPEN":
        return mapping.open_data(request)
    return mapping.bill_push_data(request)


def test_every_invoice_type_has_an_interface_and_code() -> None:
    assert set(CODES) == set(INVOICE_TYPES)


@pytest.mark.parametrize("invoice_type", INVOICE_TYPES)
def test_invoice_type_picks_interface_and_code(request_factory: Factory, invoice_type: str) -> None:
    request = request_factory(invoice_type=invoice_type)
    interface, code = CODES[invoice_type]
    data = _data(request)
    assert mapping.interface_for(request) == interface
    assert data["invoiceType"] == code
    key, lines = ("serialNo", "invoiceDetail") if interface == "ALLE.INVOICE.OPEN" else ("billNo", "billDetail")
    assert data[key] == request.serial
    assert len(data[lines]) == len(request.lines)


def test_unknown_invoice_type_is_refused(request_factory: Factory) -> None:
    with pytest.raises(ValueError):
        mapping.interface_for(request_factory(invoice_type="paper_roll"))


def test_open_data_keeps_amounts_exact(request_factory: Factory) -> None:
    line = Line(name="信息技术服务", tax_code="3040201010000000000", tax_rate=Decimal("0.06"),
                amount=Decimal("0.10"), tax_amount=Decimal("0.01"), quantity=Decimal("3"),
                unit_price=Decimal("0.03333333"), unit="项", policy="03", goods_id="G1")
    request = request_factory(lines=(line,), total_amount=Decimal("0.10"), total_tax=Decimal("0.01"),
                              total_with_tax=Decimal("0.11"))
    wire = text(mapping.open_data(request))
    assert '"amount":0.10' in wire and '"price":0.03333333' in wire and '"includeTaxAmount":0.11' in wire
    detail = loads(wire)["invoiceDetail"][0]
    assert detail == {"lineProperty": "0", "billSourceId": "1", "goodsCode": "G1", "goodsName": "信息技术服务",
                      "revenueCode": "3040201010000000000", "units": "项", "quantity": 3,
                      "price": Decimal("0.03333333"), "amount": Decimal("0.10"), "taxRate": "0.06",
                      "taxAmount": Decimal("0.01"), "privilegeType": "03"}


def test_line_kinds_map_per_interface(request_factory: Factory) -> None:
    base = request_factory().lines[0]
    lines = tuple(dataclasses.replace(base, kind=kind) for kind in ("discounted", "discount", "normal"))
    opened = mapping.open_data(request_factory(lines=lines))["invoiceDetail"]
    pushed = mapping.bill_push_data(request_factory(invoice_type="special", lines=lines))["billDetail"]
    assert [line["lineProperty"] for line in opened] == ["2", "1", "0"]
    assert [line["lineProperty"] for line in pushed] == ["0", "1", "2"]


def test_parties_and_empty_fields(request_factory: Factory) -> None:
    person = Party(name="张三", kind="individual", mobile="13800000000", email="a@b.cn")
    data = mapping.open_data(request_factory(buyer=person, remark=None))
    assert data["naturalPersonFlag"] == "Y"
    assert data["buyerRecipientPhone"] == "13800000000" and data["buyerRecipientMail"] == "a@b.cn"
    assert "buyerTaxpayerId" not in data and "remark" not in data
    assert data["sellerTaxpayerId"] and data["includeTaxFlag"] == "0" and data["invoiceProperty"] == "0"


def test_query_data(request_factory: Factory) -> None:
    request = request_factory()
    assert mapping.query_data(request) == {"serialNo": request.serial, "sellerTaxpayerId": request.seller.tax_id}


ISSUED = {"serialNo": "KD1", "invoiceStatus": "0", "invoiceNum": "24952000000028787793",
          "invoiceDate": "2024-03-11 12:06:51", "totalAmount": 9, "totalTaxAmount": Decimal("0.54"),
          "invoiceFileUrl": "https://x/pdf", "ofdFileUrl": "https://x/ofd", "xmlFileUrl": "https://x/xml"}


def test_query_issued_carries_the_invoice() -> None:
    outcome = mapping.query_outcome(ISSUED)
    assert outcome.kind is OutcomeKind.ISSUED
    assert outcome.invoice is not None
    assert outcome.invoice.number == "24952000000028787793" and outcome.invoice.issued_at == "2024-03-11 12:06:51"
    assert (outcome.invoice.pdf_url, outcome.invoice.ofd_url, outcome.invoice.xml_url) == (
        "https://x/pdf", "https://x/ofd", "https://x/xml")
    assert outcome.invoice.total_amount == Decimal("9") and outcome.invoice.total_tax == Decimal("0.54")


@pytest.mark.parametrize(("data", "kind"), [
    ({"invoiceStatus": "2"}, OutcomeKind.PENDING),
    ({"invoiceStatus": 2}, OutcomeKind.PENDING),
    ({"invoiceStatus": "4", "issueErrorMessage": "购方税号不存在"}, OutcomeKind.FAILED),
    ({**ISSUED, "invoiceStatus": "3"}, OutcomeKind.ISSUED),
    ([ISSUED], OutcomeKind.ISSUED),
    (None, OutcomeKind.NOT_FOUND),
    ({}, OutcomeKind.NOT_FOUND),
    ([], OutcomeKind.NOT_FOUND),
    ("garbled", OutcomeKind.RETRYABLE),
])
def test_query_statuses(data: Any, kind: OutcomeKind) -> None:
    assert mapping.query_outcome(data).kind is kind


def test_query_failure_carries_the_reason() -> None:
    outcome = mapping.query_outcome({"invoiceStatus": "4", "issueErrorMessage": "购方税号不存在"})
    assert outcome.message == "购方税号不存在"


def test_invoice_info_reads_the_bill_file_names_and_codes() -> None:
    info = mapping.invoice_info({"invoiceNum": "00000001", "invoiceCode": "044031900111",
                                 "invoicePdfFileUrl": "p", "invoiceXmlFileUrl": "x", "totalAmount": "1.50"})
    assert (info.code, info.pdf_url, info.xml_url, info.total_amount) == ("044031900111", "p", "x", Decimal("1.50"))


@pytest.mark.parametrize(("value", "expected"), [
    (9, Decimal("9")), ("0.54", Decimal("0.54")), (Decimal("1.10"), Decimal("1.10")),
    (None, None), ("", None), ("x", None), (0.5, None), (True, None),
])
def test_to_decimal(value: Any, expected: Decimal | None) -> None:
    assert mapping.to_decimal(value) == expected
