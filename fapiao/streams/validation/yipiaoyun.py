"""票申/易票云 rules beyond the common ones (providers.md 2.2): its application form is stricter.

Its tax rates, goods-name length and the three types it takes (s, c, ce) are in its `Profile`.
"""

from __future__ import annotations

from typing import Iterator

from fapiao.schemas.records import Finding, InvoiceRequest
from fapiao.streams.validation.providers import ELECTRONIC_TYPES
from fapiao.streams.validation.registry import error, rule

_PROVIDER = "yipiaoyun"
_FALSE = frozenset({"", "0", "false", "no"})  # option values are strings; these leave auto_deal off


@rule(_PROVIDER)
def unit_specification_characters(request: InvoiceRequest) -> Iterator[Finding]:
    for i, line in enumerate(request.lines):
        for name, text in (("unit", line.unit), ("specification", line.specification)):
            # str.isalnum: letters of any script (汉字 included) and digits, nothing else.
            if text is not None and not text.isalnum():
                yield error("letters_digits_only", f"lines[{i}].{name}", f"易票云要求 {name} 只含字母、汉字和数字",
                            f"yipiaoyun allows only letters (Chinese included) and digits in {name}")


@rule(_PROVIDER)
def line_description(request: InvoiceRequest) -> Iterator[Finding]:
    """A line names a pre-maintained goods_id, or describes itself fully (quantity and price for totalPrice)."""
    for i, line in enumerate(request.lines):
        if line.goods_id or line.kind == "discount":  # a discount carries no quantity or price of its own
            continue
        for name, value in (("quantity", line.quantity), ("unit_price", line.unit_price)):
            if value is None:
                yield error("line_description_incomplete", f"lines[{i}].{name}",
                            f"无 goods_id 的明细行须填写 {name}", f"a line without goods_id needs {name}")


@rule(_PROVIDER)
def order_number(request: InvoiceRequest) -> Iterator[Finding]:
    if not (request.order_no or request.erp_order_no):
        yield error("order_no_required", "order_no", "易票云要求填写 order_no 或 erp_order_no",
                    "yipiaoyun needs order_no or erp_order_no")


@rule(_PROVIDER)
def people(request: InvoiceRequest) -> Iterator[Finding]:
    """开票人, 收款人, 复核人: three different people, and the drawer whenever anyone is named."""
    if (request.payee or request.reviewer) and not request.drawer:
        yield error("drawer_required", "drawer", "填写收款人或复核人时必须填写开票人",
                    "a payee or reviewer needs a drawer; a single name must be the drawer")
    seen: set[str] = set()
    for path, person in (("drawer", request.drawer), ("payee", request.payee), ("reviewer", request.reviewer)):
        if not person:
            continue
        if person in seen:
            yield error("same_person", path, "开票人、收款人、复核人必须是不同的人",
                        "drawer, payee and reviewer must be different people")
        seen.add(person)


@rule(_PROVIDER)
def auto_deal(request: InvoiceRequest) -> Iterator[Finding]:
    value = request.options.get("auto_deal")
    if value is not None and value.strip().lower() not in _FALSE and request.invoice_type != "electronic_normal":
        yield error("auto_deal_not_allowed", "options.auto_deal", "自动开票 (auto_deal) 只适用于电子普票",
                    "options.auto_deal is only allowed for electronic_normal")


@rule(_PROVIDER)
def delivery_contact(request: InvoiceRequest) -> Iterator[Finding]:
    if request.invoice_type in ELECTRONIC_TYPES and not (request.buyer.email or request.buyer.mobile):
        yield error("delivery_contact_required", "buyer.email", "电子发票须填写购方邮箱或手机号",
                    "an electronic invoice needs the buyer's e-mail or mobile")
