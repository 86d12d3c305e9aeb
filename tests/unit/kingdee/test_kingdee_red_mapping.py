"""RedOrder → 2.1.03 / 2.1.04 / 2.1.08 / 2.1.09 / 2.1.13 data, and their answers → Outcome.

Every expected `data` is written out by hand from the table in docs/red-letter.md.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fapiao.connectors.kingdee import red_mapping
from fapiao.connectors.kingdee.red_protocol import APPLY_REASONS, FORM_STAGES, RED_REASONS
from fapiao.connectors.provider import OutcomeKind
from fapiao.connectors.wire import loads, text
from fapiao.schemas.records import RED_REASONS as BUREAU_REASONS
from fapiao.schemas.records import RED_FORM_STATUSES, Line, RedForm, RedLine, RedOrder
from fapiao.streams.redletter import forms
from fapiao.streams.redletter.forms import Phase

from red_support import ALLOWANCE, FORM, REST, RETURN, WHOLE, office, red, service

BLUE_NUMBER = "24952000000028787793"
SELLER_ID = "91440300MA5G9GK78Y"
OFFICE = {"originalSeq": 1, "lineProperty": "0", "goodsName": "办公用品", "revenueCode": "1060511020000000000",
          "specification": "A4", "units": "件", "price": D("20.00"), "taxRate": "0.13"}
SERVICE = {"originalSeq": 2, "lineProperty": "0", "goodsName": "信息技术服务", "revenueCode": "3040201010000000000",
           "units": "项", "price": D("100.00"), "taxRate": "0.06"}
RED_HEAD = {"invoiceNum": BLUE_NUMBER, "originalIssueTime": "2024-03-11 12:06:51",
            "originalInvoiceAmount": D("300.00"), "originalTotalTaxAmount": D("32.00"),
            "govRedConfirmBillUuid": "a35494ab1e7f49e59ae30be9ac321cb5", "redInfoBillNo": "44011222071003100064",
            "invoiceType": "01", "sellerTaxpayerId": SELLER_ID, "sellerName": "深圳市示例科技有限公司",
            "buyerName": "示例采购方有限公司", "buyerTaxpayerId": "91440300358768292H"}


# 2.1.03 REDCONFIRMBILL.APPLY

def test_apply_for_a_whole_blue_names_no_lines() -> None:
    assert red_mapping.apply_data(WHOLE) == {"orderNo": "RED-0001", "invoiceNo": BLUE_NUMBER, "redReason": "1",
                                             "invoiceType": "01", "sellerTaxpayerId": SELLER_ID}


def test_apply_for_a_return_names_its_lines_negative_with_a_positive_price() -> None:
    assert red_mapping.apply_data(RETURN) == {
        "orderNo": "RED-0002", "invoiceNo": BLUE_NUMBER, "redReason": "2", "invoiceType": "01",
        "sellerTaxpayerId": SELLER_ID,
        "invoiceDetail": [{**OFFICE, "quantity": D("-2"), "amount": D("-40.00"), "taxAmount": D("-5.20")}]}


def test_apply_for_an_allowance_has_no_quantity_and_no_price() -> None:
    [line] = red_mapping.apply_data(ALLOWANCE)["invoiceDetail"]
    expected = {key: value for key, value in SERVICE.items() if key != "price"}
    assert line == {**expected, "amount": D("-10.00"), "taxAmount": D("-0.60")}


def test_allowance_drops_a_quantity_even_when_the_order_carries_one() -> None:
    order = dataclasses.replace(ALLOWANCE, lines=(RedLine(2, D("10.00"), D("0.60"), D("1")),))
    [line] = red_mapping.red_data(order, FORM)["invoiceDetail"]
    assert "quantity" not in line and "price" not in line


def test_a_whole_red_of_what_remained_is_a_partial_red_to_the_bureau() -> None:
    data = red_mapping.apply_data(REST)
    assert data["redReason"] == "3"
    assert data["invoiceDetail"] == [
        {**OFFICE, "quantity": D("-8"), "amount": D("-160.00"), "taxAmount": D("-20.80")},
        {**SERVICE, "quantity": D("-1"), "amount": D("-100.00"), "taxAmount": D("-6.00")}]


@pytest.mark.parametrize(("reason", "apply_code", "red_code"), [
    ("01", "1", "01"), ("02", "2", "02"), ("03", "3", "03"), ("04", "4", "04")])
def test_reason_codes_per_endpoint(reason: str, apply_code: str, red_code: str) -> None:
    order = dataclasses.replace(RETURN, reason=reason)
    assert red_mapping.apply_data(order)["redReason"] == apply_code
    assert red_mapping.red_data(order, FORM)["redReason"] == red_code


def test_every_bureau_reason_has_a_code_on_both_endpoints() -> None:
    assert set(APPLY_REASONS) == set(RED_REASONS) == set(BUREAU_REASONS)


# 2.1.04 ALLE.INVOICE.RED

def test_red_of_a_whole_blue_names_every_line() -> None:
    assert red_mapping.red_data(WHOLE, FORM) == {
        "serialNo": "RED-0001", **RED_HEAD, "redReason": "01",
        "invoiceDetail": [
            {**OFFICE, "quantity": D("-10"), "amount": D("-200.00"), "taxAmount": D("-26.00")},
            {**SERVICE, "quantity": D("-1"), "amount": D("-100.00"), "taxAmount": D("-6.00")}]}


def test_red_of_a_return() -> None:
    assert red_mapping.red_data(RETURN, FORM) == {
        "serialNo": "RED-0002", **RED_HEAD, "redReason": "02",
        "invoiceDetail": [{**OFFICE, "quantity": D("-2"), "amount": D("-40.00"), "taxAmount": D("-5.20")}]}


def test_signs_on_the_wire_are_exact() -> None:
    wire = text(red_mapping.red_data(RETURN, FORM))
    assert '"amount":-40.00' in wire and '"taxAmount":-5.20' in wire and '"quantity":-2' in wire
    assert '"price":20.00' in wire and '"originalInvoiceAmount":300.00' in wire


def test_a_zero_tax_is_zero_not_minus_zero() -> None:
    order = red("RED-0005", "03", (service("-10.00", "0.00", None),), (RedLine(2, D("10.00"), D("0.00")),),
                whole=False)
    wire = text(red_mapping.red_data(order, FORM))
    assert '"taxAmount":0.00' in wire and '"taxAmount":-0' not in wire


def test_the_line_order_is_the_orders_and_the_amounts_are_the_red_lines() -> None:
    # The grant's RedLines say what is taken back; the request's lines only describe the goods.
    order = dataclasses.replace(REST, lines=tuple(reversed(REST.lines)))
    lines = red_mapping.red_data(order, FORM)["invoiceDetail"]
    assert [(line["originalSeq"], line["amount"]) for line in lines] == [(2, D("-100.00")), (1, D("-160.00"))]


@pytest.mark.parametrize("order", [
    dataclasses.replace(RETURN, request=dataclasses.replace(RETURN.request, invoice_type="special")),
    dataclasses.replace(RETURN, request=dataclasses.replace(RETURN.request, seller=None)),
    dataclasses.replace(RETURN, lines=(RedLine(2, D("1.00"), D("0.06")),)),  # line 2 is not described
    dataclasses.replace(RETURN, lines=()),
], ids=["tax-device-type", "no-seller", "undescribed-line", "no-lines"])
def test_an_order_the_wire_cannot_carry_is_refused_before_sending(order: RedOrder) -> None:
    with pytest.raises(ValueError):
        red_mapping.red_data(order, FORM)


# 2.1.13 / 2.1.08 / 2.1.09

def test_form_query_revoke_and_answer_data() -> None:
    assert red_mapping.form_query_data(SELLER_ID, FORM) == {
        "taxpayerId": SELLER_ID, "redInfoBillNo": "44011222071003100064", "identity": "0"}
    assert red_mapping.revoke_data(SELLER_ID, FORM) == {
        "taxNo": SELLER_ID, "number": "44011222071003100064", "enteridentity": "0", "qrlx": "C"}
    assert red_mapping.answer_data(SELLER_ID, FORM, confirm=True) == {
        "taxNo": SELLER_ID, "number": "44011222071003100064", "enteridentity": "1", "qrlx": "Y"}
    assert red_mapping.answer_data(SELLER_ID, FORM, confirm=False)["qrlx"] == "N"


@pytest.mark.parametrize("seller, form", [(None, FORM), ("", FORM), (SELLER_ID, RedForm(uuid="u"))])
def test_a_form_is_named_by_seller_and_number(seller: str | None, form: RedForm) -> None:
    with pytest.raises(ValueError):
        red_mapping.form_query_data(seller, form)
    with pytest.raises(ValueError):
        red_mapping.revoke_data(seller, form)
    with pytest.raises(ValueError):
        red_mapping.answer_data(seller, form, confirm=True)


# Answers

ENTERED = datetime(2024, 3, 11, 4, 6, 51, tzinfo=timezone.utc)  # 2024-03-11 12:06:51 in China
LAPSES = datetime(2024, 3, 14, 4, 6, 51, tzinfo=timezone.utc)


def _form_item(status: Any, entered: Any = "2024-03-11 12:06:51") -> dict[str, Any]:
    return {"redInfoBillNo": "44011222071003100064", "govRedConfirmBillUuid": "a35494ab1e7f49e59ae30be9ac321cb5",
            "redConfirmBillStatus": status, "redConfirmEnterDate": entered}


@pytest.mark.parametrize(("status", "name", "lapses"), [
    ("01", "无需确认", None),
    ("02", "销方录入待购方确认", LAPSES),
    ("03", "购方录入待销方确认", LAPSES),
    ("04", "购销双方已确认", None),
    ("05", "作废（销方录入购方否认）", None),
    ("06", "作废（购方录入销方否认）", None),
    ("07", "作废（超72小时未确认）", None),
    ("08", "作废（发起方已撤销）", None),
    ("09", "作废（确认后撤销）", None),
    ("10", "作废（异常凭证）", None),
    ("11", "作废（纳税人状态异常阻断）", None),
    ("15", None, LAPSES),  # a status we do not know (Nuonuo's own 申请中) may still lapse
])
def test_every_form_status_is_a_form_answer(status: str, name: str | None, lapses: datetime | None) -> None:
    outcome = red_mapping.apply_outcome(_form_item(status))
    assert (outcome.kind, outcome.code, outcome.message) == (OutcomeKind.ACCEPTED, status, name)
    assert outcome.form == RedForm(number="44011222071003100064", uuid="a35494ab1e7f49e59ae30be9ac321cb5",
                                   status=status, entered_at=ENTERED, deadline=lapses)


def test_the_client_decides_for_every_bureau_status_and_no_other() -> None:
    assert set(FORM_STAGES) == set(RED_FORM_STATUSES)


@pytest.mark.parametrize("status", sorted(RED_FORM_STATUSES))
def test_the_client_and_the_fold_read_every_bureau_status_alike(status: str) -> None:
    """A form the client gives a deadline is one the fold waits on, and one it names is named so everywhere."""
    form = red_mapping.apply_outcome(_form_item(status)).form
    assert form is not None and (form.deadline is not None) is (forms.phase_of(status) is Phase.WAITING)
    assert red_mapping.form_outcome(form).message == forms.describe(status)[0]


@pytest.mark.parametrize("entered", [
    "2024-03-11 12:06:51", "2024-03-11T12:06:51+08:00", "2024-03-11T04:06:51Z", 1710130011000])
def test_entry_time_formats(entered: Any) -> None:
    form = red_mapping.apply_outcome(_form_item("02", entered)).form
    assert form is not None and (form.entered_at, form.deadline) == (ENTERED, LAPSES)


@pytest.mark.parametrize("entered", [None, "", "soon", True, D("1.5")])
def test_without_an_entry_time_the_form_has_no_deadline(entered: Any) -> None:
    form = red_mapping.apply_outcome(_form_item("02", entered)).form
    assert form is not None and form.entered_at is None and form.deadline is None


@pytest.mark.parametrize("status", [2, "2", " 02 "])
def test_a_status_is_read_as_two_digits(status: Any) -> None:
    assert red_mapping.apply_outcome(_form_item(status)).code == "02"


@pytest.mark.parametrize("data", [None, "RED-0001", {}, {"redInfoBillNo": "4401"},
                                  {"redConfirmBillStatus": "01"}, {"govRedConfirmBillUuid": "u", "redConfirmBillStatus": "01"}])
def test_an_apply_answer_without_number_and_status_is_in_doubt(data: Any) -> None:
    # The form may exist: applying again under the same orderNo answers it.
    assert red_mapping.apply_outcome(data).kind is OutcomeKind.IN_DOUBT


def _listed(*items: dict[str, Any]) -> dict[str, Any]:
    return {"dataList": list(items), "pageNo": 1, "pageSize": 50, "totalElement": len(items)}


def test_form_query_finds_the_form_by_number() -> None:
    other = {**_form_item("04"), "redInfoBillNo": "44011222071003100099"}
    outcome = red_mapping.form_query_outcome(_listed(other, _form_item("07")), FORM)
    assert outcome.kind is OutcomeKind.ACCEPTED and outcome.form is not None
    assert (outcome.form.status, outcome.form.number, outcome.message) == ("07", FORM.number, "作废（超72小时未确认）")


@pytest.mark.parametrize(("data", "kind"), [
    (_listed(), OutcomeKind.NOT_FOUND),
    (_listed({**_form_item("02"), "redInfoBillNo": "44011222071003100099"}), OutcomeKind.NOT_FOUND),
    (_listed({**_form_item(None)}), OutcomeKind.RETRYABLE),
    ({"pageNo": 1}, OutcomeKind.RETRYABLE),
    (None, OutcomeKind.RETRYABLE),
    ("garbled", OutcomeKind.RETRYABLE),
])
def test_form_query_answers_that_do_not_describe_the_form(data: Any, kind: OutcomeKind) -> None:
    assert red_mapping.form_query_outcome(data, FORM).kind is kind


RED_ANSWER = {"serialNo": "RED-0002", "invoiceProperty": "1", "invoiceStatus": "0",
              "invoiceNum": "24952000000028799999", "invoiceDate": "2024-03-12 09:00:00",
              "totalAmount": D("-40.00"), "totalTaxAmount": D("-5.20"), "includeTaxAmount": D("-45.20"),
              "originalInvoiceNumber": BLUE_NUMBER, "redInfoBillNo": "44011222071003100064",
              "govRedConfirmBillUuid": "a35494ab1e7f49e59ae30be9ac321cb5", "redReason": "02"}


def test_a_red_query_answer_keeps_its_negative_totals_and_names_its_form() -> None:
    outcome = red_mapping.red_query_outcome(RED_ANSWER)
    assert outcome.kind is OutcomeKind.ISSUED and outcome.invoice is not None
    assert (outcome.invoice.number, outcome.invoice.total_amount, outcome.invoice.total_tax) == (
        "24952000000028799999", D("-40.00"), D("-5.20"))
    assert outcome.form == RedForm(number="44011222071003100064", uuid="a35494ab1e7f49e59ae30be9ac321cb5")


@pytest.mark.parametrize(("data", "kind"), [
    ({**RED_ANSWER, "invoiceStatus": "2", "invoiceNum": ""}, OutcomeKind.PENDING),
    ({**RED_ANSWER, "invoiceStatus": "4", "issueErrorMessage": "没有可红冲的金额"}, OutcomeKind.FAILED),
    ([RED_ANSWER], OutcomeKind.ISSUED),
    ({}, OutcomeKind.NOT_FOUND),
    ([], OutcomeKind.NOT_FOUND),
])
def test_red_query_statuses(data: Any, kind: OutcomeKind) -> None:
    assert red_mapping.red_query_outcome(data).kind is kind


def test_a_red_whose_form_ended_is_failed_and_still_names_its_form() -> None:
    ended = {**RED_ANSWER, "invoiceStatus": "4", "invoiceNum": "", "redConfirmBillStatus": "05",
             "issueErrorMessage": "开票失败, 当前红字发票确认单状态为：作废（销方录入购方否认）"}
    outcome = red_mapping.red_query_outcome(ended)
    assert outcome.kind is OutcomeKind.FAILED and outcome.form is not None and outcome.form.status == "05"


# Any red order: the wire carries it negative, summing to the order's totals.

CENT = D("0.01")
RATES = (D("0.13"), D("0.09"), D("0.06"), D("0"))


@st.composite
def red_orders(draw: st.DrawFn) -> RedOrder:
    """A granted red of 1..4 blue lines: each taken back in part or whole, for any reason."""
    reason = draw(st.sampled_from(sorted(BUREAU_REASONS)))
    count = draw(st.integers(1, 4))
    described, taken = [], []
    for index in range(1, count + 1):
        rate = draw(st.sampled_from(RATES))
        price = D(draw(st.integers(1, 10**7))) * CENT
        quantity = None if reason == "04" else D(draw(st.integers(1, 500)))
        amount = (quantity or 1) * price
        tax = (amount * rate).quantize(CENT)
        described.append(Line(name=f"货物{index}", tax_code="1060511020000000000", tax_rate=rate, amount=-amount,
                              tax_amount=-tax, quantity=-quantity if quantity else None, unit_price=price,
                              original_line=index))
        taken.append(RedLine(index, amount, tax, quantity))
    order = red("RED-H", reason, tuple(described), tuple(taken), whole=draw(st.booleans()))
    everything = sum((line.amount for line in taken), D(0))  # the blue had nothing but what this red takes
    return dataclasses.replace(order, original_invoice=dataclasses.replace(
        order.original_invoice, total_amount=draw(st.sampled_from([D("300.00"), everything]))))


@given(red_orders())
def test_any_order_goes_negative_and_sums_to_its_totals(order: RedOrder) -> None:
    for data in (red_mapping.red_data(order, FORM), red_mapping.apply_data(order)):
        lines = loads(text(data)).get("invoiceDetail", [])
        assert all(line["amount"] < 0 and line["taxAmount"] <= 0 for line in lines)
        assert not any(line["taxAmount"].is_signed() for line in lines if line["taxAmount"] == 0)
        assert all(line.get("quantity", -1) < 0 and line.get("price", 1) > 0 for line in lines)
        assert all("quantity" not in line and "price" not in line for line in lines if order.reason == "04")
        if lines:
            assert sum(line["amount"] for line in lines) == order.request.total_amount
            assert sum(line["taxAmount"] for line in lines) == order.request.total_tax
    taken = sum((line.amount for line in order.lines), D(0))
    applied = red_mapping.apply_data(order)
    assert ("invoiceDetail" in applied) is not (order.whole and order.original_invoice.total_amount == taken)
    assert len(red_mapping.red_data(order, FORM)["invoiceDetail"]) == len(order.lines)
