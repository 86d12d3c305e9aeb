"""What the sandbox's BILL.INVOICE.QUERY lists for a 开票申请单, read from its ledger without HTTP.

The bill is found only under its billNo, for its own seller, and only when it came by BILL.PUSH; while
开票中 it has no invoice; issued or failed, its one invoice with the 5.1.03 item's fields. With `--dedupe
off` a bill sent again shows its latest submission.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from fapiao.connectors.kingdee.sandbox import names
from fapiao.connectors.kingdee.sandbox.clock import Clock
from fapiao.connectors.kingdee.sandbox.ledger import Invoice, Ledger

SELLER = "91440300MA5G9GK78Y"
BILL = "KDBILL0001"


def bill_data(bill_no: str = BILL, invoice_type: str = "026") -> dict[str, Any]:
    return {"billNo": bill_no, "invoiceType": invoice_type, "sellerTaxpayerId": SELLER, "sellerName": "示例科技",
            "buyerName": "示例采购方", "buyerTel": "13800000000", "totalAmount": Decimal("100.00"),
            "totalTaxAmount": Decimal("13.00"), "includeTaxAmount": Decimal("113.00"),
            "billDetail": [{"goodsName": "办公用品", "amount": Decimal("100.00"), "taxAmount": Decimal("13.00")}]}


def pushed(ledger: Ledger, bill_no: str = BILL, interface: str = names.BILL_PUSH) -> Invoice:
    return ledger.record(bill_no, interface, bill_data(bill_no))


def test_an_unknown_bill_is_an_empty_list() -> None:
    assert Ledger("http://sandbox.test", Clock()).bills(BILL, SELLER) == []


def test_a_bill_being_issued_has_no_invoice_yet() -> None:
    ledger = Ledger("http://sandbox.test", Clock())
    pushed(ledger)
    assert ledger.bills(BILL, SELLER) == [{"billNo": BILL, "invoiceList": []}]


def test_an_issued_bill_lists_its_invoice_with_the_callback_items_fields() -> None:
    ledger = Ledger("http://sandbox.test", Clock())
    assert ledger.issue(pushed(ledger))
    [bill] = ledger.bills(BILL, SELLER)
    [item] = bill["invoiceList"]
    assert bill["billNo"] == item["billNo"] == item["serialNo"] == BILL
    assert (item["invoiceStatus"], item["invoiceType"]) == ("0", "026")
    assert re.fullmatch(r"\d{8}", item["invoiceNum"]) and re.fullmatch(r"\d{12}", item["invoiceCode"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", item["invoiceDate"])
    assert (item["totalAmount"], item["totalTaxAmount"]) == (Decimal("100.00"), Decimal("13.00"))
    assert all(item[key].startswith("http://sandbox.test/_sandbox/files/") for key in
               ("invoiceFileUrl", "ofdFileUrl", "xmlFileUrl"))
    assert set(item) <= set(names.BILL_INVOICE_FIELDS)  # not the buyer's contact details nor the lines
    assert "issueErrorMessage" not in item


def test_a_failed_bill_lists_its_invoice_with_the_reason() -> None:
    ledger = Ledger("http://sandbox.test", Clock())
    assert ledger.fail(pushed(ledger), "税盘不在线")
    [item] = ledger.bills(BILL, SELLER)[0]["invoiceList"]
    assert (item["invoiceStatus"], item["issueErrorMessage"]) == ("4", "税盘不在线")
    assert "invoiceNum" not in item


def test_only_the_sellers_own_bills_pushed_as_bills_are_found() -> None:
    ledger = Ledger("http://sandbox.test", Clock())
    ledger.issue(pushed(ledger))
    pushed(ledger, "KDOPEN0001", names.OPEN)
    assert ledger.bills(BILL, "91110000000000000X") == []
    assert ledger.bills("KDOPEN0001", SELLER) == []  # a 数电 serial is no 开票申请单
    assert ledger.bills(BILL.lower(), SELLER) == []


def test_without_dedupe_a_bill_sent_again_shows_its_latest_submission() -> None:
    ledger = Ledger("http://sandbox.test", Clock(), dedupe=False)
    assert ledger.issue(pushed(ledger))
    first = ledger.bills(BILL, SELLER)[0]["invoiceList"][0]["invoiceNum"]
    assert ledger.issue(pushed(ledger))
    [bill] = ledger.bills(BILL, SELLER)
    assert [item["invoiceNum"] for item in bill["invoiceList"]] == [f"{int(first) + 1:08d}"]
