"""The query that asks after a serial: ALLE.INVOICE.QUERY for 数电 types, BILL.INVOICE.QUERY for BILL.PUSH
types, and how a bill's answer reads (never NOT_FOUND while the bill exists: that would submit it again)."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any, Callable

import httpx
import pytest

from fapiao.connectors.kingdee import KingdeeProvider, queries
from fapiao.connectors.kingdee.mapping import BILL_TYPES, DIGITAL_TYPES
from fapiao.connectors.kingdee.protocol import BILL_QUERY, QUERY
from fapiao.connectors.provider import OutcomeKind
from fapiao.schemas.records import InvoiceRequest
from fapiao.settings import load

Factory = Callable[..., InvoiceRequest]
SERIAL = "KD0001"


def invoice(status: str, number: str = "12345678", **fields: Any) -> dict[str, Any]:
    return {"billNo": SERIAL, "invoiceStatus": status, "invoiceNum": number, "invoiceCode": "044031900111",
            "invoiceDate": "2025-01-02 10:00:00", "totalAmount": 100, "totalTaxAmount": 13, **fields}


@pytest.mark.parametrize("invoice_type", sorted(DIGITAL_TYPES))
def test_digital_types_are_queried_by_serial_no(request_factory: Factory, invoice_type: str) -> None:
    request = request_factory(SERIAL, invoice_type)
    assert queries.query_for(request) == (QUERY, {"serialNo": SERIAL, "sellerTaxpayerId": request.seller.tax_id})


@pytest.mark.parametrize("invoice_type", sorted(BILL_TYPES))
def test_bill_push_types_are_queried_by_their_bill(request_factory: Factory, invoice_type: str) -> None:
    request = request_factory(SERIAL, invoice_type)
    assert queries.query_for(request) == (BILL_QUERY, {"sellerTaxpayerId": request.seller.tax_id,
                                                       "serialNo": SERIAL})


@pytest.mark.parametrize("data, kind", [
    ([], OutcomeKind.NOT_FOUND),
    (None, OutcomeKind.NOT_FOUND),
    ([{"billNo": "SOMEONE-ELSE", "invoiceList": [invoice("0")]}], OutcomeKind.NOT_FOUND),
    ([{"billNo": SERIAL, "invoiceList": []}], OutcomeKind.PENDING),  # accepted, nothing issued yet
    ([{"billNo": SERIAL}], OutcomeKind.PENDING),
    ([{"billNo": SERIAL, "invoiceList": [invoice("2", number="")]}], OutcomeKind.PENDING),
    ([{"billNo": SERIAL, "invoiceList": [invoice("0"), invoice("2", number="")]}], OutcomeKind.PENDING),
    ({"billNo": SERIAL, "invoiceList": [invoice("0")]}, OutcomeKind.ISSUED),
    ([{"billNo": SERIAL, "invoiceList": [invoice("4", issueErrorMessage="税盘不在线")]}], OutcomeKind.FAILED),
])
def test_a_bills_answer(data: Any, kind: OutcomeKind) -> None:
    assert queries.outcome_of(BILL_QUERY, data, SERIAL).kind is kind


def test_an_issued_bill_gives_its_invoice() -> None:
    outcome = queries.outcome_of(BILL_QUERY, [{"billNo": SERIAL, "invoiceList": [invoice("0")]}], SERIAL)
    assert outcome.kind is OutcomeKind.ISSUED and outcome.invoice is not None and outcome.message is None
    assert (outcome.invoice.number, outcome.invoice.code) == ("12345678", "044031900111")
    assert (outcome.invoice.total_amount, outcome.invoice.total_tax) == (Decimal("100"), Decimal("13"))


def test_a_split_bill_is_issued_and_says_so() -> None:
    data = [{"billNo": SERIAL, "invoiceList": [invoice("0", "00000001"), invoice("4"), invoice("0", "00000002")]}]
    outcome = queries.outcome_of(BILL_QUERY, data, SERIAL)
    assert outcome.kind is OutcomeKind.ISSUED and outcome.invoice is not None
    assert outcome.invoice.number == "00000001" and outcome.message is not None and "3" in outcome.message


def test_a_failed_bill_carries_the_reason() -> None:
    outcome = queries.outcome_of(BILL_QUERY, [{"billNo": SERIAL, "invoiceList": [
        invoice("4", number="", issueErrorMessage="税盘不在线")]}], SERIAL)
    assert outcome.kind is OutcomeKind.FAILED and outcome.message == "税盘不在线"


async def test_the_client_sends_the_bill_query_and_reads_its_answer(request_factory: Factory) -> None:
    sent: list[dict[str, Any]] = []
    answer = [{"billNo": SERIAL, "invoiceList": [invoice("0")]}]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith((".do",)):
            field = "app_token" if "getAppToken" in request.url.path else "access_token"
            return httpx.Response(200, json={"data": {field: "t", "expire_time": 9_999_999_999_999, "success": True,
                                                      "error_code": "0"}, "status": True})
        body = json.loads(request.content)
        sent.append({**body, "data": json.loads(base64.b64decode(body["data"]))})
        encoded = base64.b64encode(json.dumps(answer).encode()).decode()
        return httpx.Response(200, json={"success": True, "errorCode": "0", "message": "", "data": encoded})

    provider = KingdeeProvider(load({"FAPIAO_KINGDEE_BASE_URL": "http://kingdee.test"}).kingdee, 5.0,
                               transport=httpx.MockTransport(handler))
    request = request_factory(SERIAL, "electronic_normal")
    try:
        outcome = await provider.query(request)
    finally:
        await provider.aclose()
    assert [(s["interfaceCode"], s["data"]) for s in sent] == [
        (BILL_QUERY, {"sellerTaxpayerId": request.seller.tax_id, "serialNo": SERIAL})]
    assert outcome.kind is OutcomeKind.ISSUED and outcome.invoice is not None
    assert outcome.invoice.number == "12345678"
