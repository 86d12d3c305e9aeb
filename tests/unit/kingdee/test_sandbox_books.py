"""The sandbox's remaining-amount bookkeeping, driven through its red-letter desk without HTTP.

The oracle is computed here, independently: per blue line, the sums of what the issued reds took back.
- dedupe on (a careful provider): a red is accepted exactly when it fits what remains, and no blue ever
  shows a negative remainder or appears in `over_flushed`;
- dedupe off (a careless provider): every red is issued, and `over_flushed` names exactly the blues whose
  issued reds exceed them on some line in amount, tax or quantity.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from fapiao.connectors.kingdee.sandbox import names
from fapiao.connectors.kingdee.sandbox.books import BlueBook, Share
from fapiao.connectors.kingdee.sandbox.clock import Clock
from fapiao.connectors.kingdee.sandbox.ledger import Ledger
from fapiao.connectors.kingdee.sandbox.reds import Desk, RedRules
from fapiao.connectors.kingdee.sandbox.takes import Refused

CENT = Decimal("0.01")
RATE = Decimal("0.13")
SELLER = "91440300MA5G9GK78Y"
Sums = dict[tuple[str, int], list[Decimal]]


def _tax(amount: Decimal) -> Decimal:
    return (amount * RATE).quantize(CENT, ROUND_HALF_UP)


def blue_data(serial: str, lines: list[tuple[Decimal, int]], remark: str = "") -> dict[str, Any]:
    """An ALLE.INVOICE.OPEN `data` with lines of (amount, quantity)."""
    detail = [{"goodsName": "咨询服务", "revenueCode": "3040602000000000000", "taxRate": "0.13", "amount": amount,
               "taxAmount": _tax(amount), "quantity": Decimal(quantity), "price": amount / quantity}
              for amount, quantity in lines]
    amount = sum((line["amount"] for line in detail), Decimal(0))
    tax = sum((line["taxAmount"] for line in detail), Decimal(0))
    return {"serialNo": serial, "invoiceType": "02", "sellerTaxpayerId": SELLER, "sellerName": "示例科技",
            "buyerName": "示例采购方", "buyerTaxpayerId": "91440300358768292H", "remark": remark,
            "invoiceDetail": detail, "totalAmount": amount, "totalTaxAmount": tax, "includeTaxAmount": amount + tax}


def books(dedupe: bool) -> tuple[Ledger, Desk]:
    ledger = Ledger("http://sandbox.test", Clock(), dedupe=dedupe)
    return ledger, Desk(ledger, RedRules(dedupe=dedupe))


def issue_blue(ledger: Ledger, serial: str, lines: list[tuple[Decimal, int]], remark: str = "") -> str:
    invoice = ledger.record(serial, names.OPEN, blue_data(serial, lines, remark), used=names.USED in remark)
    assert ledger.issue(invoice)
    return str(invoice.data["invoiceNum"])


def red_data(serial: str, blue: str, take: dict[int, tuple[Decimal, int]]) -> dict[str, Any]:
    return {"serialNo": serial, "invoiceNum": blue, "redReason": "02", "sellerTaxpayerId": SELLER,
            "invoiceDetail": [{"originalSeq": seq, "amount": -amount, "taxAmount": -_tax(amount),
                               "quantity": -quantity, "price": amount / quantity}
                              for seq, (amount, quantity) in take.items()]}


amounts = st.integers(min_value=1, max_value=50_000).map(lambda cents: Decimal(cents) * CENT)
blue_lines = st.lists(st.tuples(amounts, st.integers(1, 9)), min_size=1, max_size=3)
# A red: which blue (index), and per line it names (index, taken modulo the blue's lines): amount and quantity.
reds = st.lists(st.tuples(st.integers(0, 3), st.dictionaries(st.integers(0, 2), st.tuples(amounts, st.integers(1, 9)),
                                                              min_size=1, max_size=3)), max_size=12)


def _exceeds(sums: list[Decimal], line: tuple[Decimal, int]) -> bool:
    amount, quantity = line
    return sums[0] > amount or sums[1] > _tax(amount) or sums[2] > quantity


def run(dedupe: bool, blues: list[list[tuple[Decimal, int]]], requests: list[Any], resend: bool = False,
        ) -> tuple[Ledger, list[str], Sums, list[tuple[bool, bool]]]:
    """Issue the blues, then every red (each issued at once; with `resend`, each sent twice).

    Returns, besides the books, what the reds took back as counted here, and per red sent whether it
    fitted what remained (counted here, before it was sent) and whether the sandbox accepted it.
    """
    ledger, desk = books(dedupe)
    numbers = [issue_blue(ledger, f"B{i}", lines) for i, lines in enumerate(blues)]
    issued: Sums = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
    verdicts: list[tuple[bool, bool]] = []
    for n, (which, lines) in enumerate(requests):
        blue = which % len(blues)
        take = {index % len(blues[blue]) + 1: line for index, line in lines.items()}
        for _ in range(2 if resend else 1):
            fits = not any(_exceeds([issued[(numbers[blue], seq)][0] + amount,
                                     issued[(numbers[blue], seq)][1] + _tax(amount),
                                     issued[(numbers[blue], seq)][2] + quantity], blues[blue][seq - 1])
                           for seq, (amount, quantity) in take.items())
            try:
                effects = desk.red(red_data(f"R{n}", numbers[blue], take))
            except Refused as refused:
                assert refused.message in (names.NOTHING_LEFT, f"流水号重复: R{n}"), refused.message
                verdicts.append((fits, False))
                continue
            verdicts.append((fits, True))
            [red] = effects.issue
            assert ledger.issue(red)
            for seq, (amount, quantity) in take.items():
                sums = issued[(numbers[blue], seq)]
                sums[0], sums[1], sums[2] = sums[0] + amount, sums[1] + _tax(amount), sums[2] + quantity
    return ledger, numbers, issued, verdicts


def over(numbers: list[str], blues: list[list[tuple[Decimal, int]]], issued: Sums) -> list[str]:
    return sorted(number for number, lines in zip(numbers, blues)
                  if any(_exceeds(issued[(number, seq)], line) for seq, line in enumerate(lines, 1)))


@settings(max_examples=150, deadline=None)
@given(st.lists(blue_lines, min_size=1, max_size=4), reds)
def test_with_dedupe_a_red_is_accepted_exactly_when_it_fits_and_nothing_goes_negative(
        blues: list[list[tuple[Decimal, int]]], requests: list[Any]) -> None:
    ledger, numbers, issued, verdicts = run(True, blues, requests)
    assert all(fits == accepted for fits, accepted in verdicts)
    for number in numbers:
        for line in ledger.shown(ledger.blues[number].invoice)["invoiceDetail"]:
            assert line["remainRedAmount"] >= 0 and line["remainRedTax"] >= 0
            assert Decimal(line["remainRedQuantity"]) >= 0
    assert ledger.stats()["over_flushed"] == []


@settings(max_examples=150, deadline=None)
@given(st.lists(blue_lines, min_size=1, max_size=4), reds, st.booleans())
def test_without_dedupe_over_flushed_names_exactly_the_blues_that_go_over(
        blues: list[list[tuple[Decimal, int]]], requests: list[Any], resend: bool) -> None:
    ledger, numbers, issued, verdicts = run(False, blues, requests, resend)
    assert all(accepted for _, accepted in verdicts)  # a careless provider refuses nothing well formed
    assert ledger.stats()["over_flushed"] == over(numbers, blues, issued)
    assert ledger.stats()["red_issued"] == len(verdicts)


def test_resending_a_red_serial_issues_it_twice_without_dedupe_and_once_with() -> None:
    blue = [(Decimal("100.00"), 2)]
    ledger, numbers, _, verdicts = run(False, [blue], [(0, {0: (Decimal("60.00"), 1)})], resend=True)
    assert [accepted for _, accepted in verdicts] == [True, True] and ledger.stats()["over_flushed"] == numbers
    assert ledger.stats()["issued_per_serial"]["R0"] == 2 and ledger.stats()["duplicates"] == 1
    ledger, numbers, _, verdicts = run(True, [blue], [(0, {0: (Decimal("60.00"), 1)})], resend=True)
    assert [accepted for _, accepted in verdicts] == [True, False] and ledger.stats()["over_flushed"] == []
    assert ledger.stats()["issued_per_serial"]["R0"] == 1


def test_a_form_holds_its_share_until_it_dies_and_then_frees_it() -> None:
    ledger, desk = books(True)
    number = issue_blue(ledger, "B0", [(Decimal("100.00"), 4)], remark=names.USED)
    ids, effects = desk.apply({"orderNo": "R1", "invoiceNo": number, "redReason": "2", "sellerTaxpayerId": SELLER,
                               "invoiceDetail": red_data("R1", number, {1: (Decimal("100.00"), 4)})["invoiceDetail"]})
    assert ids["redConfirmBillStatus"] == "02" and effects.ask_buyer  # the simulated buyer will answer
    with pytest.raises(Refused, match=names.NOTHING_LEFT):  # the form holds it all
        desk.apply({"orderNo": "R2", "invoiceNo": number, "redReason": "2", "sellerTaxpayerId": SELLER})
    desk.buyer_answers(ledger.forms[ids["redInfoBillNo"]], "refuse")
    assert ledger.forms[ids["redInfoBillNo"]].status == "05"
    ids, _ = desk.apply({"orderNo": "R2", "invoiceNo": number, "redReason": "2", "sellerTaxpayerId": SELLER})
    assert ids["redConfirmBillStatus"] == "02"  # the share came back


@pytest.mark.parametrize("take, left", [
    ({1: Share(Decimal("30"), Decimal("3"), Decimal("1"))}, Share(Decimal("70"), Decimal("7"), Decimal("2"))),
    ({1: Share(Decimal("30"), Decimal("3"))}, Share(Decimal("70"), Decimal("7"), Decimal("3"))),
])
def test_remaining_is_the_blue_less_what_is_held_and_issued(take: dict[int, Share], left: Share) -> None:
    book = BlueBook({1: Share(Decimal("100"), Decimal("10"), Decimal("3"))})
    book.hold("F1", take)
    assert book.remaining()[1] == left and not book.untouched()
    book.settle("F1", take)
    assert book.remaining()[1] == left and not book.over() and not book.flushed()
    book.settle("F2", {1: left})
    assert book.flushed() and not book.over() and book.remaining()[1].amount == 0
    book.settle("F3", take)
    assert book.over()
