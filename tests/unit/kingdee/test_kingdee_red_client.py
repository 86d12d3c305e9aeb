"""The client's red-letter calls over httpx.MockTransport: what is sent, and how each answer is classified.

A scripted Kingdee answers by interfaceCode; no provider behaviour is modelled here (the contract
tests run against the sandbox).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any, AsyncIterator, Callable

import httpx
import pytest

from fapiao.connectors.kingdee import KingdeeProvider
from fapiao.connectors.provider import Outcome, OutcomeKind, RedProvider
from fapiao.connectors.wire import text
from fapiao.schemas.records import RedForm
from fapiao.settings import load
from fapiao.streams.outcomes import adopt

from red_support import FORM, RETURN, SELLER

Answer = Callable[[httpx.Request], httpx.Response]
TOKEN = {"data": {"app_token": "a", "access_token": "acc_t", "expire_time": 9_999_999_999_999, "success": True},
         "status": True}
FORM_ITEM = {"redInfoBillNo": FORM.number, "govRedConfirmBillUuid": FORM.uuid, "redConfirmBillStatus": "02",
             "redConfirmEnterDate": "2024-03-11 12:06:51"}


def ok(data: Any = None, message: str = "") -> httpx.Response:
    encoded = base64.b64encode(text(data).encode()).decode() if data is not None else None
    return httpx.Response(200, json={"success": True, "errorCode": "0", "message": message, "data": encoded})


def refused(code: str, message: str) -> httpx.Response:
    return httpx.Response(200, json={"success": False, "errorCode": code, "message": message})


def listed(*items: dict[str, Any]) -> httpx.Response:
    return ok({"dataList": list(items), "pageNo": 1, "pageSize": 50, "totalElement": len(items)})


def raising(cls: type[Exception]) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        raise cls("boom", request=request)
    return answer


class Kingdee:
    """Answers each business call with the next scripted answer for its interfaceCode; records every call."""

    def __init__(self, **script: list[Answer | httpx.Response]) -> None:
        self.script = {code.replace("_", "."): list(answers) for code, answers in script.items()}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.token_fetches = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/"):
            self.token_fetches += request.url.path.endswith("login.do")
            return httpx.Response(200, json=TOKEN)
        body = json.loads(request.content)
        self.calls.append((body["interfaceCode"], json.loads(base64.b64decode(body["data"]))))
        answer = self.script[body["interfaceCode"]].pop(0)
        return answer if isinstance(answer, httpx.Response) else answer(request)

    @property
    def codes(self) -> list[str]:
        return [code for code, _ in self.calls]


@pytest.fixture
async def connect() -> AsyncIterator[Callable[[Kingdee], KingdeeProvider]]:
    made: list[KingdeeProvider] = []

    def make(kingdee: Kingdee) -> KingdeeProvider:
        settings = load({"FAPIAO_KINGDEE_BASE_URL": "https://tenant.example"}).kingdee
        made.append(KingdeeProvider(settings, 1.0, transport=httpx.MockTransport(kingdee)))
        return made[-1]
    yield make
    for provider in made:
        await provider.aclose()


async def test_kingdee_is_a_red_provider(connect: Callable[[Kingdee], KingdeeProvider]) -> None:
    assert isinstance(connect(Kingdee()), RedProvider)


# 2.1.03 apply

async def test_apply_sends_the_order_and_answers_the_form(connect: Callable[[Kingdee], KingdeeProvider]) -> None:
    kingdee = Kingdee(REDCONFIRMBILL_APPLY=[ok(FORM_ITEM)])
    outcome = await connect(kingdee).apply_red_form(RETURN)
    [(code, data)] = kingdee.calls
    assert code == "REDCONFIRMBILL.APPLY" and data["orderNo"] == "RED-0002" and data["redReason"] == "2"
    assert data["invoiceDetail"][0]["amount"] == -40
    assert (outcome.kind, outcome.code) == (OutcomeKind.ACCEPTED, "02")
    assert outcome.form is not None and (outcome.form.number, outcome.form.status) == (FORM.number, "02")
    assert outcome.form.deadline is not None


@pytest.mark.parametrize(("answer", "kind"), [
    (raising(httpx.ReadTimeout), OutcomeKind.IN_DOUBT),  # the form may exist: apply again, same orderNo
    (raising(httpx.RemoteProtocolError), OutcomeKind.IN_DOUBT),
    (raising(httpx.ConnectError), OutcomeKind.RETRYABLE),
    (httpx.Response(503), OutcomeKind.RETRYABLE),
    (httpx.Response(504), OutcomeKind.IN_DOUBT),
    (refused("9999", "没有可红冲的金额"), OutcomeKind.FAILED),
    (refused("9999", "红冲原因为开票有误时不允许部分红冲，已进行部分红冲的只能选择销货退回/服务中止/销售折让"),
     OutcomeKind.FAILED),
    (refused("91400", "扫脸认证已超时，请先进行人脸认证后再进行录入操作!"), OutcomeKind.SESSION),
    (refused("91400", "请完成身份核验"), OutcomeKind.SESSION),  # the code alone decides
    (ok(), OutcomeKind.IN_DOUBT),  # accepted, but no form in the answer
])
async def test_apply_classification(connect: Callable[[Kingdee], KingdeeProvider], answer: Answer | httpx.Response,
                                    kind: OutcomeKind) -> None:
    outcome = await connect(Kingdee(REDCONFIRMBILL_APPLY=[answer])).apply_red_form(RETURN)
    assert outcome.kind is kind and outcome.form is None


async def test_a_refused_token_is_refreshed_once(connect: Callable[[Kingdee], KingdeeProvider]) -> None:
    kingdee = Kingdee(REDCONFIRMBILL_APPLY=[refused("401", "未进行接口授权"), ok(FORM_ITEM)])
    assert (await connect(kingdee).apply_red_form(RETURN)).kind is OutcomeKind.ACCEPTED
    assert kingdee.codes == ["REDCONFIRMBILL.APPLY"] * 2 and kingdee.token_fetches == 2


async def test_an_order_the_wire_cannot_carry_sends_nothing(connect: Callable[[Kingdee], KingdeeProvider]) -> None:
    kingdee = Kingdee()
    order = dataclasses.replace(RETURN, request=dataclasses.replace(RETURN.request, invoice_type="special"))
    provider = connect(kingdee)
    for outcome in (await provider.apply_red_form(order), await provider.submit_red(order, FORM),
                    await provider.revoke_red_form(order, RedForm(uuid="no-number"))):
        assert (outcome.kind, outcome.code) == (OutcomeKind.FAILED, "unsendable")
    unnamed = await provider.query_red_form(order, RedForm(uuid="no-number"))  # a query is never FAILED
    assert (unnamed.kind, unnamed.code) == (OutcomeKind.RETRYABLE, "unsendable")
    assert kingdee.calls == []


# 2.1.13 form query: a failed query says nothing about the form

@pytest.mark.parametrize(("answer", "kind"), [
    (listed(FORM_ITEM), OutcomeKind.ACCEPTED),
    (listed(), OutcomeKind.NOT_FOUND),
    (refused("9999", "系统异常"), OutcomeKind.RETRYABLE),
    (refused("9999", "红字确认单不存在"), OutcomeKind.NOT_FOUND),
    (httpx.Response(503), OutcomeKind.RETRYABLE),
    (httpx.Response(500), OutcomeKind.RETRYABLE),
    (raising(httpx.ReadTimeout), OutcomeKind.RETRYABLE),
])
async def test_form_query_is_never_failed(connect: Callable[[Kingdee], KingdeeProvider],
                                          answer: Answer | httpx.Response, kind: OutcomeKind) -> None:
    kingdee = Kingdee(ALLE_REDCONFIRMBILL_QUERY=[answer])
    assert (await connect(kingdee).query_red_form(RETURN, FORM)).kind is kind
    [(code, data)] = kingdee.calls
    assert code == "ALLE.REDCONFIRMBILL.QUERY"
    assert data == {"taxpayerId": SELLER.tax_id, "redInfoBillNo": FORM.number, "identity": "0"}


# 2.1.08 revoke and 2.1.09 answer: the change, then the form as it stands

REVOKED = {**FORM_ITEM, "redConfirmBillStatus": "08"}
CONFIRMED = {**FORM_ITEM, "redConfirmBillStatus": "04"}


async def test_revoke_answers_the_form_as_it_stands(connect: Callable[[Kingdee], KingdeeProvider]) -> None:
    kingdee = Kingdee(REDCONFIRMBILL_REVOKE=[ok()], ALLE_REDCONFIRMBILL_QUERY=[listed(REVOKED)])
    outcome = await connect(kingdee).revoke_red_form(RETURN, FORM)
    assert kingdee.calls[0] == ("REDCONFIRMBILL.REVOKE", {"taxNo": SELLER.tax_id, "number": FORM.number,
                                                          "enteridentity": "0", "qrlx": "C"})
    assert kingdee.codes[1:] == ["ALLE.REDCONFIRMBILL.QUERY"]
    assert (outcome.kind, outcome.code) == (OutcomeKind.ACCEPTED, "08")
    assert outcome.form is not None and outcome.form.status == "08" and outcome.form.deadline is None


async def test_a_refused_revoke_is_failed_with_the_form_as_it_stands(
        connect: Callable[[Kingdee], KingdeeProvider]) -> None:
    kingdee = Kingdee(REDCONFIRMBILL_REVOKE=[refused("9999", "当前状态不允许撤销")],
                      ALLE_REDCONFIRMBILL_QUERY=[listed(CONFIRMED)])
    outcome = await connect(kingdee).revoke_red_form(RETURN, FORM)
    assert (outcome.kind, outcome.code, outcome.message) == (OutcomeKind.FAILED, "9999", "当前状态不允许撤销")
    assert outcome.form is not None and outcome.form.status == "04"


@pytest.mark.parametrize(("revoke", "query", "expected", "calls"), [
    (ok(), httpx.Response(503), OutcomeKind.IN_DOUBT, 2),  # revoked, but the form could not be read
    (ok(), listed(), OutcomeKind.IN_DOUBT, 2),
    (refused("9999", "当前状态不允许撤销"), httpx.Response(503), OutcomeKind.FAILED, 2),
    (raising(httpx.ReadTimeout), None, OutcomeKind.IN_DOUBT, 1),  # maybe revoked: nothing read
    (httpx.Response(503), None, OutcomeKind.RETRYABLE, 1),
    (refused("91400", "扫脸认证已超时"), None, OutcomeKind.SESSION, 1),
])
async def test_revoke_classification(connect: Callable[[Kingdee], KingdeeProvider], revoke: Answer | httpx.Response,
                                     query: httpx.Response | None, expected: OutcomeKind, calls: int) -> None:
    kingdee = Kingdee(REDCONFIRMBILL_REVOKE=[revoke], ALLE_REDCONFIRMBILL_QUERY=[query] if query else [])
    assert (await connect(kingdee).revoke_red_form(RETURN, FORM)).kind is expected
    assert len(kingdee.calls) == calls


@pytest.mark.parametrize(("confirm", "qrlx"), [(True, "Y"), (False, "N")])
async def test_answer_confirms_or_refuses_as_the_other_party(connect: Callable[[Kingdee], KingdeeProvider],
                                                             confirm: bool, qrlx: str) -> None:
    kingdee = Kingdee(REDCONFIRMBILL_CONFIRM=[ok()], ALLE_REDCONFIRMBILL_QUERY=[listed(CONFIRMED)])
    outcome = await connect(kingdee).answer_red_form(FORM, SELLER.tax_id or "", confirm)
    assert kingdee.calls[0] == ("REDCONFIRMBILL.CONFIRM", {"taxNo": SELLER.tax_id, "number": FORM.number,
                                                           "enteridentity": "1", "qrlx": qrlx})
    assert outcome.kind is OutcomeKind.ACCEPTED and outcome.form is not None and outcome.form.status == "04"


# 2.1.04 submit_red, and ALLE.INVOICE.QUERY of the red

RED_ISSUED = {"serialNo": "RED-0002", "invoiceProperty": "1", "invoiceStatus": "0",
              "invoiceNum": "24952000000028799999", "invoiceDate": "2024-03-12 09:00:00",
              "totalAmount": -40, "totalTaxAmount": "-5.20", "redInfoBillNo": FORM.number,
              "govRedConfirmBillUuid": FORM.uuid}


@pytest.mark.parametrize(("answer", "kind"), [
    (ok(message="开票中"), OutcomeKind.ACCEPTED),
    (raising(httpx.ReadTimeout), OutcomeKind.IN_DOUBT),
    (raising(httpx.WriteTimeout), OutcomeKind.IN_DOUBT),
    (raising(httpx.ReadError), OutcomeKind.IN_DOUBT),
    (raising(httpx.ConnectTimeout), OutcomeKind.RETRYABLE),
    (httpx.Response(503), OutcomeKind.RETRYABLE),
    (httpx.Response(429), OutcomeKind.RETRYABLE),
    (httpx.Response(500), OutcomeKind.IN_DOUBT),
    (refused("9999", "没有可红冲的金额"), OutcomeKind.FAILED),
    (refused("9999", "开票失败, 当前红字发票确认单状态为：作废（销方录入购方否认）"), OutcomeKind.FAILED),
    (refused("10127", "流水号重复"), OutcomeKind.DUPLICATE),
    (refused("91400", "扫脸认证已超时，请先进行人脸认证后再进行录入操作!"), OutcomeKind.SESSION),
])
async def test_submit_red_classification(connect: Callable[[Kingdee], KingdeeProvider],
                                         answer: Answer | httpx.Response, kind: OutcomeKind) -> None:
    kingdee = Kingdee(ALLE_INVOICE_RED=[answer])
    outcome = await connect(kingdee).submit_red(RETURN, FORM)
    assert outcome.kind is kind
    [(code, data)] = kingdee.calls  # sent once, whatever the answer: never resent by the client
    assert code == "ALLE.INVOICE.RED" and data["serialNo"] == "RED-0002"
    assert (data["redInfoBillNo"], data["govRedConfirmBillUuid"]) == (FORM.number, FORM.uuid)


async def test_a_duplicate_red_is_queried_and_adopted(connect: Callable[[Kingdee], KingdeeProvider]) -> None:
    kingdee = Kingdee(ALLE_INVOICE_RED=[refused("10127", "流水号重复")], ALLE_INVOICE_QUERY=[ok(RED_ISSUED)])
    provider = connect(kingdee)
    assert (await provider.submit_red(RETURN, FORM)).kind is OutcomeKind.DUPLICATE
    adopted = adopt(RETURN.request, await provider.query_red(RETURN))  # as the issue agent does for a blue
    assert adopted.kind is OutcomeKind.ISSUED and adopted.invoice is not None
    assert adopted.invoice.number == "24952000000028799999"
    assert kingdee.calls[1] == ("ALLE.INVOICE.QUERY", {"serialNo": "RED-0002", "sellerTaxpayerId": SELLER.tax_id})


async def test_a_duplicate_red_of_other_totals_is_not_adopted(connect: Callable[[Kingdee], KingdeeProvider]) -> None:
    other = {**RED_ISSUED, "totalAmount": -60, "totalTaxAmount": "-7.80"}
    provider = connect(Kingdee(ALLE_INVOICE_QUERY=[ok(other)]))
    found = await provider.query_red(RETURN)
    assert (adopt(RETURN.request, found).kind, adopt(RETURN.request, found).code) == (
        OutcomeKind.FAILED, "provider_serial_conflict")


@pytest.mark.parametrize(("answer", "kind"), [
    (ok(RED_ISSUED), OutcomeKind.ISSUED),
    (ok({**RED_ISSUED, "invoiceStatus": "2", "invoiceNum": ""}), OutcomeKind.PENDING),
    (ok({**RED_ISSUED, "invoiceStatus": "4", "invoiceNum": "", "issueErrorMessage": "开票失败"}), OutcomeKind.FAILED),
    (ok(message="未查询到发票"), OutcomeKind.NOT_FOUND),
    (refused("9999", "系统异常"), OutcomeKind.RETRYABLE),
    (raising(httpx.ReadTimeout), OutcomeKind.RETRYABLE),
])
async def test_query_red(connect: Callable[[Kingdee], KingdeeProvider], answer: Answer | httpx.Response,
                         kind: OutcomeKind) -> None:
    outcome: Outcome = await connect(Kingdee(ALLE_INVOICE_QUERY=[answer])).query_red(RETURN)
    assert outcome.kind is kind
    if kind is OutcomeKind.ISSUED:
        assert outcome.form == RedForm(number=FORM.number, uuid=FORM.uuid)
