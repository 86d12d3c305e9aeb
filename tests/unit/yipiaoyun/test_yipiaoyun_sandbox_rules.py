"""The sandbox's application rules (rules.py), one by one, on bodies written from providers.md."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sandbox_bodies import SERIAL, item, pos, stay_open, subscribe

from fapiao.connectors.yipiaoyun.sandbox import protocol
from fapiao.connectors.yipiaoyun.sandbox.rules import Draft, Line, Refused, read

SPECIAL = {"invoiceType": "s", "purchaserAddress": "深圳市", "purchaserTel": "0755-1", "purchaserBankName": "招商银行",
           "purchaserBankAccount": "755900000000002"}
ELECTRONIC = {"invoiceType": "ce", "purchaserMail": "ap@example.com"}


def refusal(kind: str, body: dict[str, Any]) -> tuple[int, str]:
    with pytest.raises(Refused) as refused:
        read(kind, body)
    return refused.value.answer.code, refused.value.answer.message


def without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in names}


@pytest.mark.parametrize("body, code, message", [
    (without(stay_open(), "applicationNo"), -1, "申请单号不能为空"),
    (stay_open(applyType=2), -1, "申请类型错误"),
    (stay_open(invoiceType="ce2"), -1, "发票类型或抬头类型错误"),
    (stay_open(titleType=3), -1, "发票类型或抬头类型错误"),
    (stay_open(storeNo="S404"), 4002, "门店不存在"),
    (stay_open(storeId=999), 4002, "门店不存在"),
    (stay_open(autoDeal=True), -1, "只有电票可以自动开票"),
    (stay_open(**ELECTRONIC, autoDeal=True, storeNo="S009"), 5001, "当前无在线税盘,无法自动开票"),
    (without(stay_open(**SPECIAL), "purchaserBankName"), -1, "专票购方信息必填: purchaserBankName"),
    (without(stay_open(), "purchaserTaxNo"), -1, "企业抬头购方税号必填"),
    (stay_open(invoiceType="ce"), -1, "电票须填写购方邮箱或手机号"),
    (without(stay_open(payee="王五"), "ticketHolder"), -1, "只填一人时须为开票人"),
    (stay_open(payee="李四"), -1, "开票人、收款人、复核人不能为同一人"),
    (stay_open(orderList=[]), -1, "订单列表不能为空"),
    (stay_open(orderList=[{"orderPrice": Decimal("24.80"), "items": [item()]}]), -1, "订单号和ERP订单号不能都为空"),
    (stay_open(orderList=[{"orderNo": "SO-1", "orderPrice": Decimal(0), "items": []}]), -1, "商品明细不能为空"),
    (stay_open(item(identifier="NOPE000001")), -1, "找不到对应商品信息"),
    (stay_open(item(taxTypeNo="307040100000000000")), -1, "税收分类编码错误"),  # 18 digits
    (stay_open(without(item(), "name")), -1, "税收分类编码错误"),
    (stay_open(item(taxRate="7")), -1, "税率错误"),
    (stay_open(item(taxRate="６")), -1, "税率错误"),  # a full-width digit is not a rate
    (stay_open(item(taxRate=Decimal("6.0"))), -1, "税率错误"),
    (stay_open(item(unitPrice=Decimal("12.41"))), -1, "总价不等于单价*数量"),
    (stay_open(item(totalPrice="24.80")), -1, "总价格式错误"),  # money is a JSON number
    (stay_open(item(totalPrice=True)), -1, "总价格式错误"),
    (stay_open(without(item(), "totalPrice")), -1, "总价不能为空"),
])
def test_stay_open_refusals(body: dict[str, Any], code: int, message: str) -> None:
    assert refusal("stay_open", body) == (code, message)


def test_order_price_must_be_the_sum_of_its_items() -> None:
    body = stay_open()
    body["orderList"][0]["orderPrice"] = Decimal("24.81")
    assert refusal("stay_open", body) == (-1, "订单金额与商品总价不符")


def test_a_valid_application_reads_into_its_draft() -> None:
    goods = item(identifier="ZSF0000001", name=None, taxTypeNo=None, taxRate=None, totalPrice=Decimal("100.00"),
                 unitPrice=None, quantity=None)
    draft = read("stay_open", stay_open(item(), goods, payee="王五", reviewer="赵六", storeId=123))
    assert draft == Draft(SERIAL, "stay_open", "c", (SERIAL,), ("SO-1",),
                          (Line("住宿费", 6, Decimal("24.80")), Line("*住宿服务*住宿费", 6, Decimal("100.00"))),
                          protocol.ISSUED, False, "示例采购方有限公司")


@pytest.mark.parametrize("changes", [
    {**ELECTRONIC, "autoDeal": True, "storeNo": "S002"},
    {"invoiceType": "ce", "receivePhone": "13800000000"},
    {**SPECIAL},
    {"titleType": 2, "purchaserTaxNo": None},
    {"storeNo": None},
])
def test_accepted(changes: dict[str, Any]) -> None:
    body = {k: v for k, v in stay_open(**changes).items() if v is not None}
    assert read("stay_open", body).auto_deal is (changes.get("autoDeal") is True)


@pytest.mark.parametrize("remark, result", [
    ("月结 SANDBOX:REJECT", protocol.REJECTED), ("SANDBOX:FAIL", protocol.FAILED),
    ("SANDBOX:PARTIAL please", protocol.PARTIAL), ("", protocol.ISSUED),
])
def test_remark_markers_choose_the_result(remark: str, result: tuple[int, str]) -> None:
    assert read("stay_open", stay_open(remark=remark)).result == result


def test_subscribe_needs_no_goods_but_its_own_apply_type() -> None:
    assert read("subscribe", subscribe()).lines == ()
    assert refusal("subscribe", subscribe(applyType=1)) == (-1, "申请类型错误")


@pytest.mark.parametrize("body, answer", [
    (pos(accessKey="POS404"), (4002, "门店不存在")),
    (pos(accessSecret="ACTIVE002"), (-1, "激活码无效")),
    (pos(orderNo=""), (-1, "订单号不能为空")),
    (pos(orderPrice=None), (-1, "订单金额不能为空")),
])
def test_pos_refusals(body: dict[str, Any], answer: tuple[int, str]) -> None:
    assert refusal("pos", body) == answer


def test_pos_draft_is_one_default_goods_line_under_the_order_number() -> None:
    assert read("pos", pos()) == Draft(SERIAL, "pos", "ce", (), (SERIAL,), (Line("*默认商品*", 6, Decimal("24.80")),),
                                       protocol.ISSUED)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.decimals(allow_nan=False) | st.text(max_size=5),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                     max_leaves=8)
_PATHS = [(key,) for key in {**stay_open(payee="王五", autoDeal=True), **pos()}] + [
    ("orderList", 0, key) for key in stay_open()["orderList"][0]] + [
    ("orderList", 0, "items", 0, key) for key in item(identifier="ZSF0000001")]


def _put(body: Any, path: tuple[Any, ...], value: Any) -> None:
    """Put `value` at `path` in `body`, where the path still leads through its dicts and lists."""
    *steps, last = path
    for step in steps:
        try:
            body = body[step]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(body, dict):
        body[last] = value


@given(st.lists(st.tuples(st.sampled_from(_PATHS), _json), min_size=1, max_size=3), st.sampled_from(["stay_open", "pos"]))
def test_any_json_in_any_field_is_an_answer_never_a_crash(changes: list[tuple[tuple[Any, ...], Any]], kind: str) -> None:
    body = pos() if kind == "pos" else stay_open()
    for path, value in changes:
        _put(body, path, value)
    try:
        read(kind, body)
    except Refused as refused:
        assert refused.answer.code in (-1, 4002, 5001)
