"""申请回调: each code, partial success, matching by erpOrderNos, signature checks, malformed bodies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from fapiao.connectors.provider import OutcomeKind
from fapiao.connectors import wire
from fapiao.connectors.yipiaoyun import YipiaoyunCallbacks
from fapiao.connectors.yipiaoyun.signing import core_params
from fapiao.exceptions import MalformedCallback

SECRET = "cb-secret"
ISSUED = {"invoiceType": "ce", "invoiceNo": "00000001", "invoiceCode": "044031900111", "paperDrewDate": "20260101120000",
          "pdfPath": "http://x/1.pdf", "amountWithoutTax": Decimal("23.40"), "taxAmount": Decimal("1.40"), "status": "1"}
FAILED = {"invoiceType": "ce", "invoiceNo": "", "status": "2", "processRemark": "开具失败,税盘不在线"}


def callback(code: int, entries: list[dict[str, Any]], serials: tuple[str, ...] = ("YP1",),
             sign_type: str = "MD5", secret: str = SECRET, **changes: Any) -> bytes:
    data = {"orderBatchNo": "B1", "erpOrderNos": list(serials), "partnerOrderNos": ["SO-1"],
            "successNumber": 0, "failNumber": 0, "invoiceEntrys": entries}
    return wire.dumps({**core_params("app", secret, sign_type), "code": code, "message": "m", "data": data, **changes})


def facts(body: bytes) -> list[Any]:
    return YipiaoyunCallbacks(SECRET).parse(body, {})


def test_issued() -> None:
    [fact] = facts(callback(1, [ISSUED]))
    assert fact.serial == "YP1" and fact.order_numbers == ("SO-1",)
    assert fact.outcome.kind is OutcomeKind.ISSUED and fact.outcome.code == "1"
    invoice = fact.outcome.invoice
    assert (invoice.number, invoice.code, invoice.issued_at, invoice.pdf_url) == (
        "00000001", "044031900111", "20260101120000", "http://x/1.pdf")
    assert (invoice.total_amount, invoice.total_tax) == (Decimal("23.40"), Decimal("1.40"))


def test_failed_carries_the_process_remark() -> None:
    [fact] = facts(callback(-1, [FAILED]))
    assert (fact.outcome.kind, fact.outcome.code, fact.outcome.message) == (OutcomeKind.FAILED, "-1", "开具失败,税盘不在线")


def test_rejected_by_the_merchant() -> None:
    [fact] = facts(callback(-2, []))
    assert (fact.outcome.kind, fact.outcome.code) == (OutcomeKind.FAILED, "-2")


@pytest.mark.parametrize("code", [2, 3, 1])
def test_partial_success_is_issued_with_the_issued_part_and_the_failures_in_the_message(code: int) -> None:
    second = {**ISSUED, "invoiceNo": "00000002", "pdfPath": "http://x/2.pdf"}
    [fact] = facts(callback(code, [ISSUED, FAILED, second]))
    assert fact.outcome.kind is OutcomeKind.ISSUED
    assert fact.outcome.invoice.number == "00000001,00000002"
    assert fact.outcome.invoice.total_amount == Decimal("46.80")
    assert "1 failed" in fact.outcome.message and "税盘不在线" in fact.outcome.message


def test_partial_code_with_only_issued_entries() -> None:
    [fact] = facts(callback(2, [ISSUED]))
    assert fact.outcome.kind is OutcomeKind.ISSUED and "0 failed" in fact.outcome.message


def test_one_fact_per_erp_order_no_and_an_orphan_without_any() -> None:
    assert [f.serial for f in facts(callback(1, [ISSUED], serials=("YP1", "YP2")))] == ["YP1", "YP2"]
    assert [f.serial for f in facts(callback(1, [ISSUED], serials=()))] == [None]


@pytest.mark.parametrize("body", [
    b"not json",
    b"[1]",
    wire.dumps({"code": "1", "data": {}}),
    wire.dumps({"code": 1}),
    callback(1, []),  # 开票成功 without an invoice
    callback(1, [FAILED]),
    callback(5, [FAILED]),
    callback(7, []),
    callback(1, [ISSUED], data={"erpOrderNos": "YP1", "invoiceEntrys": [ISSUED]}),
])
def test_malformed(body: bytes) -> None:
    with pytest.raises(MalformedCallback):
        facts(body)


@pytest.mark.parametrize("sign_type", ["MD5", "SHA1", "SHA256"])
def test_verify_accepts_our_signature_of_our_sign_type(sign_type: str) -> None:
    body = callback(1, [ISSUED], sign_type=sign_type)
    assert YipiaoyunCallbacks(SECRET, sign_type).verify(body, {})
    assert not YipiaoyunCallbacks(SECRET, "SHA1" if sign_type != "SHA1" else "MD5").verify(body, {})


@pytest.mark.parametrize("body", [
    callback(1, [ISSUED], secret="someone-else"),
    callback(1, [ISSUED], sign="0" * 32),
    callback(1, [ISSUED], sign=None),
    callback(1, [ISSUED], timestamp="1"),
    wire.dumps({"code": 1, "data": {}}),
    b"not json",
    b"[]",
])
def test_verify_is_false_when_missing_or_wrong(body: bytes) -> None:
    assert not YipiaoyunCallbacks(SECRET).verify(body, {})


def test_payload_is_outside_the_signature() -> None:
    # Documented limit of the vendor's scheme: only the core params are signed, so the agent re-queries.
    signed = wire.loads(callback(-1, [FAILED]))
    assert YipiaoyunCallbacks(SECRET).verify(wire.dumps({**signed, "code": 1}), {})
