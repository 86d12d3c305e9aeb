"""A red's claim on its blue, decided by `redletter.claims` over the blue's row: every refusal the docs list,
and the arithmetic of what remains (hypothesis: whatever is granted, nothing goes below zero)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fapiao.schemas.records import InvoiceState, Line, Party, RedEntry, RedLine, RequestKind, Status
from fapiao.schemas.requests import parse_request
from fapiao.streams.redletter.claims import Grant, Refusal, claim
from fapiao.streams.redletter.remaining import redeemable, remaining

from streams_support import build_request, build_state

# A blue written out by hand: line 1 100.00 + 13.00 tax, 10 pieces at 10.00; line 2 discounted by line 3.
LINES = (
    Line(name="办公用品", tax_code="1060511020000000000", tax_rate=Decimal("0.13"), amount=Decimal("100.00"),
         tax_amount=Decimal("13.00"), quantity=Decimal("10"), unit_price=Decimal("10.00")),
    Line(name="咨询服务", tax_code="3040602000000000000", tax_rate=Decimal("0.06"), amount=Decimal("200.00"),
         tax_amount=Decimal("12.00"), quantity=Decimal("1"), unit_price=Decimal("200.00"), kind="discounted"),
    Line(name="咨询服务", tax_code="3040602000000000000", tax_rate=Decimal("0.06"), amount=Decimal("-50.00"),
         tax_amount=Decimal("-3.00"), kind="discount"),
)
BLUE = build_request("B1", lines=LINES, total_amount=Decimal("250.00"), total_tax=Decimal("22.00"),
                     total_with_tax=Decimal("272.00"), invoice_type="digital_normal")


def issued(**changes: Any) -> InvoiceState:
    return dataclasses.replace(build_state(Status.ISSUED, serial="B1", request=BLUE, due_at=None), **changes)


def a_red(reason: str = "02", lines: list[dict[str, str | int]] | None = None, **extra: Any) -> Any:
    shape: dict[str, Any] = {"serial": "R1", "kind": "red", "original_serial": "B1", "red_reason": reason, **extra}
    if lines is not None:
        amount = sum(Decimal(str(line["amount"])) for line in lines)
        tax = sum(Decimal(str(line["tax_amount"])) for line in lines)
        shape.update(lines=lines, total_amount=str(amount), total_tax=str(tax), total_with_tax=str(amount + tax))
    request, findings = parse_request(shape)
    assert request is not None, findings
    return request


def refused(decision: Grant | Refusal) -> list[tuple[str, str]]:
    assert isinstance(decision, Refusal), decision
    return [(finding.code, finding.field) for finding in decision.findings]


def test_the_discount_goes_with_the_line_it_discounts() -> None:
    lines = redeemable(BLUE)
    assert sorted(lines) == [1, 2]
    assert lines[2][1] == RedLine(2, Decimal("150.00"), Decimal("9.00"), Decimal("1"))


def test_a_whole_red_takes_every_line_that_has_something_left() -> None:
    decision = claim(issued(), a_red())
    assert isinstance(decision, Grant)
    assert decision.order.lines == (RedLine(1, Decimal("100.00"), Decimal("13.00"), Decimal("10")),
                                    RedLine(2, Decimal("150.00"), Decimal("9.00"), Decimal("1")))
    request = decision.order.request
    assert (request.total_amount, request.total_tax, request.total_with_tax) == (
        Decimal("-250.00"), Decimal("-22.00"), Decimal("-272.00"))
    assert request.kind is RequestKind.RED and request.seller == BLUE.seller and request.provider == "kingdee"
    assert [line.amount for line in request.lines] == [Decimal("-100.00"), Decimal("-150.00")]
    assert all(line.amount == 0 for line in decision.order.remaining) and decision.order.whole


def test_a_discounted_line_goes_back_with_its_discount_at_the_price_paid() -> None:
    decision = claim(issued(), a_red())
    assert isinstance(decision, Grant)
    merged = decision.order.request.lines[1]
    assert (merged.original_line, merged.amount, merged.quantity, merged.unit_price) == (
        2, Decimal("-150.00"), Decimal("-1"), Decimal("150.00000000"))  # not the line's own 200.00


def test_a_partial_return_takes_what_it_names_and_says_what_remains() -> None:
    decision = claim(issued(), a_red("02", [{"original_line": 1, "amount": "-40.00", "tax_amount": "-5.20",
                                             "quantity": "-4"}]))
    assert isinstance(decision, Grant)
    assert decision.entry == RedEntry("R1", "reserved", (RedLine(1, Decimal("40.00"), Decimal("5.20"), Decimal("4")),))
    assert decision.order.remaining[0] == RedLine(1, Decimal("60.00"), Decimal("7.80"), Decimal("6"))
    assert decision.order.request.lines[0].unit_price == Decimal("10.00")


@pytest.mark.parametrize(("row", "red", "expected"), [
    (None, a_red(), [("red_original_not_issued", "original_serial")]),
    (issued(status=Status.SUBMITTING), a_red(), [("red_original_not_issued", "original_serial")]),
    (issued(request=dataclasses.replace(BLUE, kind=RequestKind.RED)), a_red(),
     [("red_original_not_issued", "original_serial")]),
    (issued(request=dataclasses.replace(BLUE, provider="yipiaoyun")), a_red(), [("red_not_supported", "original_serial")]),
    (issued(request=dataclasses.replace(BLUE, invoice_type="special")), a_red(),
     [("red_not_supported", "original_serial")]),
    (issued(), a_red(provider="yipiaoyun"), [("red_original_mismatch", "provider")]),
    (issued(), a_red(seller={"name": "别的公司", "tax_id": BLUE.seller.tax_id}),  # type: ignore[union-attr]
     [("red_original_mismatch", "seller.name")]),
    (issued(), a_red("02", [{"original_line": 3, "amount": "-1.00", "tax_amount": "-0.06"}]),
     [("red_line_unknown", "lines[0].original_line")]),
    (issued(), a_red("02", [{"original_line": 1, "amount": "-100.01", "tax_amount": "-13.00"}]),
     [("red_exceeds_remaining", "lines[0].amount")]),
    (issued(), a_red("02", [{"original_line": 1, "amount": "-90.00", "tax_amount": "-13.01", "quantity": "-9"}]),
     [("red_exceeds_remaining", "lines[0].tax_amount"), ("red_tax_mismatch", "lines[0].tax_amount")]),
    (issued(), a_red("03", [{"original_line": 1, "amount": "-10.00", "tax_amount": "-1.30", "quantity": "-11"}]),
     [("red_exceeds_remaining", "lines[0].quantity")]),
    (issued(), a_red("03", [{"original_line": 1, "amount": "-10.00", "tax_amount": "-1.37"}]),
     [("red_tax_mismatch", "lines[0].tax_amount")]),
    (issued(), a_red("02", [{"original_line": 1, "amount": "-30.00", "tax_amount": "-3.90", "quantity": "-2"}]),
     [("red_price_mismatch", "lines[0].amount")]),  # a return at another price than the blue's
    (issued(), a_red("02", [{"original_line": 1, "amount": "-10.00", "tax_amount": "-1.30", "tax_rate": "0.06"}]),
     [("red_original_mismatch", "lines[0].tax_rate")]),  # the tax is checked at the blue's own rate
    (issued(reds=(RedEntry("R0", "issued", (RedLine(1, Decimal("10.00"), Decimal("1.30")),)),)), a_red("01"),
     [("red_partial_not_allowed", "red_reason")]),
    (issued(reds=(RedEntry("R0", "reserved", (RedLine(1, Decimal("60.00"), Decimal("7.80")),)),)),
     a_red("04", [{"original_line": 1, "amount": "-50.00", "tax_amount": "-6.50"}]),
     [("red_exceeds_remaining", "lines[0].amount"), ("red_exceeds_remaining", "lines[0].tax_amount")]),
    (issued(status=Status.RED_FLUSHED, reds=(RedEntry("R0", "issued", (
        RedLine(1, Decimal("100.00"), Decimal("13.00")), RedLine(2, Decimal("150.00"), Decimal("9.00")))),)),
     a_red(), [("red_exceeds_remaining", "original_serial")]),
    (issued(), a_red(total_amount="-250.01", total_tax="-22.00", total_with_tax="-272.01"),
     [("red_exceeds_remaining", "total_amount"), ("red_exceeds_remaining", "total_with_tax")]),
])
def test_each_refusal(row: InvoiceState | None, red: Any, expected: list[tuple[str, str]]) -> None:
    assert refused(claim(row, red)) == expected


def test_released_and_refused_reds_leave_their_share_free() -> None:
    taken = (RedLine(1, Decimal("100.00"), Decimal("13.00")),)
    row = issued(reds=(RedEntry("R0", "released", taken), RedEntry("R9", "refused")))
    assert isinstance(claim(row, a_red("02", [{"original_line": 1, "amount": "-100.00", "tax_amount": "-13.00"}])),
                      Grant)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 2]), st.integers(1, 16000), st.sampled_from(["reserved", "issued",
                                                                                             "released"])),
                max_size=12))
def test_whatever_is_granted_nothing_goes_below_zero(asks: list[tuple[int, int, str]]) -> None:
    """Grant reds one after another as the blue's row would; what remains never drops below zero and
    remaining + counted reds is always the blue."""
    row = issued()
    for n, (line, cents, fate) in enumerate(asks):
        whole = redeemable(BLUE)[line][1]
        amount = Decimal(cents) / 100
        tax = (amount * (redeemable(BLUE)[line][0].tax_rate or 0)).quantize(Decimal("0.01"))
        red = a_red("04", [{"original_line": line, "amount": str(-amount), "tax_amount": str(-tax)}])
        decision = claim(row, dataclasses.replace(red, serial=f"R{n}"))
        if isinstance(decision, Grant):
            row = dataclasses.replace(row, reds=row.reds + (dataclasses.replace(decision.entry, state=fate),))
        for left in remaining(BLUE, row.reds):
            assert left.amount >= 0 and left.tax_amount >= 0
        counted = sum((take.amount for e in row.reds if e.state != "released" for take in e.lines
                       if take.original_line == line), Decimal(0))
        assert next(l for l in remaining(BLUE, row.reds) if l.original_line == line).amount + counted == whole.amount
