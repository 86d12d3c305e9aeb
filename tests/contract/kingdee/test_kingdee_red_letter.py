"""The Kingdee sandbox's red-letter APIs over real HTTP: the scenarios (a)–(j) of shared/red-letter.md §5.

Blues are issued through the real client; red calls are built here (`OpenApi`) with the wire shapes of
docs/red-letter.md. The buyer is driven by the sandbox's hooks (the module's sandbox has a silent buyer)
and time by its clock hook, so nothing here sleeps to prove that something did not happen.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Callable

import pytest

from fapiao.connectors.kingdee import KingdeeCallbacks, KingdeeProvider
from fapiao.connectors.provider import OutcomeKind

from kingdee_support import (APPLY, CONFIRM, FORMS, HALF_OF_LINE_1, RED, REVOKE, SELLER_TAX_ID, OpenApi, Receiver,
                             Sandbox, apply_data, issue_blue, new_serial, red_data, red_line)

ApiFactory = Callable[..., OpenApi]
ProviderFactory = Callable[..., KingdeeProvider]
NOTHING_LEFT = "没有可红冲的金额"
NO_PARTIAL = "红冲原因为开票有误时不允许部分红冲"
STATE_REFUSAL = "开票失败, 当前红字发票确认单状态为："


@pytest.fixture(scope="module")
def sandbox(sandboxes: Callable[..., Sandbox], receiver: Receiver) -> Sandbox:
    return sandboxes("--issue-delay-ms", "50", "--callback-url", receiver.url, "--buyer-answer", "silent")


@pytest.fixture
def api(sandbox: Sandbox, api_factory: ApiFactory) -> OpenApi:
    return api_factory(sandbox)


@pytest.fixture
def provider(sandbox: Sandbox, provider_factory: ProviderFactory) -> KingdeeProvider:
    return provider_factory(sandbox)


def revoke_data(form: dict[str, Any], qrlx: str = "C") -> dict[str, Any]:
    return {"taxNo": SELLER_TAX_ID, "number": form["redInfoBillNo"], "enteridentity": "0", "qrlx": qrlx}


async def refused(api: OpenApi, interface: str, data: dict[str, Any]) -> str:
    """The message of a 9999 business refusal."""
    reply = await api.call(interface, data)
    assert not reply.ok and reply.code == "9999", (reply.code, reply.message)
    return reply.message


# (a) direct red ---------------------------------------------------------------------------------------

async def test_a_a_direct_red_of_an_unused_blue_is_issued_at_once_and_takes_the_blue_back(
        sandbox: Sandbox, receiver: Receiver, provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider)
    serial = new_serial("KDR")
    assert await api.ok(RED, red_data(serial, blue, number, "01")) == serial
    red = await api.until(serial, "0")
    assert red["invoiceProperty"] == "1" and len(red["invoiceNum"]) == 20 and red["invoiceNum"] != number
    assert (red["totalAmount"], red["totalTaxAmount"], red["includeTaxAmount"]) == (
        Decimal("-200.00"), Decimal("-19.00"), Decimal("-219.00"))
    assert red["originalInvoiceNumber"] == number and red["redConfirmBillStatus"] == "01"
    assert re.fullmatch(r"\d{20}", red["redInfoBillNo"]) and re.fullmatch(r"[0-9a-f]{32}", red["govRedConfirmBillUuid"])
    lines = [(line["originalSeq"], line["amount"], line["taxAmount"], line["quantity"])
             for line in red["invoiceDetail"]]
    assert lines == [(1, Decimal("-100.00"), Decimal("-6.00"), -4), (2, Decimal("-100.00"), Decimal("-13.00"), -2)]
    [(callback, data)] = await receiver.raw_for(serial)
    assert (callback["interfaceCode"], callback["returnCode"]) == ("INVOICE.RED", "0")
    assert (data["invoiceProperty"], data["invoiceNum"], data["redConfirmBillStatus"]) == ("1", red["invoiceNum"], "01")
    [facts] = await receiver.wait_for(1, KingdeeCallbacks(), serial)  # the client's parser reads it
    assert facts.outcome.kind is OutcomeKind.ISSUED and facts.outcome.invoice.number == red["invoiceNum"]
    taken_back = await api.invoice(blue.serial)
    assert taken_back is not None and taken_back["invoiceStatus"] == "3"
    assert [line["remainRedAmount"] for line in taken_back["invoiceDetail"]] == [0, 0]
    assert sandbox.stats()["issued_per_serial"][serial] == 1


async def test_a_apply_then_red_with_the_form_ids(sandbox: Sandbox, provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider)
    serial = new_serial("KDR")
    form = await api.ok(APPLY, apply_data(serial, number, "2", HALF_OF_LINE_1))
    assert form["redConfirmBillStatus"] == "01" and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d",
                                                                 form["redConfirmEnterDate"])
    assert await api.ok(APPLY, apply_data(serial, number, "2", HALF_OF_LINE_1)) == form  # the same form again
    assert await api.ok(RED, red_data(serial, blue, number, "02", HALF_OF_LINE_1, form)) == serial
    red = await api.until(serial, "0")
    assert red["redInfoBillNo"] == form["redInfoBillNo"] and red["totalAmount"] == Decimal("-50.00")
    listed = await api.form(form["redInfoBillNo"])
    assert listed is not None and listed["redInvoiceNo"] == red["invoiceNum"] and listed["blueInvoiceNo"] == number
    assert (listed["redReason"], listed["salerTaxNo"], listed["redInvoiceAmount"]) == ("02", SELLER_TAX_ID,
                                                                                      Decimal("-50.00"))
    assert (await api.invoice(blue.serial) or {})["invoiceStatus"] == "0"  # partly taken back: still 正常


# (b) the buyer confirms -------------------------------------------------------------------------------

async def test_b_a_used_blue_waits_for_the_buyer_and_confirmation_issues_the_red_by_itself(
        sandbox: Sandbox, receiver: Receiver, provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider, remark="SANDBOX:USED")
    serial = new_serial("KDR")
    form = await api.ok(APPLY, apply_data(serial, number, "2", HALF_OF_LINE_1))
    assert form["redConfirmBillStatus"] == "02"
    assert (await api.form(form["redInfoBillNo"]) or {})["redConfirmBillStatus"] == "02"
    assert sandbox.buyer(form["redInfoBillNo"], "confirm")["redConfirmBillStatus"] == "04"
    red = await api.until(serial, "0")  # 确认即开票: under the form's orderNo
    assert red["redConfirmBillStatus"] == "04" and red["totalTaxAmount"] == Decimal("-3.00")
    [(callback, data)] = await receiver.raw_for(serial)
    assert callback["interfaceCode"] == "INVOICE.RED" and data["redConfirmBillStatus"] == "04"
    reply = await api.call(RED, red_data(serial, blue, number, "02", HALF_OF_LINE_1, form))
    assert reply.code == "10127"  # the client queries and adopts
    assert sandbox.stats()["issued_per_serial"][serial] == 1


async def test_b_a_red_sent_without_a_form_for_a_used_blue_waits_for_the_buyer(
        sandbox: Sandbox, provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider, remark="SANDBOX:USED")
    serial = new_serial("KDR")
    assert await api.ok(RED, red_data(serial, blue, number, "02", HALF_OF_LINE_1)) == serial
    waiting = await api.until(serial, "2")
    assert waiting["redConfirmBillStatus"] == "02" and "invoiceNum" not in waiting
    sandbox.buyer(waiting["redInfoBillNo"], "confirm")
    assert (await api.until(serial, "0"))["redConfirmBillStatus"] == "04"
    assert sandbox.stats()["issued_per_serial"][serial] == 1


async def test_b2_a_form_the_buyer_raises_is_listed_and_we_confirm_or_refuse_it(
        sandbox: Sandbox, provider: KingdeeProvider, api: OpenApi) -> None:
    _, number = await issue_blue(provider)
    raised = sandbox.buyer_raises(number, "02", HALF_OF_LINE_1)
    assert (raised["redConfirmBillStatus"], raised["enterIdentity"]) == ("03", "1")
    inbound = await api.ok(FORMS, {"taxpayerId": SELLER_TAX_ID, "identity": "1"})
    assert raised["redInfoBillNo"] in [item["redInfoBillNo"] for item in inbound["dataList"]]
    ours = await api.ok(FORMS, {"taxpayerId": SELLER_TAX_ID, "identity": "0"})
    assert raised["redInfoBillNo"] not in [item["redInfoBillNo"] for item in ours["dataList"]]
    answer = {"taxNo": SELLER_TAX_ID, "number": raised["redInfoBillNo"], "enteridentity": "1"}
    assert "只有录入方" in await refused(api, REVOKE, {**answer, "qrlx": "C"})  # only the enterer revokes
    await api.ok(CONFIRM, {**answer, "qrlx": "Y"})
    assert (await api.form(raised["redInfoBillNo"]) or {})["redConfirmBillStatus"] == "04"
    red = await api.until(raised["orderNo"], "0")  # issued by itself, under the form's own orderNo
    assert red["originalInvoiceNumber"] == number
    assert "不允许确认" in await refused(api, CONFIRM, {**answer, "qrlx": "Y"})  # 04 is answered already
    refused_form = sandbox.buyer_raises(number, "02", [red_line(2, "20.00", "2.60")])
    await api.ok(CONFIRM, {**answer, "number": refused_form["redInfoBillNo"], "qrlx": "N"})
    assert (await api.form(refused_form["redInfoBillNo"]) or {})["redConfirmBillStatus"] == "06"


# (c) the buyer refuses --------------------------------------------------------------------------------

async def test_c_a_refused_form_fails_its_red_and_cannot_be_issued_from(
        sandbox: Sandbox, receiver: Receiver, provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider, remark="SANDBOX:USED")
    serial = new_serial("KDR")
    await api.ok(RED, red_data(serial, blue, number, "02", HALF_OF_LINE_1))
    form = await api.until(serial, "2")
    sandbox.buyer(form["redInfoBillNo"], "refuse")
    failed = await api.until(serial, "4")
    assert failed["issueErrorMessage"] == STATE_REFUSAL + "作废（销方录入购方否认）"
    assert failed["redConfirmBillStatus"] == "05"
    [(callback, _)] = await receiver.raw_for(serial)
    assert (callback["interfaceCode"], callback["returnCode"]) == ("INVOICE.RED", "9999")
    [facts] = await receiver.wait_for(1, KingdeeCallbacks(), serial)
    assert facts.outcome.kind is OutcomeKind.FAILED
    again = red_data(new_serial("KDR"), blue, number, "02", HALF_OF_LINE_1, form)
    assert await refused(api, RED, again) == STATE_REFUSAL + "作废（销方录入购方否认）"
    assert sandbox.stats()["issued_per_serial"].get(serial, 0) == 0


# (d) the deadline passes ------------------------------------------------------------------------------

async def test_d_an_unanswered_form_lapses_after_72_hours_on_the_sandbox_clock(
        sandbox: Sandbox, provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider, remark="SANDBOX:USED")
    form = await api.ok(APPLY, apply_data(new_serial("KDR"), number, "2", HALF_OF_LINE_1))
    serial = new_serial("KDR")
    await api.ok(RED, red_data(serial, blue, number, "02", [red_line(2, "50.00", "6.50", "1", "50.00")]))
    sandbox.advance(72 * 3600 - 5)
    assert (await api.form(form["redInfoBillNo"]) or {})["redConfirmBillStatus"] == "02"
    sandbox.advance(10)
    assert (await api.form(form["redInfoBillNo"]) or {})["redConfirmBillStatus"] == "07"
    assert (await api.until(serial, "4"))["issueErrorMessage"] == STATE_REFUSAL + "作废（超72小时未确认）"
    again = red_data(new_serial("KDR"), blue, number, "02", HALF_OF_LINE_1, form)
    assert await refused(api, RED, again) == STATE_REFUSAL + "作废（超72小时未确认）"
    fresh = await api.ok(APPLY, apply_data(new_serial("KDR"), number, "2", HALF_OF_LINE_1))  # the share came back
    assert fresh["redConfirmBillStatus"] == "02" and fresh["redInfoBillNo"] != form["redInfoBillNo"]


# (e) revoke -------------------------------------------------------------------------------------------

async def test_e_the_seller_revokes_a_form_awaiting_the_buyer_and_its_red_fails(
        sandbox: Sandbox, provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider, remark="SANDBOX:USED")
    serial = new_serial("KDR")
    await api.ok(RED, red_data(serial, blue, number, "02", HALF_OF_LINE_1))
    form = await api.until(serial, "2")
    assert "qrlx" in await refused(api, REVOKE, revoke_data(form, qrlx="Y"))
    await api.ok(REVOKE, revoke_data(form))
    assert (await api.form(form["redInfoBillNo"]) or {})["redConfirmBillStatus"] == "08"
    assert (await api.until(serial, "4"))["redConfirmBillStatus"] == "08"
    assert await refused(api, REVOKE, revoke_data(form)) == "当前红字确认单状态为：作废（发起方已撤销），不允许撤销"


async def test_e_a_form_that_needs_nobody_cannot_be_revoked(provider: KingdeeProvider, api: OpenApi) -> None:
    _, number = await issue_blue(provider)
    form = await api.ok(APPLY, apply_data(new_serial("KDR"), number, "2", HALF_OF_LINE_1))
    assert form["redConfirmBillStatus"] == "01"
    assert "无需确认" in await refused(api, REVOKE, revoke_data(form))


async def test_e_a_confirmed_form_is_revoked_before_its_red_and_issued_from_after_confirmation(
        sandboxes: Callable[..., Sandbox], provider_factory: ProviderFactory, api_factory: ApiFactory) -> None:
    manual = sandboxes("--issue-delay-ms", "50", "--buyer-answer", "silent", "--auto-issue-on-confirm", "off")
    provider, api = provider_factory(manual), api_factory(manual)
    blue, number = await issue_blue(provider, remark="SANDBOX:USED")
    first = await api.ok(APPLY, apply_data(new_serial("KDR"), number, "2", HALF_OF_LINE_1))
    manual.buyer(first["redInfoBillNo"], "confirm")
    await api.ok(REVOKE, revoke_data(first))
    assert (await api.form(first["redInfoBillNo"]) or {})["redConfirmBillStatus"] == "09"
    serial = new_serial("KDR")
    second = await api.ok(APPLY, apply_data(serial, number, "2", HALF_OF_LINE_1))
    manual.buyer(second["redInfoBillNo"], "confirm")
    assert await api.invoice(serial) is None  # no red by itself: it waits for ALLE.INVOICE.RED
    assert await api.ok(RED, red_data(serial, blue, number, "02", HALF_OF_LINE_1, second)) == serial
    assert (await api.until(serial, "0"))["redConfirmBillStatus"] == "04"
    assert "不允许撤销" in await refused(api, REVOKE, revoke_data(second))  # its red is out
    assert manual.stats()["forms"] == {"09": 1, "04": 1}


# (f) partial reds -------------------------------------------------------------------------------------

async def test_f_partial_reds_take_back_until_nothing_remains(provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider)
    for quantity, left in [("1", "75.00"), ("2", "25.00")]:
        amount, tax = Decimal(quantity) * 25, Decimal(quantity) * Decimal("1.5")
        serial = new_serial("KDR")
        await api.ok(RED, red_data(serial, blue, number, "02", [red_line(1, f"{amount:.2f}", f"{tax:.2f}",
                                                                            quantity, "25.00")]))
        await api.until(serial, "0")
        line = (await api.invoice(blue.serial) or {})["invoiceDetail"][0]
        assert (line["remainRedAmount"], line["detailRowNo"]) == (Decimal(left), 1)
    line = (await api.invoice(blue.serial) or {})["invoiceDetail"][0]
    assert (line["remainRedTax"], Decimal(line["remainRedQuantity"])) == (Decimal("1.50"), 1)
    too_much = red_data(new_serial("KDR"), blue, number, "02", HALF_OF_LINE_1)
    assert await refused(api, RED, too_much) == NOTHING_LEFT
    assert await refused(api, APPLY, apply_data(new_serial("KDR"), number, "2", HALF_OF_LINE_1)) == NOTHING_LEFT
    assert NO_PARTIAL in await refused(api, RED, red_data(new_serial("KDR"), blue, number, "01"))  # whole, but late
    # 04 销售折让 changes the price, not the goods: no quantity, no price.
    assert "销售折让" in await refused(api, RED, red_data(new_serial("KDR"), blue, number, "04",
                                                      [red_line(2, "10.00", "1.30", "1", "10.00")]))
    allowance = new_serial("KDR")
    await api.ok(RED, red_data(allowance, blue, number, "04", [red_line(2, "10.00", "1.30")]))
    [line] = (await api.until(allowance, "0"))["invoiceDetail"]
    assert "quantity" not in line and "price" not in line and line["amount"] == Decimal("-10.00")


async def test_f_error_reasons_take_the_whole_blue_or_nothing(provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider)
    assert NO_PARTIAL in await refused(api, RED, red_data(new_serial("KDR"), blue, number, "01", HALF_OF_LINE_1))
    assert NO_PARTIAL in await refused(api, APPLY, apply_data(new_serial("KDR"), number, "1", HALF_OF_LINE_1))
    whole = await api.ok(APPLY, apply_data(new_serial("KDR"), number, "1"))  # no lines: all that remains
    assert (await api.form(whole["redInfoBillNo"]) or {})["redInvoiceAmount"] == Decimal("-200.00")


@pytest.mark.parametrize("line, message", [
    (red_line(1, "50.00", "3.00", "2", "25.01"), "明细金额误差超过±0.01"),
    (red_line(1, "50.00", "3.07", "2", "25.00"), "税额误差超过±0.06"),
    (red_line(3, "50.00", "3.00", "2", "25.00"), "蓝票明细序号不存在: 3"),
    (red_line(1, "0.00", "0.00"), "金额不能为0"),
])
async def test_f_a_line_that_does_not_add_up_is_refused(provider: KingdeeProvider, api: OpenApi,
                                                        line: dict[str, Any], message: str) -> None:
    blue, number = await issue_blue(provider)
    assert message in await refused(api, RED, red_data(new_serial("KDR"), blue, number, "02", [line]))
    assert message in await refused(api, APPLY, apply_data(new_serial("KDR"), number, "2", [line]))


async def test_f_line_amounts_are_read_whichever_their_sign(provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider)
    positive = {"originalSeq": 1, "amount": Decimal("50.00"), "taxAmount": Decimal("3.00"), "quantity": 2,
                "price": Decimal("25.00")}
    serial = new_serial("KDR")
    await api.ok(RED, red_data(serial, blue, number, "02", [positive]))
    [line] = (await api.until(serial, "0"))["invoiceDetail"]
    assert (line["amount"], line["taxAmount"], line["quantity"]) == (Decimal("-50.00"), Decimal("-3.00"), -2)


# (g) the same red serial twice ------------------------------------------------------------------------

async def test_g_a_red_serial_sent_again_is_10127_and_issued_once(sandbox: Sandbox, provider: KingdeeProvider,
                                                                 api: OpenApi) -> None:
    blue, number = await issue_blue(provider)
    serial = new_serial("KDR")
    data = red_data(serial, blue, number, "02", HALF_OF_LINE_1)
    await api.ok(RED, data)
    assert (await api.call(RED, data)).code == "10127"
    await api.until(serial, "0")
    assert (await api.call(RED, data)).code == "10127"
    stats = sandbox.stats()
    assert stats["issued_per_serial"][serial] == stats["submissions_per_serial"][serial] == 1
    assert number not in stats["over_flushed"]


async def test_g_a_careless_provider_issues_a_red_twice_and_the_stats_show_the_over_flush(
        sandboxes: Callable[..., Sandbox], receiver: Receiver, provider_factory: ProviderFactory,
        api_factory: ApiFactory) -> None:
    careless = sandboxes("--issue-delay-ms", "50", "--callback-url", receiver.url, "--dedupe", "off")
    provider, api = provider_factory(careless), api_factory(careless)
    blue, number = await issue_blue(provider)
    assert (await provider.submit(blue)).kind is OutcomeKind.ACCEPTED  # a blue serial again: a second invoice
    serial = new_serial("KDR")
    data = red_data(serial, blue, number, "02", HALF_OF_LINE_1)
    order = new_serial("KDR")
    first_form = await api.ok(APPLY, apply_data(order, number, "2", HALF_OF_LINE_1))
    assert (await api.ok(APPLY, apply_data(order, number, "2", HALF_OF_LINE_1)))["redInfoBillNo"] \
        != first_form["redInfoBillNo"]  # a new form for the same orderNo
    await api.ok(RED, data)
    await api.ok(RED, data)  # accepted again
    await api.ok(RED, red_data(new_serial("KDR"), blue, number, "01"))  # and the whole blue on top
    stats = careless.settled_stats()
    assert stats["dedupe"] is False and stats["issued_per_serial"][serial] == 2
    assert stats["submissions_per_serial"][serial] == 2 and stats["resubmitted"] >= 2 and stats["duplicates"] >= 2
    assert stats["issued_per_serial"][blue.serial] == 2 and stats["over_flushed"] == [number]


# (h) unknown blue, (i) nothing left -------------------------------------------------------------------

async def test_h_an_unknown_blue_is_refused(provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider)
    unknown = red_data(new_serial("KDR"), blue, "26440000000000000000", "02")
    assert "发票云不存在该蓝票" in await refused(api, RED, unknown)
    assert "开红字普票时, 且发票云不存在该蓝票时必填" in await refused(api, RED, {**unknown, "originalIssueTime": ""})
    assert "发票云不存在该蓝票" in await refused(api, APPLY, apply_data(new_serial("KDR"), "26440000000000000000", "2"))
    other_seller = {**apply_data(new_serial("KDR"), number, "2"), "sellerTaxpayerId": "91310000MA1FL1234Q"}
    assert "sellerTaxpayerId" in await refused(api, APPLY, other_seller)
    assert "buyerTaxpayerId" in await refused(api, RED, {**red_data(new_serial("KDR"), blue, number, "02"),
                                                         "buyerTaxpayerId": "91110000000000000X"})


async def test_i_a_blue_taken_back_whole_has_nothing_left(provider: KingdeeProvider, api: OpenApi) -> None:
    blue, number = await issue_blue(provider)
    serial = new_serial("KDR")
    await api.ok(RED, red_data(serial, blue, number, "02"))
    await api.until(serial, "0")
    assert await refused(api, RED, red_data(new_serial("KDR"), blue, number, "02", [])) == NOTHING_LEFT
    assert await refused(api, APPLY, apply_data(new_serial("KDR"), number, "2")) == NOTHING_LEFT


# (j) reason codes -------------------------------------------------------------------------------------

async def test_j_apply_reasons_follow_the_chosen_numbering(
        sandbox: Sandbox, sandboxes: Callable[..., Sandbox], provider_factory: ProviderFactory, api_factory: ApiFactory,
        provider: KingdeeProvider, api: OpenApi) -> None:
    standard = sandboxes("--issue-delay-ms", "50", "--apply-reasons", "standard")
    for target, client, error, returned in [(api, provider, "1", "2"),
                                            (api_factory(standard), provider_factory(standard), "2", "1")]:
        _, number = await issue_blue(client)
        assert NO_PARTIAL in await refused(target, APPLY, apply_data(new_serial("KDR"), number, error, HALF_OF_LINE_1))
        form = await target.ok(APPLY, apply_data(new_serial("KDR"), number, returned, HALF_OF_LINE_1))
        assert (await target.form(form["redInfoBillNo"]) or {})["redReason"] == "02"  # 销货退回, either way
    assert (sandbox.stats()["apply_reasons"], standard.stats()["apply_reasons"]) == ("bureau", "standard")
    _, number = await issue_blue(provider)
    assert "1、2、3、4" in await refused(api, APPLY, apply_data(new_serial("KDR"), number, "02"))
    blue, number = await issue_blue(provider)
    assert "01，02，03，04" in await refused(api, RED, red_data(new_serial("KDR"), blue, number, "2"))
