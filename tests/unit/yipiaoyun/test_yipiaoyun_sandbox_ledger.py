"""The sandbox's books: an application is decided once; with dedupe off a number sent again is issued again,
and the stats say exactly that in both modes."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sandbox_bodies import SERIAL, item, pos, stay_open

from fapiao.connectors.yipiaoyun.sandbox import protocol
from fapiao.connectors.yipiaoyun.sandbox.faults import Dice
from fapiao.connectors.yipiaoyun.sandbox.state import Application, Ledger


def admitted(ledger: Ledger, kind: str, body: dict) -> Application:
    answer, application = ledger.admit(kind, body)
    assert answer.code == 0 and application is not None, answer
    return application


def test_with_dedupe_a_number_is_accepted_and_issued_once() -> None:
    ledger = Ledger("http://sandbox")
    application = admitted(ledger, "stay_open", stay_open())
    assert ledger.admit("stay_open", stay_open()) == (protocol.DUPLICATE, None)
    code, message, data = ledger.complete(application)
    assert (code, message) == (1, "开票成功")
    assert (data["erpOrderNos"], data["partnerOrderNos"], data["successNumber"], data["failNumber"]) == (
        [SERIAL], ["SO-1"], 1, 0)
    [entry] = data["invoiceEntrys"]
    # 24.80 at 6 %: 24.80 / 1.06 = 23.396… -> 23.40 without tax, 1.40 tax (the tax 23.40 × 0.06 = 1.404 allows)
    assert (entry["amountWithTax"], entry["amountWithoutTax"], entry["taxAmount"]) == (
        Decimal("24.80"), Decimal("23.40"), Decimal("1.40"))
    assert entry["pdfPath"] == f"http://sandbox/pdf/{entry['invoiceNo']}.pdf" and entry["status"] == "1"
    assert ledger.complete(application) is None
    stats = ledger.stats()
    assert (stats["dedupe"], stats["submissions_per_serial"], stats["issued_per_serial"], stats["duplicates"],
            stats["resubmitted"], stats["requests"]["duplicate"]) == (True, {SERIAL: 1}, {SERIAL: 1}, 0, 0, 1)


def test_with_dedupe_off_a_number_sent_again_is_a_new_application_and_a_new_invoice() -> None:
    ledger = Ledger("http://sandbox", dedupe=False)
    first, second = admitted(ledger, "stay_open", stay_open()), admitted(ledger, "stay_open", stay_open())
    numbers = [ledger.complete(a)[2]["invoiceEntrys"][0]["invoiceNo"] for a in (first, second)]
    assert numbers[0] != numbers[1]
    assert ledger.query(SERIAL).data["invoiceEntrys"][0]["invoiceNo"] == numbers[1]  # the newest
    stats = ledger.stats()
    assert (stats["dedupe"], stats["submissions_per_serial"], stats["issued_per_serial"], stats["duplicates"],
            stats["resubmitted"], stats["issued"], stats["applications"]) == (
        False, {SERIAL: 2}, {SERIAL: 2}, 1, 1, 2, 2)


def test_with_dedupe_off_a_pos_order_sent_again_gets_a_second_link_and_nothing_is_issued() -> None:
    ledger = Ledger("http://sandbox", dedupe=False)
    links = [ledger.admit("pos", pos())[0].data for _ in range(2)]
    assert links[0] != links[1] and all(f"an={SERIAL}" in link for link in links)
    assert ledger.query(SERIAL).data["status"] == "pending"
    stats = ledger.stats()
    assert (stats["submissions_per_serial"], stats["issued_per_serial"]) == ({SERIAL: 2}, {})


@pytest.mark.parametrize("marker, status, code, issued, entries", [
    ("SANDBOX:REJECT", "rejected", -2, 0, []),
    ("SANDBOX:FAIL", "failed", -1, 0, ["2"]),
    ("SANDBOX:PARTIAL", "issued", 2, 1, ["1", "2"]),
])
def test_scenarios(marker: str, status: str, code: int, issued: int, entries: list[str]) -> None:
    ledger = Ledger("http://sandbox")
    callback_code, _, data = ledger.complete(admitted(ledger, "stay_open", stay_open(remark=marker)))
    assert callback_code == code
    assert [e["status"] for e in data.get("invoiceEntrys", [])] == entries  # 申请驳回 carries the orders only
    assert ledger.query(SERIAL).data["status"] == status
    assert ledger.stats()["issued_per_serial"].get(SERIAL, 0) == issued


def test_each_line_is_split_at_its_own_rate() -> None:
    ledger = Ledger("http://sandbox")
    body = stay_open(item(), item(name="日用品", taxRate=13, quantity=Decimal(1), unitPrice=Decimal("11.30"),
                                  totalPrice=Decimal("11.30")))
    [entry] = ledger.complete(admitted(ledger, "stay_open", body))[2]["invoiceEntrys"]
    assert [(d["amountWithoutTax"], d["taxAmount"]) for d in entry["details"]] == [
        (Decimal("23.40"), Decimal("1.40")), (Decimal("10.00"), Decimal("1.30"))]
    assert (entry["amountWithoutTax"], entry["taxAmount"], entry["amountWithTax"]) == (
        Decimal("33.40"), Decimal("2.70"), Decimal("36.10"))


def test_query() -> None:
    ledger = Ledger("http://sandbox")
    assert ledger.query(SERIAL) == protocol.NOT_FOUND
    admitted(ledger, "stay_open", stay_open())
    assert ledger.query(SERIAL).data == {"status": "pending", "invoiceEntrys": [], "message": None}


def test_refusals_are_counted_and_record_nothing() -> None:
    ledger = Ledger("http://sandbox")
    assert ledger.admit("stay_open", stay_open(storeNo="S404"))[0] == protocol.NO_STORE
    stats = ledger.stats()
    assert (stats["requests"], stats["submissions_per_serial"], stats["applications"]) == ({"refused_4002": 1}, {}, 0)


def test_dice_count_what_fired_and_never_roll_a_zero_rate() -> None:
    fired: Counter[str] = Counter()
    dice = Dice(7, fired)
    assert [dice.roll("hung", 1.0) for _ in range(3)] == [True] * 3
    assert not any(dice.roll("unavailable", 0.0) for _ in range(3))
    assert fired == {"hung": 3}
    first, second = Dice(7, Counter()), Dice(7, Counter())
    rolls = [first.roll("x", 0.5) for _ in range(20)]
    assert rolls == [second.roll("x", 0.5) for _ in range(20)] and len(set(rolls)) == 2  # seeded: repeatable
