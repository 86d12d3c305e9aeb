"""KingdeeCallbacks: every accepted callback shape, the malformed ones, and the exact reply body."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from fapiao.connectors.kingdee import KingdeeCallbacks
from fapiao.connectors.kingdee.envelope import DataCodec
from fapiao.connectors.provider import OutcomeKind
from fapiao.connectors.wire import text
from fapiao.exceptions import MalformedCallback

ISSUED = {"serialNo": "KD1", "invoiceNum": "24952000000028787793", "invoiceDate": "2024-03-11 12:06:51",
          "invoiceType": "02", "totalAmount": Decimal("9.00"), "totalTaxAmount": Decimal("0.54"),
          "includeTaxAmount": Decimal("9.54"), "invoiceFileUrl": "https://x/pdf", "ofdFileUrl": "https://x/ofd",
          "xmlFileUrl": "https://x/xml"}
FAILED = {"serialNo": "KD2", "invoiceNum": "", "issueErrorMessage": "购方税号不存在"}


def _body(data: Any, return_code: str = "0", **extra: Any) -> bytes:
    return text({"returnCode": return_code, "returnMsg": "success", "interfaceCode": "INVOICE.OPEN",
                  "data": data, **extra}).encode()


def _parse(body: bytes, password: str | None = None) -> list[Any]:
    return KingdeeCallbacks(password).parse(body, {})


def test_reply_body_is_exact() -> None:
    assert KingdeeCallbacks.reply_body == '{"message":"回调成功","errorCode":"0","success":true}'.encode()
    assert json.loads(KingdeeCallbacks.reply_body) == {"message": "回调成功", "errorCode": "0", "success": True}
    assert KingdeeCallbacks.provider == "kingdee"
    assert KingdeeCallbacks().verify(b"anything", {}) is True


@pytest.mark.parametrize("data", [
    DataCodec().encode(ISSUED),  # 2.1.02, Base64 of the object
    DataCodec().encode([ISSUED]),  # Base64 of an array
    [ISSUED],  # a JSON array
    ISSUED,  # the object itself
], ids=["base64-object", "base64-array", "array", "object"])
def test_2_1_02_shapes(data: Any) -> None:
    [facts] = _parse(_body(data))
    assert facts.serial == "KD1" and facts.outcome.kind is OutcomeKind.ISSUED
    invoice = facts.outcome.invoice
    assert invoice is not None and invoice.number == "24952000000028787793"
    assert (invoice.pdf_url, invoice.ofd_url, invoice.xml_url) == ("https://x/pdf", "https://x/ofd", "https://x/xml")
    assert invoice.total_amount == Decimal("9.00") and invoice.total_tax == Decimal("0.54")


def test_2_1_02_in_aes_mode() -> None:
    [facts] = _parse(_body(DataCodec("synthetic-key").encode(ISSUED)), "synthetic-key")
    assert facts.outcome.kind is OutcomeKind.ISSUED


def test_2_1_02_failure() -> None:
    [facts] = _parse(_body(DataCodec().encode(FAILED), return_code="9999"))
    assert facts.serial == "KD2" and facts.outcome.kind is OutcomeKind.FAILED
    assert facts.outcome.message == "购方税号不存在" and facts.outcome.code == "9999"


def test_5_1_03_by_bill_with_mixed_items() -> None:
    items = [{**ISSUED, "billNo": "B1", "invoiceCode": "044031900111", "invoiceNum": "00000001",
              "invoiceStatus": "0", "invoiceType": "026", "invoicePdfFileUrl": "p"},
             {"serialNo": "KD3", "billNo": "B1", "invoiceStatus": "2", "invoiceNum": ""},
             {"serialNo": "KD4", "billNo": "B1", "invoiceStatus": "4", "invoiceNum": ""}]
    issued, pending, failed = _parse(_body(items, bizControl={"isWarning": False}))
    assert issued.order_numbers == ("B1",) and issued.outcome.invoice is not None
    assert issued.outcome.invoice.code == "044031900111"
    assert pending.outcome.kind is OutcomeKind.PENDING
    assert failed.outcome.kind is OutcomeKind.FAILED and failed.outcome.message == "开票失败"


@pytest.mark.parametrize("body", [
    b"not json",
    b"[1,2]",
    b'{"returnCode":"0","data":[]}',  # no interfaceCode
    _body([]),
    _body("bm90IGpzb24="),  # Base64 of text that is not JSON
    _body("%%%"),
    _body([{"invoiceNum": "1"}]),  # no serialNo
    _body(["KD1"]),
    _body(DataCodec("synthetic-key").encode(ISSUED)),  # AES without the password
], ids=["text", "array", "no-interface", "empty", "b64-text", "garbage", "no-serial", "string-item", "aes"])
def test_malformed(body: bytes) -> None:
    with pytest.raises(MalformedCallback):
        _parse(body)


# 2.1.02 for a red (interfaceCode INVOICE.RED): the red's serial, its negative totals, and its form.

RED = {"serialNo": "RED-0002", "invoiceNum": "24952000000028799999", "invoiceProperty": "1",
       "invoiceDate": "2024-03-12 09:00:00", "invoiceType": "01", "totalAmount": Decimal("-40.00"),
       "totalTaxAmount": Decimal("-5.20"), "includeTaxAmount": Decimal("-45.20"),
       "originalInvoiceNumber": "24952000000028787793", "originalIssueTime": "2024-03-11 12:06:51",
       "redInfoBillNo": "44011222071003100064", "govRedConfirmBillUuid": "a35494ab1e7f49e59ae30be9ac321cb5",
       "redConfirmBillStatus": "01", "ofdFileUrl": "https://x/red.ofd",
       "invoiceDetail": [{"seq": 1, "detailRowNo": 1, "amount": Decimal("-40.00"), "taxAmount": Decimal("-5.20")}]}


@pytest.mark.parametrize("password", [None, "synthetic-key"])
def test_2_1_02_red_issued(password: str | None) -> None:
    [facts] = _parse(_body(DataCodec(password).encode(RED), interfaceCode="INVOICE.RED"), password)
    assert facts.serial == "RED-0002" and facts.outcome.kind is OutcomeKind.ISSUED
    invoice = facts.outcome.invoice
    assert invoice is not None and invoice.number == "24952000000028799999" and invoice.ofd_url == "https://x/red.ofd"
    assert (invoice.total_amount, invoice.total_tax) == (Decimal("-40.00"), Decimal("-5.20"))
    form = facts.outcome.form
    assert form is not None and (form.number, form.uuid, form.status) == (
        "44011222071003100064", "a35494ab1e7f49e59ae30be9ac321cb5", "01")


def test_2_1_02_red_refused_for_its_form() -> None:
    item = {**RED, "invoiceNum": "", "redConfirmBillStatus": "05",
            "issueErrorMessage": "开票失败, 当前红字发票确认单状态为：作废（销方录入购方否认）"}
    [facts] = _parse(_body(DataCodec().encode(item), return_code="9999", interfaceCode="INVOICE.RED"))
    assert facts.serial == "RED-0002" and facts.outcome.kind is OutcomeKind.FAILED
    assert facts.outcome.code == "9999" and facts.outcome.message == item["issueErrorMessage"]
    assert facts.outcome.form is not None and facts.outcome.form.status == "05"


def test_a_blue_callback_names_no_form() -> None:
    [facts] = _parse(_body(DataCodec().encode({**ISSUED, "redInfoBillNo": "", "govRedConfirmBillUuid": ""})))
    assert facts.outcome.form is None
