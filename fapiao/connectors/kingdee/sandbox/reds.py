"""The red-letter desk: 2.1.03 apply, 2.1.04 red, 2.1.08 revoke, 2.1.09 confirm, 2.1.13 query, and the buyer.

Each operation checks everything before it changes anything (no await inside), raises `Refused` with the
provider's code and text, and returns the `Effects` the HTTP shell carries out afterwards: reds to issue
after `--issue-delay-ms`, reds that failed (their callback is due), forms the simulated buyer will answer.

With `dedupe` (the default) the desk is a careful provider: one form per orderNo, one red per serial and
per form, and a share must fit what remains of the blue. Without it the desk is careless: every apply
raises a new form, every red is issued, and what remains is not looked at (see `takes`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from fapiao.connectors.kingdee.sandbox import names
from fapiao.connectors.kingdee.sandbox.books import Take
from fapiao.connectors.kingdee.sandbox.forms import BUYER, SELLER, Form, Party
from fapiao.connectors.kingdee.sandbox.ledger import Blue, Invoice, Ledger
from fapiao.connectors.kingdee.sandbox.takes import Refused, requested, take_of

__all__ = ["RedRules", "Effects", "Desk"]

_PARTY_FIELDS = ("TaxpayerId", "Name", "Address", "Tel", "Bank", "BankAccount")
_LINE_FIELDS = ("goodsCode", "goodsName", "revenueCode", "specification", "units", "taxRate")


@dataclass(frozen=True)
class RedRules:
    dedupe: bool = True
    apply_reasons: str = "bureau"  # how 2.1.03's "1".."4" read: a key of names.APPLY_REASON_TABLES
    auto_issue: bool = True  # a form confirmed (04) issues its red by itself, under its orderNo
    buyer_answer: str = "confirm"  # what the simulated buyer answers a 02 form, unless the blue's remark says
    deadline_s: float = 259200.0  # an unanswered 02/03 form lapses (07) this long after it was entered


@dataclass
class Effects:
    issue: list[Invoice] = field(default_factory=list)
    failed: list[Invoice] = field(default_factory=list)
    ask_buyer: list[Form] = field(default_factory=list)


def _text(data: dict[str, Any], key: str, limit: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise Refused(f"{key}必填且不超过{limit}位")
    return value


def _party(blue: Blue, side: str) -> Party:
    return Party(str(blue.invoice.data.get(f"{side}TaxpayerId") or ""), str(blue.invoice.data[f"{side}Name"]))


class Desk:
    def __init__(self, ledger: Ledger, rules: RedRules) -> None:
        self.ledger = ledger
        self.rules = rules
        self._by_order: dict[str, Form] = {}
        self._awaiting: list[Form] = []

    # -- the operations --------------------------------------------------------------------------

    def apply(self, data: dict[str, Any]) -> tuple[dict[str, str], Effects]:
        """2.1.03: the form raised for `orderNo` (the same one again under dedupe)."""
        order_no = _text(data, "orderNo", 50)
        if self.rules.dedupe and order_no in self._by_order:
            return self._by_order[order_no].ids(), Effects()
        reason = names.APPLY_REASON_TABLES[self.rules.apply_reasons].get(str(data.get("redReason")))
        if reason is None:
            raise Refused("redReason只能为1、2、3、4")
        blue = self._blue(data, "invoiceNo")
        effects = Effects()
        form = self._raise(blue, reason, data.get("invoiceDetail"), SELLER, order_no, effects)
        return form.ids(), effects

    def red(self, data: dict[str, Any]) -> Effects:
        """2.1.04: accept a red invoice (开票中); it issues now (01/04) or once its form is confirmed (02)."""
        serial = _text(data, "serialNo", 30)
        if self.rules.dedupe and self.ledger.holds(serial):
            raise Refused(f"流水号重复: {serial}", names.DUPLICATE)
        reason = str(data.get("redReason"))
        if reason not in names.REASONS:
            raise Refused("待录入红字确认单的红冲原因限制为01，02，03，04")
        if str(data.get("invoiceNum")) not in self.ledger.blues and not data.get("originalIssueTime"):
            raise Refused(names.ISSUE_TIME_REQUIRED)
        blue = self._blue(data, "invoiceNum")
        effects = Effects()
        if data.get("redInfoBillNo") or data.get("govRedConfirmBillUuid"):
            form = self._named_form(data, blue)
        elif self.rules.dedupe and serial in self._by_order:  # the form this serial applied for
            form = self._usable(self._by_order[serial], may_wait=True)
        else:
            form = self._raise(blue, reason, data.get("invoiceDetail"), SELLER, serial, effects)
        red = self._new_red(serial, form)
        if form.status in names.ISSUABLE:
            effects.issue.append(red)
        return effects

    def revoke(self, data: dict[str, Any]) -> Effects:
        """2.1.08 (qrlx C), by the party that entered the form: 02 → 08, 04 before any red → 09."""
        form = self._answerable(data, ("C",))
        entered_by = form.seller if form.identity == SELLER else form.buyer
        if data.get("taxNo") != entered_by.tax_id:
            raise Refused("只有录入方可以撤销红字确认单")
        if form.status == "02" or form.status == "04" and form.red is None:
            return self._end(form, "08" if form.status == "02" else "09")
        raise Refused(f"当前红字确认单状态为：{form.status_name}，不允许撤销")

    def confirm(self, data: dict[str, Any]) -> Effects:
        """2.1.09 (qrlx Y/N): the seller answers a form the buyer raised (03) → 04 / 06."""
        form = self._answerable(data, ("Y", "N"))
        if data.get("taxNo") != form.seller.tax_id:
            raise Refused("只有销方可以确认购方录入的红字确认单")
        if form.status != "03":
            raise Refused(f"当前红字确认单状态为：{form.status_name}，不允许确认")
        return self._confirmed(form) if data["qrlx"] == "Y" else self._end(form, "06")

    def query(self, data: dict[str, Any]) -> dict[str, Any]:
        """2.1.13: forms of `taxpayerId` (either party), by redInfoBillNo, or listed by identity and dates."""
        taxpayer = _text(data, "taxpayerId", 20)
        forms = [form for form in self.ledger.forms.values() if taxpayer in (form.seller.tax_id, form.buyer.tax_id)]
        if data.get("redInfoBillNo"):
            forms = [form for form in forms if form.number == data["redInfoBillNo"]]
        else:
            if data.get("identity") in (SELLER, BUYER):
                forms = [form for form in forms if form.identity == data["identity"]]
            start, end = str(data.get("startDate") or ""), str(data.get("endDate") or "9999-12-31")
            forms = [form for form in forms if start <= f"{form.entered_at:%Y-%m-%d}" <= end]
        size, page = _whole(data.get("pageSize"), 50), _whole(data.get("pageNo"), 1)
        return {"dataList": [form.item() for form in forms[(page - 1) * size:page * size]],
                "pageNo": page, "pageSize": size, "totalElement": len(forms)}

    def buyer_answers(self, form: Form, answer: str) -> Effects:
        """The simulated buyer on a form we raised (02): confirm → 04, refuse → 05, silent → nothing, ever."""
        if form.status != "02":
            return Effects()
        if answer == "silent":
            form.buyer_answer = "silent"
            return Effects()
        return self._confirmed(form) if answer == "confirm" else self._end(form, "05")

    def buyer_raises(self, data: dict[str, Any]) -> Form:
        """The buyer enters a form (03) against one of our blues: `invoiceNum`, `redReason`, `invoiceDetail`."""
        blue = self.ledger.blues.get(str(data.get("invoiceNum")))
        if blue is None:
            raise Refused(f"发票云不存在该蓝票: {data.get('invoiceNum')}")
        reason = str(data.get("redReason") or "02")
        if reason not in names.REASONS:
            raise Refused("待录入红字确认单的红冲原因限制为01，02，03，04")
        return self._raise(blue, reason, data.get("invoiceDetail"), BUYER, None, Effects())

    def sweep(self) -> Effects:
        """Forms past their deadline on the sandbox clock lapse (07); their waiting reds fail."""
        now, effects = self.ledger.clock.now(), Effects()
        for form in self._awaiting:
            if form.lapse(now):
                self._end(form, "07", effects)
        self._awaiting = [form for form in self._awaiting if form.status in names.AWAITING]
        return effects

    # -- the parts -------------------------------------------------------------------------------

    def _blue(self, data: dict[str, Any], key: str) -> Blue:
        blue = self.ledger.blues.get(str(data.get(key)))
        if blue is None:
            raise Refused(f"发票云不存在该蓝票: {data.get(key)}")
        _text(data, "sellerTaxpayerId", 20)
        for field_name in ("sellerTaxpayerId", "buyerTaxpayerId", "invoiceType"):
            if data.get(field_name) and data[field_name] != blue.invoice.data.get(field_name):
                raise Refused(f"{field_name}与蓝票不一致")
        return blue

    def _named_form(self, data: dict[str, Any], blue: Blue) -> Form:
        number, uuid = data.get("redInfoBillNo"), data.get("govRedConfirmBillUuid")
        form = self.ledger.forms.get(str(number)) if number else \
            next((form for form in self.ledger.forms.values() if form.uuid == uuid), None)
        if form is None or uuid and form.uuid != uuid:
            raise Refused("发票红冲时红字确认单不存在")
        if form.blue is not blue.invoice:
            raise Refused("红字确认单的蓝票与红冲蓝票不一致")
        self._usable(form, may_wait=False)
        lines = data.get("invoiceDetail")
        if lines and _amounts(requested(lines, blue.detail(), form.reason)) != _amounts(form.take):
            raise Refused("红冲明细与红字确认单不一致")
        return form

    def _usable(self, form: Form, may_wait: bool) -> Form:
        """A form a red may be issued from (01, 04), or wait for (02, when it raised it), and has no red yet."""
        if form.status not in names.ISSUABLE and not (may_wait and form.status == "02"):
            raise Refused(names.FORM_STATE_REFUSAL + form.status_name)
        if self.rules.dedupe and form.red is not None:
            raise Refused(f"该红字确认单已开具红字发票, 流水号 {form.red.serial}")
        return form

    def _raise(self, blue: Blue, reason: str, lines: Any, identity: str, order_no: str | None,
               effects: Effects) -> Form:
        take = take_of(lines, blue.detail(), blue.book, reason, careful=self.rules.dedupe)
        number, now = self.ledger.next_form_number(), self.ledger.clock.now()
        status = "03" if identity == BUYER else "02" if blue.used else "01"
        form = Form(number=number, uuid=secrets.token_hex(16), order_no=order_no or f"HZ{number}",
                    blue=blue.invoice, reason=reason, identity=identity, status=status, entered_at=now,
                    deadline=now + timedelta(seconds=self.rules.deadline_s), take=take,
                    seller=_party(blue, "seller"), buyer=_party(blue, "buyer"), buyer_answer=self._buyer_of(blue))
        blue.book.hold(number, take)
        self.ledger.forms[number] = form
        self._by_order[form.order_no] = form
        if status in names.AWAITING:
            self._awaiting.append(form)
        if status == "02" and form.buyer_answer != "silent":
            effects.ask_buyer.append(form)
        return form

    def _buyer_of(self, blue: Blue) -> str:
        remark = str(blue.invoice.data.get("remark") or "")
        return next((answer for marker, answer in names.BUYER_MARKERS.items() if marker in remark),
                    self.rules.buyer_answer)

    def _answerable(self, data: dict[str, Any], allowed: tuple[str, ...]) -> Form:
        if data.get("qrlx") not in allowed:
            raise Refused(f"确认类型qrlx只能为{'或'.join(allowed)}")
        if not data.get("enteridentity"):
            raise Refused("enteridentity必填")
        form = self.ledger.forms.get(str(data.get("number")))
        if form is None:
            raise Refused(f"红字确认单不存在: {data.get('number')}")
        return form

    def _confirmed(self, form: Form) -> Effects:
        """04: the red waiting for this form is issued; else, with auto-issue, the form issues its own red."""
        form.status = "04"
        effects = Effects()
        if form.red is not None:
            effects.issue.append(form.red)
        # Under dedupe a serial is never issued twice, even one a client misused as an orderNo.
        elif self.rules.auto_issue and not (self.rules.dedupe and self.ledger.holds(form.order_no)):
            effects.issue.append(self._new_red(form.order_no, form))
        return effects

    def _end(self, form: Form, status: str, effects: Effects | None = None) -> Effects:
        """A form that dies (05..09) frees its share; the red waiting for it fails."""
        effects = effects or Effects()
        form.status = status
        self.ledger.blues[form.blue_number].book.release(form.number)
        if form.red is not None and self.ledger.fail(form.red, names.FORM_STATE_REFUSAL + form.status_name):
            effects.failed.append(form.red)
        return effects

    def _new_red(self, serial: str, form: Form) -> Invoice:
        red = self.ledger.accept(Invoice(serial, names.RED, _red_data(serial, form), form=form, take=form.take))
        form.red = red
        return red


def _whole(value: Any, default: int) -> int:
    """A page number or size: a positive whole number up to 50 (the plug-in's limit), else the default."""
    text = str(value or "")
    return min(int(text), 50) if text.isdigit() and int(text) > 0 else default


def _amounts(take: Take) -> dict[int, tuple[Decimal, Decimal]]:
    return {line: (share.amount, share.tax) for line, share in take.items()}


def _red_data(serial: str, form: Form) -> dict[str, Any]:
    """The red invoice as a query or INVOICE.RED callback shows it: negative amounts, tax and quantities."""
    blue = form.blue.data
    detail: list[dict[str, Any]] = []
    for row, (seq, share) in enumerate(sorted(form.take.items()), 1):
        line = blue["invoiceDetail"][seq - 1]
        red_line = {key: line[key] for key in _LINE_FIELDS if line.get(key) not in (None, "")}
        red_line.update({"lineProperty": "0", "originalSeq": seq, "detailRowNo": row,
                         "amount": -share.amount, "taxAmount": -share.tax})
        if share.quantity is not None and form.reason != names.ALLOWANCE_REASON:
            red_line.update({"quantity": -share.quantity, "price": line.get("price")})
        detail.append(red_line)
    amount = sum((share.amount for share in form.take.values()), Decimal(0))
    tax = sum((share.tax for share in form.take.values()), Decimal(0))
    parties = {f"{side}{name}": blue[f"{side}{name}"] for side in ("seller", "buyer") for name in _PARTY_FIELDS
               if blue.get(f"{side}{name}") not in (None, "")}
    return {"serialNo": serial, "invoiceType": blue["invoiceType"], "invoiceProperty": "1", "invoiceStatus": "2",
            **parties, "naturalPersonFlag": blue.get("naturalPersonFlag", "N"),
            "originalInvoiceNumber": form.blue_number, "originalIssueTime": blue["invoiceDate"],
            "redReason": form.reason, "totalAmount": -amount, "totalTaxAmount": -tax,
            "includeTaxAmount": -(amount + tax), "invoiceDetail": detail, **form.ids()}
