"""The application form's rules (providers.md §2.2, seed 004): a submission body -> `Draft`, or `Refused`.

Pure: no clock, no I/O, no books. In the order they are checked:

- applicationNo (POS: orderNo) present; applyType 1 on 待开申请, 2 on 预约开票; invoiceType s/c/ce; titleType 1/2
- storeNo in `STORES`, storeId in `STORE_IDS`, else 4002 门店不存在 (POS: accessKey in `POS_TERMINALS`, and
  its accessSecret, the activation code, must match)
- autoDeal only for ce; `OFFLINE_STORE` ("S009") has no online tax device, so autoDeal there is 5001
- 专票 (s): purchaser tax number, address, phone, bank and account; titleType 1: purchaser tax number;
  电票 (ce): purchaserMail or receivePhone
- ticketHolder, payee, reviewer: different people; a payee or reviewer needs a ticketHolder
- orderList: each order has orderNo or erpOrderNo; on 待开申请 its items are either a known goods
  `identifier` (`GOODS`; else 找不到对应商品信息) or name + 19-digit taxTypeNo (else 税收分类编码错误) + a
  listed whole-percent taxRate; totalPrice = unitPrice × quantity where both are given; orderPrice = Σ totalPrice.
  Prices are tax-inclusive JSON numbers; a string or a bool is refused.
- a remark holding SANDBOX:REJECT / SANDBOX:FAIL / SANDBOX:PARTIAL decides the result: 申请驳回 /
  开票失败 / 部分成功 instead of 开票成功, so that a test can have callbacks of every kind.

Texts of refusals the seed does not show are ours; they all start with -1, as the seed's business errors do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from fapiao.connectors.yipiaoyun.sandbox import protocol
from fapiao.connectors.yipiaoyun.sandbox.protocol import Answer

__all__ = ["Draft", "Line", "Refused", "read", "GOODS", "STORES", "STORE_IDS", "OFFLINE_STORE", "POS_TERMINALS",
           "RATES", "SCENARIOS"]

GOODS = {"ZSF0000001": ("*住宿服务*住宿费", 6), "CYF0000001": ("*餐饮服务*餐饮费", 6), "SPF0000001": ("*日用品*商品", 13)}
STORES = frozenset({"S001", "S002", "S009"})
STORE_IDS = frozenset({123})
OFFLINE_STORE = "S009"
POS_TERMINALS = {"POS001": "ACTIVE001"}  # accessKey (parterStoreNo) -> accessSecret (activeCode)
RATES = frozenset({0, 3, 5, 6, 9, 10, 13, 16})  # whole percent, the vendor's own (legacy) list
SCENARIOS = {"SANDBOX:REJECT": protocol.REJECTED, "SANDBOX:FAIL": protocol.FAILED, "SANDBOX:PARTIAL": protocol.PARTIAL}
APPLY_TYPES = {"stay_open": 1, "subscribe": 2}
SPECIAL_PURCHASER = ("purchaserTaxNo", "purchaserAddress", "purchaserTel", "purchaserBankName", "purchaserBankAccount")
TAX_CODE = re.compile(r"[0-9]{19}")
DIGITS = re.compile(r"[0-9]+")
POS_RATE = 6  # 商家默认商品: the merchant's default goods, whose rate the vendor keeps


class Refused(Exception):
    """A submission the vendor answers with a business error."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.message)
        self.answer = answer


def _refuse(message: str) -> Refused:
    return Refused(Answer(-1, message))


@dataclass(frozen=True)
class Line:
    name: str
    rate: int  # whole percent
    with_tax: Decimal  # totalPrice


@dataclass(frozen=True)
class Draft:
    """What an accepted submission asks for; the ledger turns it into an application."""

    serial: str  # applicationNo; POS: orderNo
    kind: str  # stay_open | subscribe | pos
    invoice_type: str  # s | c | ce
    erp_order_nos: tuple[str, ...]
    partner_order_nos: tuple[str, ...]
    lines: tuple[Line, ...]
    result: tuple[int, str]  # the 申请回调 it will get
    auto_deal: bool = False
    purchaser: str = ""


def read(kind: str, body: Mapping[str, Any]) -> Draft:
    """The draft of one submission of `kind` (see `protocol.SUBMISSIONS`), or raise `Refused`."""
    return _pos(body) if kind == "pos" else _application(kind, body)


def _money(value: Any, what: str) -> Decimal:
    if value is None:
        raise _refuse(f"{what}不能为空")
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise _refuse(f"{what}格式错误")
    return Decimal(value)


def _pos(body: Mapping[str, Any]) -> Draft:
    terminal = body.get("accessKey")
    if not isinstance(terminal, str) or terminal not in POS_TERMINALS:
        raise Refused(protocol.NO_STORE)
    if body.get("accessSecret") != POS_TERMINALS[terminal]:
        raise _refuse("激活码无效")
    order_no = body.get("orderNo")
    if not order_no:
        raise _refuse("订单号不能为空")
    price = _money(body.get("orderPrice"), "订单金额")
    return Draft(str(order_no), "pos", "ce", (), (str(order_no),), (Line("*默认商品*", POS_RATE, price),),
                 protocol.ISSUED)


def _application(kind: str, body: Mapping[str, Any]) -> Draft:
    serial = body.get("applicationNo")
    if not serial:
        raise _refuse("申请单号不能为空")
    if body.get("applyType") != APPLY_TYPES[kind]:
        raise _refuse("申请类型错误")
    invoice_type, title_type = body.get("invoiceType"), body.get("titleType")
    if invoice_type not in ("s", "c", "ce") or title_type not in (1, 2):
        raise _refuse("发票类型或抬头类型错误")
    _store(body)
    auto_deal = body.get("autoDeal") is True
    if auto_deal and invoice_type != "ce":
        raise _refuse("只有电票可以自动开票")
    if auto_deal and body.get("storeNo") == OFFLINE_STORE:
        raise Refused(protocol.NO_ONLINE_DEVICE)
    _purchaser(body, invoice_type, title_type)
    _people(body)
    orders = body.get("orderList")
    if not isinstance(orders, list) or not orders or not all(isinstance(order, dict) for order in orders):
        raise _refuse("订单列表不能为空")
    for order in orders:
        if not (order.get("orderNo") or order.get("erpOrderNo")):
            raise _refuse("订单号和ERP订单号不能都为空")
    lines = () if kind == "subscribe" else tuple(line for order in orders for line in _order_lines(order))
    remark = str(body.get("remark") or "")
    result = next((outcome for tag, outcome in SCENARIOS.items() if tag in remark), protocol.ISSUED)
    return Draft(str(serial), kind, invoice_type, tuple(str(o["erpOrderNo"]) for o in orders if o.get("erpOrderNo")),
                 tuple(str(o["orderNo"]) for o in orders if o.get("orderNo")), lines, result, auto_deal,
                 str(body.get("purchaserName") or ""))


def _store(body: Mapping[str, Any]) -> None:
    store_no, store_id = body.get("storeNo"), body.get("storeId")
    if store_no is not None and (not isinstance(store_no, str) or store_no not in STORES):
        raise Refused(protocol.NO_STORE)
    if store_id is not None and (type(store_id) is not int or store_id not in STORE_IDS):
        raise Refused(protocol.NO_STORE)


def _purchaser(body: Mapping[str, Any], invoice_type: str, title_type: int) -> None:
    if invoice_type == "s":
        missing = [name for name in SPECIAL_PURCHASER if not body.get(name)]
        if missing:
            raise _refuse(f"专票购方信息必填: {', '.join(missing)}")
    if title_type == 1 and not body.get("purchaserTaxNo"):
        raise _refuse("企业抬头购方税号必填")
    if invoice_type == "ce" and not (body.get("purchaserMail") or body.get("receivePhone")):
        raise _refuse("电票须填写购方邮箱或手机号")


def _people(body: Mapping[str, Any]) -> None:
    named = [str(body[role]) for role in ("ticketHolder", "payee", "reviewer") if body.get(role)]
    if named and not body.get("ticketHolder"):
        raise _refuse("只填一人时须为开票人")
    if len(set(named)) != len(named):
        raise _refuse("开票人、收款人、复核人不能为同一人")


def _order_lines(order: Mapping[str, Any]) -> list[Line]:
    items = order.get("items")
    if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
        raise _refuse("商品明细不能为空")
    lines = [_line(item) for item in items]
    if sum(line.with_tax for line in lines) != _money(order.get("orderPrice"), "订单金额"):
        raise _refuse("订单金额与商品总价不符")
    return lines


def _line(item: Mapping[str, Any]) -> Line:
    total = _money(item.get("totalPrice"), "总价")
    if item.get("unitPrice") is not None and item.get("quantity") is not None:
        if _money(item["unitPrice"], "单价") * _money(item["quantity"], "数量") != total:
            raise _refuse("总价不等于单价*数量")
    if "identifier" in item:
        identifier = item["identifier"]
        if not isinstance(identifier, str) or identifier not in GOODS:
            raise Refused(protocol.UNKNOWN_GOODS)
        name, rate = GOODS[identifier]
        return Line(name, rate, total)
    if not item.get("name") or not TAX_CODE.fullmatch(str(item.get("taxTypeNo") or "")):
        raise Refused(protocol.BAD_TAX_CODE)
    return Line(str(item["name"]), _percent(item.get("taxRate")), total)


def _percent(rate: Any) -> int:
    """A listed whole-percent rate, sent as a number or as its digits ("6")."""
    if isinstance(rate, str) and DIGITS.fullmatch(rate):
        rate = int(rate)
    if type(rate) is not int or rate not in RATES:
        raise _refuse("税率错误")
    return rate
